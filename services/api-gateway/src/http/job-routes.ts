import {
  backupJobRunRequest,
  backupStartRequest,
  CATALOG_REQUESTS,
  catalogMediaContentRequest,
  catalogStartRequest,
  datastoreIngestRequest,
  datastoreSampleRequest,
  INVENTORY_JOB_SUBJECTS,
  mediaDestroyRequest,
  mediaSetListRequest,
  parseInput,
  restoreStartRequest,
  SCHEDULER_JOB_SUBJECTS,
  type MediaSetInfo,
} from "@tapefleet/api-types";
import { ValidationError } from "@tapefleet/common";
import type { z } from "zod";
import type { TapeRoute } from "./tape-routes.ts";

type BodyField = NonNullable<TapeRoute["body"]>[string];

/** An HTTP field (kebab-case, PBS) and the bus field (camelCase) it becomes. */
interface FieldMap {
  [httpName: string]: { bus: string; field: BodyField };
}

/**
 * HTTP input (PBS kebab-case keys) → a bus request (camelCase keys), validated
 * with the contract's zod schema. Unknown fields are refused; field errors name
 * the HTTP field.
 */
export function toBusRequest<S extends z.ZodType>(schema: S, fields: FieldMap, input: Record<string, unknown>, extra: Record<string, unknown> = {}): z.output<S> {
  const payload: Record<string, unknown> = { ...extra };
  const back = new Map<string, string>(Object.entries(fields).map(([http, f]) => [f.bus, http]));
  const unknown: { field: string; message: string }[] = [];
  for (const [k, v] of Object.entries(input)) {
    const f = fields[k];
    if (!f) unknown.push({ field: k, message: "unknown field" });
    else payload[f.bus] = v;
  }
  if (unknown.length > 0) throw new ValidationError(unknown);
  try {
    return parseInput(schema, payload);
  } catch (err) {
    if (!(err instanceof ValidationError) || !err.fields) throw err;
    throw new ValidationError(
      err.fields.map((f) => {
        const [head, ...rest] = f.field.split(".");
        return { field: [back.get(head!) ?? head!, ...rest].join("."), message: f.message };
      }),
    );
  }
}

const str = (description: string, required = false): BodyField => ({ type: "string", description, ...(required ? { required } : {}) });
const bool = (description: string): BodyField => ({ type: "boolean", description });
const int = (description: string, required = false): BodyField => ({ type: "integer", description, ...(required ? { required } : {}) });
const list = (description: string): BodyField => ({ type: "array", description });

export const BACKUP_FIELDS: FieldMap = {
  store: { bus: "store", field: str("Datastore to back up.", true) },
  pool: { bus: "pool", field: str("Media pool to write to.", true) },
  drive: { bus: "drive", field: str("Drive (default: the pool's drive).") },
  ns: { bus: "ns", field: str("Namespace to back up ('' = root).") },
  "max-depth": { bus: "maxDepth", field: int("Namespace levels below ns (0-7).") },
  "latest-only": { bus: "latestOnly", field: bool("Only the newest snapshot of each group.") },
  "eject-media": { bus: "ejectMedia", field: bool("Eject the tape when done.") },
  "export-media-set": { bus: "exportMediaSet", field: bool("Export the media set when done.") },
  "force-media-set": { bus: "forceMediaSet", field: bool("Start a new media set.") },
  "notify-user": { bus: "notifyUser", field: str("User to notify (name@realm).") },
  "group-filter": { bus: "groupFilter", field: list("Group filters.") },
};

export const RESTORE_FIELDS: FieldMap = {
  "media-set": { bus: "mediaSet", field: str("Media set UUID.", true) },
  store: { bus: "store", field: str("Datastore map '[source=]target,…'.", true) },
  snapshots: { bus: "snapshots", field: list("Snapshots 'store:[ns/x/]type/id/time' (default: all).") },
  namespaces: { bus: "namespaces", field: list("Namespace mappings 'store=<ds>[,source=][,target=][,max-depth=]'.") },
  drive: { bus: "drive", field: str("Drive to read with.") },
  "notify-user": { bus: "notifyUser", field: str("User to notify (name@realm).") },
};

const CATALOG_FIELDS: FieldMap = {
  force: { bus: "force", field: bool("Replace an existing catalog.") },
  scan: { bus: "scan", field: bool("Rebuild by scanning the whole tape.") },
};

const DESTROY_FIELDS: FieldMap = {
  uuid: { bus: "uuid", field: str("Medium UUID.") },
  "label-text": { bus: "labelText", field: str("Label text.") },
};

const SAMPLE_FIELDS: FieldMap = {
  size: { bus: "size", field: int("Bytes of sample data.", true) },
  seed: { bus: "seed", field: int("Random seed.") },
};

const INGEST_FIELDS: FieldMap = {
  ns: { bus: "ns", field: str("Namespace.") },
  "backup-type": { bus: "type", field: str("vm, ct or host.", true) },
  "backup-id": { bus: "id", field: str("Backup id.", true) },
  files: { bus: "files", field: list("Files on the agent host.") },
};

const bodyOf = (fields: FieldMap) => Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.field]));

