import { MAX_NAMESPACE_DEPTH } from "@tapefleet/common";
import { z } from "zod";
import { bool, groupFilter, intRange, namespace, safeId, userid } from "./fields.ts";
import { BACKUP_TYPES } from "./catalog.ts";
import { labelText, mediaEntry, mediaLocation, uuid } from "./media.ts";

/**
 * The bus contract of backup and restore jobs: the inventory's pool
 * allocation and media set requests (queue group `inventory`) and the
 * scheduler's job requests (queue group `scheduler`). Keys are camelCase on
 * the bus; a `MediaEntry` keeps its API (kebab-case) shape.
 *
 * Errors travel as `TapefleetError` with a stable `reason` (see `JOB_REASONS`).
 *
 * Time injection: every inventory request below may carry `now` (epoch
 * seconds). The inventory honours it only when it runs with
 * `TAPEFLEET_ALLOW_CLIENT_CLOCK=1` (tests); otherwise a request with `now`
 * is refused (`INVALID_ARGUMENT`, reason `CLIENT_CLOCK_DISABLED`).
 * @see ../../../shared/reference/pbs-tape-format.md §6, §12.1, §13
 */

// ---- subjects -------------------------------------------------------------------

/** Inventory request/reply subjects of the jobs contract (queue group `inventory`). */
export const INVENTORY_JOB_SUBJECTS = {
  /** `PoolAllocateRequest` → `PoolAllocateReply`. */
  poolAllocate: "inventory.pool.allocate",
  /** `MediaUuidRequest` → `MediaEntry`. */
  mediaMarkFull: "inventory.media.mark-full",
  /** `SetBytesUsedRequest` → `MediaEntry`. */
  mediaSetBytesUsed: "inventory.media.set-bytes-used",
  /** `SetMediaStatusRequest` → `MediaEntry`. */
  mediaSetStatus: "inventory.media.set-status",
  /** `MediaDestroyRequest` → `MediaEntry` (the removed entry). */
  mediaDestroy: "inventory.media.destroy",
  /** `MediaMoveRequest` → `MediaEntry`. */
  mediaMove: "inventory.media.move",
  /** `MediaSetGetRequest` → `MediaSetInfo`. */
  mediaSetGet: "inventory.media-set.get",
  /** `MediaSetListRequest` → `MediaSetInfo[]`. */
  mediaSetList: "inventory.media-set.list",
  /** `MediaListTableRequest` → `MediaListRow[]` (PBS `proxmox-tape media list`). */
  mediaTable: "inventory.media.table",
} as const;

/** Scheduler request/reply subjects of the jobs contract (queue group `scheduler`). */
export const SCHEDULER_JOB_SUBJECTS = {
  /** `BackupStartRequest` → `{ upid }`. */
  backupStart: "scheduler.backup.start",
  /** `BackupJobRunRequest` → `{ upid }`. */
  backupJobRun: "scheduler.backup-job.run",
  /** `RestoreStartRequest` → `{ upid }`. */
  restoreStart: "scheduler.restore.start",
  /** `CatalogStartRequest` → `{ upid }`. */
  catalogStart: "scheduler.catalog.start",
  /** `{}` → `TapeRequestEntry[]`. */
  tapeRequestList: "scheduler.tape-request.list",
  /** `DatastoreSampleRequest` → `{ upid }`. */
  datastoreSample: "scheduler.datastore.sample",
  /** `DatastoreIngestRequest` → `{ upid }`. */
  datastoreIngest: "scheduler.datastore.ingest",
} as const;

/** Stable `reason` sub-codes of job errors (`TapefleetError.reason`). */
export const JOB_REASONS = {
  /** CONFLICT: no writable, available tape for the pool. */
  NO_USABLE_MEDIA: "NO_USABLE_MEDIA",
  /** CONFLICT: a WORM medium holds data and cannot be erased or reused. */
  WORM_MEDIA_WITH_DATA: "WORM_MEDIA_WITH_DATA",
  /** CONFLICT: WORM media may only join pools with retention `keep`. */
  WORM_POOL_RETENTION: "WORM_POOL_RETENTION",
  /** CONFLICT: the medium's set is locked (e.g. being restored). */
  MEDIA_SET_LOCKED: "MEDIA_SET_LOCKED",
  /** INVALID_ARGUMENT: a request carried `now` but the service does not accept client clocks. */
  CLIENT_CLOCK_DISABLED: "CLIENT_CLOCK_DISABLED",
} as const;
export type JobReason = (typeof JOB_REASONS)[keyof typeof JOB_REASONS];

