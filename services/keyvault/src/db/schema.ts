import { sql } from "drizzle-orm";
import { check, customType, integer, pgSchema, text, timestamp } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/** The keyvault's own PostgreSQL schema; no other service reads these tables. */
export const keyvaultSchema = pgSchema("keyvault");

/** One row: the fingerprint of the master key the data below is wrapped with. */
export const masterKeyInfo = keyvaultSchema.table("master_key", {
  id: integer("id").primaryKey().default(1),
  fingerprint: text("fingerprint").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [check("master_key_single_row", sql`${t.id} = 1`)]);

/** Tape encryption keys, wrapped under the master key (AES-256-GCM: iv | tag | ciphertext). */
export const encryptionKeys = keyvaultSchema.table("encryption_keys", {
  fingerprint: text("fingerprint").primaryKey(),
  wrappedKey: bytea("wrapped_key").notNull(),
  /** Free text shown to operators to recognise the key. */
  hint: text("hint"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const schema = { masterKeyInfo, encryptionKeys };
export type KeyvaultTables = typeof schema;
