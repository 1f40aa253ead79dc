import { sql } from "drizzle-orm";
import { bigserial, boolean, check, customType, index, integer, jsonb, pgSchema, text, timestamp } from "drizzle-orm/pg-core";

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
  /**
   * The password-protected PBS KeyConfig of the key (JSON as PBS writes it;
   * holds the key only encrypted under the password). Null for keys stored
   * before key files existed.
   */
  keyConfig: jsonb("key_config").$type<KeyConfigJson>(),
});

/** Every `keyvault.keys.release` request: who asked for which key, drive, job and media set, and the answer. */
export const keyReleaseAudit = keyvaultSchema.table(
  "key_release_audit",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** The requester as it named itself (device agent instance id), or `unknown`. */
    agent: text("agent").notNull(),
    fingerprint: text("fingerprint").notNull(),
    drive: text("drive").notNull(),
    job: text("job").notNull(),
    mediaSetUuid: text("media_set_uuid").notNull(),
    granted: boolean("granted").notNull(),
    /** Why a release was refused (error reason), null when granted. */
    refusal: text("refusal"),
  },
  (t) => [index("key_release_audit_fingerprint_at").on(t.fingerprint, t.at)],
);

/** The stored KeyConfig JSON (see core/key-config.ts). */
export type KeyConfigJson = Record<string, unknown>;

export const schema = { masterKeyInfo, encryptionKeys, keyReleaseAudit };
export type KeyvaultTables = typeof schema;
