import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSampleDatastore, type Datastore } from "@tapefleet/datastore";
import { ChunkFeeder } from "./chunk-feeder.ts";

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
