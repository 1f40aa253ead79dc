import { randomBytes } from "node:crypto";
import { bytesEqual, readI64, readU64, sha256, toHex, writeI64, writeU64 } from "./binary.ts";
import { DatastoreError } from "./errors.ts";
import { DIGEST_SIZE, INDEX_HEADER_SIZE, checkIndexHeader } from "./fixed-index.ts";

/**
 * Dynamic index (`*.didx`): a 4096-byte header and 40-byte entries
 * (cumulative end offset u64 LE + digest) of variable-size chunks.
 * @see shared reference pbs-tape-format.md §11.4
 */

/** First 8 bytes of SHA-256("Proxmox Backup dynamic sized chunk index v1.0"). */
export const DYNAMIC_INDEX_MAGIC = Uint8Array.from([0x1c, 0x91, 0x4e, 0xa5, 0x19, 0xba, 0xb3, 0xcd]);
export const DYNAMIC_ENTRY_SIZE = 40;

export interface DynamicIndex {
  kind: "dynamic";
  uuid: Uint8Array;
  ctime: number;
  /** SHA-256 over (end LE8 ‖ digest) of every entry. */
  indexCsum: Uint8Array;
  count: number;
  /** Total stream length: the last end offset (0 when empty). */
  size: number;
  /** The raw entries (count × 40 bytes). */
  entries: Uint8Array;
}

export function dynamicDigest(index: DynamicIndex, i: number): Uint8Array {
  checkEntry(index, i);
  const at = i * DYNAMIC_ENTRY_SIZE + 8;
  return index.entries.subarray(at, at + DIGEST_SIZE);
}

/** Byte range `[start, end)` of chunk `i` in the stream. */
export function dynamicChunkRange(index: DynamicIndex, i: number): { start: number; end: number } {
  checkEntry(index, i);
  const end = readU64(index.entries, i * DYNAMIC_ENTRY_SIZE, "end_offset");
  const start = i === 0 ? 0 : readU64(index.entries, (i - 1) * DYNAMIC_ENTRY_SIZE, "end_offset");
  return { start, end };
}

function checkEntry(index: DynamicIndex, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= index.count) throw new DatastoreError("invalid-field", `chunk index ${i} is outside 0..${index.count - 1}`, { field: "index" });
}

/** Decodes and checks a `.didx` file: magic, entry-size multiple, increasing end offsets, index_csum. */
export function decodeDynamicIndex(bytes: Uint8Array): DynamicIndex {
  checkIndexHeader(bytes, DYNAMIC_INDEX_MAGIC, "dynamic index");
  const body = bytes.length - INDEX_HEADER_SIZE;
  if (body % DYNAMIC_ENTRY_SIZE !== 0) {
    throw new DatastoreError("truncated", `dynamic index: ${body} bytes after the header is not a multiple of the ${DYNAMIC_ENTRY_SIZE}-byte entry`, { field: "entries" });
  }
  const entries = bytes.subarray(INDEX_HEADER_SIZE);
  const count = body / DYNAMIC_ENTRY_SIZE;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    const end = readU64(entries, i * DYNAMIC_ENTRY_SIZE, "end_offset");
    if (end <= prev) {
      throw new DatastoreError("invalid-field", `dynamic index entry ${i}: end_offset ${end} does not exceed the previous end ${prev}`, { field: "end_offset" });
    }
    prev = end;
  }
  const indexCsum = bytes.slice(32, 64);
  const actual = sha256(entries);
  if (!bytesEqual(actual, indexCsum)) {
    throw new DatastoreError("checksum-mismatch", `dynamic index index_csum: stored ${toHex(indexCsum)}, computed ${toHex(actual)}`, { field: "index_csum" });
  }
  return { kind: "dynamic", uuid: bytes.slice(8, 24), ctime: readI64(bytes, 24, "ctime"), indexCsum, count, size: prev, entries };
}

export interface DynamicEntry {
  /** Cumulative end offset of the chunk in the stream. */
  end: number;
  digest: Uint8Array;
}

export interface EncodeDynamicIndexInput {
  entries: readonly DynamicEntry[];
  ctime?: number;
  uuid?: Uint8Array;
}

/** Builds a `.didx` file. */
export function encodeDynamicIndex(input: EncodeDynamicIndexInput): Uint8Array {
  const out = new Uint8Array(INDEX_HEADER_SIZE + input.entries.length * DYNAMIC_ENTRY_SIZE);
  out.set(DYNAMIC_INDEX_MAGIC, 0);
  out.set(input.uuid ?? randomBytes(16), 8);
  writeI64(out, 24, input.ctime ?? Math.floor(Date.now() / 1000));
  let prev = 0;
  input.entries.forEach((e, i) => {
    if (!Number.isSafeInteger(e.end) || e.end <= prev) {
      throw new DatastoreError("invalid-field", `entry ${i}: end ${e.end} does not exceed the previous end ${prev}`, { field: "end_offset" });
    }
    if (e.digest.length !== DIGEST_SIZE) throw new DatastoreError("invalid-field", `entry ${i}: digest of ${e.digest.length} bytes`, { field: "digest" });
    const at = INDEX_HEADER_SIZE + i * DYNAMIC_ENTRY_SIZE;
    writeU64(out, at, e.end);
    out.set(e.digest, at + 8);
    prev = e.end;
  });
  out.set(sha256(out.subarray(INDEX_HEADER_SIZE)), 32);
  return out;
}
