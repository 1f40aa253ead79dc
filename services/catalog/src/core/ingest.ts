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
  return out;
}

async function applyOne(tx: Tx, received: ReceivedRecord): Promise<ApplyOutcome> {
  if (!received.ok) {
    const recordId = recordIdOf(received.raw) ?? randomUUID();
    await hold(tx, recordId, { reason: "invalid", message: received.message }, received.raw, null);
    return { outcome: "held", recordId, reason: "invalid", message: received.message };
  }
  const record = received.record;
  const known = await tx`select 1 from catalog.applied_records where record_id = ${record.recordId}`;
  if (known.length > 0) return { outcome: "duplicate", recordId: record.recordId };
  if (record.type === "media-set-joined") {
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
  if (problem) {
    await hold(tx, record.recordId, problem, record, record);
    return { outcome: "held", recordId: record.recordId, ...problem };
  }
  await markApplied(tx, record);
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
  await tx`insert into catalog.applied_records (record_id, media_uuid) values (${r.recordId}, ${r.mediaUuid}) on conflict do nothing`;
  await tx`delete from catalog.held_records where record_id = ${r.recordId}`;
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
  const chunks = await tx`delete from catalog.chunks where archive_id in (select id from catalog.archives where media_uuid = ${mediaUuid})`;
  const snaps = await tx`delete from catalog.snapshots where archive_id in (select id from catalog.archives where media_uuid = ${mediaUuid})`;
  const archives = await tx`delete from catalog.archives where media_uuid = ${mediaUuid}`;
  const member = await tx`delete from catalog.media_set_members where media_uuid = ${mediaUuid}`;
  return { archives: archives.count, snapshots: snaps.count, chunks: chunks.count, member: member.count > 0 };
}

async function applyArchive(tx: Tx, r: CatalogArchiveRecord): Promise<Hold | undefined> {
  const member = await tx<{ media_set_uuid: string; seq_nr: number }[]>`
    select media_set_uuid, seq_nr from catalog.media_set_members where media_uuid = ${r.mediaUuid}`;
  const m = member[0];
  if (m === undefined || m.media_set_uuid !== r.mediaSetUuid || m.seq_nr !== r.seqNr) {
    const now = m === undefined ? "is in no media set" : `is in media set ${m.media_set_uuid} at seq nr ${m.seq_nr}`;
    return { reason: "not-a-member", message: `tape ${r.mediaUuid} ${now}, not in ${r.mediaSetUuid} at seq nr ${r.seqNr}` };
  }
  const incomplete = r.incomplete === true;
  const existing = await tx<{ id: number; archive_uuid: string; kind: string; incomplete: boolean }[]>`
    select id, archive_uuid, kind, incomplete from catalog.archives where media_uuid = ${r.mediaUuid} and file_number = ${r.fileNumber}`;
  let archiveId: number;
  const prev = existing[0];
  if (prev !== undefined) {
    if (prev.archive_uuid !== r.archiveUuid || prev.kind !== r.kind) {
      return { reason: "conflict", message: `file ${r.fileNumber} of tape ${r.mediaUuid} already holds ${prev.kind} ${prev.archive_uuid}` };
    }
    archiveId = Number(prev.id);
    // Another part of the same archive: the archive is incomplete when any part says so.
    if (incomplete && !prev.incomplete) {
      await tx`update catalog.archives set incomplete = true where id = ${archiveId}`;
      await tx`delete from catalog.snapshots where archive_id = ${archiveId}`;
    }
    if (r.bytes !== undefined) await tx`update catalog.archives set bytes = ${r.bytes} where id = ${archiveId}`;
  } else {
    const snap = r.kind === "snapshot-archive" && !incomplete ? parseSnapshotPath(r.snapshot!) : undefined;
    if (typeof snap === "string") return { reason: "invalid", message: `snapshot: ${snap}` };
    const inserted = await tx<{ id: string }[]>`
      insert into catalog.archives (media_set_uuid, media_uuid, file_number, kind, store, snapshot, archive_uuid, incomplete, bytes, committed_at)
      values (${r.mediaSetUuid}, ${r.mediaUuid}, ${r.fileNumber}, ${r.kind}, ${r.store ?? null}, ${r.snapshot ?? null}, ${r.archiveUuid}, ${incomplete}, ${r.bytes ?? null}, ${r.committedAt})
      returning id`;
    archiveId = Number(inserted[0]!.id);
    if (snap !== undefined) {
      const p = snap;
      await tx`
        insert into catalog.snapshots (archive_id, media_set_uuid, store, snapshot, namespace, backup_type, backup_id, backup_time)
        values (${archiveId}, ${r.mediaSetUuid}, ${r.store!}, ${r.snapshot!}, ${p.namespace}, ${p.type}, ${p.id}, ${p.time})
        on conflict do nothing`;
    }
  }
  if (r.kind === "chunk-archive" && r.digests !== undefined && r.digests.length > 0) {
    const base = await tx<{ n: number }[]>`select chunk_count as n from catalog.archives where id = ${archiveId}`;
    const added = await insertDigests(tx, archiveId, r.digests, base[0]!.n);
    if (added > 0) await tx`update catalog.archives set chunk_count = chunk_count + ${added} where id = ${archiveId}`;
  }
  return undefined;
}

/**
 * Bulk insert of one archive's digests: one hex parameter, split in SQL
 * (no per-row parameters, no per-row round trips). Duplicates are skipped.
 */
export async function insertDigests(tx: Tx, archiveId: number, digestsHex: readonly string[], firstOrd: number): Promise<number> {
  const hex = digestsHex.join("");
  const res = await tx`
    insert into catalog.chunks (archive_id, digest, ord)
    select ${archiveId}::bigint, substring(b from i * 32 + 1 for 32), ${firstOrd}::int + i
    from (select decode(${hex}, 'hex') as b) x, generate_series(0, ${digestsHex.length - 1}) as i
    on conflict do nothing`;
  return res.count;
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
