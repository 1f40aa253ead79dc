import { BlockedWriter } from "./blocked-writer.ts";
import type { ByteReader } from "./byte-reader.ts";
import { TapeFormatError } from "./errors.ts";
import { parseJsonObject, prettyJson, requireInteger, requireString, utf8 } from "./json.ts";
import { CATALOG_ARCHIVE_MAGIC_1_0, CATALOG_ARCHIVE_MAGIC_1_1 } from "./magics.ts";
import type { MediaContentHeader } from "./media-content-header.ts";
import { readContentHeader, writeContentHeader, type ContentHeaderRead, type HeaderOptions } from "./tape-file.ts";
import type { BlockSink } from "./tape-io.ts";
import { isUuidText } from "./uuid.ts";

export interface CatalogArchiveHeader {
  /** UUID of the medium the catalog describes. */
  uuid: string;
  mediaSetUuid: string;
  seqNr: number;
}

/** `{"uuid", "media_set_uuid", "seq_nr"}` pretty-printed (struct order). */
export function encodeCatalogArchiveHeaderJson(h: CatalogArchiveHeader): Uint8Array {
  if (!isUuidText(h.uuid)) throw new TapeFormatError("invalid-field", "catalog archive uuid: not a UUID", { field: "uuid" });
  if (!isUuidText(h.mediaSetUuid)) throw new TapeFormatError("invalid-field", "catalog archive media_set_uuid: not a UUID", { field: "media_set_uuid" });
  if (!Number.isSafeInteger(h.seqNr) || h.seqNr < 0) throw new TapeFormatError("invalid-field", `catalog archive seq_nr: ${h.seqNr}`, { field: "seq_nr" });
  return utf8.encode(prettyJson({ uuid: h.uuid.toLowerCase(), media_set_uuid: h.mediaSetUuid.toLowerCase(), seq_nr: h.seqNr }, false));
}

export function decodeCatalogArchiveHeaderJson(bytes: Uint8Array): CatalogArchiveHeader {
  const what = "catalog archive header";
  const o = parseJsonObject(bytes, what);
  const uuid = requireString(o, "uuid", what);
  const mediaSetUuid = requireString(o, "media_set_uuid", what);
  if (!isUuidText(uuid)) throw new TapeFormatError("invalid-json", `${what}.uuid: not a UUID`, { field: "uuid" });
  if (!isUuidText(mediaSetUuid)) throw new TapeFormatError("invalid-json", `${what}.media_set_uuid: not a UUID`, { field: "media_set_uuid" });
  return { uuid: uuid.toLowerCase(), mediaSetUuid: mediaSetUuid.toLowerCase(), seqNr: requireInteger(o, "seq_nr", what, 0) };
}

export type CatalogArchiveOutcome =
  | { kind: "complete"; uuid: Uint8Array; leom: boolean; bytesWritten: number }
  /** LEOM while writing the header: finished INCOMPLETE, write it again on the next tape. */
  | { kind: "incomplete"; uuid: Uint8Array; leom: true; bytesWritten: number; action: "rewrite-on-next-tape" };

/**
 * Writes a catalog archive: header JSON, then the media catalog bytes verbatim.
 * LEOM during the header finishes the file INCOMPLETE; LEOM during the body is
 * ignored (the body goes into the early-warning zone). @see reference §1.3, §4.3
 * `version` "1.1" (default) allows `ns/` snapshot paths; "1.0" is for root-only jobs with max-depth 0.
 */
export async function writeCatalogArchive(
  sink: BlockSink,
  header: CatalogArchiveHeader,
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array,
  options: HeaderOptions & { version?: "1.0" | "1.1"; size?: number } = {},
): Promise<CatalogArchiveOutcome> {
  const writer = new BlockedWriter(sink);
  const magic = options.version === "1.0" ? CATALOG_ARCHIVE_MAGIC_1_0 : CATALOG_ARCHIVE_MAGIC_1_1;
  const { uuid, leom } = await writeContentHeader(writer, magic, encodeCatalogArchiveHeaderJson(header), options);
  if (leom) {
    await writer.finish(true);
    return { kind: "incomplete", uuid, leom: true, bytesWritten: writer.bytesWritten, action: "rewrite-on-next-tape" };
  }
  let written = 0;
  try {
    const pieces = body instanceof Uint8Array ? [body] : body;
    for await (const piece of pieces as AsyncIterable<Uint8Array>) {
      written += piece.length;
      if (options.size !== undefined && written > options.size) {
        throw new TapeFormatError("size-mismatch", `catalog '${header.uuid}' changed while reading (more than ${options.size} bytes)`, { field: "size" });
      }
      await writer.write(piece);
    }
    if (options.size !== undefined && written !== options.size) {
      throw new TapeFormatError("size-mismatch", `catalog '${header.uuid}' shrunk while reading (${written} of ${options.size} bytes)`, { field: "size" });
    }
  } catch (err) {
    if (!writer.finished) await writer.abort();
    throw err;
  }
  const end = await writer.finish(false);
  return { kind: "complete", uuid, leom: end, bytesWritten: writer.bytesWritten };
}

export interface OpenedCatalogArchive {
  header: MediaContentHeader;
  version: string;
  catalog: CatalogArchiveHeader;
  /** The catalog bytes follow in the input. */
  body: ByteReader;
}

export async function openCatalogArchive(input: ByteReader): Promise<OpenedCatalogArchive> {
  return catalogArchiveFromHeader(await readContentHeader(input), input);
}

/** Like `openCatalogArchive` when the content header was already read. */
export function catalogArchiveFromHeader(read: ContentHeaderRead, input: ByteReader): OpenedCatalogArchive {
  const { header, type, data } = read;
  if (type.kind !== "catalog-archive") throw new TapeFormatError("bad-magic", `catalog archive: content magic is a ${type.kind}`, { field: "content_magic" });
  return { header, version: type.version, catalog: decodeCatalogArchiveHeaderJson(data), body: input };
}
