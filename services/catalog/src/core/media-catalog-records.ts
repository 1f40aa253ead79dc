import { randomUUID } from "node:crypto";
import {
  CATALOG_MAX_DIGESTS_PER_RECORD,
  CATALOG_MEDIA_CATALOG_PAGE_MAX,
  catalogRecord,
  type CatalogMediaCatalogPage,
  type CatalogMediaCatalogRequest,
  type CatalogArchiveRecord,
  type CatalogMediaSetJoinedRecord,
  type CatalogRecord,
} from "@tapefleet/api-types";
import { NotFoundError, type Sql } from "@tapefleet/common";
import { decodeCatalogRecord, encodeCatalogRecord, MediaCatalog, TapeFormatError } from "@tapefleet/tape-format";

/** The tape a media catalog describes (from its labels / the catalog archive header). */
export interface MediaCatalogTape {
  mediaUuid: string;
  labelText: string;
  mediaSetUuid: string;
  seqNr: number;
  pool: string;
  /** Media set creation time (RFC 3339); defaults to `committedAt`. */
  mediaSetCtime?: string;
  mediaSetName?: string;
  /** Time stamped on the records (RFC 3339); defaults to now. */
  committedAt?: string;
  /** Record id generator (default: random UUIDs). */
  newRecordId?: () => string;
}

/**
 * Turns a PBS media catalog (`<uuid>.log`, as read from a catalog archive or
 * rebuilt by scanning a tape) into catalog records: the set join first (which
 * resets what the catalog knew of the tape), then the labels, then every
 * registered archive in file order. Chunk archives with more digests than one
 * record carries are split into several records of the same archive.
 * Throws `TapeFormatError` when the bytes are not a valid catalog of that tape.
 * @see reference §5.1, §5.5, §13.7
 */
export function catalogRecordsFromMediaCatalog(bytes: Uint8Array, tape: MediaCatalogTape): CatalogRecord[] {
  const catalog = MediaCatalog.load(bytes, { mediaUuid: tape.mediaUuid, mediaSetUuid: tape.mediaSetUuid, seqNr: tape.seqNr, requireMediaSetLabel: true });
  const committedAt = tape.committedAt ?? new Date().toISOString();
  const newId = tape.newRecordId ?? randomUUID;
  const base = { mediaUuid: tape.mediaUuid, labelText: tape.labelText, mediaSetUuid: tape.mediaSetUuid, seqNr: tape.seqNr, pool: tape.pool };
  const out: unknown[] = [];
  const joined: Omit<CatalogMediaSetJoinedRecord, "recordId"> & { recordId: string } = {
    type: "media-set-joined",
    recordId: newId(),
    ...base,
    mediaSetCtime: tape.mediaSetCtime ?? committedAt,
    ...(tape.mediaSetName === undefined ? {} : { mediaSetName: tape.mediaSetName }),
    joinedAt: committedAt,
  };
  out.push(joined);
  const archive = (fields: Omit<CatalogArchiveRecord, "type" | "recordId" | "mediaUuid" | "labelText" | "mediaSetUuid" | "seqNr" | "pool" | "committedAt">) =>
    out.push({ type: "archive", recordId: newId(), ...base, ...fields, committedAt });
  archive({ fileNumber: 0, kind: "media-label", archiveUuid: tape.mediaUuid });
  archive({ fileNumber: 1, kind: "media-set-label", archiveUuid: tape.mediaSetUuid });

  let open: { fileNumber: number; uuid: string; store: string; digests: string[]; parts: number } | undefined;
  const flushChunks = (final: boolean) => {
    if (open === undefined) return;
    if (open.digests.length === 0 && (!final || open.parts > 0)) return;
    archive({ fileNumber: open.fileNumber, kind: "chunk-archive", archiveUuid: open.uuid, store: open.store, digests: open.digests });
    open.parts += 1;
    open.digests = [];
  };
  let offset = 8;
  while (offset < catalog.byteLength) {
    const d = decodeCatalogRecord(bytes, offset);
    if (d === null) break;
    offset += d.length;
    const r = d.record;
    switch (r.type) {
      case "label":
        break;
      case "chunk-archive-start":
        open = { fileNumber: r.fileNumber, uuid: r.uuid, store: r.store, digests: [], parts: 0 };
        break;
      case "chunk":
        open!.digests.push(Buffer.from(r.digest).toString("hex"));
        if (open!.digests.length >= CATALOG_MAX_DIGESTS_PER_RECORD) flushChunks(false);
        break;
      case "chunk-archive-end":
        flushChunks(true);
        open = undefined;
        break;
      case "snapshot":
        archive({ fileNumber: r.fileNumber, kind: "snapshot-archive", archiveUuid: r.uuid, store: r.store, snapshot: r.snapshot });
        break;
    }
  }
  return out.map((value, i) => {
    const parsed = catalogRecord.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.map(String).join(".") || "record";
      throw new TapeFormatError("invalid-field", `media catalog entry ${i}: ${field}: ${issue?.message ?? "invalid"}`, { field });
    }
    return parsed.data;
  });
}

