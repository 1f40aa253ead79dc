import { z } from "zod";
import { checkName, checkNamespace, MAX_NAMESPACE_DEPTH } from "@tapefleet/common";

/**
 * The tape catalog's bus contract: the records a device agent publishes once
 * an archive is synced to tape (WRITE FILEMARKS 0 done), the record of a tape
 * joining a media set, and the catalog service's request/reply subjects.
 * Records travel on JetStream (`catalog.commit.<media-set-uuid>`, stream
 * `catalog`); the catalog applies each record once (`recordId`).
 * @see shared/reference/pbs-tape-format.md §4, §5
 */

/** JetStream stream holding catalog records (`bus.ensureStream(CATALOG_STREAM, CATALOG_STREAM_SUBJECTS)`). */
export const CATALOG_STREAM = "catalog";
/**
 * Subjects the stream captures. Only `catalog.commit.>`: a stream capturing
 * `catalog.>` would also capture (and answer with a JetStream ack) the
 * catalog's request/reply subjects below.
 */
export const CATALOG_STREAM_SUBJECTS = ["catalog.commit.>"];

/** Subject (relative to the bus prefix) a record of one media set is published on. */
export function catalogCommitSubject(mediaSetUuid: string): string {
  return `catalog.commit.${mediaSetUuid.toLowerCase()}`;
}

/** Request/reply subjects of the catalog service (queue group `catalog`). */
export const CATALOG_REQUESTS = {
  /** `CatalogMediaContentRequest` → `CatalogMediaContentEntry[]` (PBS `media content`). */
  mediaContent: "catalog.media-content",
  /** `CatalogMediaSetSnapshotsRequest` → `CatalogSnapshotLocation[]`. */
  mediaSetSnapshots: "catalog.media-set.snapshots",
  /** `CatalogRestorePlanRequest` → `CatalogRestorePlan`. */
  restorePlan: "catalog.restore-plan",
  /** `CatalogDigestsRequest` → `CatalogDigestsPage`. */
  mediaSetDigests: "catalog.media-set.digests",
  /** `CatalogMediaListRequest` → `CatalogMediaSummary[]`. */
  mediaList: "catalog.media.list",
  /** `{ mediaUuid }` → `CatalogMediaFile[]`. */
  mediaFiles: "catalog.media.files",
  /** `{ mediaUuid }` → `{ mediaUuid, archives, snapshots, chunks }` (rows dropped). */
  mediaForget: "catalog.media.forget",
  /** `{ limit? }` → `CatalogHeldRecord[]`: records kept because they could not be applied. */
  heldRecords: "catalog.records.held",
  /** `CatalogMediaCatalogRequest` → `CatalogMediaCatalogPage`: a tape's PBS media catalog (`.log` bytes), in pages. */
  mediaCatalog: "catalog.media.catalog",
} as const;

/** Queue group every catalog instance serves in. */
export const CATALOG_QUEUE = "catalog";

