import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from "node:crypto";
import { crc32 } from "./crc32.ts";
import { TapeFormatError } from "./errors.ts";
import {
  COMPRESSED_BLOB_MAGIC_1_0,
  ENCR_COMPR_BLOB_MAGIC_1_0,
  ENCRYPTED_BLOB_MAGIC_1_0,
  UNCOMPRESSED_BLOB_MAGIC_1_0,
  bytesEqual,
  toHex,
} from "./magics.ts";
import { ensureZstd, zstdCompress, zstdDecompress, zstdDecompressScratch } from "./zstd.ts";

/** Largest blob PBS accepts (`MAX_BLOB_SIZE`). @see reference §11.2 */
export const MAX_BLOB_SIZE = 128 * 1024 * 1024;
/** Header of unencrypted blobs: magic[8] + crc32 u32 LE. */
export const BLOB_HEADER_SIZE = 12;
/** Header of encrypted blobs: magic[8] + crc32 + iv[16] + tag[16]. */
export const ENCRYPTED_BLOB_HEADER_SIZE = 44;
/** zstd level PBS uses for blobs. */
export const BLOB_ZSTD_LEVEL = 1;

export type DataBlobKind = "uncompressed" | "compressed" | "encrypted" | "encrypted-compressed";

export interface ParsedDataBlob {
  kind: DataBlobKind;
  compressed: boolean;
  encrypted: boolean;
  /** CRC-32 as stored (over the bytes after the header). */
  crc: number;
  /** AES-GCM IV (16 bytes), encrypted blobs only. */
  iv?: Uint8Array;
  /** AES-GCM tag (16 bytes), encrypted blobs only. */
  tag?: Uint8Array;
  /** The bytes after the header (plain, zstd frame or ciphertext). */
  payload: Uint8Array;
}

function kindOf(magic: Uint8Array): DataBlobKind | undefined {
  if (bytesEqual(magic, UNCOMPRESSED_BLOB_MAGIC_1_0)) return "uncompressed";
  if (bytesEqual(magic, COMPRESSED_BLOB_MAGIC_1_0)) return "compressed";
  if (bytesEqual(magic, ENCRYPTED_BLOB_MAGIC_1_0)) return "encrypted";
  if (bytesEqual(magic, ENCR_COMPR_BLOB_MAGIC_1_0)) return "encrypted-compressed";
  return undefined;
}

/** Splits a raw blob into its header fields and payload; checks the CRC unless told not to. */
export function parseDataBlob(raw: Uint8Array, options: { verifyCrc?: boolean } = {}): ParsedDataBlob {
  if (raw.length < BLOB_HEADER_SIZE) {
    throw new TapeFormatError("truncated", `data blob: ${raw.length} bytes is shorter than the 12-byte header`, { field: "blob" });
  }
  if (raw.length > MAX_BLOB_SIZE) {
    throw new TapeFormatError("invalid-field", `data blob: ${raw.length} bytes exceeds MAX_BLOB_SIZE ${MAX_BLOB_SIZE}`, { field: "blob" });
  }
  const kind = kindOf(raw.subarray(0, 8));
  if (kind === undefined) {
    throw new TapeFormatError("bad-magic", `data blob magic: unknown magic ${toHex(raw.subarray(0, 8))}`, { field: "magic" });
  }
  const encrypted = kind === "encrypted" || kind === "encrypted-compressed";
  const headerSize = encrypted ? ENCRYPTED_BLOB_HEADER_SIZE : BLOB_HEADER_SIZE;
  if (raw.length < headerSize) {
    throw new TapeFormatError("truncated", `data blob: ${raw.length} bytes is shorter than the ${headerSize}-byte ${kind} header`, { field: "blob" });
  }
  const crc = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(8, true);
  const payload = raw.subarray(headerSize);
  if (options.verifyCrc ?? true) {
    const actual = crc32(payload);
    if (actual !== crc) {
      throw new TapeFormatError("crc-mismatch", `data blob crc: stored ${hex32(crc)}, computed ${hex32(actual)}`, { field: "crc" });
    }
  }
  const parsed: ParsedDataBlob = { kind, compressed: kind === "compressed" || kind === "encrypted-compressed", encrypted, crc, payload };
  if (encrypted) {
    parsed.iv = raw.subarray(12, 28);
    parsed.tag = raw.subarray(28, 44);
  }
  return parsed;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw new TapeFormatError("invalid-field", `encryption key: expected 32 bytes, got ${key.length}`, { field: "key" });
}

/**
 * Returns the plaintext of a blob: checks the CRC, decrypts (AES-256-GCM, empty
 * AAD) when a key is given, decompresses zstd. Output is limited to `maxSize`.
 */
export async function decodeDataBlob(raw: Uint8Array, options: { key?: Uint8Array; maxSize?: number } = {}): Promise<Uint8Array> {
  return decodeParsedBlob(parseDataBlob(raw), options);
}

/**
 * `scratch`: the plaintext may be a view of a buffer reused by the next call on this
 * thread (for callers that only hash it, see `verifyChunk`).
 */
