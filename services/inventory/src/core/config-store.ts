import {
  CONFIG_KIND_INFO,
  configDigest,
  inventoryEventType,
  keyOf,
  parseConfig,
  type AnyConfig,
  type ConfigAction,
  type ConfigKind,
  type ConfigOfKind,
  type DriveConfig,
  type UpdateOfKind,
} from "@tapefleet/api-types";
import { ConflictError, NotFoundError, TapefleetError, ValidationError } from "@tapefleet/common";
import { and, asc, eq, ne, sql, type SQL } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { AnyPgColumn, PgTable } from "drizzle-orm/pg-core";
import { changers, datastores, drives, eventOutbox, mediaPools, tapeBackupJobs, type InventorySchema } from "../db/schema.ts";
import {
  changerFromRow,
  changerToRow,
  datastoreFromRow,
  datastoreToRow,
  driveFromRow,
  driveToRow,
  mediaPoolFromRow,
  mediaPoolToRow,
  tapeBackupJobFromRow,
  tapeBackupJobToRow,
} from "./converters.ts";

type Db = PostgresJsDatabase<InventorySchema>;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Executor = Db | Tx;

/** How one kind is stored: its table, key column, columns by entity field, and row converters. */
interface KindTable {
  table: PgTable;
  key: AnyPgColumn;
  columns: Record<string, AnyPgColumn>;
  fromRow(row: never): AnyConfig;
  toRow(entity: never): Record<string, unknown>;
}

const TABLES: Record<ConfigKind, KindTable> = {
  changer: { table: changers, key: changers.name, columns: {}, fromRow: changerFromRow, toRow: changerToRow },
  drive: { table: drives, key: drives.name, columns: { changer: drives.changer }, fromRow: driveFromRow, toRow: driveToRow },
  "media-pool": { table: mediaPools, key: mediaPools.name, columns: { drive: mediaPools.drive }, fromRow: mediaPoolFromRow, toRow: mediaPoolToRow },
  "tape-backup-job": {
    table: tapeBackupJobs,
    key: tapeBackupJobs.id,
    columns: { pool: tapeBackupJobs.pool, drive: tapeBackupJobs.drive },
    fromRow: tapeBackupJobFromRow,
    toRow: tapeBackupJobToRow,
  },
  datastore: { table: datastores, key: datastores.name, columns: {}, fromRow: datastoreFromRow, toRow: datastoreToRow },
};

/** A field of one kind naming an entity of another kind. */
export interface Reference {
  from: ConfigKind;
  field: string;
  to: ConfigKind;
}

/** Every reference between configuration entities (checked on write, guarded on removal). */
export const REFERENCES: readonly Reference[] = [
  { from: "drive", field: "changer", to: "changer" },
  { from: "media-pool", field: "drive", to: "drive" },
  { from: "tape-backup-job", field: "pool", to: "media-pool" },
  { from: "tape-backup-job", field: "drive", to: "drive" },
];

/** PostgreSQL error code of a failed statement (drizzle wraps the driver error in `cause`). */
function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Constraint violations that slipped past the checks (concurrent writers) become typed errors. */
function mapDbError(err: unknown, kind: ConfigKind, key: string): unknown {
  if (err instanceof TapefleetError) return err;
  const code = pgCode(err);
  const title = CONFIG_KIND_INFO[kind].title;
  if (code === "23505") return new ConflictError(`${title} '${key}' conflicts with an existing entry`);
  if (code === "23503") return new ConflictError(`${title} '${key}' conflicts with a concurrent change of a referenced or referencing entry`);
  if (code === "23514") return ValidationError.field(CONFIG_KIND_INFO[kind].key, "rejected by a database check");
  return err;
}

/** Options of a write: the request id, carried by the change's event as correlation id. */
export interface WriteOptions {
  correlationId?: string;
}

/** Queue the change's event in the outbox, inside the change's transaction. */
async function queueEvent(tx: Tx, kind: ConfigKind, action: ConfigAction, key: string, entity: AnyConfig, opts: WriteOptions): Promise<void> {
  await tx.insert(eventOutbox).values({ type: inventoryEventType(kind, action), subject: key, data: entity, correlationId: opts.correlationId ?? null });
}

/**
 * The configuration of changers, drives, media pools and tape backup jobs.
 * Every write is one transaction: references are checked inside it, so bad
 * input changes nothing, and the change's event is queued in the outbox in
 * the same transaction (see EventRelay). Inputs are validated entities (see
 * @tapefleet/api-types).
 */
export class ConfigStore {
  constructor(private readonly db: Db) {}

  async list<K extends ConfigKind>(kind: K): Promise<ConfigOfKind[K][]> {
    const t = TABLES[kind];
    const rows = await this.db.select().from(t.table).orderBy(asc(t.key));
    return rows.map((r) => t.fromRow(r as never) as ConfigOfKind[K]);
  }

  async get<K extends ConfigKind>(kind: K, key: string): Promise<ConfigOfKind[K]> {
    const found = await this.find(this.db, kind, key);
    if (!found) throw new NotFoundError(CONFIG_KIND_INFO[kind].title, key);
    return found as ConfigOfKind[K];
  }

