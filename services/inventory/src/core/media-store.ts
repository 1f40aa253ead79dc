import {
  isCleaningTag,
  mediaEventType,
  type ListMediaRequest,
  type MediaEntry,
  type MediaSelector,
  type RegisterMediaRequest,
  type UpdateMediaRequest,
} from "@tapefleet/api-types";
import { ConflictError, NotFoundError, TapefleetError, ValidationError } from "@tapefleet/common";
import { and, asc, eq, inArray, like, notInArray, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { eventOutbox, media, type InventorySchema } from "../db/schema.ts";
import { assertWormErasable } from "./pool-allocator.ts";

type Db = PostgresJsDatabase<InventorySchema>;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Row = typeof media.$inferSelect;

/** Row → API entry (unset columns are absent keys, as PBS omits them). */
export function mediaFromRow(r: Row): MediaEntry {
  const e: MediaEntry = {
    uuid: r.uuid,
    "label-text": r.labelText,
    ctime: r.ctime,
    status: (r.status ?? "unknown") as MediaEntry["status"],
    location: r.location,
    worm: r.worm,
  };
  if (r.pool !== null) e.pool = r.pool;
  if (r.mediaSetUuid !== null) e["media-set-uuid"] = r.mediaSetUuid;
  if (r.mediaSetCtime !== null) e["media-set-ctime"] = r.mediaSetCtime;
  if (r.mediaSetSeqNr !== null) e["seq-nr"] = r.mediaSetSeqNr;
  if (r.encryptionKeyFingerprint !== null) e["encryption-key-fingerprint"] = r.encryptionKeyFingerprint;
  if (r.bytesUsed !== null) e["bytes-used"] = r.bytesUsed;
  return e;
}

function pgCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof c === "string" ? c : undefined;
}

export interface MediaWriteOptions {
  correlationId?: string;
}

/**
 * The media inventory: labelled cartridges with their labels, status and
 * location. Label texts are unique (a second medium with the same text is
 * refused, as PBS refuses to label it). Every change queues its event in the
 * outbox within its transaction.
 */
export class MediaStore {
  constructor(private readonly db: Db) {}

  private async event(tx: Tx, action: "registered" | "updated" | "removed", entry: MediaEntry, opts: MediaWriteOptions): Promise<void> {
    await tx.insert(eventOutbox).values({ type: mediaEventType(action), subject: entry.uuid, data: entry, correlationId: opts.correlationId ?? null });
  }

  /** Add a medium. Refused (409) when its label text belongs to another medium; `replace` updates an entry with the same uuid. */
  async register(req: RegisterMediaRequest, opts: MediaWriteOptions = {}): Promise<MediaEntry> {
    if (isCleaningTag(req["label-text"])) throw ValidationError.field("label-text", `'${req["label-text"]}' is a cleaning cartridge tag`);
    const values = {
      uuid: req.uuid,
      labelText: req["label-text"],
      pool: req.pool ?? null,
      ctime: req.ctime,
      mediaSetUuid: req["media-set-uuid"] ?? null,
      mediaSetSeqNr: req["seq-nr"] ?? null,
      mediaSetCtime: req["media-set-ctime"] ?? null,
      encryptionKeyFingerprint: req["encryption-key-fingerprint"] ?? null,
      location: req.location ?? "offline",
      worm: req.worm ?? false,
    };
    try {
      return await this.db.transaction(async (tx) => {
        const byLabel = (await tx.select().from(media).where(eq(media.labelText, req["label-text"])).for("update"))[0];
        if (byLabel && byLabel.uuid !== req.uuid) {
          throw new ConflictError(`label text '${req["label-text"]}' is already used by medium ${byLabel.uuid}`, [
            { field: "label-text", message: `already in the inventory (uuid ${byLabel.uuid})` },
          ]);
        }
        const byUuid = (await tx.select().from(media).where(eq(media.uuid, req.uuid)).for("update"))[0];
        if (byUuid && !req.replace) throw new ConflictError(`medium ${req.uuid} is already in the inventory`, [{ field: "uuid", message: "already in the inventory" }]);
        let row: Row;
        if (byUuid) {
          row = (await tx.update(media).set({ ...values, updatedAt: new Date() }).where(eq(media.uuid, req.uuid)).returning())[0]!;
          await this.event(tx, "updated", mediaFromRow(row), opts);
        } else {
          row = (await tx.insert(media).values(values).returning())[0]!;
          await this.event(tx, "registered", mediaFromRow(row), opts);
        }
        return mediaFromRow(row);
      });
    } catch (err) {
      if (!(err instanceof TapefleetError) && pgCode(err) === "23505") {
        throw new ConflictError(`label text '${req["label-text"]}' is already in the inventory`, [{ field: "label-text", message: "already in the inventory" }]);
      }
      throw err;
    }
  }

