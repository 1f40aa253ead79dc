import { randomUUID } from "node:crypto";
import {
  CATALOG_MAX_DIGESTS_PER_RECORD,
  catalogRecord,
  type CatalogArchiveRecord,
  type CatalogMediaSetJoinedRecord,
  type CatalogRecord,
} from "@tapefleet/api-types";
import { NotFoundError, type Sql } from "@tapefleet/common";
import { decodeCatalogRecord, MediaCatalog, TapeFormatError } from "@tapefleet/tape-format";

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
