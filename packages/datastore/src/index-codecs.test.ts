import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DYNAMIC_INDEX_MAGIC, decodeDynamicIndex, dynamicChunkRange, dynamicDigest, encodeDynamicIndex } from "./dynamic-index.ts";
import { DatastoreError } from "./errors.ts";
import { FIXED_INDEX_MAGIC, INDEX_HEADER_SIZE, decodeFixedIndex, encodeFixedIndex, fixedChunkRange, fixedDigest } from "./fixed-index.ts";
import { expectCode, hex } from "./test-support.ts";

const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const digestN = (n: number): Uint8Array => sha(new Uint8Array([n, n >> 8]));

/** Byte builder independent of the encoder: header fields at their offsets. */
function buildFidx(opts: { size: number | bigint; chunkSize: number | bigint; digests: Uint8Array[]; csum?: Uint8Array; magic?: Uint8Array; extra?: number }): Uint8Array {
  const body = Buffer.concat(opts.digests);
  const out = new Uint8Array(INDEX_HEADER_SIZE + body.length + (opts.extra ?? 0));
  const dv = new DataView(out.buffer);
  out.set(opts.magic ?? hex("2f7f41ed91fd0fcd"), 0);
  out.set(hex("00112233445566778899aabbccddeeff"), 8);
  dv.setBigInt64(24, 1700000000n, true);
  out.set(opts.csum ?? sha(body), 32);
  dv.setBigUint64(64, BigInt(opts.size), true);
  dv.setBigUint64(72, BigInt(opts.chunkSize), true);
  out.set(body, INDEX_HEADER_SIZE);
  return out;
}

function buildDidx(entries: { end: number | bigint; digest: Uint8Array }[], opts: { csum?: Uint8Array; extra?: number } = {}): Uint8Array {
  const body = new Uint8Array(entries.length * 40);
  const dv = new DataView(body.buffer);
  entries.forEach((e, i) => {
    dv.setBigUint64(i * 40, BigInt(e.end), true);
    body.set(e.digest, i * 40 + 8);
  });
  const out = new Uint8Array(INDEX_HEADER_SIZE + body.length + (opts.extra ?? 0));
  out.set(hex("1c914ea519bab3cd"), 0);
  new DataView(out.buffer).setBigInt64(24, 1600000000n, true);
  out.set(opts.csum ?? sha(body), 32);
  out.set(body, INDEX_HEADER_SIZE);
  return out;
}

