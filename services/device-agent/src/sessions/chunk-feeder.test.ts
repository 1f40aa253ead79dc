import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSampleDatastore, type Datastore } from "@tapefleet/datastore";
import { BlobPool, ChunkFeeder } from "./chunk-feeder.ts";

let dir: string;
let ds: Datastore;
let digests: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tf-feeder-"));
  ds = (await createSampleDatastore(dir, { size: 1024 * 1024, seed: 3 })).datastore;
  digests = [];
  for await (const d of ds.chunks.listChunks()) digests.push(d);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tick = (n: number) => new Promise<void>((r) => (n === 0 ? queueMicrotask(r) : setTimeout(r, n)));

describe("ChunkFeeder", () => {
  it("delivers every chunk once, in source order, whatever the readers, depth and pacing", async () => {
    expect(digests.length).toBeGreaterThan(20);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 40 }),
        async (readers, depth, pace, count) => {
          const wanted = digests.slice(0, count);
          async function* source() {
            for (const [i, d] of wanted.entries()) {
              await tick(pace[i % pace.length]!);
              yield d;
            }
          }
          const feeder = new ChunkFeeder(ds, source(), { readers, queueDepth: depth });
          const got: string[] = [];
          for (let i = 0; ; i++) {
            const r = await feeder.next();
            if (r.done) break;
            got.push(Buffer.from(r.value.digest).toString("hex"));
            expect(Buffer.compare(r.value.blob, await ds.chunks.readChunk(wanted[i]!))).toBe(0);
            await tick(pace[(i + 1) % pace.length]!);
          }
          expect(got).toEqual(wanted);
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);

  it("reports a missing chunk at its place in the order", async () => {
    const missing = "ab".repeat(32);
    const feeder = new ChunkFeeder(ds, [digests[0]!, missing, digests[1]!], { readers: 2 });
    expect((await feeder.next()).done).toBe(false);
    await expect(feeder.next()).rejects.toMatchObject({ code: "datastore" });
  });

  it("refuses a reader count out of range", () => {
    expect(() => new ChunkFeeder(ds, [], { readers: 0 })).toThrow(/readers/);
  });
});

describe("ChunkFeeder with a BlobPool", () => {
  it("delivers every chunk intact while reusing a bounded set of buffers across feeders", async () => {
    const pool = new BlobPool({ maxFree: 6 });
    const buffers = new Set<ArrayBufferLike>();
    for (const part of [digests.slice(0, 15), digests.slice(15)]) {
      const feeder = new ChunkFeeder(ds, part, { readers: 3, queueDepth: 4, blobPool: pool });
      const got: string[] = [];
      for (;;) {
        const r = await feeder.next();
        if (r.done) break;
        const d = Buffer.from(r.value.digest).toString("hex");
        got.push(d);
        // the blob is exactly the chunk file, valid until the next call
        expect(Buffer.compare(r.value.blob, await ds.chunks.readChunk(d))).toBe(0);
        buffers.add(r.value.blob.buffer);
      }
      expect(got).toEqual(part);
    }
    // window of 4 plus the delivered chunk, never one buffer per chunk
    expect(buffers.size).toBeLessThanOrEqual(6);
    expect(digests.length).toBeGreaterThan(buffers.size * 3);
  });

  it("takes the smallest free buffer that fits and keeps at most maxFree", () => {
    const pool = new BlobPool({ maxFree: 2 });
    const a = pool.take(10);
    const b = pool.take(6 * 1024 * 1024);
    const c = pool.take(20);
    expect(a.length).toBe(10);
    expect(b.length).toBe(6 * 1024 * 1024);
    pool.give(b);
    pool.give(a);
    pool.give(c); // over maxFree: dropped
    expect(pool.take(100).buffer).toBe(a.buffer);
    expect(pool.take(5 * 1024 * 1024).buffer).toBe(b.buffer);
    expect(pool.take(100).buffer).not.toBe(c.buffer);
  });

  describe("idle buffers", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("are dropped once the pool went unused for idleMs, and not while it is in use", () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
      const pool = new BlobPool({ maxFree: 4, idleMs: 1000 });
      const a = pool.take(10);
      const b = pool.take(10);
      pool.give(a);
      pool.give(b);
      expect(pool.idle).toBe(2);
      // used again 600 ms later: the first check (at 1000 ms) finds it idle for only 400 ms
      vi.advanceTimersByTime(600);
      const c = pool.take(10);
      expect([a.buffer, b.buffer]).toContain(c.buffer); // a kept buffer, not a new one
      pool.give(c);
      vi.advanceTimersByTime(400);
      expect(pool.idle).toBe(2);
      // the re-check at 1600 ms: idle for a full second
      vi.advanceTimersByTime(600);
      expect(pool.idle).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
      // a new buffer after that, kept again until the pool idles again
      const d = pool.take(10);
      expect([a.buffer, b.buffer]).not.toContain(d.buffer);
      pool.give(d);
      expect(pool.idle).toBe(1);
      vi.advanceTimersByTime(1000);
      expect(pool.idle).toBe(0);
    });

    it("are kept without idleMs, and a bad idleMs is refused", () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
      const pool = new BlobPool({ maxFree: 2 });
      pool.give(pool.take(10));
      vi.advanceTimersByTime(24 * 3600 * 1000);
      expect(pool.idle).toBe(1);
      expect(vi.getTimerCount()).toBe(0);
      expect(() => new BlobPool({ idleMs: 0 })).toThrow(/idleMs: 0/);
      expect(() => new BlobPool({ idleMs: Number.NaN })).toThrow(/idleMs/);
    });
  });
});