/** A media set as the API shows it (PBS `MediaSetListEntry` plus its members). */
export function mediaSetToHttp(s: MediaSetInfo): Record<string, unknown> {
  return {
    "media-set-uuid": s.uuid,
    "media-set-name": s.name,
    "media-set-ctime": s.ctime,
    pool: s.pool,
    complete: s.complete,
    members: s.members.map((m) => ({ "seq-nr": m.seqNr, uuid: m.uuid, "label-text": m.labelText, location: m.location, status: m.status })),
    ...(s.encryptionKeyFingerprint ? { "encryption-key-fingerprint": s.encryptionKeyFingerprint } : {}),
  };
}

/** Backup, restore, catalog, media set, tape request and datastore routes. */
export const JOB_ROUTES: readonly TapeRoute[] = [
  {
    method: "POST",
    path: "/tape/backup",
    operationId: "backup",
    summary: "Back up a datastore to tape (task)",
    tag: "tape-jobs",
    task: true,
    body: bodyOf(BACKUP_FIELDS),
    forward: { subject: SCHEDULER_JOB_SUBJECTS.backupStart, build: (input) => toBusRequest(backupStartRequest, BACKUP_FIELDS, input) },
  },
  {
    method: "POST",
    path: "/tape/restore",
    operationId: "restore",
    summary: "Restore a media set (or some snapshots) into datastores (task)",
    tag: "tape-jobs",
    task: true,
    body: bodyOf(RESTORE_FIELDS),
    forward: { subject: SCHEDULER_JOB_SUBJECTS.restoreStart, build: (input) => toBusRequest(restoreStartRequest, RESTORE_FIELDS, input) },
  },
  {
    method: "POST",
    path: "/config/tape-backup-job/{id}/run",
    operationId: "runBackupJob",
    summary: "Run a tape backup job now (task)",
    tag: "tape-jobs",
    task: true,
    forward: { subject: SCHEDULER_JOB_SUBJECTS.backupJobRun, build: (input, params) => toBusRequest(backupJobRunRequest, {}, input, { id: params["id"] }) },
  },
  {
    method: "POST",
    path: "/tape/drive/{drive}/catalog",
    operationId: "catalogMedia",
    summary: "Rebuild the catalog of the loaded tape (task)",
    tag: "tape-drives",
    task: true,
    body: bodyOf(CATALOG_FIELDS),
    forward: {
      subject: SCHEDULER_JOB_SUBJECTS.catalogStart,
      build: (input, params) => toBusRequest(catalogStartRequest, CATALOG_FIELDS, input, { drive: params["drive"] }),
    },
  },
  {
    method: "GET",
    path: "/tape/requests",
    operationId: "listTapeRequests",
    summary: "Jobs waiting for an operator to load or insert a tape",
    tag: "tape-jobs",
    forward: { subject: SCHEDULER_JOB_SUBJECTS.tapeRequestList, build: () => ({}) },
  },
  {
    method: "GET",
    path: "/tape/media/content",
    operationId: "mediaContent",
    summary: "Snapshots on tape (from the catalog)",
    tag: "tape-media",
    query: { "label-text": "string", pool: "string", "media-set-name": "string", "media-set-uuid": "string", "seq-nr": "int", snapshot: "string", store: "string" },
    forward: { subject: CATALOG_REQUESTS.mediaContent, build: (input) => parseInput(catalogMediaContentRequest, input) },
  },
  {
    method: "GET",
    path: "/tape/media/media-sets",
    operationId: "listMediaSets",
    summary: "Media sets (newest first) with their members",
    tag: "tape-media",
    query: { pool: "string" },
    forward: {
      subject: INVENTORY_JOB_SUBJECTS.mediaSetList,
      build: (input) => parseInput(mediaSetListRequest, input),
      map: (data) => (data as MediaSetInfo[]).map(mediaSetToHttp),
    },
  },
  {
    method: "POST",
    path: "/tape/media/destroy",
    operationId: "destroyMedia",
    summary: "Remove a medium from the inventory (refused for WORM media with data)",
    tag: "tape-media",
    body: bodyOf(DESTROY_FIELDS),
    forward: { subject: INVENTORY_JOB_SUBJECTS.mediaDestroy, build: (input) => toBusRequest(mediaDestroyRequest, DESTROY_FIELDS, input) },
  },
  {
    method: "POST",
    path: "/admin/datastore/{store}/sample",
    operationId: "datastoreSample",
    summary: "Fill a datastore with generated sample backups (task)",
    tag: "datastores",
    task: true,
    body: bodyOf(SAMPLE_FIELDS),
    forward: {
      subject: SCHEDULER_JOB_SUBJECTS.datastoreSample,
      build: (input, params) => toBusRequest(datastoreSampleRequest, SAMPLE_FIELDS, input, { store: params["store"] }),
    },
  },
  {
    method: "POST",
    path: "/admin/datastore/{store}/ingest",
    operationId: "datastoreIngest",
    summary: "Store files of the agent host as a backup snapshot (task)",
    tag: "datastores",
    task: true,
    body: bodyOf(INGEST_FIELDS),
    forward: {
      subject: SCHEDULER_JOB_SUBJECTS.datastoreIngest,
      build: (input, params) => toBusRequest(datastoreIngestRequest, INGEST_FIELDS, input, { store: params["store"] }),
    },
  },
];
