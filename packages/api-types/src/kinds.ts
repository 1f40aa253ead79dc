import type { z } from "zod";
import { CHANGER_DELETABLE, changerConfig, changerUpdate, type ChangerConfig, type ChangerUpdate } from "./changer.ts";
import { DRIVE_DELETABLE, driveConfig, driveUpdate, type DriveConfig, type DriveUpdate } from "./drive.ts";
import { MEDIA_POOL_DELETABLE, mediaPoolConfig, mediaPoolUpdate, type MediaPoolConfig, type MediaPoolUpdate } from "./media-pool.ts";
import {
  TAPE_BACKUP_JOB_DELETABLE,
  tapeBackupJobConfig,
  tapeBackupJobUpdate,
  type TapeBackupJobConfig,
  type TapeBackupJobUpdate,
} from "./tape-backup-job.ts";
import { DATASTORE_DELETABLE, datastoreConfig, datastoreUpdate, type DatastoreConfig, type DatastoreUpdate } from "./datastore.ts";
import { parseInput } from "./validate.ts";

/** The configuration entities, named as in the API paths (`/config/<kind>`). */
export const CONFIG_KINDS = ["changer", "drive", "media-pool", "tape-backup-job", "datastore"] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

export interface ConfigOfKind {
  changer: ChangerConfig;
  drive: DriveConfig;
  "media-pool": MediaPoolConfig;
  "tape-backup-job": TapeBackupJobConfig;
  datastore: DatastoreConfig;
}
export interface UpdateOfKind {
  changer: ChangerUpdate;
  drive: DriveUpdate;
  "media-pool": MediaPoolUpdate;
  "tape-backup-job": TapeBackupJobUpdate;
  datastore: DatastoreUpdate;
}
export type AnyConfig = ConfigOfKind[ConfigKind];

export interface ConfigKindInfo {
  kind: ConfigKind;
  /** Field holding the entity's unique key. */
  key: "name" | "id";
  /** Human name for messages: `media pool 'x' does not exist`. */
  title: string;
  config: z.ZodType;
  update: z.ZodType;
  deletable: readonly string[];
}

export const CONFIG_KIND_INFO: Record<ConfigKind, ConfigKindInfo> = {
  changer: { kind: "changer", key: "name", title: "changer", config: changerConfig, update: changerUpdate, deletable: CHANGER_DELETABLE },
  drive: { kind: "drive", key: "name", title: "drive", config: driveConfig, update: driveUpdate, deletable: DRIVE_DELETABLE },
  "media-pool": { kind: "media-pool", key: "name", title: "media pool", config: mediaPoolConfig, update: mediaPoolUpdate, deletable: MEDIA_POOL_DELETABLE },
  "tape-backup-job": {
    kind: "tape-backup-job",
    key: "id",
    title: "tape backup job",
    config: tapeBackupJobConfig,
    update: tapeBackupJobUpdate,
    deletable: TAPE_BACKUP_JOB_DELETABLE,
  },
  datastore: { kind: "datastore", key: "name", title: "datastore", config: datastoreConfig, update: datastoreUpdate, deletable: DATASTORE_DELETABLE },
};

export function isConfigKind(v: unknown): v is ConfigKind {
  return typeof v === "string" && (CONFIG_KINDS as readonly string[]).includes(v);
}

/** Validate a create request; throws `ValidationError` naming each bad field. */
export function parseConfig<K extends ConfigKind>(kind: K, input: unknown): ConfigOfKind[K] {
  return parseInput(CONFIG_KIND_INFO[kind].config, input) as ConfigOfKind[K];
}

/** Validate an update request (fields to set plus `delete`); throws `ValidationError`. */
export function parseUpdate<K extends ConfigKind>(kind: K, input: unknown): UpdateOfKind[K] {
  return parseInput(CONFIG_KIND_INFO[kind].update, input) as UpdateOfKind[K];
}

/** The key (name or id) of an entity. */
export function keyOf(kind: ConfigKind, entity: AnyConfig): string {
  return (entity as unknown as Record<string, string>)[CONFIG_KIND_INFO[kind].key]!;
}

// ---- NATS protocol of the inventory service ---------------------------------

export const CONFIG_OPS = ["list", "get", "create", "update", "remove"] as const;
export type ConfigOp = (typeof CONFIG_OPS)[number];

/** Queue group of the inventory service's request handlers. */
export const INVENTORY_QUEUE = "inventory";

/** Relative request subject: `inventory.config.<kind>.<op>`. */
export function inventorySubject(kind: ConfigKind, op: ConfigOp): string {
  return `inventory.config.${kind}.${op}`;
}

/** Payload of `get` and `remove`. */
export interface KeyRequest {
  key: string;
}
/** Payload of `update`: the entity key and the update request (validated by the service). */
export interface UpdateRequest {
  key: string;
  patch: unknown;
}
/** Payload of `create`: the create request itself (validated by the service). */
export type CreateRequest = unknown;

export type ConfigAction = "created" | "updated" | "removed";

/** JetStream stream (relative name) holding every event, and its subjects. */
export const EVENTS_STREAM = "events";
export const EVENTS_SUBJECTS = ["events.>"];

/** Event type of a configuration change: `inventory.<kind>.<created|updated|removed>` (data: the entity). */
export function inventoryEventType(kind: ConfigKind, action: ConfigAction): string {
  return `inventory.${kind}.${action}`;
}
