import { randomUUID } from "node:crypto";
import {
  JOB_REASONS,
  mediaEventType,
  parseMediaLocation,
  type MediaEntry,
  type MediaListRow,
  type MediaPoolConfig,
  type MediaSetInfo,
  type MediaSetMember,
  type PoolAllocateReply,
  type PoolAllocateRequest,
} from "@tapefleet/api-types";
import { NotFoundError, TapefleetError, ValidationError } from "@tapefleet/common";
import { asc, eq, inArray, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { eventOutbox, media, mediaPools, mediaSets, type InventorySchema } from "../db/schema.ts";
import {
  PoolEngineError,
  allocWritableMedia,
  assertErasable,
  listPoolMedia,
  mediaSetName,
  type Medium,
  type MediaLocation,
  type WriteSession,
} from "../pool-engine/index.ts";
import { mediaPoolFromRow } from "./converters.ts";
import { mediaFromRow } from "./media-store.ts";

type Db = PostgresJsDatabase<InventorySchema>;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type MediaRow = typeof media.$inferSelect;

/** Advisory lock namespace of pool locks (`pg_advisory_xact_lock(ns, hashtext(pool))`). */
const POOL_LOCK_NAMESPACE = "tapefleet.inventory.pool";
/** Lock key of the media without a pool (PBS `.pool-__UNASSIGNED__.lck`). */
export const UNASSIGNED_LOCK = "__UNASSIGNED__";

/** Event type of a new media set (data: `MediaSetInfo` without members). */
export const MEDIA_SET_CREATED_EVENT = "inventory.media-set.created";

/** A media row as the pool engine sees it. */
export function mediumFromRow(r: MediaRow): Medium {
  const loc = parseMediaLocation(r.location);
  const location: MediaLocation =
    loc === undefined || loc.kind === "offline" ? { kind: "offline" } : loc.kind === "online" ? { kind: "online", changer: loc.changer } : { kind: "vault", name: loc.name };
  const hasSet = r.mediaSetUuid !== null && r.mediaSetSeqNr !== null && r.mediaSetCtime !== null && r.pool !== null;
  return {
    label: { uuid: r.uuid, labelText: r.labelText, ctime: r.ctime, pool: r.pool ?? undefined },
    setLabel: hasSet
      ? {
          pool: r.pool!,
          uuid: r.mediaSetUuid!,
          seqNr: r.mediaSetSeqNr!,
          ctime: r.mediaSetCtime!,
          encryptionKeyFingerprint: r.encryptionKeyFingerprint ?? undefined,
        }
      : undefined,
    storedStatus: (r.status ?? undefined) as Medium["storedStatus"],
    location,
    worm: r.worm,
    bytesUsed: r.bytesUsed ?? undefined,
  };
}

/** Pool engine errors as the bus's typed errors (stable `reason`). */
export function engineError(err: unknown, ctx: { pool?: string; driveChanger?: string | null } = {}): unknown {
  if (!(err instanceof PoolEngineError)) return err;
  switch (err.code) {
    case "NO_USABLE_MEDIA": {
      const where = ctx.driveChanger ? `online in changer ${ctx.driveChanger}` : "offline (for a standalone drive)";
      const msg =
        `no writable tape of pool '${ctx.pool ?? "?"}' ${where}: an empty or expired tape of the pool, or a free tape, is needed` +
        ` (${err.message})`;
      return new TapefleetError("CONFLICT", msg, { cause: err, reason: JOB_REASONS.NO_USABLE_MEDIA });
    }
    case "MEDIA_SET_INCONSISTENT":
      return new TapefleetError("CONFLICT", err.message, { cause: err, reason: "MEDIA_SET_INCONSISTENT" });
    case "WORM_POLICY": {
      const rule = (err as PoolEngineError & { rule?: string }).rule;
      const reason = rule === "erase" ? JOB_REASONS.WORM_MEDIA_WITH_DATA : rule === "retention" ? JOB_REASONS.WORM_POOL_RETENTION : "WORM_MIXED";
      return new TapefleetError("CONFLICT", err.message, { cause: err, reason });
    }
    default:
      return new TapefleetError("VALIDATION", err.message, { cause: err, reason: err.code });
  }
}

export interface AllocatorOptions {
  /** IANA zone for calendar events and set names (default UTC). */
  timeZone: string;
  /** Source of new set UUIDs (tests may pass a deterministic one). */
  newSetId?: () => string;
}

export interface JobWriteOptions {
  correlationId?: string;
}

/**
 * Pool allocation and media sets over the inventory's media rows: runs the
 * pool engine under a pool lock (PostgreSQL transaction-scoped advisory
 * locks: the pool's, then the unassigned media's, always in that order) and
 * stores the chosen tape's new set label, the set registry row and the
 * events in the same transaction.
 */
export class PoolAllocator {
  constructor(
    private readonly db: Db,
    private readonly opts: AllocatorOptions,
  ) {}

  private async lockPool(tx: Tx, pool: string): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${POOL_LOCK_NAMESPACE}), hashtext(${pool}))`);
  }

  private async poolConfig(tx: Tx | Db, name: string): Promise<MediaPoolConfig> {
    const row = (await tx.select().from(mediaPools).where(eq(mediaPools.name, name)))[0];
    if (!row) throw new NotFoundError("media pool", name);
    return mediaPoolFromRow(row);
  }

  private async event(tx: Tx, type: string, subject: string, data: unknown, opts: JobWriteOptions): Promise<void> {
    await tx.insert(eventOutbox).values({ type, subject, data, correlationId: opts.correlationId ?? null });
  }

  /** `inventory.pool.allocate`: the tape a job writes next (§6.6), stored with its new set label. */
  async allocate(req: PoolAllocateRequest, now: number, opts: JobWriteOptions = {}): Promise<PoolAllocateReply> {
    return this.db.transaction(async (tx) => {
      await this.lockPool(tx, req.pool);
      await this.lockPool(tx, UNASSIGNED_LOCK);
      const pool = await this.poolConfig(tx, req.pool);
      const rows = await tx.select().from(media);
      const exclude = new Set(req.exclude ?? []);
      const sessionSet = req.mediaSetUuid;
      const all: Medium[] = [];
      for (const r of rows) {
        const m = mediumFromRow(r);
        if (!exclude.has(r.uuid)) all.push(m);
        // An excluded member of the job's set stays in it (the set must stay complete) but is not written again.
        else if (sessionSet !== undefined && r.mediaSetUuid === sessionSet) all.push({ ...m, storedStatus: m.storedStatus ?? "full" });
      }
      let session: WriteSession | undefined;
      if (sessionSet !== undefined) {
        const members: (string | null)[] = [];
        for (const m of all) {
          if (m.setLabel?.uuid !== sessionSet) continue;
          if (m.setLabel.pool !== pool.name) throw ValidationError.field("mediaSetUuid", `media set ${sessionSet} belongs to pool '${m.setLabel.pool}', not '${pool.name}'`);
          while (members.length <= m.setLabel.seqNr) members.push(null);
          members[m.setLabel.seqNr] = m.label.uuid;
        }
        if (members.length === 0) throw new NotFoundError("media set", sessionSet);
        session = { pool: pool.name, set: { uuid: sessionSet, members }, newSet: false, reason: null, startedAt: now };
      }
      let alloc;
      try {
        alloc = allocWritableMedia(pool, all, now, {
          driveChanger: req.driveChanger,
          session,
          forceMediaSet: req.forceMediaSet,
          newSetId: this.opts.newSetId ?? randomUUID,
          timeZone: this.opts.timeZone,
        });
      } catch (err) {
        throw engineError(err, { pool: pool.name, driveChanger: req.driveChanger });
      }
      const label = alloc.setLabel;
      let row = rows.find((r) => r.uuid === alloc.medium.label.uuid)!;
      if (alloc.assigned) {
        row = (
          await tx
            .update(media)
            .set({
              pool: label.pool,
              mediaSetUuid: label.uuid,
              mediaSetSeqNr: label.seqNr,
              mediaSetCtime: label.ctime,
              encryptionKeyFingerprint: label.encryptionKeyFingerprint ?? null,
              status: null,
              bytesUsed: 0,
              updatedAt: new Date(),
            })
            .where(eq(media.uuid, row.uuid))
            .returning()
        )[0]!;
        await this.event(tx, mediaEventType("updated"), row.uuid, mediaFromRow(row), opts);
      }
      let setRow = (await tx.select().from(mediaSets).where(eq(mediaSets.uuid, label.uuid)))[0];
      if (!setRow) {
        const seq0 = label.seqNr === 0 ? label.ctime : (rows.find((r) => r.mediaSetUuid === label.uuid && r.mediaSetSeqNr === 0)?.mediaSetCtime ?? null);
        const ctime = seq0 ?? label.ctime;
        const values = {
          uuid: label.uuid,
          pool: pool.name,
          name: mediaSetName(pool, seq0, label.uuid, { timeZone: this.opts.timeZone }),
          ctime,
          encryptionKeyFingerprint: label.encryptionKeyFingerprint ?? null,
        };
        setRow = (await tx.insert(mediaSets).values(values).returning())[0]!;
        await this.event(tx, MEDIA_SET_CREATED_EVENT, label.uuid, { uuid: values.uuid, pool: values.pool, name: values.name, ctime: values.ctime }, opts);
      }
      const newSet = sessionSet === undefined && alloc.session.newSet;
      const reply: PoolAllocateReply = {
        medium: mediaFromRow(row),
        setLabel: {
          pool: label.pool,
          uuid: label.uuid,
          seqNr: label.seqNr,
          ctime: label.ctime,
          ...(label.encryptionKeyFingerprint === undefined ? {} : { encryptionKeyFingerprint: label.encryptionKeyFingerprint }),
        },
        source: alloc.source,
        newSet,
        mediaSetName: setRow.name,
      };
      if (newSet && alloc.session.reason) reply.newSetReason = alloc.session.reason.message;
      return reply;
    });
  }

  /** Members of a set from the media rows, by seq nr. */
  private static members(rows: readonly MediaRow[]): { members: MediaSetMember[]; complete: boolean } {
    const members = rows
      .filter((r) => r.mediaSetSeqNr !== null)
      .map((r) => ({ seqNr: r.mediaSetSeqNr!, uuid: r.uuid, labelText: r.labelText, location: r.location, status: r.status ?? "unknown" }))
      .sort((a, b) => a.seqNr - b.seqNr);
    const seen = new Set(members.map((m) => m.seqNr));
    const n = members.length === 0 ? 0 : members[members.length - 1]!.seqNr + 1;
    let complete = members.length > 0;
    for (let i = 0; i < n; i++) if (!seen.has(i)) complete = false;
    return { members, complete };
  }

  private async pools(): Promise<Map<string, MediaPoolConfig>> {
    return new Map((await this.db.select().from(mediaPools)).map((r) => [r.name, mediaPoolFromRow(r)]));
  }

  private setInfo(uuid: string, rows: readonly MediaRow[], registry: typeof mediaSets.$inferSelect | undefined, pools: Map<string, MediaPoolConfig>): MediaSetInfo {
    const { members, complete } = PoolAllocator.members(rows);
    const seq0 = rows.find((r) => r.mediaSetSeqNr === 0);
    const pool = registry?.pool ?? rows.find((r) => r.pool !== null)?.pool ?? "";
    const start = registry?.ctime ?? seq0?.mediaSetCtime ?? null;
    const cfg = pools.get(pool);
    const name = registry?.name ?? (cfg ? mediaSetName(cfg, start, uuid, { timeZone: this.opts.timeZone }) : uuid);
    const fp = registry?.encryptionKeyFingerprint ?? seq0?.encryptionKeyFingerprint ?? null;
    const info: MediaSetInfo = { uuid, pool, name, ctime: start ?? Math.min(...rows.map((r) => r.mediaSetCtime ?? Number.MAX_SAFE_INTEGER)), members, complete };
    if (fp !== null) info.encryptionKeyFingerprint = fp;
    return info;
  }

  /** `inventory.media-set.get`. */
  async getSet(uuid: string): Promise<MediaSetInfo> {
    const registry = (await this.db.select().from(mediaSets).where(eq(mediaSets.uuid, uuid)))[0];
    const rows = await this.db.select().from(media).where(eq(media.mediaSetUuid, uuid));
    if (!registry && rows.length === 0) throw new NotFoundError("media set", uuid);
    return this.setInfo(uuid, rows, registry, await this.pools());
  }

  /** `inventory.media-set.list`: sets of the registry and sets known from media labels, newest first. */
  async listSets(pool?: string): Promise<MediaSetInfo[]> {
    const registry = await this.db.select().from(mediaSets).orderBy(asc(mediaSets.ctime));
    const rows = await this.db.select().from(media).where(sql`${media.mediaSetUuid} is not null`);
    const pools = await this.pools();
    const byUuid = new Map<string, MediaRow[]>();
    for (const r of rows) byUuid.set(r.mediaSetUuid!, [...(byUuid.get(r.mediaSetUuid!) ?? []), r]);
    const uuids = new Set([...registry.map((s) => s.uuid), ...byUuid.keys()]);
    const out: MediaSetInfo[] = [];
    for (const u of uuids) {
      const info = this.setInfo(u, byUuid.get(u) ?? [], registry.find((s) => s.uuid === u), pools);
      if (pool === undefined || info.pool === pool) out.push(info);
    }
    return out.sort((a, b) => b.ctime - a.ctime || (a.uuid < b.uuid ? -1 : 1));
  }

  private async lockedRow(tx: Tx, sel: { uuid?: string | undefined; labelText?: string | undefined }): Promise<MediaRow> {
    const where = sel.uuid !== undefined ? eq(media.uuid, sel.uuid) : eq(media.labelText, sel.labelText!);
    const row = (await tx.select().from(media).where(where).for("update"))[0];
    if (!row) throw new NotFoundError("medium", sel.uuid ?? sel.labelText!);
    return row;
  }

  /**
   * `inventory.media.destroy`: forget a medium (PBS `media destroy`), under its
   * pool's lock. A WORM medium holding data (a set label or bytes written) is
   * refused: its content can never be erased.
   */
  async destroy(sel: { uuid?: string | undefined; labelText?: string | undefined }, opts: JobWriteOptions = {}): Promise<MediaEntry> {
    return this.db.transaction(async (tx) => {
      const peek = await this.lockedRow(tx, sel);
      await this.lockPool(tx, peek.pool ?? UNASSIGNED_LOCK);
      const row = await this.lockedRow(tx, { uuid: peek.uuid });
      assertWormErasable(row);
      await tx.delete(media).where(eq(media.uuid, row.uuid));
      const entry = mediaFromRow(row);
      await this.event(tx, mediaEventType("removed"), row.uuid, entry, opts);
      return entry;
    });
  }

  /** `inventory.media.move`: to vault `vault`, or back to offline. */
  async move(sel: { uuid?: string | undefined; labelText?: string | undefined }, vault: string | undefined, opts: JobWriteOptions = {}): Promise<MediaEntry> {
    return this.db.transaction(async (tx) => {
      const row = await this.lockedRow(tx, sel);
      const location = vault === undefined ? "offline" : `vault-${vault}`;
      const updated = (await tx.update(media).set({ location, updatedAt: new Date() }).where(eq(media.uuid, row.uuid)).returning())[0]!;
      const entry = mediaFromRow(updated);
      await this.event(tx, mediaEventType("updated"), row.uuid, entry, opts);
      return entry;
    });
  }

  /**
   * PBS `proxmox-tape media list`: every medium with its computed status
   * (§6.3), set name, seq nr, location, expiry (§6.7) and bytes used.
   */
  async mediaTable(now: number, filter: { pool?: string | undefined } = {}): Promise<MediaListRow[]> {
    const rows = await this.db.select().from(media).orderBy(asc(media.labelText));
    const pools = await this.pools();
    const registry = new Map((await this.db.select().from(mediaSets)).map((s) => [s.uuid, s]));
    const all = rows.map(mediumFromRow);
    const views = new Map<string, { status: string; expireTime: number | null; expired: boolean; setName?: string }>();
    for (const cfg of pools.values()) {
      if (filter.pool !== undefined && cfg.name !== filter.pool) continue;
      try {
        for (const v of listPoolMedia(cfg, all, now, { timeZone: this.opts.timeZone })) {
          views.set(v.medium.label.uuid, { status: v.status, expireTime: v.expireTime, expired: v.expired, ...(v.mediaSet ? { setName: v.mediaSet.name } : {}) });
        }
      } catch (err) {
        throw engineError(err, { pool: cfg.name });
      }
    }
    const out: MediaListRow[] = [];
    for (const r of rows) {
      if (filter.pool !== undefined && r.pool !== filter.pool) continue;
      const v = views.get(r.uuid);
      const status = v?.status ?? r.status ?? (r.pool === null && r.mediaSetUuid === null ? "writable" : "unknown");
      const row: MediaListRow = { uuid: r.uuid, "label-text": r.labelText, ctime: r.ctime, status, location: r.location, expired: v?.expired ?? false, worm: r.worm };
      if (r.pool !== null) row.pool = r.pool;
      if (r.mediaSetUuid !== null) {
        row["media-set-uuid"] = r.mediaSetUuid;
        const name = registry.get(r.mediaSetUuid)?.name ?? v?.setName;
        if (name !== undefined) row["media-set-name"] = name;
      }
      if (r.mediaSetCtime !== null) row["media-set-ctime"] = r.mediaSetCtime;
      if (r.mediaSetSeqNr !== null) row["seq-nr"] = r.mediaSetSeqNr;
      if (v?.expireTime !== null && v?.expireTime !== undefined) row["expire-time"] = v.expireTime;
      if (r.bytesUsed !== null) row["bytes-used"] = r.bytesUsed;
      out.push(row);
    }
    return out;
  }

  /** Media rows by uuid (tests and handlers). */
  async rowsOf(uuids: readonly string[]): Promise<MediaRow[]> {
    if (uuids.length === 0) return [];
    return this.db.select().from(media).where(inArray(media.uuid, [...uuids]));
  }
}

/** WORM media with data are never erased (§6.8, §13.4). */
export function assertWormErasable(row: MediaRow): void {
  const hasData = row.mediaSetUuid !== null || (row.bytesUsed ?? 0) > 0;
  if (!row.worm || !hasData) return;
  try {
    assertErasable(mediumFromRow(row));
  } catch (err) {
    if (!(err instanceof PoolEngineError)) throw err;
    throw new TapefleetError("CONFLICT", `medium '${row.labelText}' is a WORM cartridge with data: it cannot be erased or removed from the inventory`, {
      cause: err,
      reason: JOB_REASONS.WORM_MEDIA_WITH_DATA,
      fields: [{ field: "uuid", message: "WORM medium with data" }],
    });
  }
}
