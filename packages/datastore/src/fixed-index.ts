import { randomBytes } from "node:crypto";
import { bytesEqual, readI64, readU64, sha256, toHex, writeI64, writeU64 } from "./binary.ts";
import { DatastoreError } from "./errors.ts";

/**
 * Fixed index (`*.img.fidx`): a 4096-byte header and one 32-byte digest per
 * fixed-size chunk of an image.
 * @see shared reference pbs-tape-format.md §11.3
 */

/** First 8 bytes of SHA-256("Proxmox Backup fixed sized chunk index v1.0"). */
export const FIXED_INDEX_MAGIC = Uint8Array.from([0x2f, 0x7f, 0x41, 0xed, 0x91, 0xfd, 0x0f, 0xcd]);
/** Header size of both index kinds. */
export const INDEX_HEADER_SIZE = 4096;
export const DIGEST_SIZE = 32;
/** The chunk size PBS uses for images. */
export const DEFAULT_FIXED_CHUNK_SIZE = 4 * 1024 * 1024;

export interface FixedIndex {
  kind: "fixed";
  uuid: Uint8Array;
  /** Creation time, seconds since the epoch. */
  ctime: number;
  /** SHA-256 over all digests in order. */
  indexCsum: Uint8Array;
  /** Image size in bytes. */
  size: number;
  /** Chunk size in bytes (a power of two). */
  chunkSize: number;
  /** Number of chunks: ceil(size / chunkSize). */
  count: number;
  /** All digests back to back (count × 32 bytes). */
  digests: Uint8Array;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** The digest of chunk `i`. */
export function fixedDigest(index: FixedIndex, i: number): Uint8Array {
  if (!Number.isInteger(i) || i < 0 || i >= index.count) throw new DatastoreError("invalid-field", `chunk index ${i} is outside 0..${index.count - 1}`, { field: "index" });
  return index.digests.subarray(i * DIGEST_SIZE, (i + 1) * DIGEST_SIZE);
}

/** Byte range `[start, end)` of chunk `i` in the image. */
export function fixedChunkRange(index: FixedIndex, i: number): { start: number; end: number } {
  fixedDigest(index, i);
  const start = i * index.chunkSize;
  return { start, end: Math.min(start + index.chunkSize, index.size) };
}

function checkMagic(bytes: Uint8Array, magic: Uint8Array, what: string): void {
  if (bytes.length < 8) throw new DatastoreError("truncated", `${what}: ${bytes.length} bytes is shorter than the magic`, { field: "magic" });
  if (!bytesEqual(bytes.subarray(0, 8), magic)) {
    throw new DatastoreError("bad-magic", `${what} magic: expected ${toHex(magic)}, found ${toHex(bytes.subarray(0, 8))}`, { field: "magic" });
  }
}

export function checkIndexHeader(bytes: Uint8Array, magic: Uint8Array, what: string): void {
  checkMagic(bytes, magic, what);
  if (bytes.length < INDEX_HEADER_SIZE) {
    throw new DatastoreError("truncated", `${what}: ${bytes.length} bytes is shorter than the ${INDEX_HEADER_SIZE}-byte header`, { field: "header" });
  }
}

/** Decodes and checks a `.fidx` file: magic, chunk size, exact file size, index_csum. */
export function decodeFixedIndex(bytes: Uint8Array): FixedIndex {
  checkIndexHeader(bytes, FIXED_INDEX_MAGIC, "fixed index");
  const size = readU64(bytes, 64, "size");
  const chunkSize = readU64(bytes, 72, "chunk_size");
  if (!isPowerOfTwo(chunkSize)) throw new DatastoreError("invalid-field", `fixed index chunk_size: ${chunkSize} is not a power of two`, { field: "chunk_size" });
  const count = Math.ceil(size / chunkSize);
  const expected = INDEX_HEADER_SIZE + count * DIGEST_SIZE;
  if (bytes.length < expected) {
    throw new DatastoreError("truncated", `fixed index: ${bytes.length} bytes, expected ${expected} for ${count} chunks (size ${size}, chunk_size ${chunkSize})`, { field: "digests" });
  }
  if (bytes.length > expected) {
    throw new DatastoreError("trailing-data", `fixed index: ${bytes.length} bytes, expected exactly ${expected} for ${count} chunks`, { field: "digests" });
  }
  const digests = bytes.subarray(INDEX_HEADER_SIZE, expected);
  const indexCsum = bytes.slice(32, 64);
  const actual = sha256(digests);
  if (!bytesEqual(actual, indexCsum)) {
    throw new DatastoreError("checksum-mismatch", `fixed index index_csum: stored ${toHex(indexCsum)}, computed ${toHex(actual)}`, { field: "index_csum" });
  }
  return { kind: "fixed", uuid: bytes.slice(8, 24), ctime: readI64(bytes, 24, "ctime"), indexCsum, size, chunkSize, count, digests };
}

export interface EncodeFixedIndexInput {
  size: number;
  chunkSize: number;
  /** count × 32 bytes, or a list of 32-byte digests. */
  digests: Uint8Array | readonly Uint8Array[];
  ctime?: number;
  uuid?: Uint8Array;
}

function joinDigests(d: Uint8Array | readonly Uint8Array[]): Uint8Array {
  if (d instanceof Uint8Array) return d;
  const out = new Uint8Array(d.length * DIGEST_SIZE);
  d.forEach((x, i) => {
    if (x.length !== DIGEST_SIZE) throw new DatastoreError("invalid-field", `digest ${i}: expected 32 bytes, got ${x.length}`, { field: "digest" });
    out.set(x, i * DIGEST_SIZE);
  });
  return out;
}

/** Builds a `.fidx` file. */
export function encodeFixedIndex(input: EncodeFixedIndexInput): Uint8Array {
  if (!isPowerOfTwo(input.chunkSize)) throw new DatastoreError("invalid-field", `chunk_size: ${input.chunkSize} is not a power of two`, { field: "chunk_size" });
  if (!Number.isSafeInteger(input.size) || input.size < 0) throw new DatastoreError("invalid-field", `size: ${input.size} is not a byte count`, { field: "size" });
  const digests = joinDigests(input.digests);
  const count = Math.ceil(input.size / input.chunkSize);
  if (digests.length !== count * DIGEST_SIZE) {
    throw new DatastoreError("invalid-field", `digests: ${digests.length / DIGEST_SIZE} given, ${count} needed for size ${input.size}`, { field: "digests" });
  }
  const out = new Uint8Array(INDEX_HEADER_SIZE + digests.length);
  out.set(FIXED_INDEX_MAGIC, 0);
  out.set(input.uuid ?? randomBytes(16), 8);
  writeI64(out, 24, input.ctime ?? Math.floor(Date.now() / 1000));
  out.set(sha256(digests), 32);
  writeU64(out, 64, input.size);
  writeU64(out, 72, input.chunkSize);
  out.set(digests, INDEX_HEADER_SIZE);
  return out;
}
