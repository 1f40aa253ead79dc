import { randomUUID } from "node:crypto";
import {
  catalogRecord,
  fieldErrorsOf,
  parseSnapshotPath,
  type CatalogArchiveRecord,
  type CatalogHoldReason,
  type CatalogMediaSetJoinedRecord,
  type CatalogRecord,
} from "@tapefleet/api-types";
import { hashLockKey, type Logger, type Sql } from "@tapefleet/common";

/** Advisory lock serializing ingest transactions of every catalog instance. */
export const INGEST_LOCK_KEY = hashLockKey("catalog:ingest");

/** A record as received: parsed, or the reason it is not a record. */
export type ReceivedRecord = { ok: true; record: CatalogRecord } | { ok: false; raw: unknown; message: string };

/** What happened to one record. */
export type ApplyOutcome =
  | { outcome: "applied"; recordId: string; released: number }
  | { outcome: "duplicate"; recordId: string }
  | { outcome: "held"; recordId: string; reason: CatalogHoldReason; message: string };

/** Parses a message body (JSON bytes or a value) into a record; never throws. */
export function receiveRecord(body: Uint8Array | unknown): ReceivedRecord {
  let value: unknown = body;
  if (body instanceof Uint8Array) {
    const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { ok: false, raw: { raw: text.slice(0, 4096) }, message: `not JSON: ${(err as Error).message}` };
    }
  }
  const r = catalogRecord.safeParse(value);
  if (r.success) return { ok: true, record: r.data };
  const fields = fieldErrorsOf(r.error.issues);
  return { ok: false, raw: value, message: fields.map((f) => `${f.field}: ${f.message}`).join("; ") };
}

type Tx = Sql;

/** Digests waiting to be written in one statement at the end of the batch (or before a tape is reset). */
interface PendingDigests {
  spans: Array<{ archiveId: number; firstOrd: number; hex: string[] }>;
  count: number;
}

const pendingOf = new WeakMap<object, PendingDigests>();

function pending(tx: Tx): PendingDigests {
  let p = pendingOf.get(tx);
  if (p === undefined) {
    p = { spans: [], count: 0 };
    pendingOf.set(tx, p);
  }
  return p;
}

/** Writes the digests queued in this transaction: one statement for every archive of the batch. */
async function flushDigests(tx: Tx): Promise<void> {
  const p = pendingOf.get(tx);
  if (p === undefined || p.spans.length === 0) return;
  const ids: number[] = [];
  const firsts: number[] = [];
  const counts: number[] = [];
  const offsets: number[] = [];
  const hex: string[] = [];
  let off = 0;
  for (const span of p.spans) {
    ids.push(span.archiveId);
    firsts.push(span.firstOrd);
    counts.push(span.hex.length);
    offsets.push(off);
    off += span.hex.length;
    for (const h of span.hex) hex.push(h);
  }
  p.spans = [];
  p.count = 0;
  await tx`
    with x as materialized (select decode(${hex.join("")}, 'hex') as b),
    s as (select * from unnest(${tx.array(ids)}::bigint[], ${tx.array(firsts)}::int[], ${tx.array(counts)}::int[], ${tx.array(offsets)}::int[]) as s(archive_id, first_ord, n, off))
    insert into catalog.chunks (archive_id, ord, digest)
    select s.archive_id, s.first_ord + i, substring(x.b from (s.off + i) * 32 + 1 for 32)
    from x, s, generate_series(0, s.n - 1) as i`;
}

/** Most digests queued before they are written (bounds the statement's size). */
const FLUSH_DIGESTS = 262_144;

interface Hold {
  reason: CatalogHoldReason;
  message: string;
}

/**
 * Applies records in order in one transaction (caller's), idempotently: a
 * record whose id is known changes nothing; one that cannot be applied is
 * kept in `held_records` with its reason. A tape joining a set releases the
 * records held for it.
 */