  async create<K extends ConfigKind>(kind: K, entity: ConfigOfKind[K], opts: WriteOptions = {}): Promise<ConfigOfKind[K]> {
    const key = keyOf(kind, entity);
    const t = TABLES[kind];
    try {
      return await this.db.transaction(async (tx) => {
        if (await this.find(tx, kind, key, true)) {
          const info = CONFIG_KIND_INFO[kind];
          throw new ConflictError(`${info.title} '${key}' already exists`, [{ field: info.key, message: `${info.title} '${key}' already exists` }]);
        }
        await this.checkOutgoing(tx, kind, entity);
        await this.checkDriveNumber(tx, kind, entity);
        await tx.insert(t.table).values(t.toRow(entity as never) as never);
        await queueEvent(tx, kind, "created", key, entity, opts);
        return entity;
      });
    } catch (err) {
      throw mapDbError(err, kind, key);
    }
  }

  /**
   * Apply an update request: set the given fields, reset those in `delete`,
   * validate the result as a whole. With `digest`, refused (409) when the
   * entry changed since the client read it.
   */
  async update<K extends ConfigKind>(kind: K, key: string, patch: UpdateOfKind[K], opts: WriteOptions = {}): Promise<ConfigOfKind[K]> {
    const t = TABLES[kind];
    try {
      return await this.db.transaction(async (tx) => {
        const current = await this.find(tx, kind, key, true);
        if (!current) throw new NotFoundError(CONFIG_KIND_INFO[kind].title, key);
        const { delete: toDelete, digest, ...set } = patch as Record<string, unknown> & { delete?: string[]; digest?: string };
        if (digest !== undefined && digest !== configDigest(current)) {
          const message = `${CONFIG_KIND_INFO[kind].title} '${key}' was changed since it was read (digest mismatch); read it again`;
          throw new ConflictError(message, [{ field: "digest", message }]);
        }
        const merged: Record<string, unknown> = { ...current };
        for (const [f, v] of Object.entries(set)) if (v !== undefined) merged[f] = v;
        for (const f of toDelete ?? []) delete merged[f];
        const next = parseConfig(kind, merged);
        await this.checkOutgoing(tx, kind, next);
        await this.checkDriveNumber(tx, kind, next);
        await tx
          .update(t.table)
          .set({ ...t.toRow(next as never), updatedAt: new Date() } as never)
          .where(eq(t.key, key));
        await queueEvent(tx, kind, "updated", key, next, opts);
        return next;
      });
    } catch (err) {
      throw mapDbError(err, kind, key);
    }
  }

  /** Remove an entry; refused (409) while another entry references it. Returns the removed entry. */
  async remove<K extends ConfigKind>(kind: K, key: string, opts: WriteOptions = {}): Promise<ConfigOfKind[K]> {
    const t = TABLES[kind];
    try {
      return await this.db.transaction(async (tx) => {
        const current = await this.find(tx, kind, key, true);
        if (!current) throw new NotFoundError(CONFIG_KIND_INFO[kind].title, key);
        for (const ref of REFERENCES.filter((r) => r.to === kind)) {
          const from = TABLES[ref.from];
          const users = await tx
            .select({ key: from.key })
            .from(from.table)
            .where(eq(from.columns[ref.field]!, key))
            .orderBy(asc(from.key))
            .limit(3);
          if (users.length > 0) {
            const names = users.map((u) => `'${String(u.key)}'`).join(", ");
            throw new ConflictError(`${CONFIG_KIND_INFO[kind].title} '${key}' is in use by ${CONFIG_KIND_INFO[ref.from].title} ${names}`);
          }
        }
        await tx.delete(t.table).where(eq(t.key, key));
        await queueEvent(tx, kind, "removed", key, current, opts);
        return current as ConfigOfKind[K];
      });
    } catch (err) {
      throw mapDbError(err, kind, key);
    }
  }

  private async find(db: Executor, kind: ConfigKind, key: string, forUpdate = false): Promise<AnyConfig | undefined> {
    const t = TABLES[kind];
    const q = db.select().from(t.table).where(eq(t.key, key));
    const rows = forUpdate ? await q.for("update") : await q;
    const row = rows[0];
    return row === undefined ? undefined : t.fromRow(row as never);
  }

  /** Every entry the entity names must exist (checked with a share lock, so it cannot vanish before commit). */
  private async checkOutgoing(tx: Tx, kind: ConfigKind, entity: AnyConfig): Promise<void> {
    const problems: { field: string; message: string }[] = [];
    for (const ref of REFERENCES.filter((r) => r.from === kind)) {
      const target = (entity as unknown as Record<string, unknown>)[ref.field];
      if (typeof target !== "string") continue;
      const to = TABLES[ref.to];
      const rows = await tx.select({ key: to.key }).from(to.table).where(eq(to.key, target)).for("share");
      if (rows.length === 0) problems.push({ field: ref.field, message: `${CONFIG_KIND_INFO[ref.to].title} '${target}' does not exist` });
    }
    if (problems.length > 0) throw new ValidationError(problems);
  }

  /** Drive numbers are unique per changer (an unset number counts as 0). */
  private async checkDriveNumber(tx: Tx, kind: ConfigKind, entity: AnyConfig): Promise<void> {
    if (kind !== "drive") return;
    const d = entity as DriveConfig;
    if (d.changer === undefined) return;
    const num = d["changer-drivenum"] ?? 0;
    const numExpr: SQL = sql`coalesce(${drives.changerDrivenum}, 0)`;
    const rows = await tx
      .select({ name: drives.name })
      .from(drives)
      .where(and(eq(drives.changer, d.changer), eq(numExpr, num), ne(drives.name, d.name)));
    const other = rows[0];
    if (other) {
      const message = `changer '${d.changer}' already has drive number ${num} (drive '${other.name}')`;
      throw new ConflictError(message, [{ field: "changer-drivenum", message }]);
    }
  }
}