/** What the catalog knows of one tape, as needed to render its media catalog. */
export interface TapeContent {
  mediaUuid: string;
  mediaSetUuid: string;
  seqNr: number;
  /** Files in ascending order. */
  files: Array<
    | { kind: "media-label" | "media-set-label" | "catalog-archive"; fileNumber: number }
    | { kind: "chunk-archive"; fileNumber: number; archiveUuid: string; store: string; digests: Uint8Array[] }
    | { kind: "snapshot-archive"; fileNumber: number; archiveUuid: string; store: string; snapshot: string; incomplete: boolean }
  >;
}

/**
 * Renders a tape's media catalog in the PBS `.log` format, byte for byte as
 * `MediaCatalog` writes it: magic, `L(0)`, `L(1)`, then `A C* E` per chunk
 * archive (incomplete ones too: their chunks were fully written) and `S` per
 * complete snapshot archive. Labels and catalog archives have no entries.
 */
export function renderMediaCatalog(tape: TapeContent): Uint8Array {
  const c = MediaCatalog.createForMediaSet(tape.mediaUuid, tape.mediaSetUuid, tape.seqNr);
  for (const f of tape.files) {
    if (f.kind === "chunk-archive") {
      c.startChunkArchive(f.fileNumber, f.archiveUuid, f.store);
      for (const d of f.digests) c.registerChunk(d);
      c.endChunkArchive();
    } else if (f.kind === "snapshot-archive" && !f.incomplete) {
      c.registerSnapshot(f.fileNumber, f.archiveUuid, f.store, f.snapshot);
    }
  }
  return c.toBytes();
}

/** Loads a tape's content from the catalog tables. */
export async function loadTapeContent(sql: Sql, mediaUuid: string): Promise<TapeContent> {
  const member = await sql<{ media_set_uuid: string; seq_nr: number }[]>`
    select media_set_uuid, seq_nr from catalog.media_set_members where media_uuid = ${mediaUuid}`;
  const m = member[0];
  if (m === undefined) throw new NotFoundError("tape in the catalog", mediaUuid);
  const rows = await sql<{ id: string; file_number: number; kind: string; archive_uuid: string; store: string | null; snapshot: string | null; incomplete: boolean }[]>`
    select id, file_number, kind, archive_uuid, store, snapshot, incomplete from catalog.archives where media_uuid = ${mediaUuid} order by file_number`;
  const files: TapeContent["files"] = [];
  for (const r of rows) {
    if (r.kind === "chunk-archive") {
      const digests = await sql<{ digest: Buffer }[]>`select digest from catalog.chunks where archive_id = ${r.id} order by ord, digest`;
      files.push({ kind: "chunk-archive", fileNumber: r.file_number, archiveUuid: r.archive_uuid, store: r.store ?? "", digests: digests.map((d) => d.digest) });
    } else if (r.kind === "snapshot-archive") {
      files.push({ kind: "snapshot-archive", fileNumber: r.file_number, archiveUuid: r.archive_uuid, store: r.store ?? "", snapshot: r.snapshot ?? "", incomplete: r.incomplete });
    } else {
      files.push({ kind: r.kind as "media-label" | "media-set-label" | "catalog-archive", fileNumber: r.file_number });
    }
  }
  return { mediaUuid, mediaSetUuid: m.media_set_uuid, seqNr: m.seq_nr, files };
}

/** The media catalog of one tape in PBS `.log` format (to write a catalog archive). */
export async function mediaCatalogBytes(sql: Sql, mediaUuid: string): Promise<Uint8Array> {
  return renderMediaCatalog(await loadTapeContent(sql, mediaUuid));
}

/** Bytes of one `C` entry of a media catalog (tag + digest). */
const CHUNK_ENTRY_BYTES = 33;

/**
 * One page of a tape's media catalog in the PBS `.log` format, at most
 * `limit` bytes (a single entry larger than that still makes a page): the
 * pages concatenated are `mediaCatalogBytes(sql, mediaUuid)`, so a catalog
 * larger than one NATS message (≈ 33 bytes per chunk) reaches a device agent
 * that writes it as a catalog archive of another member (reference §4.3).
 * The cursor `next` is `file:chunks` (the archive to continue with and how
 * many of its chunks earlier pages held).
 */
export async function mediaCatalogPage(sql: Sql, req: CatalogMediaCatalogRequest): Promise<CatalogMediaCatalogPage> {
  const limit = req.limit ?? CATALOG_MEDIA_CATALOG_PAGE_MAX;
  const member = await sql<{ media_set_uuid: string; seq_nr: number }[]>`
    select media_set_uuid, seq_nr from catalog.media_set_members where media_uuid = ${req.mediaUuid}`;
  const m = member[0];
  if (m === undefined) throw new NotFoundError("tape in the catalog", req.mediaUuid);
  let afterFile = 2;
  let afterChunks = 0;
  if (req.after !== undefined) {
    const [f, c] = req.after.split(":") as [string, string];
    afterFile = Number(f);
    afterChunks = Number(c);
  }
  const rows = await sql<PageArchive[]>`
    select id, file_number, kind, archive_uuid, store, snapshot, chunk_count from catalog.archives
    where media_uuid = ${req.mediaUuid} and file_number >= ${afterFile}
      and (kind = 'chunk-archive' or (kind = 'snapshot-archive' and not incomplete))
    order by file_number`;
  const tape = { mediaUuid: req.mediaUuid, mediaSetUuid: m.media_set_uuid, seqNr: m.seq_nr };
  const cursor = { first: req.after === undefined, afterFile, afterChunks };
  // Whole chunk archives that fit by their chunk count come in one query per page; should a count
  // not match the rows (it never should), the page is built archive by archive instead.
  return (await buildCatalogPage(sql, tape, cursor, rows, limit, true)) ?? (await buildCatalogPage(sql, tape, cursor, rows, limit, false))!;
}