export async function applyRecords(tx: Tx, records: ReceivedRecord[]): Promise<ApplyOutcome[]> {
  await tx`select pg_advisory_xact_lock(${INGEST_LOCK_KEY})`;
  const out: ApplyOutcome[] = [];
  for (const r of records) out.push(await applyOne(tx, r));
  await flushDigests(tx);
  return out;
}

async function applyOne(tx: Tx, received: ReceivedRecord): Promise<ApplyOutcome> {
  if (!received.ok) {
    const recordId = recordIdOf(received.raw) ?? randomUUID();
    await hold(tx, recordId, { reason: "invalid", message: received.message }, received.raw, null);
    return { outcome: "held", recordId, reason: "invalid", message: received.message };
  }
  const record = received.record;
  if (record.type === "media-set-joined") {
    const known = await tx`select 1 from catalog.applied_records where record_id = ${record.recordId}`;
    if (known.length > 0) return { outcome: "duplicate", recordId: record.recordId };
    const problem = await joinMediaSet(tx, record);
    if (problem) {
      await hold(tx, record.recordId, problem, record, record);
      return { outcome: "held", recordId: record.recordId, ...problem };
    }
    await markApplied(tx, record);
    const released = await releaseHeld(tx, record);
    return { outcome: "applied", recordId: record.recordId, released };
  }
  const problem = await applyArchive(tx, record);
  if (problem === "duplicate") return { outcome: "duplicate", recordId: record.recordId };
  if (problem) {
    await hold(tx, record.recordId, problem, record, record);
    return { outcome: "held", recordId: record.recordId, ...problem };
  }
  // applyArchive recorded the id with its changes.
  return { outcome: "applied", recordId: record.recordId, released: 0 };
}

/** jsonb arrives as text: drizzle switches postgres.js's JSON parsers off on the shared client. */
export function jsonValue(v: unknown): unknown {
  return typeof v === "string" ? JSON.parse(v) : v;
}

function recordIdOf(raw: unknown): string | undefined {
  const id = (raw as { recordId?: unknown } | null)?.recordId;
  return typeof id === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.toLowerCase() : undefined;
}

async function markApplied(tx: Tx, r: CatalogRecord): Promise<void> {
  await tx`
    with released as (delete from catalog.held_records where record_id = ${r.recordId})
    insert into catalog.applied_records (record_id, media_uuid) values (${r.recordId}, ${r.mediaUuid}) on conflict do nothing`;
}

async function hold(tx: Tx, recordId: string, h: Hold, raw: unknown, r: CatalogRecord | null): Promise<void> {
  await tx`
    insert into catalog.held_records (record_id, reason, message, media_uuid, media_set_uuid, seq_nr, record, received_at)
    values (${recordId}, ${h.reason}, ${h.message}, ${r?.mediaUuid ?? null}, ${r?.mediaSetUuid ?? null}, ${r?.seqNr ?? null}, ${JSON.stringify(raw)}::jsonb, clock_timestamp())
    on conflict (record_id) do update set reason = excluded.reason, message = excluded.message`;
}

/** Records held because their tape had not joined this set: applied now, in arrival order. */
async function releaseHeld(tx: Tx, joined: CatalogMediaSetJoinedRecord): Promise<number> {
  const rows = await tx<{ record: unknown }[]>`
    select record from catalog.held_records
    where media_uuid = ${joined.mediaUuid} and media_set_uuid = ${joined.mediaSetUuid} and reason = 'not-a-member'
    order by received_at, record_id`;
  let released = 0;
  for (const row of rows) {
    const received = receiveRecord(jsonValue(row.record));
    if (!received.ok || received.record.type !== "archive") continue;
    const r = await applyOne(tx, received);
    if (r.outcome === "applied") released += 1;
  }
  return released;
}

