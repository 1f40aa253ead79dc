import { describe, expect, it } from "vitest";
import { crc32, crc32Update, crc32UpdateJs } from "./crc32.ts";
import {
  computeChunkDigest,
  decodeDataBlob,
  deriveIdKey,
  encodeDataBlob,
  parseDataBlob,
  verifyChunk,
} from "./data-blob.ts";
import { ensureZstd, zstdCompress, zstdDecompress, zstdFrameContentSize } from "./zstd.ts";
import { catchTapeError, hex, pseudoRandom, sha256, flip } from "./test-support.ts";
import { COMPRESSED_BLOB_MAGIC_1_0, UNCOMPRESSED_BLOB_MAGIC_1_0 } from "./magics.ts";

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

describe("crc32", () => {
  it("matches the IEEE check value and is incremental", () => {
    const data = new TextEncoder().encode("123456789");
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Update(crc32Update(0, data.subarray(0, 4)), data.subarray(4))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
  it("the portable implementation agrees with the native one at every length and split", () => {
    const data = pseudoRandom(1000, 77);
    for (let n = 0; n <= 40; n++) expect(crc32UpdateJs(0, data.subarray(0, n))).toBe(crc32(data.subarray(0, n)));
    expect(crc32UpdateJs(0, data)).toBe(crc32(data));
    expect(crc32UpdateJs(crc32UpdateJs(0, data.subarray(0, 333)), data.subarray(333))).toBe(crc32(data));
    expect(crc32UpdateJs(0, new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});

/** A zstd frame of raw blocks (≤ 128 KiB each) and no content size in the header (as streaming encoders write). */
function rawFrameWithoutSize(data: Uint8Array): Uint8Array {
  const BLOCK = 128 * 1024;
  const nBlocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const out = new Uint8Array(4 + 1 + 1 + 3 * nBlocks + data.length);
  new DataView(out.buffer).setUint32(0, 0xfd2fb528, true);
  out[4] = 0x00; // no FCS, not single segment, no dict id, no checksum
  out[5] = 0x50; // window descriptor: 2^(10+10) = 1 MiB
  let at = 6;
  for (let i = 0; i < nBlocks; i++) {
    const part = data.subarray(i * BLOCK, Math.min(data.length, (i + 1) * BLOCK));
    const bh = (part.length << 3) | (0 << 1) | (i === nBlocks - 1 ? 1 : 0); // raw block, last flag
    out[at++] = bh & 0xff;
    out[at++] = (bh >> 8) & 0xff;
    out[at++] = (bh >> 16) & 0xff;
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe("zstd", () => {
  it("compresses and decompresses, reads the frame content size", async () => {
    await ensureZstd();
    const data = new TextEncoder().encode("tape ".repeat(1000));
    const c = zstdCompress(data, 1);
    expect(zstdFrameContentSize(c)).toBe(data.length);
    expect(Buffer.from(zstdDecompress(c, 1 << 20)).equals(Buffer.from(data))).toBe(true);
    expect((await catchTapeError(() => zstdDecompress(c, 100))).code).toBe("decompress-failed");
  });

  it("decompresses frames that do not record their size, within the limit", async () => {
    await ensureZstd();
    const data = pseudoRandom(5000, 3);
    const frame = rawFrameWithoutSize(data);
    expect(zstdFrameContentSize(frame)).toBeNull();
    expect(Buffer.from(zstdDecompress(frame, 1 << 20)).equals(Buffer.from(data))).toBe(true);
    const err = await catchTapeError(() => zstdDecompress(frame, 4000));
    expect(err.code).toBe("decompress-failed");
  });

  it("retries with the full limit when an unsized frame exceeds the first 16 MiB try", async () => {
    await ensureZstd();
    const data = new Uint8Array(17 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
    const frame = rawFrameWithoutSize(data);
    const out = zstdDecompress(frame, 32 * 1024 * 1024);
    expect(out.length).toBe(data.length);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    const err = await catchTapeError(() => zstdDecompress(frame, 16 * 1024 * 1024));
    expect(err.message).toContain("exceeds the limit");
  });

  it("rejects garbage", async () => {
    await ensureZstd();
    expect((await catchTapeError(() => zstdDecompress(hex("28b52ffd00"), 1000))).code).toBe("decompress-failed");
    expect((await catchTapeError(() => zstdDecompress(hex("00112233445566"), 1000))).code).toBe("decompress-failed");
  });
});

describe("DataBlob", () => {
  it("uncompressed layout: magic, CRC-32 LE over the data, data at 12", async () => {
    const data = pseudoRandom(100, 9);
    const blob = await encodeDataBlob(data, { compress: false });
    expect(blob.length).toBe(112);
    expect(Buffer.from(blob.subarray(0, 8)).equals(Buffer.from(UNCOMPRESSED_BLOB_MAGIC_1_0))).toBe(true);
    expect(new DataView(blob.buffer).getUint32(8, true)).toBe(crc32(data));
    expect(parseDataBlob(blob).kind).toBe("uncompressed");
    expect(Buffer.from(await decodeDataBlob(blob)).equals(Buffer.from(data))).toBe(true);
  });

  it("compresses only when smaller", async () => {
    const text = new TextEncoder().encode("abc".repeat(4000));
    const c = await encodeDataBlob(text);
    expect(Buffer.from(c.subarray(0, 8)).equals(Buffer.from(COMPRESSED_BLOB_MAGIC_1_0))).toBe(true);
    expect(c.length).toBeLessThan(text.length);
    expect(Buffer.from(await decodeDataBlob(c)).equals(Buffer.from(text))).toBe(true);
    const random = pseudoRandom(4000, 5);
    expect(parseDataBlob(await encodeDataBlob(random)).kind).toBe("uncompressed");
  });

  it("encrypted: iv/tag at 12/28, CRC over the ciphertext only, decrypts with the key", async () => {
    const iv = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);
    for (const data of [new TextEncoder().encode("x".repeat(3000)), pseudoRandom(3000, 11)]) {
      const blob = await encodeDataBlob(data, { key: KEY, iv });
      const p = parseDataBlob(blob);
      expect(p.encrypted).toBe(true);
      expect(Buffer.from(p.iv!).equals(Buffer.from(iv))).toBe(true);
      expect(p.tag!.length).toBe(16);
      expect(p.crc).toBe(crc32(blob.subarray(44)));
      expect(Buffer.from(await decodeDataBlob(blob, { key: KEY })).equals(Buffer.from(data))).toBe(true);
      expect((await catchTapeError(() => decodeDataBlob(blob))).code).toBe("key-required");
      const other = KEY.slice();
      other[0] = 99;
      expect((await catchTapeError(() => decodeDataBlob(blob, { key: other }))).code).toBe("decrypt-failed");
    }
  });

  it("detects CRC mismatches, unknown magic and truncation", async () => {
    const blob = await encodeDataBlob(pseudoRandom(50, 1), { compress: false });
    const bad = blob.slice();
    flip(bad, 20, 1);
    expect((await catchTapeError(() => parseDataBlob(bad))).code).toBe("crc-mismatch");
    expect(parseDataBlob(bad, { verifyCrc: false }).kind).toBe("uncompressed");
    const magic = blob.slice();
    flip(magic, 0, 1);
    expect((await catchTapeError(() => parseDataBlob(magic))).code).toBe("bad-magic");
    expect((await catchTapeError(() => parseDataBlob(blob.subarray(0, 11)))).code).toBe("truncated");
    const enc = await encodeDataBlob(Uint8Array.of(1), { key: KEY });
    expect((await catchTapeError(() => parseDataBlob(enc.subarray(0, 40)))).code).toBe("truncated");
  });

  it("chunk digests: SHA-256 of plaintext, or with the id key for encrypted chunks", async () => {
    const data = new TextEncoder().encode("chunk".repeat(100));
    expect(Buffer.from(computeChunkDigest(data)).equals(Buffer.from(sha256(data)))).toBe(true);
    const plainBlob = await encodeDataBlob(data);
    expect(await verifyChunk(plainBlob, sha256(data))).toEqual({ digestChecked: true });
    expect((await catchTapeError(() => verifyChunk(plainBlob, new Uint8Array(32)))).code).toBe("digest-mismatch");
    const idKey = deriveIdKey(KEY);
    expect(idKey.length).toBe(32);
    const encDigest = sha256(Uint8Array.from([...data, ...idKey]));
    const encBlob = await encodeDataBlob(data, { key: KEY });
    expect(await verifyChunk(encBlob, encDigest)).toEqual({ digestChecked: false });
    expect(await verifyChunk(encBlob, encDigest, { key: KEY })).toEqual({ digestChecked: true });
  });
});