describe("fixed index (.fidx)", () => {
  it("has the documented magic", () => {
    expect(Buffer.from(FIXED_INDEX_MAGIC).toString("hex")).toBe("2f7f41ed91fd0fcd");
  });

  it("decodes a hand-built index with a partial last chunk", () => {
    const digests = [digestN(1), digestN(2), digestN(3)];
    const idx = decodeFixedIndex(buildFidx({ size: 2 * 4096 + 100, chunkSize: 4096, digests }));
    expect(idx.count).toBe(3);
    expect(idx.size).toBe(8292);
    expect(idx.chunkSize).toBe(4096);
    expect(idx.ctime).toBe(1700000000);
    expect(Buffer.from(idx.uuid).toString("hex")).toBe("00112233445566778899aabbccddeeff");
    expect(fixedDigest(idx, 2)).toEqual(digestN(3));
    expect(fixedChunkRange(idx, 2)).toEqual({ start: 8192, end: 8292 });
    expect(fixedChunkRange(idx, 0)).toEqual({ start: 0, end: 4096 });
  });

  it("encodes what the builder builds", () => {
    const digests = [digestN(1), digestN(2)];
    const uuid = hex("00112233445566778899aabbccddeeff");
    const enc = encodeFixedIndex({ size: 8192, chunkSize: 4096, digests, ctime: 1700000000, uuid });
    expect(enc).toEqual(buildFidx({ size: 8192, chunkSize: 4096, digests }));
  });

  it("accepts an empty image", () => {
    const idx = decodeFixedIndex(buildFidx({ size: 0, chunkSize: 4 << 20, digests: [] }));
    expect(idx.count).toBe(0);
  });

  it("rejects wrong magic, sizes and checksums with typed errors", async () => {
    const digests = [digestN(1), digestN(2)];
    const good = buildFidx({ size: 8192, chunkSize: 4096, digests });
    await expectCode(() => decodeFixedIndex(good.subarray(0, 5)), "truncated");
    await expectCode(() => decodeFixedIndex(good.subarray(0, 4000)), "truncated");
    const e1 = await expectCode(() => decodeFixedIndex(good.subarray(0, good.length - 1)), "truncated");
    expect(e1.message).toContain("expected 4160");
    await expectCode(() => decodeFixedIndex(buildFidx({ size: 8192, chunkSize: 4096, digests, extra: 32 })), "trailing-data");
    await expectCode(() => decodeFixedIndex(buildFidx({ size: 8192, chunkSize: 4096, digests, magic: DYNAMIC_INDEX_MAGIC })), "bad-magic");
    const e2 = await expectCode(() => decodeFixedIndex(buildFidx({ size: 8192, chunkSize: 3000, digests })), "invalid-field");
    expect(e2.field).toBe("chunk_size");
    await expectCode(() => decodeFixedIndex(buildFidx({ size: 8192, chunkSize: 0, digests })), "invalid-field");
    await expectCode(() => decodeFixedIndex(buildFidx({ size: 2n ** 63n, chunkSize: 4096, digests })), "invalid-field");
    const e3 = await expectCode(() => decodeFixedIndex(buildFidx({ size: 8192, chunkSize: 4096, digests, csum: new Uint8Array(32) })), "checksum-mismatch");
    expect(e3.field).toBe("index_csum");
    const flipped = good.slice();
    flipped[INDEX_HEADER_SIZE + 40]! ^= 1;
    await expectCode(() => decodeFixedIndex(flipped), "checksum-mismatch");
  });

  it("throws only DatastoreError for any truncation or garbage", () => {
    const good = buildFidx({ size: 3 * 4096, chunkSize: 4096, digests: [digestN(1), digestN(2), digestN(3)] });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), (n) => {
        expect(() => decodeFixedIndex(good.subarray(0, n))).toThrow(DatastoreError);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        try {
          decodeFixedIndex(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(DatastoreError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("refuses encoder input that does not fit", async () => {
    await expectCode(() => encodeFixedIndex({ size: 8192, chunkSize: 4096, digests: [digestN(1)] }), "invalid-field");
    await expectCode(() => encodeFixedIndex({ size: 8192, chunkSize: 4095, digests: [digestN(1), digestN(2)] }), "invalid-field");
  });
});

describe("dynamic index (.didx)", () => {
  it("decodes a hand-built index", () => {
    const entries = [
      { end: 1000, digest: digestN(1) },
      { end: 5000, digest: digestN(2) },
      { end: 5001, digest: digestN(1) },
    ];
    const idx = decodeDynamicIndex(buildDidx(entries));
    expect(idx.count).toBe(3);
    expect(idx.size).toBe(5001);
    expect(idx.ctime).toBe(1600000000);
    expect(dynamicDigest(idx, 1)).toEqual(digestN(2));
    expect(dynamicChunkRange(idx, 0)).toEqual({ start: 0, end: 1000 });
    expect(dynamicChunkRange(idx, 2)).toEqual({ start: 5000, end: 5001 });
  });

  it("computes index_csum over end(LE8) and digest of every entry", () => {
    const entries = [{ end: 0x0102, digest: digestN(7) }];
    const enc = encodeDynamicIndex({ entries, ctime: 1600000000, uuid: new Uint8Array(16) });
    const expected = sha(hex("0201000000000000"), digestN(7));
    expect(enc.subarray(32, 64)).toEqual(expected);
    expect(enc).toEqual(buildDidx(entries));
  });

  it("accepts an empty index", () => {
    expect(decodeDynamicIndex(buildDidx([])).size).toBe(0);
  });

  it("rejects bad input with typed errors", async () => {
    const entries = [
      { end: 10, digest: digestN(1) },
      { end: 20, digest: digestN(2) },
    ];
    const good = buildDidx(entries);
    await expectCode(() => decodeDynamicIndex(good.subarray(0, 100)), "truncated");
    await expectCode(() => decodeDynamicIndex(good.subarray(0, good.length - 1)), "truncated");
    await expectCode(() => decodeDynamicIndex(buildDidx(entries, { extra: 7 })), "truncated");
    await expectCode(() => decodeDynamicIndex(buildFidx({ size: 0, chunkSize: 4096, digests: [] })), "bad-magic");
    await expectCode(() => decodeDynamicIndex(buildDidx(entries, { csum: new Uint8Array(32) })), "checksum-mismatch");
    const e = await expectCode(() => decodeDynamicIndex(buildDidx([{ end: 20, digest: digestN(1) }, { end: 20, digest: digestN(2) }])), "invalid-field");
    expect(e.field).toBe("end_offset");
    await expectCode(() => decodeDynamicIndex(buildDidx([{ end: 0, digest: digestN(1) }])), "invalid-field");
    await expectCode(() => decodeDynamicIndex(buildDidx([{ end: 2n ** 60n, digest: digestN(1) }])), "invalid-field");
    await expectCode(() => encodeDynamicIndex({ entries: [{ end: 5, digest: digestN(1) }, { end: 4, digest: digestN(2) }] }), "invalid-field");
  });

  it("throws only DatastoreError for any truncation or garbage", () => {
    const good = buildDidx([{ end: 10, digest: digestN(1) }, { end: 30, digest: digestN(2) }]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), (n) => {
        expect(() => decodeDynamicIndex(good.subarray(0, n))).toThrow(DatastoreError);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4096, maxLength: 4300 }), (bytes) => {
        const b = bytes.slice();
        b.set(DYNAMIC_INDEX_MAGIC, 0);
        try {
          decodeDynamicIndex(b);
        } catch (err) {
          expect(err).toBeInstanceOf(DatastoreError);
        }
      }),
      { numRuns: 200 },
    );
  });
});