// ---- fields ---------------------------------------------------------------------

const epoch = (description: string) => z.number().int().min(0).meta({ description });

/** Injected clock (epoch seconds); only honoured with `TAPEFLEET_ALLOW_CLIENT_CLOCK=1`. */
export const clientNow = epoch("Current time to use (epoch seconds); tests only, see TAPEFLEET_ALLOW_CLIENT_CLOCK.");

const poolName = safeId("pool", "Media pool name.");
const driveName = safeId("device", "Drive name.");
const changerName = safeId("device", "Changer name.");
const storeName = safeId("id", "Datastore name.");
const vaultName = safeId("vault", "Vault name.");

// ---- inventory: pool allocation -------------------------------------------------

/** Where an allocated tape came from (PBS `alloc_writable_media` order, §6.6). */
export const ALLOCATION_SOURCES = ["current-set", "empty", "expired", "free"] as const;
export type AllocationSource = (typeof ALLOCATION_SOURCES)[number];

export const poolAllocateRequest = z.strictObject({
  pool: poolName,
  /** Changer of the drive that will write, or null for a standalone drive (§6.4). */
  driveChanger: changerName.nullable(),
  /** Continue this job's set (the set the job already writes). */
  mediaSetUuid: uuid.optional(),
  /** Start a new set whatever the pool policy says. */
  forceMediaSet: z.boolean().optional(),
  /** Media uuids not to pick (e.g. the tape that just filled). */
  exclude: z.array(uuid).optional(),
  now: clientNow.optional(),
});
export type PoolAllocateRequest = z.output<typeof poolAllocateRequest>;

/** The media set label the allocated tape gets (§3.2, §6.6). */
export const mediaSetLabelInfo = z.strictObject({
  pool: z.string(),
  uuid: uuid,
  seqNr: z.number().int().min(0),
  ctime: epoch("Time the medium joined the set."),
  encryptionKeyFingerprint: z.string().optional(),
});
export type MediaSetLabelInfo = z.output<typeof mediaSetLabelInfo>;

export const poolAllocateReply = z.strictObject({
  medium: mediaEntry,
  setLabel: mediaSetLabelInfo,
  source: z.enum(ALLOCATION_SOURCES),
  newSet: z.boolean(),
  newSetReason: z.string().optional(),
  /** Set name from the pool template rendered at the set start (§6.1). */
  mediaSetName: z.string(),
});
export type PoolAllocateReply = z.output<typeof poolAllocateReply>;

// ---- inventory: media updates ---------------------------------------------------

export const mediaUuidRequest = z.strictObject({ uuid: uuid, now: clientNow.optional() });
export type MediaUuidRequest = z.output<typeof mediaUuidRequest>;

export const setBytesUsedRequest = z.strictObject({ uuid: uuid, bytesUsed: z.number().int().min(0), now: clientNow.optional() });
export type SetBytesUsedRequest = z.output<typeof setBytesUsedRequest>;

/** Statuses a job or a user may store; `null` clears the stored status (§6.2). */
export const STORED_MEDIA_STATUSES = ["full", "damaged", "retired"] as const;
export const setMediaStatusRequest = z.strictObject({ uuid: uuid, status: z.enum(STORED_MEDIA_STATUSES).nullable(), now: clientNow.optional() });
export type SetMediaStatusRequest = z.output<typeof setMediaStatusRequest>;

/** Destroy (forget) a medium: by uuid or by label text. */
export const mediaDestroyRequest = z
  .strictObject({ uuid: uuid.optional(), labelText: labelText.optional(), now: clientNow.optional() })
  .refine((v) => (v.uuid === undefined) !== (v.labelText === undefined), { message: "give exactly one of uuid, labelText", path: ["uuid"] });
export type MediaDestroyRequest = z.output<typeof mediaDestroyRequest>;

/** Move a medium to a vault, or back to offline (no `vault`). By uuid or label text. */
export const mediaMoveRequest = z
  .strictObject({ uuid: uuid.optional(), labelText: labelText.optional(), vault: vaultName.optional(), now: clientNow.optional() })
  .refine((v) => (v.uuid === undefined) !== (v.labelText === undefined), { message: "give exactly one of uuid, labelText", path: ["uuid"] });
export type MediaMoveRequest = z.output<typeof mediaMoveRequest>;

// ---- inventory: media sets ------------------------------------------------------

export const mediaSetMember = z.strictObject({
  seqNr: z.number().int().min(0),
  uuid: uuid,
  labelText: z.string(),
  location: mediaLocation,
  status: z.string(),
});
export type MediaSetMember = z.output<typeof mediaSetMember>;

