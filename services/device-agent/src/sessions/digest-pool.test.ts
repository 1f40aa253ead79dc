import { computeChunkDigest, encodeDataBlob, TapeFormatError } from "@tapefleet/tape-format";
import { afterAll, describe, expect, it } from "vitest";
import { DigestPool } from "./digest-pool.ts";

function plaintext(seed: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = seed * 2654435761;
  // half compressible text, half noise
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = i % 2 === 0 ? 97 + (i % 7) : x >>> 24;
  }
  return b;
}

const pool = new DigestPool({ workers: 2 });
afterAll(() => pool.close());

describe("DigestPool", () => {
  it("verifies compressed and plain chunks in workers, in any number at once, and hands every blob back unchanged", async () => {
    await pool.start(); // both workers loaded
    const chunks = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const plain = plaintext(i, 1000 + i * 50_000);
        const blob = await encodeDataBlob(plain, { compress: i % 3 !== 0 });
        return { blob, copy: blob.slice(), digest: computeChunkDigest(plain) };
      }),
    );
    const results = await Promise.all(chunks.map((c) => pool.verify(c.blob, c.digest)));
    for (const [i, r] of results.entries()) {
      expect(r.digestChecked).toBe(true);
      expect(Buffer.from(r.blob).equals(chunks[i]!.copy)).toBe(true);
    }
  });

  it("reports a wrong digest and a bad CRC as the TapeFormatErrors verifyChunk throws", async () => {
    const plain = plaintext(99, 70_000);
    const blob = await encodeDataBlob(plain);
    const wrong = computeChunkDigest(plaintext(98, 70_000));
    const e1 = await pool.verify(blob.slice(), wrong).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(TapeFormatError);
    expect(e1).toMatchObject({ code: "digest-mismatch", field: "digest" });
    const bad = blob.slice();
    bad[bad.length - 1]! ^= 0xff;
    await expect(pool.verify(bad, computeChunkDigest(plain))).rejects.toMatchObject({ code: "crc-mismatch", field: "crc" });
    // the pool keeps working after errors
    await expect(pool.verify(blob.slice(), computeChunkDigest(plain))).resolves.toMatchObject({ digestChecked: true });
  });

  it("copies a blob that shares its memory (the rest of the buffer stays usable) and verifies inline with no workers", async () => {
    const plain = plaintext(5, 30_000);
    const blob = await encodeDataBlob(plain);
    const shared = new Uint8Array(blob.length + 10);
    shared.set(blob, 5);
    const view = shared.subarray(5, 5 + blob.length);
    const r = await pool.verify(view, computeChunkDigest(plain));
    expect(r.digestChecked).toBe(true);
    expect(shared.byteLength).toBe(blob.length + 10);
    expect(Buffer.from(view).equals(Buffer.from(blob))).toBe(true);
    const inline = new DigestPool({ workers: 0 });
    await expect(inline.verify(blob, computeChunkDigest(plain))).resolves.toMatchObject({ digestChecked: true });
    await expect(inline.verify(blob, computeChunkDigest(plaintext(6, 30_000)))).rejects.toMatchObject({ code: "digest-mismatch" });
    expect(() => new DigestPool({ workers: -1 })).toThrow(RangeError);
  });
});

describe("DigestPool with Buffer views", () => {
  it("never moves the memory around a Buffer view (whose slice() is a view too)", async () => {
    const plain = plaintext(8, 20_000);
    const blob = await encodeDataBlob(plain);
    const big = Buffer.alloc(blob.length + 64, 0x5a);
    big.set(blob, 32);
    const view = big.subarray(32, 32 + blob.length);
    const r = await pool.verify(view, computeChunkDigest(plain));
    expect(r.digestChecked).toBe(true);
    expect(big.length).toBe(blob.length + 64);
    expect(big[0]).toBe(0x5a);
    expect(big.subarray(32, 32 + blob.length).equals(Buffer.from(blob))).toBe(true);
  });
});