async function decodeParsedBlob(blob: ParsedDataBlob, options: { key?: Uint8Array; maxSize?: number; scratch?: boolean }): Promise<Uint8Array> {
  const maxSize = options.maxSize ?? MAX_BLOB_SIZE;
  let data = blob.payload;
  if (blob.encrypted) {
    if (options.key === undefined) throw new TapeFormatError("key-required", `data blob: ${blob.kind} blob needs a key to decode`, { field: "key" });
    checkKey(options.key);
    try {
      const decipher = createDecipheriv("aes-256-gcm", options.key, blob.iv!);
      decipher.setAuthTag(blob.tag!);
      data = new Uint8Array(Buffer.concat([decipher.update(blob.payload), decipher.final()]));
    } catch (err) {
      throw new TapeFormatError("decrypt-failed", "data blob: AES-256-GCM decryption failed (wrong key or corrupted data)", { field: "payload", cause: err });
    }
  }
  if (blob.compressed) {
    await ensureZstd();
    return options.scratch === true ? zstdDecompressScratch(data, maxSize) : zstdDecompress(data, maxSize);
  }
  if (data.length > maxSize) {
    throw new TapeFormatError("invalid-field", `data blob: ${data.length} bytes exceeds the limit ${maxSize}`, { field: "payload" });
  }
  return data === blob.payload && options.scratch !== true ? data.slice() : data;
}

export interface EncodeDataBlobOptions {
  /** zstd-compress (level 1) when the result is smaller than the input. Default true. */
  compress?: boolean;
  /** AES-256-GCM key (32 bytes): produce an encrypted blob. */
  key?: Uint8Array;
  /** IV for tests (16 bytes); random otherwise. */
  iv?: Uint8Array;
}

/** Builds a DataBlob the way PBS does: compress first (only if smaller), then encrypt. */
export async function encodeDataBlob(data: Uint8Array, options: EncodeDataBlobOptions = {}): Promise<Uint8Array> {
  if (data.length > MAX_BLOB_SIZE) {
    throw new TapeFormatError("invalid-field", `data blob: ${data.length} bytes exceeds MAX_BLOB_SIZE`, { field: "data" });
  }
  let body = data;
  let compressed = false;
  if (options.compress ?? true) {
    await ensureZstd();
    const c = zstdCompress(data, BLOB_ZSTD_LEVEL);
    if (c.length < data.length) {
      body = c;
      compressed = true;
    }
  }
  if (options.key !== undefined) {
    checkKey(options.key);
    const iv = options.iv ?? new Uint8Array(randomBytes(16));
    if (iv.length !== 16) throw new TapeFormatError("invalid-field", "iv: expected 16 bytes", { field: "iv" });
    const cipher = createCipheriv("aes-256-gcm", options.key, iv);
    const ct = Buffer.concat([cipher.update(body), cipher.final()]);
    const tag = cipher.getAuthTag();
    const out = new Uint8Array(ENCRYPTED_BLOB_HEADER_SIZE + ct.length);
    out.set(compressed ? ENCR_COMPR_BLOB_MAGIC_1_0 : ENCRYPTED_BLOB_MAGIC_1_0, 0);
    new DataView(out.buffer).setUint32(8, crc32(ct), true);
    out.set(iv, 12);
    out.set(tag, 28);
    out.set(ct, ENCRYPTED_BLOB_HEADER_SIZE);
    return out;
  }
  const out = new Uint8Array(BLOB_HEADER_SIZE + body.length);
  out.set(compressed ? COMPRESSED_BLOB_MAGIC_1_0 : UNCOMPRESSED_BLOB_MAGIC_1_0, 0);
  new DataView(out.buffer).setUint32(8, crc32(body), true);
  out.set(body, BLOB_HEADER_SIZE);
  return out;
}

/** `id_key = PBKDF2-HMAC-SHA256(key, "_id_key", 10 iterations, 32 bytes)`. @see reference §9.2 */
export function deriveIdKey(key: Uint8Array): Uint8Array {
  checkKey(key);
  return new Uint8Array(pbkdf2Sync(key, "_id_key", 10, 32, "sha256"));
}

/** Chunk digest: SHA-256(plaintext), or SHA-256(plaintext ‖ id_key) for encrypted chunks. @see reference §11.2 */
export function computeChunkDigest(plaintext: Uint8Array, options: { key?: Uint8Array } = {}): Uint8Array {
  const h = createHash("sha256").update(plaintext);
  if (options.key !== undefined) h.update(deriveIdKey(options.key));
  return new Uint8Array(h.digest());
}

/**
 * Verifies a chunk against its digest: CRC always; for unencrypted blobs, or
 * encrypted ones when `key` is given, also the digest of the plaintext.
 * Returns whether the digest could be checked.
 */
export async function verifyChunk(raw: Uint8Array, digest: Uint8Array, options: { key?: Uint8Array } = {}): Promise<{ digestChecked: boolean }> {
  const blob = parseDataBlob(raw);
  if (blob.encrypted && options.key === undefined) return { digestChecked: false };
  // the plaintext is only hashed: decompressed into this thread's reused buffer
  const plain = await decodeParsedBlob(blob, { ...options, scratch: true });
  const actual = computeChunkDigest(plain, blob.encrypted ? options : {});
  if (!bytesEqual(actual, digest)) {
    throw new TapeFormatError("digest-mismatch", `chunk digest: expected ${toHex(digest)}, content hashes to ${toHex(actual)}`, { field: "digest" });
  }
  return { digestChecked: true };
}