/** A tape joins a set: the set is created or updated, the tape's earlier content is dropped (PBS overwrites its catalog). */
async function joinMediaSet(tx: Tx, r: CatalogMediaSetJoinedRecord): Promise<Hold | undefined> {
  const taken = await tx<{ media_uuid: string }[]>`
    select media_uuid from catalog.media_set_members where media_set_uuid = ${r.mediaSetUuid} and seq_nr = ${r.seqNr}`;
  if (taken[0] !== undefined && taken[0].media_uuid !== r.mediaUuid) {
    return { reason: "seq-nr-taken", message: `media set ${r.mediaSetUuid} already has tape ${taken[0].media_uuid} at seq nr ${r.seqNr}` };
  }
  await tx`
    insert into catalog.media_sets (uuid, pool, ctime, encryption_key_fingerprint, name)
    values (${r.mediaSetUuid}, ${r.pool}, ${r.mediaSetCtime}, ${r.encryptionKeyFingerprint ?? null}, ${r.mediaSetName ?? null})
    on conflict (uuid) do update set
      name = coalesce(excluded.name, catalog.media_sets.name),
      encryption_key_fingerprint = coalesce(excluded.encryption_key_fingerprint, catalog.media_sets.encryption_key_fingerprint)`;
  await resetMedia(tx, r.mediaUuid);
  await tx`
    insert into catalog.media_set_members (media_set_uuid, seq_nr, media_uuid, label_text, joined_at)
    values (${r.mediaSetUuid}, ${r.seqNr}, ${r.mediaUuid}, ${r.labelText}, ${r.joinedAt})`;
  return undefined;
}

/** Drops everything the catalog holds of one tape; returns what was dropped. */
export async function resetMedia(tx: Tx, mediaUuid: string): Promise<{ archives: number; snapshots: number; chunks: number; member: boolean }> {
  await flushDigests(tx);
  const ids = (await tx<{ id: string }[]>`select id from catalog.archives where media_uuid = ${mediaUuid}`).map((r) => r.id);
  let chunks = 0;
  let snapshots = 0;
  if (ids.length > 0) {
    // An explicit id list lets the planner use the BRIN index on chunks.archive_id.
    chunks = (await tx`delete from catalog.chunks where archive_id = any(${tx.array(ids)}::bigint[])`).count;
    snapshots = (await tx`delete from catalog.snapshots where archive_id = any(${tx.array(ids)}::bigint[])`).count;
  }
  const archives = await tx`delete from catalog.archives where media_uuid = ${mediaUuid}`;
  const member = await tx`delete from catalog.media_set_members where media_uuid = ${mediaUuid}`;
  return { archives: archives.count, snapshots, chunks, member: member.count > 0 };
}