export const mediaSetInfo = z.strictObject({
  uuid: uuid,
  pool: z.string(),
  name: z.string(),
  ctime: epoch("Set start time."),
  encryptionKeyFingerprint: z.string().optional(),
  /** Known members, by seq nr. */
  members: z.array(mediaSetMember),
  /** Every seq nr 0..n-1 is known. */
  complete: z.boolean(),
});
export type MediaSetInfo = z.output<typeof mediaSetInfo>;

export const mediaSetGetRequest = z.strictObject({ uuid: uuid, now: clientNow.optional() });
export type MediaSetGetRequest = z.output<typeof mediaSetGetRequest>;

export const mediaSetListRequest = z.strictObject({ pool: poolName.optional(), now: clientNow.optional() });
export type MediaSetListRequest = z.output<typeof mediaSetListRequest>;

/** One row of PBS's `proxmox-tape media list` (API `GET /tape/media/list`). */
export const mediaListRow = z.strictObject({
  uuid: uuid,
  "label-text": z.string(),
  ctime: epoch("Labelling time."),
  pool: z.string().optional(),
  "media-set-uuid": uuid.optional(),
  "media-set-name": z.string().optional(),
  "media-set-ctime": epoch("Time the medium joined its set.").optional(),
  "seq-nr": z.number().int().min(0).optional(),
  /** Computed status: writable, full, unknown, damaged, retired (§6.3). */
  status: z.string(),
  location: mediaLocation,
  /** Epoch seconds the medium may be overwritten from (§6.7); absent when it never expires. */
  expired: z.boolean(),
  "expire-time": epoch("Time from which the medium may be overwritten.").optional(),
  "bytes-used": z.number().int().min(0).optional(),
  worm: z.boolean(),
  catalog: z.boolean().optional(),
});
export type MediaListRow = z.output<typeof mediaListRow>;

export const mediaListTableRequest = z.strictObject({
  pool: z.string().optional(),
  "update-status": z.boolean().optional(),
  now: clientNow.optional(),
});
export type MediaListTableRequest = z.output<typeof mediaListTableRequest>;

// ---- scheduler: jobs ------------------------------------------------------------

export const backupStartRequest = z.strictObject({
  store: storeName,
  pool: poolName,
  drive: driveName.optional(),
  ns: namespace.optional(),
  maxDepth: intRange(0, MAX_NAMESPACE_DEPTH, "Namespace levels below `ns` to include.").optional(),
  latestOnly: bool("Only the newest snapshot of each group.").optional(),
  ejectMedia: bool("Eject the medium at the end.").optional(),
  exportMediaSet: bool("Export the media set at the end.").optional(),
  forceMediaSet: bool("Start a new media set.").optional(),
  notifyUser: userid.optional(),
  groupFilter: groupFilter.optional(),
});
export type BackupStartRequest = z.output<typeof backupStartRequest>;

export const backupJobRunRequest = z.strictObject({ id: safeId("id", "Tape backup job id.") });
export type BackupJobRunRequest = z.output<typeof backupJobRunRequest>;

/** One item of a datastore map: `[source=]target`, ≤ 65 characters (§12.1). */
export const DATASTORE_MAP_ITEM_RE = /^(?:([A-Za-z0-9_][A-Za-z0-9._-]{2,31})=)?([A-Za-z0-9_][A-Za-z0-9._-]{2,31})$/;

export interface DatastoreMap {
  /** Target of stores without an explicit mapping. */
  default?: string;
  /** source → target. */
  map: Record<string, string>;
}

/** Parse `a=b,c` (§12.1); returns an error message or the map. */
export function parseDatastoreMap(text: string): DatastoreMap | string {
  const out: DatastoreMap = { map: {} };
  const items = text.split(",").map((s) => s.trim());
  for (const item of items) {
    if (item.length > 65) return `item '${item.slice(0, 20)}…' is longer than 65 characters`;
    const m = DATASTORE_MAP_ITEM_RE.exec(item);
    if (!m) return `invalid item '${item}': use [source=]target with datastore names`;
    const [, source, target] = m;
    if (source === undefined) {
      if (out.default !== undefined) return "at most one default target (an item without '=') is allowed";
      out.default = target!;
    } else {
      if (out.map[source] !== undefined) return `source '${source}' is mapped twice`;
      out.map[source] = target!;
    }
  }
  return out;
}

export const datastoreMap = z
  .string()
  .superRefine((v, ctx) => {
    const r = parseDatastoreMap(v);
    if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
  })
  .meta({ description: "Datastore map '[source=]target,…' (one item without '=' is the default target)." });

