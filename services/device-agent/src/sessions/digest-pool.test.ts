import { computeChunkDigest, encodeDataBlob, TapeFormatError } from "@tapefleet/tape-format";
import { afterAll, describe, expect, it } from "vitest";
import { DigestPool, SharedBlobPool } from "./digest-pool.ts";

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

describe("SharedBlobPool", () => {
  it("hands out views of exactly the requested length over a SharedArrayBuffer", () => {
    const blobs = new SharedBlobPool();
    for (const size of [0, 1, 1000, 5 * 1024 * 1024]) {
      const v = blobs.take(size);
      expect(v.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(v.length).toBe(size);
      expect(v.byteOffset).toBe(0);
      expect(v.buffer.byteLength).toBeGreaterThanOrEqual(size);
    }
  });

  it("reuses a given-back buffer for any size that fits, and allocates one for a size that does not", () => {
    const blobs = new SharedBlobPool();
    const big = blobs.take(5 * 1024 * 1024);
    blobs.give(big);
    const small = blobs.take(100);
    expect(small.buffer).toBe(big.buffer);
    expect(small.length).toBe(100);
    blobs.give(small);
    const again = blobs.take(5 * 1024 * 1024);
    expect(again.buffer).toBe(big.buffer);
    expect(again.length).toBe(5 * 1024 * 1024);
    blobs.give(again);
    const larger = blobs.take(big.buffer.byteLength + 1);
    expect(larger.buffer).not.toBe(big.buffer);
    expect(larger.buffer).toBeInstanceOf(SharedArrayBuffer);
    // the big buffer is still idle in the pool
    expect(blobs.take(10).buffer).toBe(big.buffer);
  });

  it("ignores buffers that are not shared", () => {
    const blobs = new SharedBlobPool({ maxFree: 4 });
    blobs.give(new Uint8Array(8 * 1024 * 1024));
    blobs.give(Buffer.alloc(100));
    const v = blobs.take(100);
    expect(v.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(v.length).toBe(100);
  });

  it("keeps at most maxFree idle buffers", () => {
    const blobs = new SharedBlobPool({ maxFree: 2 });
    const taken = [blobs.take(1000), blobs.take(1000), blobs.take(1000)];
    const buffers = taken.map((v) => v.buffer);
    expect(new Set(buffers).size).toBe(3);
    for (const v of taken) blobs.give(v);
    const back = [blobs.take(1000), blobs.take(1000), blobs.take(1000)].map((v) => v.buffer);
    // the first two given back are reused; the third was dropped, so a new buffer is allocated
    expect(new Set(back.slice(0, 2))).toEqual(new Set(buffers.slice(0, 2)));
    expect(buffers).not.toContain(back[2]);
    expect(back[2]).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe("DigestPool with blobs in shared memory", () => {
  const single = new DigestPool({ workers: 1 });
  afterAll(() => single.close());

  async function sharedChunks(blobs: SharedBlobPool) {
    return Promise.all(
      [true, false].map(async (compress, i) => {
        const plain = plaintext(40 + i, 60_000 + i * 10_000);
        const encoded = await encodeDataBlob(plain, { compress });
        const view = blobs.take(encoded.length);
        view.set(encoded);
        return { view, encoded, digest: computeChunkDigest(plain) };
      }),
    );
  }

  for (const [name, p] of [["1 worker", single], ["2 workers", pool]] as const) {
    it(`verifies compressed and plain chunks in place with ${name}: the result is the same view`, async () => {
      await p.start(); // workers loaded: the chunks go to a worker, not the inline fallback
      const blobs = new SharedBlobPool();
      const chunks = await sharedChunks(blobs);
      // the compressed one really is compressed
      expect(chunks[0]!.encoded.length).toBeLessThan(60_000);
      const results = await Promise.all(chunks.map((c) => p.verify(c.view, c.digest)));
      for (const [i, r] of results.entries()) {
        expect(r.digestChecked).toBe(true);
        expect(r.blob).toBe(chunks[i]!.view);
        expect(r.blob.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(Buffer.from(r.blob).equals(Buffer.from(chunks[i]!.encoded))).toBe(true);
      }
    });

    it(`reports a corrupted shared blob and a wrong digest with ${name}, and keeps working`, async () => {
      const blobs = new SharedBlobPool();
      const [compressed, plain] = await sharedChunks(blobs);
      compressed!.view[compressed!.view.length - 1]! ^= 0xff;
      await expect(p.verify(compressed!.view, compressed!.digest)).rejects.toMatchObject({ code: "crc-mismatch", field: "crc" });
      const e = await p.verify(plain!.view, compressed!.digest).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(TapeFormatError);
      expect(e).toMatchObject({ code: "digest-mismatch", field: "digest" });
      // the view was not moved away by the failed check: still usable and verifiable
      expect(plain!.view.length).toBe(plain!.encoded.length);
      compressed!.view.set(compressed!.encoded);
      await expect(p.verify(compressed!.view, compressed!.digest)).resolves.toMatchObject({ digestChecked: true, blob: compressed!.view });
    });
  }
});