  private where(sel: MediaSelector) {
    return sel.uuid !== undefined ? eq(media.uuid, sel.uuid) : eq(media.labelText, sel["label-text"]!);
  }

  private static describe(sel: MediaSelector): string {
    return sel.uuid ?? sel["label-text"]!;
  }

  /** One medium by uuid or label text, or undefined. */
  async find(sel: MediaSelector): Promise<MediaEntry | undefined> {
    const row = (await this.db.select().from(media).where(this.where(sel)))[0];
    return row ? mediaFromRow(row) : undefined;
  }

  async get(sel: MediaSelector): Promise<MediaEntry> {
    const found = await this.find(sel);
    if (!found) throw new NotFoundError("medium", MediaStore.describe(sel));
    return found;
  }

  /** Media sorted by label text, optionally of one pool and/or one location (`online-lib1`, or a prefix such as `online-`). */
  async list(filter: ListMediaRequest = {}): Promise<MediaEntry[]> {
    const conds = [];
    if (filter.pool !== undefined) conds.push(eq(media.pool, filter.pool));
    if (filter.location !== undefined) conds.push(filter.location.endsWith("-") ? like(media.location, `${filter.location}%`) : eq(media.location, filter.location));
    const rows = await this.db
      .select()
      .from(media)
      .where(conds.length > 0 ? and(...conds) : undefined)
      .orderBy(asc(media.labelText));
    return rows.map(mediaFromRow);
  }

  /** Set status, location or bytes used. `unknown` clears a stored status. */
  async update(req: UpdateMediaRequest, opts: MediaWriteOptions = {}): Promise<MediaEntry> {
    const sel: MediaSelector = req.uuid !== undefined ? { uuid: req.uuid } : { "label-text": req["label-text"]! };
    return this.db.transaction(async (tx) => {
      const set: Partial<typeof media.$inferInsert> = { updatedAt: new Date() };
      if (req.status !== undefined) set.status = req.status === "unknown" ? null : req.status;
      if (req.location !== undefined) set.location = req.location;
      if (req["bytes-used"] !== undefined) set.bytesUsed = req["bytes-used"];
      const row = (await tx.update(media).set(set).where(this.where(sel)).returning())[0];
      if (!row) throw new NotFoundError("medium", MediaStore.describe(sel));
      const entry = mediaFromRow(row);
      await this.event(tx, "updated", entry, opts);
      return entry;
    });
  }

  /** Remove a medium (e.g. after format). A WORM medium with data is refused (it can never be erased). */
  async remove(sel: MediaSelector, opts: MediaWriteOptions = {}): Promise<MediaEntry> {
    return this.db.transaction(async (tx) => {
      const found = (await tx.select().from(media).where(this.where(sel)).for("update"))[0];
      if (found) assertWormErasable(found);
      const row = (await tx.delete(media).where(this.where(sel)).returning())[0];
      if (!row) throw new NotFoundError("medium", MediaStore.describe(sel));
      const entry = mediaFromRow(row);
      await this.event(tx, "removed", entry, opts);
      return entry;
    });
  }

  /**
   * The changer's volume tags (drives and storage slots, §6.4): those media
   * become `online-<changer>`; media online there but no longer seen become
   * `offline`. Returns the media whose location changed.
   */
  async setOnline(changer: string, labelTexts: readonly string[], opts: MediaWriteOptions = {}): Promise<MediaEntry[]> {
    const here = `online-${changer}`;
    const tags = [...new Set(labelTexts.filter((t) => !isCleaningTag(t)))];
    return this.db.transaction(async (tx) => {
      const changed: Row[] = [];
      if (tags.length > 0) {
        changed.push(
          ...(await tx
            .update(media)
            .set({ location: here, updatedAt: new Date() })
            .where(and(inArray(media.labelText, tags), sql`${media.location} <> ${here}`))
            .returning()),
        );
      }
      const gone = tags.length > 0 ? and(eq(media.location, here), notInArray(media.labelText, tags)) : eq(media.location, here);
      changed.push(...(await tx.update(media).set({ location: "offline", updatedAt: new Date() }).where(gone).returning()));
      const entries = changed.map(mediaFromRow);
      for (const e of entries) await this.event(tx, "updated", e, opts);
      return entries;
    });
  }

  /** Every medium online in one of these changers becomes offline (their agent went away). */
  async setChangersOffline(changers: readonly string[], opts: MediaWriteOptions = {}): Promise<MediaEntry[]> {
    if (changers.length === 0) return [];
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .update(media)
        .set({ location: "offline", updatedAt: new Date() })
        .where(inArray(media.location, changers.map((c) => `online-${c}`)))
        .returning();
      const entries = rows.map(mediaFromRow);
      for (const e of entries) await this.event(tx, "updated", e, opts);
      return entries;
    });
  }
}
