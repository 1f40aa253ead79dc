import { pgSchema, text, timestamp } from "drizzle-orm/pg-core";

/** Tables of the API gateway, in its own PostgreSQL schema. */
export const gatewaySchema = pgSchema("gateway");

/** API tokens: only a SHA-256 hash of each secret is stored. */
export const apiTokens = gatewaySchema.table("api_token", {
  id: text("id").primaryKey(),
  /** Hex SHA-256 of the secret part of the token. */
  secretHash: text("secret_hash").notNull(),
  role: text("role", { enum: ["admin", "audit"] }).notNull(),
  comment: text("comment"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const schema = { apiTokens };
export type GatewaySchema = typeof schema;
