import { randomUUID } from "node:crypto";
import { pipeline } from "node:stream/promises";
import {
  catalogRecord,
  fieldErrorsOf,
  parseSnapshotPath,
  type CatalogArchiveRecord,
  type CatalogHoldReason,
  type CatalogMediaSetJoinedRecord,
  type CatalogRecord,
  type SnapshotPath,
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

interface Hold {
  reason: CatalogHoldReason;
  message: string;
}

interface Membership {
  mediaSetUuid: string;
  seqNr: number;
}

interface ArchiveState {
  id: number;
  archiveUuid: string;
  kind: string;
  incomplete: boolean;
  chunkCount: number;
}

/** Most digests queued before they are written (bounds one statement's size). */
const FLUSH_DIGESTS = 262_144;

const fileKey = (mediaUuid: string, fileNumber: number) => `${mediaUuid}/${fileNumber}`;

/**
 * What one ingest transaction knows: the state its records need, read for the
 * whole batch in a few queries and kept current as records apply; the writes
 * that need no answer, pipelined; the digests, queued for one bulk insert.
 */
class Batch {
  readonly known = new Set<string>();
  /** Record ids whose applied state was read by `prefetch`. */
  private readonly covered = new Set<string>();
  readonly members = new Map<string, Membership | null>();
  readonly archives = new Map<string, ArchiveState | null>();
  private ids: number[] = [];
  private writes: Promise<unknown>[] = [];
  /** New archives, their snapshots and the ids of the records applied: inserted in one statement each by settle(). */
  private newArchives: Array<{ id: number; r: CatalogArchiveRecord; incomplete: boolean; chunkCount: number }> = [];
  private newSnapshots: Array<{ archiveId: number; r: CatalogArchiveRecord; snap: SnapshotPath }> = [];
  private appliedIds: Array<{ recordId: string; mediaUuid: string }> = [];
  private spans: Array<{ archiveId: number; firstOrd: number; hex: readonly string[] }> = [];
  private queued = 0;

  constructor(readonly tx: Tx) {}

  /** Reads the state of every archive record of the batch: known ids, memberships, files, new archive ids. */
  async prefetch(records: ReceivedRecord[]): Promise<void> {
    const archives = records.flatMap((r) => (r.ok && r.record.type === "archive" ? [r.record] : []));
    if (archives.length === 0) return;
    const recordIds = archives.map((r) => r.recordId);
    const media = [...new Set(archives.map((r) => r.mediaUuid))];
    const tx = this.tx;
    const [known, members, files, ids] = await Promise.all([
      tx<{ record_id: string }[]>`select record_id from catalog.applied_records where record_id = any(${tx.array(recordIds)}::uuid[])`.execute(),
      tx<{ media_uuid: string; media_set_uuid: string; seq_nr: number }[]>`
        select media_uuid, media_set_uuid, seq_nr from catalog.media_set_members where media_uuid = any(${tx.array(media)}::uuid[])`.execute(),
      tx<{ media_uuid: string; file_number: number; id: string; archive_uuid: string; kind: string; incomplete: boolean; chunk_count: number }[]>`
        select a.media_uuid, a.file_number, a.id, a.archive_uuid, a.kind, a.incomplete, a.chunk_count
        from unnest(${tx.array(archives.map((r) => r.mediaUuid))}::uuid[], ${tx.array(archives.map((r) => r.fileNumber))}::int[]) as f(media_uuid, file_number)
        join catalog.archives a on a.media_uuid = f.media_uuid and a.file_number = f.file_number`.execute(),
      tx<{ id: string }[]>`select nextval(pg_get_serial_sequence('catalog.archives', 'id')) as id from generate_series(1, ${archives.length})`.execute(),
    ]);
    for (const id of recordIds) this.covered.add(id);
    for (const k of known) this.known.add(k.record_id);
    for (const m of media) this.members.set(m, null);
    for (const m of members) this.members.set(m.media_uuid, { mediaSetUuid: m.media_set_uuid, seqNr: m.seq_nr });
    for (const r of archives) this.archives.set(fileKey(r.mediaUuid, r.fileNumber), null);
    for (const f of files) {
      this.archives.set(fileKey(f.media_uuid, f.file_number), { id: Number(f.id), archiveUuid: f.archive_uuid, kind: f.kind, incomplete: f.incomplete, chunkCount: f.chunk_count });
    }
    this.ids = ids.map((r) => Number(r.id));
  }

  async isKnown(recordId: string): Promise<boolean> {
    if (this.known.has(recordId)) return true;
    if (this.covered.has(recordId)) return false;
    const rows = await this.tx`select 1 from catalog.applied_records where record_id = ${recordId}`;
    return rows.length > 0;
  }

  async member(mediaUuid: string): Promise<Membership | null> {
    const cached = this.members.get(mediaUuid);
    if (cached !== undefined) return cached;
    const [m] = await this.tx<{ media_set_uuid: string; seq_nr: number }[]>`
      select media_set_uuid, seq_nr from catalog.media_set_members where media_uuid = ${mediaUuid}`;
    const v = m === undefined ? null : { mediaSetUuid: m.media_set_uuid, seqNr: m.seq_nr };
    this.members.set(mediaUuid, v);
    return v;
  }

  async archive(mediaUuid: string, fileNumber: number): Promise<ArchiveState | null> {
    const key = fileKey(mediaUuid, fileNumber);
    const cached = this.archives.get(key);
    if (cached !== undefined) return cached;
    const [a] = await this.tx<{ id: string; archive_uuid: string; kind: string; incomplete: boolean; chunk_count: number }[]>`
      select id, archive_uuid, kind, incomplete, chunk_count from catalog.archives where media_uuid = ${mediaUuid} and file_number = ${fileNumber}`;
    const v = a === undefined ? null : { id: Number(a.id), archiveUuid: a.archive_uuid, kind: a.kind, incomplete: a.incomplete, chunkCount: a.chunk_count };
    this.archives.set(key, v);
    return v;
  }

  async newArchiveId(): Promise<number> {
    const id = this.ids.shift();
    if (id !== undefined) return id;
    const [r] = await this.tx<{ id: string }[]>`select nextval(pg_get_serial_sequence('catalog.archives', 'id')) as id`;
    return Number(r!.id);
  }

  /** A write whose answer nobody waits for: sent at once, checked at the end of the batch. */
  write(query: { execute(): Promise<unknown> }): void {
    const p = query.execute();
    p.catch(() => {}); // awaited (and its error thrown) in settle()
    this.writes.push(p);
  }

  /** A tape was reset (set join): forget what was read of it. */
  async forgetMedia(mediaUuid: string, now: Membership): Promise<void> {
    await this.settle();
    this.members.set(mediaUuid, now);
    for (const key of [...this.archives.keys()]) if (key.startsWith(`${mediaUuid}/`)) this.archives.delete(key);
  }

  queueDigests(archiveId: number, firstOrd: number, hex: readonly string[]): void {
    // Written by settle(): at the end of the batch, before a tape is reset, or once FLUSH_DIGESTS are queued.
    this.spans.push({ archiveId, firstOrd, hex });
    this.queued += hex.length;
  }

  /** Whether enough digests are queued to copy them now. */
  get full(): boolean {
    return this.queued >= FLUSH_DIGESTS;
  }

  /**
   * Queued digests: one COPY FROM STDIN for every archive of the batch (text
   * format, bytea as `\\x` + the hex the record carried: nothing to decode here).
   */
  private async flushDigests(): Promise<void> {
    if (this.spans.length === 0) return;
    const spans = this.spans;
    this.spans = [];
    this.queued = 0;
    const stream = await this.tx`copy catalog.chunks (archive_id, ord, digest) from stdin`.writable();
    const lines = async function* () {
      for (const span of spans) {
        let text = "";
        const prefix = `${span.archiveId}\t`;
        for (let i = 0; i < span.hex.length; i++) {
          text += `${prefix}${span.firstOrd + i}\t\\\\x${span.hex[i]}\n`;
          if (text.length >= 1 << 20) {
            yield text;
            text = "";
          }
        }
        if (text.length > 0) yield text;
      }
    };
    await pipeline(lines, stream);
  }

  /** Waits for every pipelined write (throws the first error), then copies the queued digests. */
  async settle(): Promise<void> {
    this.flushRows();
    const writes = this.writes;
    this.writes = [];
    await Promise.all(writes);
    await this.flushDigests();
  }

  addArchive(id: number, r: CatalogArchiveRecord, incomplete: boolean, chunkCount: number, snap: SnapshotPath | undefined): void {
    this.newArchives.push({ id, r, incomplete, chunkCount });
    if (snap !== undefined) this.newSnapshots.push({ archiveId: id, r, snap });
  }

  /** Adds a further part to an archive inserted by this batch but not yet written; false when it is already in the table. */
  extendPending(id: number, r: CatalogArchiveRecord, digests: number, incomplete: boolean): boolean {
    const a = this.newArchives.find((x) => x.id === id);
    if (a === undefined) return false;
    a.chunkCount += digests;
    if (incomplete) {
      a.incomplete = true;
      this.newSnapshots = this.newSnapshots.filter((x) => x.archiveId !== id);
    }
    if (r.bytes !== undefined) a.r = { ...a.r, bytes: r.bytes };
    return true;
  }

  addApplied(r: CatalogRecord): void {
    this.appliedIds.push({ recordId: r.recordId, mediaUuid: r.mediaUuid });
  }

  /** The batch's new rows, one multi-row statement per table (sent pipelined, in order). */
  private flushRows(): void {
    const tx = this.tx;
    const a = this.newArchives;
    if (a.length > 0) {
      this.write(tx`
        insert into catalog.archives (id, media_set_uuid, media_uuid, file_number, kind, store, snapshot, archive_uuid, incomplete, chunk_count, bytes, committed_at)
        select * from unnest(
          ${tx.array(a.map((x) => x.id))}::bigint[], ${tx.array(a.map((x) => x.r.mediaSetUuid))}::uuid[], ${tx.array(a.map((x) => x.r.mediaUuid))}::uuid[],
          ${tx.array(a.map((x) => x.r.fileNumber))}::int[], ${tx.array(a.map((x) => x.r.kind))}::text[], ${tx.array(a.map((x) => x.r.store ?? null) as string[])}::text[],
          ${tx.array(a.map((x) => x.r.snapshot ?? null) as string[])}::text[], ${tx.array(a.map((x) => x.r.archiveUuid))}::uuid[], ${tx.array(a.map((x) => x.incomplete))}::bool[],
          ${tx.array(a.map((x) => x.chunkCount))}::int[], ${tx.array(a.map((x) => x.r.bytes ?? null) as number[])}::bigint[], ${tx.array(a.map((x) => x.r.committedAt))}::timestamptz[])`);
      this.newArchives = [];
    }
    const sn = this.newSnapshots;
    if (sn.length > 0) {
      this.write(tx`
        insert into catalog.snapshots (archive_id, media_set_uuid, store, snapshot, namespace, backup_type, backup_id, backup_time)
        select * from unnest(
          ${tx.array(sn.map((x) => x.archiveId))}::bigint[], ${tx.array(sn.map((x) => x.r.mediaSetUuid))}::uuid[], ${tx.array(sn.map((x) => x.r.store!))}::text[],
          ${tx.array(sn.map((x) => x.r.snapshot!))}::text[], ${tx.array(sn.map((x) => x.snap.namespace))}::text[], ${tx.array(sn.map((x) => x.snap.type))}::text[],
          ${tx.array(sn.map((x) => x.snap.id))}::text[], ${tx.array(sn.map((x) => x.snap.time))}::timestamptz[])`);
      this.newSnapshots = [];
    }
    const ap = this.appliedIds;
    if (ap.length > 0) {
      const ids = ap.map((x) => x.recordId);
      this.write(tx`delete from catalog.held_records where record_id = any(${tx.array(ids)}::uuid[])`);
      this.write(tx`
        insert into catalog.applied_records (record_id, media_uuid)
        select * from unnest(${tx.array(ids)}::uuid[], ${tx.array(ap.map((x) => x.mediaUuid))}::uuid[])
        on conflict do nothing`);
      this.appliedIds = [];
    }
  }
}

/** Digests ingested before the planner statistics of the chunk table are refreshed (at least). */
export const ANALYZE_MIN_DIGESTS = 100_000;

/**
 * Upkeep of the chunk table after ingest batches, outside their transactions:
 * the BRIN ranges the batches filled are summarized (reads of an archive's
 * digests then skip every other range), and the planner statistics are
 * refreshed once the table grew by a fifth (without them the planner scans
 * the whole table instead of the BRIN ranges; autovacuum may be off or late).
 */
export class ChunkUpkeep {
  private sinceAnalyze = 0;
  private rowsAtAnalyze: number | undefined;

  constructor(private readonly sql: Sql) {}

  async afterBatch(digests: number): Promise<void> {
    if (digests === 0) return;
    await this.sql`select brin_summarize_new_values('catalog.chunks_archive_brin_idx'::regclass)`;
    this.sinceAnalyze += digests;
    if (this.rowsAtAnalyze === undefined) this.rowsAtAnalyze = await this.estimatedRows();
    if (this.sinceAnalyze >= Math.max(ANALYZE_MIN_DIGESTS, this.rowsAtAnalyze / 5)) {
      await this.sql`analyze catalog.chunks`;
      await this.sql`analyze catalog.archives`;
      this.rowsAtAnalyze = await this.estimatedRows();
      this.sinceAnalyze = 0;
    }
  }

  private async estimatedRows(): Promise<number> {
    const [r] = await this.sql<{ n: number }[]>`select greatest(reltuples, 0)::float8 as n from pg_class where oid = 'catalog.chunks'::regclass`;
    return Number(r?.n ?? 0);
  }
}

/**
 * Applies records in order in one transaction (caller's), idempotently: a
 * record whose id is known changes nothing; one that cannot be applied is
 * kept in `held_records` with its reason. A tape joining a set releases the
 * records held for it.
 */
export async function applyRecords(tx: Tx, records: ReceivedRecord[]): Promise<ApplyOutcome[]> {
  await tx`select pg_advisory_xact_lock(${INGEST_LOCK_KEY})`;
  const batch = new Batch(tx);
  await batch.prefetch(records);
  const out: ApplyOutcome[] = [];
  for (const r of records) {
    out.push(await applyOne(batch, r));
    if (batch.full) await batch.settle();
  }
  await batch.settle();
  return out;
}

async function applyOne(batch: Batch, received: ReceivedRecord): Promise<ApplyOutcome> {
  const tx = batch.tx;
  if (!received.ok) {
    const recordId = recordIdOf(received.raw) ?? randomUUID();
    await hold(tx, recordId, { reason: "invalid", message: received.message }, received.raw, null);
    return { outcome: "held", recordId, reason: "invalid", message: received.message };
  }
  const record = received.record;
  if (record.type === "media-set-joined") {
    const known = await tx`select 1 from catalog.applied_records where record_id = ${record.recordId}`;
    if (known.length > 0) return { outcome: "duplicate", recordId: record.recordId };
    await batch.settle();
    const problem = await joinMediaSet(tx, record);
    if (problem) {
      await hold(tx, record.recordId, problem, record, record);
      return { outcome: "held", recordId: record.recordId, ...problem };
    }
    await batch.forgetMedia(record.mediaUuid, { mediaSetUuid: record.mediaSetUuid, seqNr: record.seqNr });
    await markApplied(tx, record);
    const released = await releaseHeld(batch, record);
    return { outcome: "applied", recordId: record.recordId, released };
  }
  if (await batch.isKnown(record.recordId)) return { outcome: "duplicate", recordId: record.recordId };
  const problem = await applyArchive(batch, record);
  if (problem) {
    await hold(tx, record.recordId, problem, record, record);
    return { outcome: "held", recordId: record.recordId, ...problem };
  }
  batch.known.add(record.recordId);
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

/** JSON text jsonb accepts: it has no NUL character, so `\u0000` becomes U+FFFD. */
function jsonbText(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replace(/\\u0000/g, "\\ufffd");
}

async function hold(tx: Tx, recordId: string, h: Hold, raw: unknown, r: CatalogRecord | null): Promise<void> {
  await tx`
    insert into catalog.held_records (record_id, reason, message, media_uuid, media_set_uuid, seq_nr, record, received_at)
    values (${recordId}, ${h.reason}, ${h.message}, ${r?.mediaUuid ?? null}, ${r?.mediaSetUuid ?? null}, ${r?.seqNr ?? null}, ${jsonbText(raw)}::jsonb, clock_timestamp())
    on conflict (record_id) do update set reason = excluded.reason, message = excluded.message`;
}

/** Records held because their tape had not joined this set: applied now, in arrival order. */
async function releaseHeld(batch: Batch, joined: CatalogMediaSetJoinedRecord): Promise<number> {
  const rows = await batch.tx<{ record: unknown }[]>`
    select record from catalog.held_records
    where media_uuid = ${joined.mediaUuid} and media_set_uuid = ${joined.mediaSetUuid} and reason = 'not-a-member'
    order by received_at, record_id`;
  let released = 0;
  for (const row of rows) {
    const received = receiveRecord(jsonValue(row.record));
    if (!received.ok || received.record.type !== "archive") continue;
    const r = await applyOne(batch, received);
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

async function applyArchive(batch: Batch, r: CatalogArchiveRecord): Promise<Hold | undefined> {
  const tx = batch.tx;
  const m = await batch.member(r.mediaUuid);
  if (m === null || m.mediaSetUuid !== r.mediaSetUuid || m.seqNr !== r.seqNr) {
    const now = m === null ? "is in no media set" : `is in media set ${m.mediaSetUuid} at seq nr ${m.seqNr}`;
    return { reason: "not-a-member", message: `tape ${r.mediaUuid} ${now}, not in ${r.mediaSetUuid} at seq nr ${r.seqNr}` };
  }
  const incomplete = r.incomplete === true;
  const digests = r.kind === "chunk-archive" ? (r.digests ?? []) : [];
  const prev = await batch.archive(r.mediaUuid, r.fileNumber);
  if (prev !== null) {
    if (prev.archiveUuid !== r.archiveUuid || prev.kind !== r.kind) {
      return { reason: "conflict", message: `file ${r.fileNumber} of tape ${r.mediaUuid} already holds ${prev.kind} ${prev.archiveUuid}` };
    }
    // Another part of the same archive: its digests follow; the archive is incomplete when any part says so.
    if (digests.length > 0) batch.queueDigests(prev.id, prev.chunkCount, digests);
    batch.addApplied(r);
    if (batch.extendPending(prev.id, r, digests.length, incomplete)) {
      prev.chunkCount += digests.length;
      prev.incomplete ||= incomplete;
      return undefined;
    }
    batch.write(tx`
      update catalog.archives set
        chunk_count = chunk_count + ${digests.length},
        incomplete = incomplete or ${incomplete},
        bytes = coalesce(${r.bytes ?? null}::bigint, bytes)
      where id = ${prev.id}`);
    if (incomplete && !prev.incomplete) batch.write(tx`delete from catalog.snapshots where archive_id = ${prev.id}`);
    prev.chunkCount += digests.length;
    prev.incomplete ||= incomplete;
    return undefined;
  }
  const snap = r.kind === "snapshot-archive" && !incomplete ? parseSnapshotPath(r.snapshot!) : undefined;
  if (typeof snap === "string") return { reason: "invalid", message: `snapshot: ${snap}` };
  const id = await batch.newArchiveId();
  batch.addArchive(id, r, incomplete, digests.length, snap);
  batch.addApplied(r);
  batch.archives.set(fileKey(r.mediaUuid, r.fileNumber), { id, archiveUuid: r.archiveUuid, kind: r.kind, incomplete, chunkCount: digests.length });
  if (digests.length > 0) batch.queueDigests(id, 0, digests);
  return undefined;
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
