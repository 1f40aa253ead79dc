import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * Tables of the inventory service, all in its own PostgreSQL schema. Foreign
 * keys with ON DELETE RESTRICT back up the service's reference checks, so two
 * concurrent requests can never leave a dangling reference.
 */
export const inventorySchema = pgSchema("inventory");

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

export const changers = inventorySchema.table("changer", {
  name: text("name").primaryKey(),
  path: text("path").notNull(),
  /** Sorted import/export slot numbers; null when unset. */
  exportSlots: integer("export_slots").array(),
  ejectBeforeUnload: boolean("eject_before_unload"),
  ...timestamps,
});

export const drives = inventorySchema.table(
  "drive",
  {
    name: text("name").primaryKey(),
    path: text("path").notNull(),
    changer: text("changer").references(() => changers.name, { onDelete: "restrict", onUpdate: "restrict" }),
    changerDrivenum: integer("changer_drivenum"),
    ...timestamps,
  },
  (t) => [
    // A changer's drive numbers are unique (an unset number counts as 0).
    uniqueIndex("drive_changer_drivenum_uq").on(t.changer, sql`coalesce(${t.changerDrivenum}, 0)`),
    check("drive_changer_drivenum_range", sql`${t.changerDrivenum} between 0 and 255`),
  ],
);

export const mediaPools = inventorySchema.table("media_pool", {
  name: text("name").primaryKey(),
  drive: text("drive").references(() => drives.name, { onDelete: "restrict", onUpdate: "restrict" }),
  allocation: text("allocation"),
  retention: text("retention"),
  template: text("template"),
  encrypt: text("encrypt"),
  comment: text("comment"),
  ...timestamps,
});

export const tapeBackupJobs = inventorySchema.table(
  "tape_backup_job",
  {
    id: text("id").primaryKey(),
    store: text("store").notNull(),
    pool: text("pool")
      .notNull()
      .references(() => mediaPools.name, { onDelete: "restrict", onUpdate: "restrict" }),
    drive: text("drive")
      .notNull()
      .references(() => drives.name, { onDelete: "restrict", onUpdate: "restrict" }),
    schedule: text("schedule"),
    latestOnly: boolean("latest_only"),
    notifyUser: text("notify_user"),
    ejectMedia: boolean("eject_media"),
    exportMediaSet: boolean("export_media_set"),
    ns: text("ns"),
    maxDepth: integer("max_depth"),
    groupFilter: text("group_filter").array(),
    comment: text("comment"),
    ...timestamps,
  },
  (t) => [check("tape_backup_job_max_depth_range", sql`${t.maxDepth} between 0 and 7`)],
);

/**
 * Transactional outbox: each configuration change writes its event here in
 * the same transaction; the relay publishes rows on JetStream in id order and
 * deletes them. A change is therefore never committed without its event.
 */
export const eventOutbox = inventorySchema.table("event_outbox", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  type: text("type").notNull(),
  subject: text("subject").notNull(),
  data: jsonb("data").notNull(),
  correlationId: text("correlation_id"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Labelled media (PBS `inventory.json`, §6.2). Label texts are unique; the
 * location is PBS's text form (`offline`, `online-<changer>`, `vault-<name>`).
 */
export const media = inventorySchema.table(
  "media",
  {
    uuid: uuid("uuid").primaryKey(),
    labelText: text("label_text").notNull(),
    pool: text("pool"),
    ctime: bigint("ctime", { mode: "number" }).notNull(),
    mediaSetUuid: uuid("media_set_uuid"),
    mediaSetSeqNr: integer("media_set_seq_nr"),
    mediaSetCtime: bigint("media_set_ctime", { mode: "number" }),
    encryptionKeyFingerprint: text("encryption_key_fingerprint"),
    /** `full`, `damaged`, `retired`; null reads as `unknown`. */
    status: text("status"),
    location: text("location").notNull().default("offline"),
    bytesUsed: bigint("bytes_used", { mode: "number" }),
    worm: boolean("worm").notNull().default(false),
    ...timestamps,
  },
  (t) => [uniqueIndex("media_label_text_uq").on(t.labelText), check("media_status_check", sql`${t.status} in ('full', 'damaged', 'retired')`)],
);

/**
 * Where each device announced by an agent lives: one row per (host, serial),
 * refreshed from heartbeats and `device.scan` answers.
 */
export const deviceLocations = inventorySchema.table(
  "device_location",
  {
    hostId: text("host_id").notNull(),
    serial: text("serial").notNull(),
    grpcAddress: text("grpc_address").notNull(),
    path: text("path").notNull(),
    kind: text("kind").notNull(),
    vendor: text("vendor").notNull().default(""),
    model: text("model").notNull().default(""),
    generation: text("generation"),
    online: boolean("online").notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.serial] })],
);

/**
 * Media sets started by pool allocations (the registry): pool, the name
 * rendered from the pool's template at the set start, and the start time.
 * Members are the media rows carrying the set's uuid.
 */
export const mediaSets = inventorySchema.table("media_set", {
  uuid: uuid("uuid").primaryKey(),
  pool: text("pool").notNull(),
  name: text("name").notNull(),
  ctime: bigint("ctime", { mode: "number" }).notNull(),
  encryptionKeyFingerprint: text("encryption_key_fingerprint"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Datastores (config kind `datastore`): a chunk store directory on one agent host. */
export const datastores = inventorySchema.table("datastore", {
  name: text("name").primaryKey(),
  path: text("path").notNull(),
  host: text("host").notNull(),
  comment: text("comment"),
  ...timestamps,
});

export const schema = { changers, drives, mediaPools, tapeBackupJobs, eventOutbox, media, deviceLocations, mediaSets, datastores };
export type InventorySchema = typeof schema;
