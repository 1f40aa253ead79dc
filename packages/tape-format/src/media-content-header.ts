import { TapeFormatError } from "./errors.ts";
import {
  CATALOG_ARCHIVE_MAGIC_1_0,
  CATALOG_ARCHIVE_MAGIC_1_1,
  CHUNK_ARCHIVE_MAGIC_1_0,
  CHUNK_ARCHIVE_MAGIC_1_1,
  MEDIA_CONTENT_HEADER_MAGIC_1_0,
  MEDIA_LABEL_MAGIC_1_0,
  MEDIA_SET_LABEL_MAGIC_1_0,
  SNAPSHOT_ARCHIVE_MAGIC_1_0,
  SNAPSHOT_ARCHIVE_MAGIC_1_1,
  SNAPSHOT_ARCHIVE_MAGIC_1_2,
  bytesEqual,
  toHex,
  type ContentKind,
} from "./magics.ts";

/** Size of the MediaContentHeader at the start of every tape file. @see reference §2.2 */
export const MEDIA_CONTENT_HEADER_SIZE = 48;

export interface MediaContentHeader {
  /** 8 bytes identifying the file type (a content magic, §2.3). */
  contentMagic: Uint8Array;
  /** Random UUID of this data stream, 16 raw bytes. */
  uuid: Uint8Array;
  /** Creation time, Unix epoch seconds (i64). */
  ctime: number;
  /** Length of the JSON header data that follows (u32). */
  size: number;
  /** Multi-volume part number; always 0 on real tapes. */
  partNumber: number;
}

export function encodeMediaContentHeader(h: MediaContentHeader): Uint8Array {
  if (h.contentMagic.length !== 8) throw new TapeFormatError("invalid-field", "content_magic: expected 8 bytes", { field: "content_magic" });
  if (h.uuid.length !== 16) throw new TapeFormatError("invalid-field", "uuid: expected 16 bytes", { field: "uuid" });
  if (!Number.isSafeInteger(h.ctime)) throw new TapeFormatError("invalid-field", `ctime: ${h.ctime} is not an integer`, { field: "ctime" });
  if (!Number.isInteger(h.size) || h.size < 0 || h.size > 0xffffffff) throw new TapeFormatError("invalid-field", `size: ${h.size} is not a u32`, { field: "size" });
  if (!Number.isInteger(h.partNumber) || h.partNumber < 0 || h.partNumber > 255) throw new TapeFormatError("invalid-field", `part_number: ${h.partNumber} is not a u8`, { field: "part_number" });
  const out = new Uint8Array(MEDIA_CONTENT_HEADER_SIZE);
  const dv = new DataView(out.buffer);
  out.set(MEDIA_CONTENT_HEADER_MAGIC_1_0, 0);
  out.set(h.contentMagic, 8);
  out.set(h.uuid, 16);
  dv.setBigInt64(32, BigInt(h.ctime), true);
  dv.setUint32(40, h.size, true);
  out[44] = h.partNumber;
  return out;
}

/** Decodes the first 48 bytes; checks the header magic (not the content magic). */
export function decodeMediaContentHeader(bytes: Uint8Array): MediaContentHeader {
  if (bytes.length < MEDIA_CONTENT_HEADER_SIZE) {
    throw new TapeFormatError("truncated", `media content header: need 48 bytes, got ${bytes.length}`, { field: "media_content_header" });
  }
  if (!bytesEqual(bytes.subarray(0, 8), MEDIA_CONTENT_HEADER_MAGIC_1_0)) {
    throw new TapeFormatError("bad-magic", `media content header magic: ${toHex(bytes.subarray(0, 8))} is not the content header magic`, { field: "magic" });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, MEDIA_CONTENT_HEADER_SIZE);
  const ctime = dv.getBigInt64(32, true);
  if (ctime > BigInt(Number.MAX_SAFE_INTEGER) || ctime < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new TapeFormatError("invalid-field", `ctime: ${ctime} out of range`, { field: "ctime" });
  }
  return {
    contentMagic: bytes.slice(8, 16),
    uuid: bytes.slice(16, 32),
    ctime: Number(ctime),
    size: dv.getUint32(40, true),
    partNumber: bytes[44]!,
  };
}

export interface ContentType {
  kind: ContentKind;
  /** Format version of the content magic, e.g. "1.1". */
  version: string;
  /** False for versions PBS rejects on read (unreleased ones). */
  supported: boolean;
}

const CONTENT_TYPES: ReadonlyArray<readonly [Uint8Array, ContentType]> = [
  [MEDIA_LABEL_MAGIC_1_0, { kind: "media-label", version: "1.0", supported: true }],
  [MEDIA_SET_LABEL_MAGIC_1_0, { kind: "media-set-label", version: "1.0", supported: true }],
  [CHUNK_ARCHIVE_MAGIC_1_0, { kind: "chunk-archive", version: "1.0", supported: false }],
  [CHUNK_ARCHIVE_MAGIC_1_1, { kind: "chunk-archive", version: "1.1", supported: true }],
  [SNAPSHOT_ARCHIVE_MAGIC_1_0, { kind: "snapshot-archive", version: "1.0", supported: false }],
  [SNAPSHOT_ARCHIVE_MAGIC_1_1, { kind: "snapshot-archive", version: "1.1", supported: true }],
  [SNAPSHOT_ARCHIVE_MAGIC_1_2, { kind: "snapshot-archive", version: "1.2", supported: true }],
  [CATALOG_ARCHIVE_MAGIC_1_0, { kind: "catalog-archive", version: "1.0", supported: true }],
  [CATALOG_ARCHIVE_MAGIC_1_1, { kind: "catalog-archive", version: "1.1", supported: true }],
];

/** Identifies a content magic; undefined for unknown magics. */
export function contentTypeOf(contentMagic: Uint8Array): ContentType | undefined {
  for (const [magic, type] of CONTENT_TYPES) if (bytesEqual(magic, contentMagic)) return type;
  return undefined;
}