async function applyArchive(tx: Tx, r: CatalogArchiveRecord): Promise<Hold | "duplicate" | undefined> {
  // One round trip: whether the record is known, the tape's membership and what its file already holds.
  const [state] = await tx<{ known: boolean; media_set_uuid: string | null; seq_nr: number | null; id: string | null; archive_uuid: string | null; kind: string | null; incomplete: boolean | null; chunk_count: number | null }[]>`
    select exists (select 1 from catalog.applied_records where record_id = ${r.recordId}) as known,
      m.media_set_uuid, m.seq_nr, a.id, a.archive_uuid, a.kind, a.incomplete, a.chunk_count
    from (select 1) one
    left join catalog.media_set_members m on m.media_uuid = ${r.mediaUuid}
    left join catalog.archives a on a.media_uuid = ${r.mediaUuid} and a.file_number = ${r.fileNumber}`;
  if (state?.known) return "duplicate";
  if (state === undefined || state.media_set_uuid !== r.mediaSetUuid || state.seq_nr !== r.seqNr) {
    const now = state?.media_set_uuid == null ? "is in no media set" : `is in media set ${state.media_set_uuid} at seq nr ${state.seq_nr}`;
    return { reason: "not-a-member", message: `tape ${r.mediaUuid} ${now}, not in ${r.mediaSetUuid} at seq nr ${r.seqNr}` };
  }
  const incomplete = r.incomplete === true;
  const digests = r.kind === "chunk-archive" ? (r.digests ?? []) : [];
  if (state.id !== null) {
    if (state.archive_uuid !== r.archiveUuid || state.kind !== r.kind) {
      return { reason: "conflict", message: `file ${r.fileNumber} of tape ${r.mediaUuid} already holds ${state.kind} ${state.archive_uuid}` };
    }
    // Another part of the same archive: its digests follow; the archive is incomplete when any part says so.
    const archiveId = Number(state.id);
    if (digests.length > 0) await insertDigests(tx, archiveId, digests, state.chunk_count ?? 0);
    await tx`
      update catalog.archives set
        chunk_count = chunk_count + ${digests.length},
        incomplete = incomplete or ${incomplete},
        bytes = coalesce(${r.bytes ?? null}::bigint, bytes)
      where id = ${archiveId}`;
    if (incomplete && state.incomplete === false) await tx`delete from catalog.snapshots where archive_id = ${archiveId}`;
    await markApplied(tx, r);
    return undefined;
  }
  const snap = r.kind === "snapshot-archive" && !incomplete ? parseSnapshotPath(r.snapshot!) : undefined;
  if (typeof snap === "string") return { reason: "invalid", message: `snapshot: ${snap}` };
  // The archive and the record's id in one round trip.
  const inserted = await tx<{ id: string }[]>`
    with applied as (
      insert into catalog.applied_records (record_id, media_uuid) values (${r.recordId}, ${r.mediaUuid}) on conflict do nothing
    ), released as (
      delete from catalog.held_records where record_id = ${r.recordId}
    )
    insert into catalog.archives (media_set_uuid, media_uuid, file_number, kind, store, snapshot, archive_uuid, incomplete, chunk_count, bytes, committed_at)
    values (${r.mediaSetUuid}, ${r.mediaUuid}, ${r.fileNumber}, ${r.kind}, ${r.store ?? null}, ${r.snapshot ?? null}, ${r.archiveUuid}, ${incomplete}, ${digests.length}, ${r.bytes ?? null}, ${r.committedAt})
    returning id`;
  const archiveId = Number(inserted[0]!.id);
  if (snap !== undefined) {
    await tx`
      insert into catalog.snapshots (archive_id, media_set_uuid, store, snapshot, namespace, backup_type, backup_id, backup_time)
      values (${archiveId}, ${r.mediaSetUuid}, ${r.store!}, ${r.snapshot!}, ${snap.namespace}, ${snap.type}, ${snap.id}, ${snap.time})`;
  }
  if (digests.length > 0) await insertDigests(tx, archiveId, digests, 0);
  return undefined;
}

/**
 * Queues one archive's digests for the bulk insert: every digest of a batch
 * goes in one statement with one hex parameter, decoded once (materialized:
 * inlined, it would be decoded again for every row) and split in SQL (no
 * per-row parameters, no per-row round trips).
 */
export async function insertDigests(tx: Tx, archiveId: number, digestsHex: readonly string[], firstOrd: number): Promise<void> {
  const p = pending(tx);
  p.spans.push({ archiveId, firstOrd, hex: digestsHex as string[] });
  p.count += digestsHex.length;
  if (p.count >= FLUSH_DIGESTS) await flushDigests(tx);
}

/** Runs `applyRecords` in a transaction; on a database error, each record alone, holding the ones that fail. */
export async function ingestBatch(sql: Sql, records: ReceivedRecord[], logger?: Logger): Promise<ApplyOutcome[]> {
  try {
    return await sql.begin((tx) => applyRecords(tx as unknown as Sql, records));
  } catch (err) {
    if (records.length === 1) {
      const r = records[0]!;
      const recordId = r.ok ? r.record.recordId : (recordIdOf(r.raw) ?? randomUUID());
      const message = `database refused the record: ${(err as Error).message}`;
      logger?.error({ err, recordId }, "catalog record failed");
      await sql.begin((tx) => hold(tx as unknown as Sql, recordId, { reason: "failed", message }, r.ok ? r.record : r.raw, r.ok ? r.record : null));
      return [{ outcome: "held", recordId, reason: "failed", message }];
    }
    logger?.warn({ err, records: records.length }, "catalog batch failed; applying its records one by one");
    const out: ApplyOutcome[] = [];
    for (const r of records) out.push(...(await ingestBatch(sql, [r], logger)));
    return out;
  }
}
