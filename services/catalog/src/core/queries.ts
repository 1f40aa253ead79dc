import type {
  CatalogDigestsPage,
  CatalogDigestsRequest,
  CatalogHeldRecord,
  CatalogHoldReason,
  CatalogMediaContentEntry,
  CatalogMediaContentRequest,
  CatalogMediaFile,
  CatalogMediaSummary,
  CatalogRestoreFile,
  CatalogRestorePlan,
  CatalogRestorePlanRequest,
  CatalogRestoreTape,
  CatalogSnapshotLocation,
  CatalogArchiveKind,
} from "@tapefleet/api-types";
import { CATALOG_DIGEST_PAGE_MAX } from "@tapefleet/api-types";
import { NotFoundError, type Sql } from "@tapefleet/common";
import { INGEST_LOCK_KEY, jsonValue, resetMedia } from "./ingest.ts";

/** Timestamps arrive as strings: drizzle switches postgres.js's timestamp parsers off on the shared client. */
const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v.includes("T") ? v : `${v.replace(" ", "T")}${/[+-]\d\d$/.test(v) ? ":00" : ""}`));
const epoch = (d: Date | string): number => Math.floor(toDate(d).getTime() / 1000);

/** Rows of PBS `media content`: the complete snapshot archives, filtered. */
export async function mediaContent(sql: Sql, f: CatalogMediaContentRequest): Promise<CatalogMediaContentEntry[]> {
  const snapshotFilter =
    f.snapshot === undefined ? sql`` : sql`and (s.snapshot = ${f.snapshot} or s.snapshot like ${escapeLike(f.snapshot.replace(/\/+$/, "")) + "/%"})`;
  const rows = await sql<
    { label_text: string; media_uuid: string; pool: string; name: string | null; set_uuid: string; ctime: Date | string; seq_nr: number; snapshot: string; backup_time: Date | string; store: string }[]
  >`
    select m.label_text, m.media_uuid, ms.pool, ms.name, ms.uuid as set_uuid, ms.ctime, m.seq_nr, s.snapshot, s.backup_time, s.store
    from catalog.snapshots s
    join catalog.archives a on a.id = s.archive_id
    join catalog.media_set_members m on m.media_uuid = a.media_uuid
    join catalog.media_sets ms on ms.uuid = m.media_set_uuid
    where true
      ${f["label-text"] === undefined ? sql`` : sql`and m.label_text = ${f["label-text"]}`}
      ${f.pool === undefined ? sql`` : sql`and ms.pool = ${f.pool}`}
      ${f["media-set-uuid"] === undefined ? sql`` : sql`and ms.uuid = ${f["media-set-uuid"]}`}
      ${f["media-set-name"] === undefined ? sql`` : sql`and coalesce(ms.name, ms.uuid::text) = ${f["media-set-name"]}`}
      ${f["seq-nr"] === undefined ? sql`` : sql`and m.seq_nr = ${f["seq-nr"]}`}
      ${f.store === undefined ? sql`` : sql`and s.store = ${f.store}`}
      ${snapshotFilter}
    order by ms.ctime, ms.uuid, m.seq_nr, a.file_number`;
  return rows.map((r) => ({
    "label-text": r.label_text,
    uuid: r.media_uuid,
    pool: r.pool,
    "media-set-name": r.name ?? r.set_uuid,
    "media-set-uuid": r.set_uuid,
    "media-set-ctime": epoch(r.ctime),
    "seq-nr": r.seq_nr,
    snapshot: r.snapshot,
    "backup-time": epoch(r.backup_time),
    store: r.store,
  }));
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The complete snapshots of a media set with the tape file holding each. */
export async function mediaSetSnapshots(sql: Sql, req: { mediaSetUuid: string; store?: string | undefined }): Promise<CatalogSnapshotLocation[]> {
  const rows = await sql<{ store: string; snapshot: string; namespace: string; media_uuid: string; label_text: string; seq_nr: number; file_number: number }[]>`
    select s.store, s.snapshot, s.namespace, a.media_uuid, m.label_text, m.seq_nr, a.file_number
    from catalog.snapshots s
    join catalog.archives a on a.id = s.archive_id
    join catalog.media_set_members m on m.media_uuid = a.media_uuid
    where s.media_set_uuid = ${req.mediaSetUuid} ${req.store === undefined ? sql`` : sql`and s.store = ${req.store}`}
    order by m.seq_nr, a.file_number`;
  return rows.map((r) => ({
    store: r.store,
    snapshot: r.snapshot,
    namespace: r.namespace,
    mediaUuid: r.media_uuid,
    labelText: r.label_text,
    seqNr: r.seq_nr,
    fileNumber: r.file_number,
  }));
}

/**
 * Which tapes a selective restore reads and in which order (reference §12.3):
 * the snapshot archives of the requested snapshots plus the chunk archives
 * holding the needed digests, grouped per tape, tapes by seq nr, files ascending.
 */
export async function restorePlan(sql: Sql, req: CatalogRestorePlanRequest): Promise<CatalogRestorePlan> {
  const set = await sql`select 1 from catalog.media_sets where uuid = ${req.mediaSetUuid}`;
  if (set.length === 0) throw new NotFoundError("media set", req.mediaSetUuid);
  const specs = [...new Set(req.snapshots)];
  const stores = specs.map((s) => s.slice(0, s.indexOf(":")));
  const paths = specs.map((s) => s.slice(s.indexOf(":") + 1));
  const tapes = new Map<string, CatalogRestoreTape>();
  const fileOf = new Map<string, CatalogRestoreFile>();
  const tapeOf = (mediaUuid: string, labelText: string, seqNr: number): CatalogRestoreTape => {
    let t = tapes.get(mediaUuid);
    if (t === undefined) {
      t = { mediaUuid, labelText, seqNr, files: [] };
      tapes.set(mediaUuid, t);
    }
    return t;
  };
  const found = new Set<string>();
  if (specs.length > 0) {
    const rows = await sql<{ store: string; snapshot: string; media_uuid: string; label_text: string; seq_nr: number; file_number: number }[]>`
      select s.store, s.snapshot, a.media_uuid, m.label_text, m.seq_nr, a.file_number
      from unnest(${sql.array(stores)}::text[], ${sql.array(paths)}::text[]) as want(store, snapshot)
      join catalog.snapshots s on s.media_set_uuid = ${req.mediaSetUuid} and s.store = want.store and s.snapshot = want.snapshot
      join catalog.archives a on a.id = s.archive_id
      join catalog.media_set_members m on m.media_uuid = a.media_uuid`;
    for (const r of rows) {
      const spec = `${r.store}:${r.snapshot}`;
      if (found.has(spec)) continue;
      found.add(spec);
      const file: CatalogRestoreFile = { fileNumber: r.file_number, kind: "snapshot-archive", store: r.store, snapshot: spec };
      tapeOf(r.media_uuid, r.label_text, r.seq_nr).files.push(file);
    }
  }
  const missingDigests: Record<string, string[]> = {};
  for (const [store, list] of Object.entries(req.digests ?? {})) {
    const wanted = [...new Set(list.map((d) => d.toLowerCase()))];
    if (wanted.length === 0) continue;
    // The set's chunk archives of this store, then their digests (BRIN on archive_id) joined with the wanted ones.
    const archs = await sql<{ id: string; media_uuid: string; label_text: string; seq_nr: number; file_number: number }[]>`
      select a.id, a.media_uuid, m.label_text, m.seq_nr, a.file_number
      from catalog.archives a join catalog.media_set_members m on m.media_uuid = a.media_uuid
      where a.media_set_uuid = ${req.mediaSetUuid} and a.store = ${store} and a.kind = 'chunk-archive'`;
    const byId = new Map(archs.map((a) => [String(a.id), a]));
    const hits =
      archs.length === 0
        ? []
        : await sql<{ digest: string; archive_id: string }[]>`
      with x as materialized (select decode(${wanted.join("")}, 'hex') as b),
      w as materialized (select substring(b from i * 32 + 1 for 32) as digest from x, generate_series(0, ${wanted.length - 1}) i)
      select encode(c.digest, 'hex') as digest, c.archive_id
      from catalog.chunks c join w on w.digest = c.digest
      where c.archive_id = any(${sql.array(archs.map((a) => a.id))}::bigint[])`;
    // A digest held by several archives (a chunk rewritten after LEOM): the first tape, the first file.
    const best = new Map<string, { media_uuid: string; label_text: string; seq_nr: number; file_number: number }>();
    for (const hit of hits) {
      const a = byId.get(String(hit.archive_id))!;
      const prev = best.get(hit.digest);
      if (prev === undefined || a.seq_nr < prev.seq_nr || (a.seq_nr === prev.seq_nr && a.file_number < prev.file_number)) best.set(hit.digest, a);
    }
    const rows = [...best].map(([digest, a]) => ({ digest, ...a }));
    const have = new Set<string>();
    for (const r of rows) {
      have.add(r.digest);
      const key = `${r.media_uuid}/${r.file_number}`;
      let file = fileOf.get(key);
      if (file === undefined) {
        file = { fileNumber: r.file_number, kind: "chunk-archive", store, chunks: 0 };
        fileOf.set(key, file);
        tapeOf(r.media_uuid, r.label_text, r.seq_nr).files.push(file);
      }
      file.chunks = (file.chunks ?? 0) + 1;
    }
    const missing = wanted.filter((d) => !have.has(d));
    if (missing.length > 0) missingDigests[store] = missing;
  }
  const ordered = [...tapes.values()].sort((a, b) => a.seqNr - b.seqNr);
  for (const t of ordered) t.files.sort((a, b) => a.fileNumber - b.fileNumber);
  return { mediaSetUuid: req.mediaSetUuid, tapes: ordered, missingSnapshots: specs.filter((s) => !found.has(s)), missingDigests };
}

/**
 * One page of a media set's digests for one store, archive by archive in
 * write order (cursor: archive id and position). Only the archives the page
 * needs are read (BRIN on archive_id).
 */
export async function mediaSetDigests(sql: Sql, req: CatalogDigestsRequest): Promise<CatalogDigestsPage> {
  const limit = req.limit ?? CATALOG_DIGEST_PAGE_MAX;
  let afterId = 0;
  let afterOrd = -1;
  if (req.after !== undefined) {
    const [id, ord] = req.after.split(":") as [string, string];
    afterId = Number(id);
    afterOrd = Number(ord);
  }
  const archs = await sql<{ id: string; chunk_count: number }[]>`
    select id, chunk_count from catalog.archives
    where media_set_uuid = ${req.mediaSetUuid} and store = ${req.store} and kind = 'chunk-archive' and id >= ${afterId} and chunk_count > 0
    order by id`;
  const chosen: string[] = [];
  let rowsAhead = 0;
  for (const a of archs) {
    if (rowsAhead >= limit) break;
    chosen.push(a.id);
    rowsAhead += Number(a.id) === afterId ? a.chunk_count - afterOrd - 1 : a.chunk_count;
  }
  if (chosen.length === 0) return { digests: "", count: 0 };
  // One bytea per page (not one row per digest): the client-side cost stays per page.
  const [page] = await sql<{ blob: Buffer | null; n: string; last: string | null }[]>`
    with page as (
      select archive_id, ord, digest from catalog.chunks
      where archive_id = any(${sql.array(chosen)}::bigint[]) and (archive_id, ord) > (${afterId}::bigint, ${afterOrd}::int)
      order by archive_id, ord
      limit ${limit}
    )
    select string_agg(digest, ''::bytea order by archive_id, ord) as blob, count(*) as n,
      (select archive_id || ':' || ord from page order by archive_id desc, ord desc limit 1) as last
    from page`;
  const count = Number(page?.n ?? 0);
  return {
    digests: page?.blob ? page.blob.toString("base64") : "",
    count,
    ...(count === limit && page?.last ? { next: page.last } : {}),
  };
}

/** Per-tape summary of what the catalog holds. */
export async function mediaList(sql: Sql, req: { pool?: string | undefined; mediaSetUuid?: string | undefined; mediaUuids?: string[] | undefined }): Promise<CatalogMediaSummary[]> {
  const rows = await sql<
    {
      media_uuid: string; label_text: string; pool: string; set_uuid: string; name: string | null; seq_nr: number;
      archives: string; incomplete: string; snapshots: string; chunks: string | null; bytes: string | null; unknown_bytes: string; last_file: number | null; files: number[];
    }[]
  >`
    select m.media_uuid, m.label_text, ms.pool, ms.uuid as set_uuid, ms.name, m.seq_nr,
      count(a.id) as archives,
      count(a.id) filter (where a.incomplete) as incomplete,
      count(s.archive_id) as snapshots,
      sum(a.chunk_count) as chunks,
      sum(a.bytes) as bytes,
      count(a.id) filter (where a.bytes is null and a.kind not in ('media-label', 'media-set-label')) as unknown_bytes,
      max(a.file_number) as last_file,
      array_remove(array_agg(a.file_number), null) as files
    from catalog.media_set_members m
    join catalog.media_sets ms on ms.uuid = m.media_set_uuid
    left join catalog.archives a on a.media_uuid = m.media_uuid
    left join catalog.snapshots s on s.archive_id = a.id
    where true
      ${req.pool === undefined ? sql`` : sql`and ms.pool = ${req.pool}`}
      ${req.mediaSetUuid === undefined ? sql`` : sql`and ms.uuid = ${req.mediaSetUuid}`}
      ${req.mediaUuids === undefined ? sql`` : sql`and m.media_uuid = any(${sql.array(req.mediaUuids)}::uuid[])`}
    group by m.media_uuid, m.label_text, ms.pool, ms.uuid, ms.name, m.seq_nr, ms.ctime
    order by ms.ctime, ms.uuid, m.seq_nr`;
  return rows.map((r) => ({
    mediaUuid: r.media_uuid,
    labelText: r.label_text,
    pool: r.pool,
    mediaSetUuid: r.set_uuid,
    mediaSetName: r.name ?? r.set_uuid,
    seqNr: r.seq_nr,
    archives: Number(r.archives),
    incomplete: Number(r.incomplete),
    snapshots: Number(r.snapshots),
    chunks: Number(r.chunks ?? 0),
    bytes: r.bytes === null ? null : Number(r.bytes),
    bytesComplete: Number(r.unknown_bytes) === 0,
    lastFileNumber: r.last_file,
    missingFiles: missingFiles(r.files, r.last_file),
  }));
}

/** Most missing file numbers listed per tape. */
const MAX_MISSING_FILES = 100;

function missingFiles(files: number[], last: number | null): number[] {
  if (last === null) return [];
  const have = new Set(files.map(Number));
  const out: number[] = [];
  for (let f = 0; f < last && out.length < MAX_MISSING_FILES; f++) if (!have.has(f)) out.push(f);
  return out;
}

/** The files recorded on one tape, ascending. */
export async function mediaFiles(sql: Sql, mediaUuid: string): Promise<CatalogMediaFile[]> {
  const member = await sql`select 1 from catalog.media_set_members where media_uuid = ${mediaUuid}`;
  if (member.length === 0) throw new NotFoundError("tape in the catalog", mediaUuid);
  const rows = await sql<
    { file_number: number; kind: CatalogArchiveKind; archive_uuid: string; store: string | null; snapshot: string | null; incomplete: boolean; chunk_count: number; bytes: string | null; committed_at: Date | string }[]
  >`
    select file_number, kind, archive_uuid, store, snapshot, incomplete, chunk_count, bytes, committed_at
    from catalog.archives where media_uuid = ${mediaUuid} order by file_number`;
  return rows.map((r) => ({
    fileNumber: r.file_number,
    kind: r.kind,
    archiveUuid: r.archive_uuid,
    store: r.store,
    snapshot: r.snapshot,
    incomplete: r.incomplete,
    chunks: r.chunk_count,
    bytes: r.bytes === null ? null : Number(r.bytes),
    committedAt: toDate(r.committed_at).toISOString(),
  }));
}

/** Drops a tape's catalog (formatted or removed from the inventory). Serialized with ingest. */
export async function forgetMedia(sql: Sql, mediaUuid: string): Promise<{ mediaUuid: string; archives: number; snapshots: number; chunks: number; member: boolean }> {
  return sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    await t`select pg_advisory_xact_lock(${INGEST_LOCK_KEY})`;
    const r = await resetMedia(t, mediaUuid);
    await t`delete from catalog.held_records where media_uuid = ${mediaUuid}`;
    return { mediaUuid, ...r };
  });
}

/** Records kept because they could not be applied, oldest first. */
export async function heldRecords(sql: Sql, limit = 1000): Promise<CatalogHeldRecord[]> {
  const rows = await sql<{ record_id: string; reason: CatalogHoldReason; message: string; media_uuid: string | null; media_set_uuid: string | null; record: unknown; received_at: Date | string }[]>`
    select record_id, reason, message, media_uuid, media_set_uuid, record, received_at from catalog.held_records order by received_at, record_id limit ${limit}`;
  return rows.map((r) => ({
    recordId: r.record_id,
    reason: r.reason,
    message: r.message,
    mediaUuid: r.media_uuid,
    mediaSetUuid: r.media_set_uuid,
    record: jsonValue(r.record),
    receivedAt: toDate(r.received_at).toISOString(),
  }));
}

