import type { ChangerConfig, DatastoreConfig, DriveConfig, MediaPoolConfig, TapeBackupJobConfig } from "@tapefleet/api-types";
import type { changers, datastores, drives, mediaPools, tapeBackupJobs } from "../db/schema.ts";

/**
 * Rows ↔ entities (PBS JSON shape). An unset optional field is a NULL column
 * and is absent from the entity, as PBS omits unset keys.
 */

type Row<T extends { $inferSelect: unknown }> = T["$inferSelect"];

/** Copy `value` into `out[key]` unless it is null/undefined. */
function put<T extends object, K extends keyof T>(out: T, key: K, value: T[K] | null | undefined): void {
  if (value !== null && value !== undefined) out[key] = value;
}

export function changerFromRow(r: Row<typeof changers>): ChangerConfig {
  const e: ChangerConfig = { name: r.name, path: r.path };
  put(e, "export-slots", r.exportSlots);
  put(e, "eject-before-unload", r.ejectBeforeUnload);
  return e;
}

export function changerToRow(e: ChangerConfig) {
  return { name: e.name, path: e.path, exportSlots: e["export-slots"] ?? null, ejectBeforeUnload: e["eject-before-unload"] ?? null };
}

export function driveFromRow(r: Row<typeof drives>): DriveConfig {
  const e: DriveConfig = { name: r.name, path: r.path };
  put(e, "changer", r.changer);
  put(e, "changer-drivenum", r.changerDrivenum);
  return e;
}

export function driveToRow(e: DriveConfig) {
  return { name: e.name, path: e.path, changer: e.changer ?? null, changerDrivenum: e["changer-drivenum"] ?? null };
}

export function mediaPoolFromRow(r: Row<typeof mediaPools>): MediaPoolConfig {
  const e: MediaPoolConfig = { name: r.name };
  put(e, "drive", r.drive);
  put(e, "allocation", r.allocation);
  put(e, "retention", r.retention);
  put(e, "template", r.template);
  put(e, "encrypt", r.encrypt);
  put(e, "comment", r.comment);
  return e;
}

export function mediaPoolToRow(e: MediaPoolConfig) {
  return {
    name: e.name,
    drive: e.drive ?? null,
    allocation: e.allocation ?? null,
    retention: e.retention ?? null,
    template: e.template ?? null,
    encrypt: e.encrypt ?? null,
    comment: e.comment ?? null,
  };
}

export function tapeBackupJobFromRow(r: Row<typeof tapeBackupJobs>): TapeBackupJobConfig {
  const e: TapeBackupJobConfig = { id: r.id, store: r.store, pool: r.pool, drive: r.drive };
  put(e, "schedule", r.schedule);
  put(e, "latest-only", r.latestOnly);
  put(e, "notify-user", r.notifyUser);
  put(e, "eject-media", r.ejectMedia);
  put(e, "export-media-set", r.exportMediaSet);
  put(e, "ns", r.ns);
  put(e, "max-depth", r.maxDepth);
  put(e, "group-filter", r.groupFilter);
  put(e, "comment", r.comment);
  return e;
}

export function tapeBackupJobToRow(e: TapeBackupJobConfig) {
  return {
    id: e.id,
    store: e.store,
    pool: e.pool,
    drive: e.drive,
    schedule: e.schedule ?? null,
    latestOnly: e["latest-only"] ?? null,
    notifyUser: e["notify-user"] ?? null,
    ejectMedia: e["eject-media"] ?? null,
    exportMediaSet: e["export-media-set"] ?? null,
    ns: e.ns ?? null,
    maxDepth: e["max-depth"] ?? null,
    groupFilter: e["group-filter"] ?? null,
    comment: e.comment ?? null,
  };
}

export function datastoreFromRow(r: Row<typeof datastores>): DatastoreConfig {
  const e: DatastoreConfig = { name: r.name, path: r.path, host: r.host };
  put(e, "comment", r.comment);
  return e;
}

export function datastoreToRow(e: DatastoreConfig) {
  return { name: e.name, path: e.path, host: e.host, comment: e.comment ?? null };
}