interface PageArchive {
  id: string;
  file_number: number;
  kind: string;
  archive_uuid: string;
  store: string | null;
  snapshot: string | null;
  chunk_count: number;
}

async function buildCatalogPage(
  sql: Sql,
  tape: { mediaUuid: string; mediaSetUuid: string; seqNr: number },
  cursor: { first: boolean; afterFile: number; afterChunks: number },
  rows: readonly PageArchive[],
  limit: number,
  batched: boolean,
): Promise<CatalogMediaCatalogPage | undefined> {
  /** Catalog bytes, or a whole chunk archive's `C` entries still to read. */
  const items: Array<Uint8Array | { id: string; count: number }> = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    items.push(b);
    size += b.length;
  };
  const page = async (next?: string): Promise<CatalogMediaCatalogPage | undefined> => {
    const whole = items.filter((i): i is { id: string; count: number } => !(i instanceof Uint8Array));
    const blobs = new Map<string, Buffer>();
    if (whole.length > 0) {
      const got = await sql<{ archive_id: string; blob: Buffer; n: string }[]>`
        select archive_id, string_agg(decode('43', 'hex') || digest, ''::bytea order by ord, digest) as blob, count(*) as n
        from catalog.chunks where archive_id = any(${sql.array(whole.map((w) => w.id))}::bigint[]) group by archive_id`;
      for (const g of got) blobs.set(String(g.archive_id), g.blob);
      for (const w of whole) if ((blobs.get(w.id)?.length ?? 0) !== w.count * CHUNK_ENTRY_BYTES) return undefined;
    }
    const data = Buffer.concat(items.map((i) => (i instanceof Uint8Array ? i : (blobs.get(i.id) ?? Buffer.alloc(0)))));
    return { ...tape, data: data.toString("base64"), ...(next === undefined ? {} : { next }) };
  };
  if (cursor.first) push(MediaCatalog.createForMediaSet(tape.mediaUuid, tape.mediaSetUuid, tape.seqNr).toBytes());
  for (const r of rows) {
    if (r.kind === "snapshot-archive") {
      const entry = encodeCatalogRecord({ type: "snapshot", fileNumber: r.file_number, uuid: r.archive_uuid, store: r.store ?? "", snapshot: r.snapshot ?? "" });
      if (size > 0 && size + entry.length > limit) return page(`${r.file_number}:0`);
      push(entry);
      continue;
    }
    let done = r.file_number === cursor.afterFile ? cursor.afterChunks : 0;
    const end = encodeCatalogRecord({ type: "chunk-archive-end", fileNumber: r.file_number, uuid: r.archive_uuid });
    if (done === 0) {
      const start = encodeCatalogRecord({ type: "chunk-archive-start", fileNumber: r.file_number, uuid: r.archive_uuid, store: r.store ?? "" });
      if (batched && size + start.length + r.chunk_count * CHUNK_ENTRY_BYTES + end.length <= limit) {
        push(start);
        items.push({ id: String(r.id), count: r.chunk_count });
        size += r.chunk_count * CHUNK_ENTRY_BYTES;
        push(end);
        continue;
      }
      if (size > 0 && size + start.length + CHUNK_ENTRY_BYTES > limit) return page(`${r.file_number}:0`);
      push(start);
    }
    for (;;) {
      const room = Math.floor((limit - size) / CHUNK_ENTRY_BYTES);
      if (room <= 0) return page(`${r.file_number}:${done}`);
      const [got] = await sql<{ blob: Buffer | null; n: string }[]>`
        select string_agg(decode('43', 'hex') || digest, ''::bytea order by ord, digest) as blob, count(*) as n
        from (select ord, digest from catalog.chunks where archive_id = ${r.id} order by ord, digest offset ${done} limit ${room}) p`;
      const n = Number(got?.n ?? 0);
      if (n > 0) push(got!.blob!);
      done += n;
      if (n < room) break;
      // exactly `room` fetched: more may follow
      const [more] = await sql<{ n: string }[]>`select count(*) as n from (select 1 from catalog.chunks where archive_id = ${r.id} order by ord, digest offset ${done} limit 1) x`;
      if (Number(more?.n ?? 0) === 0) break;
    }
    if (size + end.length > limit) return page(`${r.file_number}:${done}`);
    push(end);
  }
  return page();
}
