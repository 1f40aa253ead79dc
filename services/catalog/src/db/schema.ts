import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";

/** The catalog's own PostgreSQL schema; no other service reads these tables. */
export const catalogSchema = pgSchema("catalog");

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

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
  /** Name rendered from the pool's template at the set's start, when known (PBS prints the UUID otherwise). */
  name: text("name"),
}, (t) => [index("media_sets_pool_idx").on(t.pool, t.ctime)]);

/** Tapes of a media set in order (`seq_nr` 0, 1, …). A tape is in at most one set. */
export const mediaSetMembers = catalogSchema.table("media_set_members", {
  mediaSetUuid: uuid("media_set_uuid").notNull().references(() => mediaSets.uuid, { onDelete: "cascade" }),
  seqNr: integer("seq_nr").notNull(),
  /** UUID written in the tape's media label. */
  mediaUuid: uuid("media_uuid").notNull(),
  /** Label text (usually the barcode). */
  labelText: text("label_text").notNull(),
  /** When the tape's set label was written. */
  joinedAt: timestamp("joined_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.mediaSetUuid, t.seqNr] }),
  unique("media_set_members_media_uuid_key").on(t.mediaUuid),
  check("media_set_members_seq_nr_check", sql`${t.seqNr} >= 0`),
  index("media_set_members_label_idx").on(t.labelText),
]);

/** One file on a tape: a label, a chunk archive, a snapshot archive or a catalog archive. */
export const archives = catalogSchema.table("archives", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  mediaSetUuid: uuid("media_set_uuid").notNull().references(() => mediaSets.uuid, { onDelete: "cascade" }),
  mediaUuid: uuid("media_uuid").notNull(),
  /** Tape file number (filemark count from the beginning of the tape). */
  fileNumber: integer("file_number").notNull(),
  kind: text("kind").notNull(),
  /** Datastore the content came from (chunk and snapshot archives). */
  store: text("store"),
  /** Snapshot path (print form) for snapshot archives; null otherwise. */
  snapshot: text("snapshot"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  /** Content UUID of the archive (MediaContentHeader uuid). */
  archiveUuid: uuid("archive_uuid").notNull(),
  /** The archive was cut off (INCOMPLETE or LEOM); a snapshot archive so marked holds no usable snapshot. */
  incomplete: boolean("incomplete").notNull().default(false),
  /** Chunk archives: digests recorded. */
  chunkCount: integer("chunk_count").notNull().default(0),
  /** Size on tape, when the publisher knew it. */
  bytes: bigint("bytes", { mode: "number" }),
  /** When the archive was synced to tape. */
  committedAt: timestamp("committed_at", { withTimezone: true }).notNull(),
}, (t) => [
  unique("archives_media_file_key").on(t.mediaUuid, t.fileNumber),
  check("archives_kind_v2_check", sql`${t.kind} in ('media-label', 'media-set-label', 'chunk-archive', 'snapshot-archive', 'catalog-archive')`),
  check("archives_file_number_check", sql`${t.fileNumber} >= 0`),
  index("archives_snapshot_idx").on(t.store, t.snapshot),
  index("archives_set_store_idx").on(t.mediaSetUuid, t.store, t.kind),
]);

/** The snapshot held by a complete snapshot archive. */
export const snapshots = catalogSchema.table("snapshots", {
  archiveId: bigint("archive_id", { mode: "number" }).primaryKey().references(() => archives.id, { onDelete: "cascade" }),
  mediaSetUuid: uuid("media_set_uuid").notNull(),
  store: text("store").notNull(),
  /** Print form: `[ns/a/ns/b/]type/id/time`. */
  snapshot: text("snapshot").notNull(),
  /** Namespace in API form (`a/b`, "" for the root). */
  namespace: text("namespace").notNull(),
  backupType: text("backup_type").notNull(),
  backupId: text("backup_id").notNull(),
  backupTime: timestamp("backup_time", { withTimezone: true }).notNull(),
}, (t) => [
  index("snapshots_set_store_snapshot_idx").on(t.mediaSetUuid, t.store, t.snapshot),
  index("snapshots_store_snapshot_idx").on(t.store, t.snapshot),
]);

/**
 * Chunk digests per chunk archive, in write order. The archive row says which
 * media set, tape, file and datastore. Rows are narrow (8 + 4 + 32 bytes) and
 * carry no btree index: ingest appends at COPY-like speed. An archive's rows
 * are written together, so a BRIN index on `archive_id` finds them; digest
 * lookups (restore plans) scan the rows of one media set's archives, as PBS
 * reads a set's media catalogs.
 */
export const chunks = catalogSchema.table("chunks", {
  archiveId: bigint("archive_id", { mode: "number" }).notNull(),
  /** Position in the archive (write order: the media catalog lists chunks in this order). */
  ord: integer("ord").notNull(),
  digest: bytea("digest").notNull(),
}, (t) => [
  // Small ranges, summarized as they fill (the ingest also summarizes after each batch).
  index("chunks_archive_brin_idx").using("brin", t.archiveId).with({ pages_per_range: 16, autosummarize: true }),
  check("chunks_digest_length_check", sql`octet_length(${t.digest}) = 32`),
]);

/** Ids of the records applied (idempotency: a known id changes nothing). */
export const appliedRecords = catalogSchema.table("applied_records", {
  recordId: uuid("record_id").primaryKey(),
  mediaUuid: uuid("media_uuid").notNull(),
  appliedAt: timestamp("applied_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Records that could not be applied: kept with the reason, re-tried when their tape joins the set. */
export const heldRecords = catalogSchema.table("held_records", {
  recordId: uuid("record_id").primaryKey(),
  reason: text("reason").notNull(),
  message: text("message").notNull(),
  /** Null for an invalid record. */
  mediaUuid: uuid("media_uuid"),
  mediaSetUuid: uuid("media_set_uuid"),
  seqNr: bigint("seq_nr", { mode: "number" }),
  record: jsonb("record").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index("held_records_media_idx").on(t.mediaUuid, t.mediaSetUuid)]);

export const schema = { mediaSets, mediaSetMembers, archives, snapshots, chunks, appliedRecords, heldRecords };
export type CatalogTables = typeof schema;
