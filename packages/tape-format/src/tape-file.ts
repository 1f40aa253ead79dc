import { BlockedReader } from "./blocked-reader.ts";
import type { BlockedWriter } from "./blocked-writer.ts";
import { ByteReader } from "./byte-reader.ts";
import { TapeFormatError } from "./errors.ts";
import {
  MEDIA_CONTENT_HEADER_SIZE,
  contentTypeOf,
  decodeMediaContentHeader,
  encodeMediaContentHeader,
  type ContentType,
  type MediaContentHeader,
} from "./media-content-header.ts";
import { randomUuidBytes } from "./uuid.ts";
import type { BlockSource } from "./tape-io.ts";

/** Upper bound for JSON header data of archives (labels use 65536, §2.2). */
export const MAX_ARCHIVE_HEADER_DATA = 1024 * 1024;
/** Labels are checked for 1 <= size <= 65536. @see reference §2.2 */
export const MAX_LABEL_HEADER_DATA = 65536;

export interface HeaderOptions {
  /** Content UUID (16 raw bytes); random when left out. */
  uuid?: Uint8Array;
  /** Creation time in epoch seconds; now when left out. */
  ctime?: number;
}

/** Writes MediaContentHeader + header data. Returns the content UUID and the sticky LEOM flag. */
export async function writeContentHeader(
  writer: BlockedWriter,
  contentMagic: Uint8Array,
  headerData: Uint8Array,
  options: HeaderOptions = {},
): Promise<{ uuid: Uint8Array; leom: boolean }> {
  const uuid = options.uuid ?? randomUuidBytes();
  const header = encodeMediaContentHeader({
    contentMagic,
    uuid,
    ctime: options.ctime ?? Math.floor(Date.now() / 1000),
    size: headerData.length,
    partNumber: 0,
  });
  const both = new Uint8Array(header.length + headerData.length);
  both.set(header, 0);
  both.set(headerData, header.length);
  const leom = await writer.write(both);
  return { uuid, leom };
}

export interface ContentHeaderRead {
  header: MediaContentHeader;
  type: ContentType;
  /** The JSON header data (size bytes). */
  data: Uint8Array;
}

/** Reads MediaContentHeader and its header data from the start of a tape file stream. */
export async function readContentHeader(input: ByteReader, maxDataSize = MAX_ARCHIVE_HEADER_DATA): Promise<ContentHeaderRead> {
  const header = decodeMediaContentHeader(await input.readExact(MEDIA_CONTENT_HEADER_SIZE, "media content header"));
  const type = contentTypeOf(header.contentMagic);
  if (type === undefined) {
    throw new TapeFormatError("bad-magic", "content_magic: unknown content magic", { field: "content_magic" });
  }
  if (header.size > maxDataSize) {
    throw new TapeFormatError("invalid-field", `size: header data of ${header.size} bytes exceeds ${maxDataSize}`, { field: "size" });
  }
  const data = (await input.readExact(header.size, "header data")).slice();
  return { header, type, data };
}

/** A tape file opened for reading: its block reader and a byte reader over its payload. */
export interface OpenedTapeFile {
  blocks: BlockedReader;
  bytes: ByteReader;
}

/** Opens the tape file at the current position; typed results for filemark and end of data. */
export async function openTapeFile(
  source: BlockSource,
  options: { requireEndMarker?: boolean } = {},
): Promise<{ kind: "file"; file: OpenedTapeFile } | { kind: "end-of-file" } | { kind: "end-of-stream" }> {
  const opened = await BlockedReader.open(source, options);
  if (opened.kind !== "stream") return opened;
  return { kind: "file", file: { blocks: opened.reader, bytes: new ByteReader(opened.reader) } };
}
