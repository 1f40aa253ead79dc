import { sql } from "drizzle-orm";
import { bigserial, check, index, integer, pgSchema, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

/** The catalog's own PostgreSQL schema; no other service reads these tables. */
export const catalogSchema = pgSchema("catalog");

/**
 * A media set: the tapes a media pool writes as one unit (PBS: one media set per
 * allocation period), identified by its UUID.
 */
export const mediaSets = catalogSchema.table("media_sets", {
  uuid: uuid("uuid").primaryKey(),
  pool: text("pool").notNull(),
  /** When the first tape of the set was labelled for it. */
  ctime: timestamp("ctime", { withTimezone: true }).notNull().defaultNow(),
  /** Fingerprint of the encryption key the set is written with; null when unencrypted. */
  encryptionKeyFingerprint: text("encryption_key_fingerprint"),
  /** Set when the set is closed (no more tapes are appended). */
  closedAt: timestamp("closed_at", { withTimezone: true }),
}, (t) => [index("media_sets_pool_idx").on(t.pool, t.ctime)]);

/** Tapes of a media set in order (`seq_nr` 0, 1, …). */
export const mediaSetMembers = catalogSchema.table("media_set_members", {
  mediaSetUuid: uuid("media_set_uuid").notNull().references(() => mediaSets.uuid, { onDelete: "cascade" }),
  seqNr: integer("seq_nr").notNull(),
  /** UUID written in the tape's media label. */
  mediaUuid: uuid("media_uuid").notNull(),
  /** Label text (usually the barcode). */
  labelText: text("label_text").notNull(),
}, (t) => [
  primaryKey({ columns: [t.mediaSetUuid, t.seqNr] }),
  unique("media_set_members_media_uuid_key").on(t.mediaUuid),
  check("media_set_members_seq_nr_check", sql`${t.seqNr} >= 0`),
]);

/** One archive file on a tape: a chunk archive, a snapshot archive or a catalog archive. */
export const archives = catalogSchema.table("archives", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  mediaSetUuid: uuid("media_set_uuid").notNull().references(() => mediaSets.uuid, { onDelete: "cascade" }),
  mediaUuid: uuid("media_uuid").notNull(),
  /** Tape file number (filemark count from the beginning of the tape). */
  fileNumber: integer("file_number").notNull(),
  kind: text("kind").notNull(),
  /** Datastore the content came from. */
  store: text("store").notNull(),
  /** Snapshot path (`ns/type/id/time`) for snapshot archives; null otherwise. */
  snapshot: text("snapshot"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  unique("archives_media_file_key").on(t.mediaUuid, t.fileNumber),
  check("archives_kind_check", sql`${t.kind} in ('chunk-archive', 'snapshot-archive', 'catalog-archive')`),
  check("archives_file_number_check", sql`${t.fileNumber} >= 0`),
  index("archives_snapshot_idx").on(t.store, t.snapshot),
]);

export const schema = { mediaSets, mediaSetMembers, archives };
export type CatalogTables = typeof schema;