// ---------------------------------------------------------------------------
// Field schemas

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID in hyphenated form, normalized to lower case. */
export const catalogUuid = z
  .string()
  .superRefine((v, ctx) => {
    if (!UUID_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be a UUID (8-4-4-4-12 hex digits)" });
  })
  .transform((v) => v.toLowerCase());

/** A chunk digest: SHA-256, 64 hex digits. */
export const CHUNK_DIGEST_RE = /^[0-9a-fA-F]{64}$/;

export const chunkDigestHex = z.string().regex(CHUNK_DIGEST_RE, "must be a chunk digest (64 hex digits)");

/**
 * A list of chunk digests (hex), checked in one loop: records carry
 * thousands, and a per-element schema would dominate the ingest cost.
 */
export function chunkDigestList(max: number, tooMany: string) {
  return z.custom<string[]>((v) => Array.isArray(v), { message: "must be a list of chunk digests" }).superRefine((list, ctx) => {
    if (list.length > max) {
      ctx.addIssue({ code: "custom", message: tooMany });
      return;
    }
    for (let i = 0; i < list.length; i++) {
      const d = list[i];
      if (typeof d !== "string" || d.length !== 64 || !CHUNK_DIGEST_RE.test(d)) {
        ctx.addIssue({ code: "custom", path: [i], message: "must be a chunk digest (64 hex digits)" });
        return;
      }
    }
  });
}

/** RFC 3339 time (`2026-01-02T03:04:05Z`, fractions and offsets allowed). */
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export const rfc3339 = z.string().superRefine((v, ctx) => {
  if (!RFC3339_RE.test(v) || Number.isNaN(Date.parse(v))) ctx.addIssue({ code: "custom", message: "must be an RFC 3339 time (2026-01-02T03:04:05Z)" });
});

const nonNegInt = (max = Number.MAX_SAFE_INTEGER) =>
  z.number().superRefine((v, ctx) => {
    if (!Number.isInteger(v) || v < 0 || v > max) ctx.addIssue({ code: "custom", message: `must be an integer from 0 to ${max}` });
  });

const named = (kind: "pool" | "labelText" | "id") =>
  z.string().superRefine((v, ctx) => {
    const msg = checkName(kind, v);
    if (msg) ctx.addIssue({ code: "custom", message: msg });
  });

/** Datastore name (PBS safe id, 3–32 characters). */
export const catalogStoreName = named("id");

/** The kinds of tape files the catalog records. @see reference §2.3, §4 */
export const CATALOG_ARCHIVE_KINDS = ["media-label", "media-set-label", "chunk-archive", "snapshot-archive", "catalog-archive"] as const;
export type CatalogArchiveKind = (typeof CATALOG_ARCHIVE_KINDS)[number];

/** Backup types of a snapshot (PBS `BackupType`). */
export const BACKUP_TYPES = ["vm", "ct", "host"] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

/** A snapshot path split into its parts. */
export interface SnapshotPath {
  /** Namespace in API form: `a/b`, `""` for the root namespace. */
  namespace: string;
  type: BackupType;
  id: string;
  /** Backup time, RFC 3339 UTC seconds (`2026-01-02T03:04:05Z`). */
  time: string;
}

const BACKUP_ID_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const SNAPSHOT_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * Parses a snapshot in PBS print form (`print_ns_and_snapshot`):
 * `[ns/a/ns/b/]type/id/YYYY-MM-DDTHH:MM:SSZ`. Returns the parts, or a message
 * saying what is wrong. @see reference §5.1
 */
export function parseSnapshotPath(text: string): SnapshotPath | string {
  const parts = text.split("/");
  if (parts.length < 3) return "must be [ns/<name>/…]<type>/<id>/<time>";
  const nsParts = parts.slice(0, -3);
  if (nsParts.length % 2 !== 0) return "namespace must be written as ns/<name> pairs";
  const ns: string[] = [];
  for (let i = 0; i < nsParts.length; i += 2) {
    if (nsParts[i] !== "ns") return `namespace component ${i / 2 + 1} must be introduced by 'ns/'`;
    ns.push(nsParts[i + 1]!);
  }
  if (ns.length > MAX_NAMESPACE_DEPTH) return `namespace must be at most ${MAX_NAMESPACE_DEPTH} levels deep`;
  const namespace = ns.join("/");
  const nsProblem = checkNamespace(namespace);
  if (nsProblem !== undefined) return `namespace: ${nsProblem}`;
  const [type, id, time] = parts.slice(-3) as [string, string, string];
  if (!(BACKUP_TYPES as readonly string[]).includes(type)) return `backup type '${type}' must be one of ${BACKUP_TYPES.join(", ")}`;
  if (!BACKUP_ID_RE.test(id) || id.length > 128) return `backup id '${id}' is not valid`;
  if (!SNAPSHOT_TIME_RE.test(time) || Number.isNaN(Date.parse(time))) return `backup time '${time}' must be YYYY-MM-DDTHH:MM:SSZ`;
  return { namespace, type: type as BackupType, id, time };
}

/** Prints a snapshot path as PBS does: `[ns/a/ns/b/]type/id/time`. */
export function formatSnapshotPath(p: SnapshotPath): string {
  const ns = p.namespace === "" ? "" : p.namespace.split("/").map((c) => `ns/${c}/`).join("");
  return `${ns}${p.type}/${p.id}/${p.time}`;
}

/** A snapshot path in print form (validated, unchanged). */
export const snapshotPath = z.string().superRefine((v, ctx) => {
  const r = parseSnapshotPath(v);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

// ---------------------------------------------------------------------------
// Records

/**
 * Most digests one record carries (≈ 670 KB of JSON, under NATS's default
 * 1 MiB payload limit). A chunk archive with more is published as several
 * records with the same `archiveUuid` and `fileNumber`.
 */
export const CATALOG_MAX_DIGESTS_PER_RECORD = 10_000;

const recordBase = {
  /** Idempotency key: a record with a known id changes nothing. */
  recordId: catalogUuid,
  /** UUID in the tape's media label. */
  mediaUuid: catalogUuid,
  /** Label text (barcode) of the tape. */
  labelText: named("labelText"),
  mediaSetUuid: catalogUuid,
  /** Position of the tape in its media set (0, 1, …). */
  seqNr: nonNegInt(0xffff_ffff),
  pool: named("pool"),
};

/**
 * One tape file synced to tape. Chunk archives may be published in several
 * records (same `archiveUuid` and `fileNumber`) when they hold many digests:
 * the digests of all records of one archive add up.
 */
export const catalogArchiveRecord = z
  .strictObject({
    type: z.literal("archive"),
    ...recordBase,
    /** Tape file number (filemarks from the beginning of tape). */
    fileNumber: nonNegInt(0xffff_ffff),
    kind: z.enum(CATALOG_ARCHIVE_KINDS, { error: `must be one of ${CATALOG_ARCHIVE_KINDS.join(", ")}` }),
    /** Content UUID of the archive (the MediaContentHeader uuid; for labels the media or set uuid). */
    archiveUuid: catalogUuid,
    /** Datastore of a chunk or snapshot archive. */
    store: catalogStoreName.optional(),
    /** Snapshot archives: the snapshot in PBS print form. */
    snapshot: snapshotPath.optional(),
    /** Chunk archives: digests (hex) of the fully written chunks only (at most `CATALOG_MAX_DIGESTS_PER_RECORD`). */
    digests: chunkDigestList(CATALOG_MAX_DIGESTS_PER_RECORD, `must hold at most ${CATALOG_MAX_DIGESTS_PER_RECORD} digests: publish the archive in several records`).optional(),
    /** The archive was cut off (END_OF_STREAM | INCOMPLETE, or LEOM). */
    incomplete: z.boolean().optional(),
    /** Bytes the archive takes on tape, when known. */
    bytes: nonNegInt().optional(),
    committedAt: rfc3339,
  })
  .superRefine((r, ctx) => {
    const needsStore = r.kind === "chunk-archive" || r.kind === "snapshot-archive";
    if (needsStore && r.store === undefined) ctx.addIssue({ code: "custom", path: ["store"], message: `is required for a ${r.kind}` });
    if (r.kind === "snapshot-archive" && r.snapshot === undefined) ctx.addIssue({ code: "custom", path: ["snapshot"], message: "is required for a snapshot-archive" });
    if (r.kind !== "snapshot-archive" && r.snapshot !== undefined) ctx.addIssue({ code: "custom", path: ["snapshot"], message: `is only allowed for a snapshot-archive, not a ${r.kind}` });
    if (r.kind !== "chunk-archive" && r.digests !== undefined) ctx.addIssue({ code: "custom", path: ["digests"], message: `is only allowed for a chunk-archive, not a ${r.kind}` });
    if (r.kind === "media-label" && r.fileNumber !== 0) ctx.addIssue({ code: "custom", path: ["fileNumber"], message: "must be 0 for a media-label" });
    if (r.kind === "media-set-label" && r.fileNumber !== 1) ctx.addIssue({ code: "custom", path: ["fileNumber"], message: "must be 1 for a media-set-label" });
    const isLabel = r.kind === "media-label" || r.kind === "media-set-label";
    if (!isLabel && r.fileNumber < 2) ctx.addIssue({ code: "custom", path: ["fileNumber"], message: `must be at least 2 for a ${r.kind} (files 0 and 1 are the labels)` });
  });
export type CatalogArchiveRecord = z.output<typeof catalogArchiveRecord>;

/**
 * A tape joined a media set at `seqNr` (its set label, file 1, is written).
 * Resets what the catalog knew of that tape, as PBS overwrites the tape's
 * media catalog on set join. @see reference §5.1
 */
export const catalogMediaSetJoinedRecord = z.strictObject({
  type: z.literal("media-set-joined"),
  ...recordBase,
  /** Media set name rendered from the pool's template, when known. */
  mediaSetName: z.string().min(1).max(128).optional(),
  /** Creation time of the media set (its set label's ctime). */
  mediaSetCtime: rfc3339,
  /** Fingerprint of the key the set is encrypted with. */
  encryptionKeyFingerprint: z.string().min(1).max(128).optional(),
  joinedAt: rfc3339,
});
export type CatalogMediaSetJoinedRecord = z.output<typeof catalogMediaSetJoinedRecord>;

export const catalogRecord = z.discriminatedUnion("type", [catalogArchiveRecord, catalogMediaSetJoinedRecord], {
  error: "type must be 'archive' or 'media-set-joined'",
});
export type CatalogRecord = z.output<typeof catalogRecord>;
/** What a publisher writes (before normalization). */
export type CatalogRecordInput = z.input<typeof catalogRecord>;

// ---------------------------------------------------------------------------
// Queries

const mediaUuidOnly = z.strictObject({ mediaUuid: catalogUuid });
export const catalogMediaFilesRequest = mediaUuidOnly;
export const catalogMediaForgetRequest = mediaUuidOnly;

/** Filters of `catalog.media-content` (all optional, combined with AND; kebab-case as PBS). */
export const catalogMediaContentRequest = z.strictObject({
  "label-text": named("labelText").optional(),
  pool: named("pool").optional(),
  "media-set-name": z.string().min(1).max(128).optional(),
  "media-set-uuid": catalogUuid.optional(),
  "seq-nr": nonNegInt(0xffff_ffff).optional(),
  /** A full snapshot path, or a prefix of whole components (`vm/100`, `ns/a/ct`). */
  snapshot: z.string().min(1).max(1024).optional(),
  store: catalogStoreName.optional(),
});
export type CatalogMediaContentRequest = z.output<typeof catalogMediaContentRequest>;

/** One row of PBS `proxmox-tape media content`. */
export interface CatalogMediaContentEntry {
  "label-text": string;
  uuid: string;
  pool: string;
  /** The set's name, or its UUID when no name is known (as PBS). */
  "media-set-name": string;
  "media-set-uuid": string;
  /** Media set creation time, epoch seconds. */
  "media-set-ctime": number;
  "seq-nr": number;
  snapshot: string;
  /** Backup time, epoch seconds. */
  "backup-time": number;
  store: string;
}

export const catalogMediaSetSnapshotsRequest = z.strictObject({
  mediaSetUuid: catalogUuid,
  store: catalogStoreName.optional(),
});

/** A snapshot and the tape file holding its snapshot archive. */
export interface CatalogSnapshotLocation {
  store: string;
  snapshot: string;
  namespace: string;
  mediaUuid: string;
  labelText: string;
  seqNr: number;
  fileNumber: number;
}

/** `store:snapshot` as PBS's restore `snapshots` parameter. */
export const storeSnapshotSpec = z.string().superRefine((v, ctx) => {
  const at = v.indexOf(":");
  const store = at < 0 ? "" : v.slice(0, at);
  const storeProblem = checkName("id", store);
  if (at < 0) ctx.addIssue({ code: "custom", message: "must be <store>:<snapshot>" });
  else if (storeProblem) ctx.addIssue({ code: "custom", message: `store: ${storeProblem}` });
  else {
    const r = parseSnapshotPath(v.slice(at + 1));
    if (typeof r === "string") ctx.addIssue({ code: "custom", message: `snapshot: ${r}` });
  }
});

export const catalogRestorePlanRequest = z.strictObject({
  mediaSetUuid: catalogUuid,
  /** Snapshots to restore, `store:snapshot`. */
  snapshots: z.array(storeSnapshotSpec).max(100_000),
  /** Chunk digests the snapshots need (after dropping those the target store has), per store. */
  digests: z.record(catalogStoreName, chunkDigestList(1_000_000, "must hold at most 1000000 digests")).optional(),
});
export type CatalogRestorePlanRequest = z.output<typeof catalogRestorePlanRequest>;

export interface CatalogRestoreFile {
  fileNumber: number;
  kind: "chunk-archive" | "snapshot-archive";
  store: string;
  /** Snapshot archives: the `store:snapshot` it holds. */
  snapshot?: string;
  /** Chunk archives: how many of the needed digests it holds. */
  chunks?: number;
}

export interface CatalogRestoreTape {
  mediaUuid: string;
  labelText: string;
  seqNr: number;
  /** Files to read, ascending. */
  files: CatalogRestoreFile[];
}

/** Which tapes a restore reads, in order (seq nr ascending, files ascending). */
export interface CatalogRestorePlan {
  mediaSetUuid: string;
  tapes: CatalogRestoreTape[];
  /** Requested snapshots the set does not hold (`store:snapshot`). */
  missingSnapshots: string[];
  /** Needed digests no (complete or incomplete) chunk archive of the set holds, per store. */
  missingDigests: Record<string, string[]>;
}

/** Longest page of `catalog.media-set.digests` (32 bytes each: 512 KiB, base64 ≈ 683 KiB). */
export const CATALOG_DIGEST_PAGE_MAX = 16_384;

export const catalogDigestsRequest = z.strictObject({
  mediaSetUuid: catalogUuid,
  store: catalogStoreName,
  /** Cursor from the previous page. */
  after: z.string().regex(/^\d{1,15}:\d{1,10}$/, "must be the 'next' cursor of the previous page").optional(),
  limit: z
    .number()
    .int("must be an integer")
    .min(1, "must be at least 1")
    .max(CATALOG_DIGEST_PAGE_MAX, `must be at most ${CATALOG_DIGEST_PAGE_MAX}`)
    .optional(),
});
export type CatalogDigestsRequest = z.output<typeof catalogDigestsRequest>;

/** One page of a media set's digests for one store. */
export interface CatalogDigestsPage {
  /** `count` digests of 32 bytes each, concatenated, base64. */
  digests: string;
  count: number;
  /** Cursor of the next page; absent on the last page. */
  next?: string;
}

/** Default (and largest) page of `catalog.media.catalog`: 512 KiB of catalog bytes (base64 ≈ 683 KiB). */
export const CATALOG_MEDIA_CATALOG_PAGE_MAX = 512 * 1024;
/** Smallest page of `catalog.media.catalog` (room for one chunk archive start with the longest store name). */
export const CATALOG_MEDIA_CATALOG_PAGE_MIN = 4096;

export const catalogMediaCatalogRequest = z.strictObject({
  mediaUuid: catalogUuid,
  /** Cursor from the previous page. */
  after: z.string().regex(/^\d{1,15}:\d{1,10}$/, "must be the 'next' cursor of the previous page").optional(),
  /** Most catalog bytes in the page. */
  limit: z
    .number()
    .int("must be an integer")
    .min(CATALOG_MEDIA_CATALOG_PAGE_MIN, `must be at least ${CATALOG_MEDIA_CATALOG_PAGE_MIN}`)
    .max(CATALOG_MEDIA_CATALOG_PAGE_MAX, `must be at most ${CATALOG_MEDIA_CATALOG_PAGE_MAX}`)
    .optional(),
});
export type CatalogMediaCatalogRequest = z.output<typeof catalogMediaCatalogRequest>;

/**
 * One page of a tape's media catalog in the PBS `.log` format (reference §5.1):
 * the pages concatenated in order are the catalog, byte for byte as
 * `renderMediaCatalog` writes it (the content of the tape's catalog archive).
 */
export interface CatalogMediaCatalogPage {
  mediaUuid: string;
  /** The set the catalog describes the tape in, and its seq nr there. */
  mediaSetUuid: string;
  seqNr: number;
  /** The next catalog bytes, base64. */
  data: string;
  /** Cursor of the next page; absent on the last page. */
  next?: string;
}

export const catalogMediaListRequest = z.strictObject({
  pool: named("pool").optional(),
  mediaSetUuid: catalogUuid.optional(),
  mediaUuids: z.array(catalogUuid).max(10_000).optional(),
});

/** What the catalog holds of one tape. */
export interface CatalogMediaSummary {
  mediaUuid: string;
  labelText: string;
  pool: string;
  mediaSetUuid: string;
  mediaSetName: string;
  seqNr: number;
  /** Archive files recorded (labels included). */
  archives: number;
  /** Archives recorded as incomplete. */
  incomplete: number;
  /** Complete snapshot archives. */
  snapshots: number;
  chunks: number;
  /** Sum of the sizes the records carried (null when none did). */
  bytes: number | null;
  /** Every archive file (labels aside) carried its size: `bytes` is the tape's whole content. */
  bytesComplete: boolean;
  /** Highest file number recorded. */
  lastFileNumber: number | null;
  /**
   * File numbers below `lastFileNumber` with no record (the first 100): a
   * record lost or not yet delivered. Catalogs restored from a PBS media
   * catalog have them where catalog archives and torn archives lie (PBS does
   * not register those).
   */
  missingFiles: number[];
}

/** One archive file on a tape. */
export interface CatalogMediaFile {
  fileNumber: number;
  kind: CatalogArchiveKind;
  archiveUuid: string;
  store: string | null;
  snapshot: string | null;
  incomplete: boolean;
  chunks: number;
  bytes: number | null;
  committedAt: string;
}

export const catalogHeldRecordsRequest = z.strictObject({ limit: z.number().int().min(1).max(10_000).optional() });

/**
 * Why a record is held: `not-a-member` (the tape has not joined that set at
 * that seq nr: re-tried when it does), `conflict` (the file holds another
 * archive), `seq-nr-taken` (another tape has that seq nr in the set),
 * `invalid` (not a valid record), `failed` (the database refused it).
 */
export const CATALOG_HOLD_REASONS = ["not-a-member", "conflict", "seq-nr-taken", "invalid", "failed"] as const;
export type CatalogHoldReason = (typeof CATALOG_HOLD_REASONS)[number];

/** A record kept because it could not be applied (yet). */
export interface CatalogHeldRecord {
  recordId: string;
  reason: CatalogHoldReason;
  message: string;
  mediaUuid: string | null;
  mediaSetUuid: string | null;
  /** The record as received (`{ raw }` when it was not JSON). */
  record: unknown;
  receivedAt: string;
}