/** `store:[ns/x/ns/y/]type/id/YYYY-MM-DDTHH:MM:SSZ` (§12.1). */
export const RESTORE_SNAPSHOT_RE =
  /^[A-Za-z0-9_][A-Za-z0-9._-]{2,31}:(?:ns\/[A-Za-z0-9_][A-Za-z0-9._-]*\/)*(?:vm|ct|host)\/[A-Za-z0-9_][A-Za-z0-9._-]*\/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export const restoreSnapshot = z
  .string()
  .superRefine((v, ctx) => {
    if (!RESTORE_SNAPSHOT_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be store:[ns/<ns>/…]<type>/<id>/<YYYY-MM-DDTHH:MM:SSZ>" });
  })
  .meta({ description: "Snapshot to restore: store:[ns/x/ns/y/]type/id/time." });

/** A namespace mapping property string: `store=<ds>[,source=<ns>][,target=<ns>][,max-depth=<0..7>]` (§12.1). */
export const restoreNamespaceMapping = z
  .string()
  .superRefine((v, ctx) => {
    const parts = v.split(",");
    const keys = new Set<string>();
    for (const p of parts) {
      const eq = p.indexOf("=");
      const k = eq < 0 ? "" : p.slice(0, eq);
      const val = eq < 0 ? "" : p.slice(eq + 1);
      if (!["store", "source", "target", "max-depth"].includes(k)) {
        ctx.addIssue({ code: "custom", message: `unknown or malformed item '${p}': use store=, source=, target=, max-depth=` });
        return;
      }
      if (keys.has(k)) {
        ctx.addIssue({ code: "custom", message: `'${k}' given twice` });
        return;
      }
      keys.add(k);
      if (k === "max-depth" && !(/^\d$/.test(val) && Number(val) <= MAX_NAMESPACE_DEPTH)) {
        ctx.addIssue({ code: "custom", message: `max-depth must be an integer from 0 to ${MAX_NAMESPACE_DEPTH}` });
        return;
      }
    }
    if (!keys.has("store")) ctx.addIssue({ code: "custom", message: "store= is required" });
  })
  .meta({ description: "Namespace mapping: store=<ds>[,source=<ns>][,target=<ns>][,max-depth=<0..7>]." });

export const restoreStartRequest = z.strictObject({
  mediaSet: uuid,
  store: datastoreMap,
  snapshots: z.array(restoreSnapshot).optional(),
  namespaces: z.array(restoreNamespaceMapping).optional(),
  drive: driveName.optional(),
  notifyUser: userid.optional(),
});
export type RestoreStartRequest = z.output<typeof restoreStartRequest>;

export const catalogStartRequest = z.strictObject({
  drive: driveName,
  force: z.boolean().optional(),
  scan: z.boolean().optional(),
});
export type CatalogStartRequest = z.output<typeof catalogStartRequest>;

/** A job waiting for an operator: load a tape into a drive or insert one into a library. */
export const tapeRequestEntry = z.strictObject({
  id: z.string(),
  upid: z.string(),
  kind: z.enum(["load", "insert"]),
  pool: z.string().optional(),
  labelText: z.string().optional(),
  mediaSetUuid: uuid.optional(),
  seqNr: z.number().int().min(0).optional(),
  changer: z.string().optional(),
  drive: z.string(),
  message: z.string(),
  since: epoch("When the request was raised."),
});
export type TapeRequestEntry = z.output<typeof tapeRequestEntry>;

export const tapeRequestListRequest = z.strictObject({});

/** Longest sample a datastore sample task writes (bytes). */
export const MAX_SAMPLE_SIZE = 1024 ** 4;

export const datastoreSampleRequest = z.strictObject({
  store: storeName,
  size: z.number().int().min(1).max(MAX_SAMPLE_SIZE).meta({ description: "Bytes of sample data to write." }),
  seed: z.number().int().min(0).optional(),
});
export type DatastoreSampleRequest = z.output<typeof datastoreSampleRequest>;

export const datastoreIngestRequest = z.strictObject({
  store: storeName,
  ns: namespace.optional(),
  type: z.enum(BACKUP_TYPES),
  id: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, "must be a backup id: letters, digits, '_', '.', '-' (not first)"),
  /** Paths on the agent host. */
  files: z.array(z.string().startsWith("/", "must be an absolute path")).min(1),
});
export type DatastoreIngestRequest = z.output<typeof datastoreIngestRequest>;

/** Reply of every request that starts a task. */
export const taskStartedReply = z.strictObject({ upid: z.string() });
