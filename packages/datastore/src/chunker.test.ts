import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GearChunker, chunkStream } from "./chunker.ts";
import { expectCode, pseudoRandom } from "./test-support.ts";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

async function chunks(data: Uint8Array, avg: number, piece = 7777): Promise<Uint8Array[]> {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += piece) pieces.push(data.subarray(i, i + piece));
  const out: Uint8Array[] = [];
  for await (const c of chunkStream(pieces, { avgSize: avg })) out.push(c);
  return out;
}

describe("gear-hash chunker", () => {
  it("cuts within min and max and reassembles the input", async () => {
    const data = pseudoRandom(2_000_000, 21);
    const cs = await chunks(data, 16384);
    expect(sha(Buffer.concat(cs))).toBe(sha(data));
    for (const c of cs.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(4096);
      expect(c.length).toBeLessThanOrEqual(65536);
    }
    const avg = data.length / cs.length;
    expect(avg).toBeGreaterThan(16384 * 0.6);
    expect(avg).toBeLessThan(16384 * 1.6);
  });

  it("does not depend on how the input is split", async () => {
    const data = pseudoRandom(500_000, 22);
    const a = (await chunks(data, 8192, 1000)).map(sha);
    const b = (await chunks(data, 8192, 100_000)).map(sha);
    expect(a).toEqual(b);
  });

  it("cuts zeros at max size", async () => {
    const cs = await chunks(new Uint8Array(100_000), 4096);
    expect(cs[0]!.length).toBe(16384);
  });

  it("falls back onto the same boundaries after an insertion", async () => {
    const data = pseudoRandom(1_000_000, 23);
    const edited = new Uint8Array(Buffer.concat([data.subarray(0, 300_000), pseudoRandom(777, 24), data.subarray(300_000)]));
    const before = new Set((await chunks(data, 8192)).map(sha));
    const after = (await chunks(edited, 8192)).map(sha);
    const shared = after.filter((h) => before.has(h)).length;
    expect(shared / after.length).toBeGreaterThan(0.95);
  });

  it("refuses impossible parameters", async () => {
    await expectCode(() => new GearChunker({ avgSize: 32 }), "invalid-field");
    await expectCode(() => new GearChunker({ avgSize: 4096, minSize: 8192 }), "invalid-field");
    await expectCode(() => new GearChunker({ avgSize: 4096, maxSize: 4096 }), "invalid-field");
  });
});
