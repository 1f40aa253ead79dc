import { ValidationError, checkName } from "@tapefleet/common";
import { asc, count, eq } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { mediaSetMembers, mediaSets, type CatalogTables } from "./db/schema.ts";

/** A media set as the catalog reports it. */
export interface MediaSetSummary {
  uuid: string;
  pool: string;
  /** RFC 3339 time the set was started. */
  ctime: string;
  encryptionKeyFingerprint: string | null;
  closed: boolean;
  /** Number of tapes in the set. */
  members: number;
}

/** Parses the payload of `catalog.mediaSets.list`: `{ pool?: string }`. */
export function parseListMediaSets(payload: unknown): { pool?: string } {
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== "object" || Array.isArray(payload)) throw ValidationError.field("(request)", "must be an object");
  const pool = (payload as { pool?: unknown }).pool;
  if (pool === undefined) return {};
  const problem = checkName("pool", pool);
  if (problem !== undefined) throw ValidationError.field("pool", problem);
  return { pool: pool as string };
}

/** Media sets, newest first, optionally of one pool. */
export async function listMediaSets(db: PostgresJsDatabase<CatalogTables>, filter: { pool?: string }): Promise<MediaSetSummary[]> {
  const rows = await db
    .select({
      uuid: mediaSets.uuid,
      pool: mediaSets.pool,
      ctime: mediaSets.ctime,
      encryptionKeyFingerprint: mediaSets.encryptionKeyFingerprint,
      closedAt: mediaSets.closedAt,
      members: count(mediaSetMembers.seqNr),
    })
    .from(mediaSets)
    .leftJoin(mediaSetMembers, eq(mediaSetMembers.mediaSetUuid, mediaSets.uuid))
    .where(filter.pool === undefined ? undefined : eq(mediaSets.pool, filter.pool))
    .groupBy(mediaSets.uuid)
    .orderBy(asc(mediaSets.ctime));
  return rows.reverse().map((r) => ({
    uuid: r.uuid,
    pool: r.pool,
    ctime: r.ctime.toISOString(),
    encryptionKeyFingerprint: r.encryptionKeyFingerprint,
    closed: r.closedAt !== null,
    members: Number(r.members),
  }));
}
