import { open, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartridgeStore, INDEX_ENTRY_SIZE, KIND_FILEMARK, KIND_RECORD, WRITEBACK_BYTES } from "./cartridge-store.ts";
import { tempDir } from "./test-support.ts";

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function paths() {
  n++;
  return [join(dir, `c${n}.data`), join(dir, `c${n}.idx`)] as const;
}

function payload(i: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let k = 0; k < len; k++) b[k] = (i * 7 + k) & 0xff;
  return b;
}

/** Objects: number = record of that length, "F" = filemark. */
type Obj = number | "F";

async function writeObjects(s: CartridgeStore, objs: Obj[]): Promise<void> {
  for (const [i, o] of objs.entries()) {
    if (o === "F") s.appendFilemark();
    else await s.appendRecord(payload(i, o), o, false, 0);
  }
}

async function readAll(s: CartridgeStore): Promise<Obj[]> {
  const out: Obj[] = [];
  for (let p = 0; p < s.objectCount; p++) {
    const e = await s.entry(p);
    if (e.kind === KIND_FILEMARK) out.push("F");
    else {
      const data = await s.readStored(e);
      expect(data.equals(payload(p, e.logicalLength))).toBe(true);
      out.push(e.logicalLength);
    }
  }
  return out;
}

describe("CartridgeStore", () => {
  it("reads back what a model holds after any mix of appends, filemarks, flushes, syncs, truncates, reopens and power losses", async () => {
    const MiB = 1024 * 1024;
    const op = fc.oneof(
      { weight: 8, arbitrary: fc.record({ t: fc.constant("rec" as const), len: fc.integer({ min: 1, max: 9000 }) }) },
      { weight: 3, arbitrary: fc.record({ t: fc.constant("rec" as const), len: fc.integer({ min: 200_000, max: 300_000 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("rec" as const), len: fc.integer({ min: 8 * MiB - 5000, max: 8 * MiB + 9000 }) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant("fm" as const) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constantFrom("sync" as const, "flush" as const, "reopen" as const, "power-loss" as const) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const [d, i] = paths();
        let s = await CartridgeStore.open(d, i);
        let model: Obj[] = [];
        let synced = 0;
        try {
          for (const o of ops) {
            if (o.t === "rec") {
              await s.appendRecord(payload(model.length, o.len), o.len, false, 0);
              model.push(o.len);
            } else if (o.t === "fm") {
              s.appendFilemark();
              model.push("F");
            } else if (o.t === "flush") {
              await s.flush();
            } else if (o.t === "sync") {
              await s.sync();
              synced = model.length;
            } else if (o.t === "truncate") {
              const at = Math.floor(o.at * model.length);
              await s.truncate(at);
              model = model.slice(0, at);
              synced = Math.min(synced, at);
            } else if (o.t === "reopen") {
              await s.close();
              s = await CartridgeStore.open(d, i);
              synced = model.length;
              expect(s.usedBytes).toBe(model.reduce<number>((n, x) => n + (x === "F" ? 0 : x), 0));
            } else {
              await s.abandon();
              s = await CartridgeStore.open(d, i);
              // everything up to the last sync survives, and what else survives is what was appended
              const got = await readAll(s);
              expect(got.length).toBeGreaterThanOrEqual(synced);
              expect(got).toEqual(model.slice(0, got.length));
              model = got;
              synced = got.length;
            }
          }
          expect(await readAll(s)).toEqual(model);
          await s.close();
          expect((await stat(d)).size).toBe(s.usedBytes);
          const again = await CartridgeStore.open(d, i);
          expect(await readAll(again)).toEqual(model);
          await again.close();
        } finally {
          await s.abandon();
          await rm(d, { force: true });
          await rm(i, { force: true });
        }
      }),
      { numRuns: 25, seed: 5151 },
    );
  });

  it("appends, indexes filemarks, survives reopen", async () => {
    const [d, i] = paths();
    const s = await CartridgeStore.open(d, i);
    const objs: Obj[] = [10, 20, "F", 5, "F", "F", 7];
    await writeObjects(s, objs);
    expect(s.objectCount).toBe(7);
    expect(s.filemarkCount).toBe(3);
    expect(s.fileNumberAt(3)).toBe(1);
    expect(s.fileNumberAt(7)).toBe(3);
    expect(s.filemarkPosition(1)).toBe(4);
    expect(s.firstFilemarkAtOrAfter(5)).toBe(2);
    expect(s.usedBytes).toBe(42);
    await s.close();
    expect((await stat(i)).size).toBe(7 * INDEX_ENTRY_SIZE);
    const again = await CartridgeStore.open(d, i);
    expect(await readAll(again)).toEqual(objs);
    expect(again.filemarkPosition(2)).toBe(5);
    await again.truncate(3);
    expect(again.objectCount).toBe(3);
    expect(again.filemarkCount).toBe(1);
    expect(again.usedBytes).toBe(30);
    await again.close();
    expect((await stat(d)).size).toBe(30);
  });

  it("loses unsynced records on power loss but keeps everything up to the last sync", async () => {
    const [d, i] = paths();
    const s = await CartridgeStore.open(d, i);
    await writeObjects(s, [100, 200, "F"]);
    await s.sync();
    await s.appendRecord(payload(3, 50), 50, false, 0);
    await s.abandon();
    const r = await CartridgeStore.open(d, i);
    expect(await readAll(r)).toEqual([100, 200, "F"]);
    await r.close();
  });

  it("repairs arbitrary truncation of either file: never a torn record, a prefix of the objects", async () => {
    const objs: Obj[] = [300, 1, "F", 4000, 17, "F", "F", 999, 2];
    const [d0, i0] = paths();
    const s0 = await CartridgeStore.open(d0, i0);
    await writeObjects(s0, objs);
    await s0.close();
    const data = await readFile(d0);
    const index = await readFile(i0);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: data.length }), fc.integer({ min: 0, max: index.length }), async (dataLen, indexLen) => {
        const [d, i] = paths();
        await writeFile(d, data.subarray(0, dataLen));
        await writeFile(i, index.subarray(0, indexLen));
        const s = await CartridgeStore.open(d, i);
        const got = await readAll(s);
        expect(got).toEqual(objs.slice(0, got.length));
        // the index is cut at whole entries and the data after the last intact record
        expect((await stat(i)).size).toBe(got.length * INDEX_ENTRY_SIZE);
        expect((await stat(d)).size).toBe(s.usedBytes);
        // writing continues cleanly after the repair
        await s.appendRecord(payload(got.length, 3), 3, false, 0);
        await s.close();
        const again = await CartridgeStore.open(d, i);
        expect((await readAll(again)).length).toBe(got.length + 1);
        await again.close();
      }),
      { numRuns: 60, seed: 4242 },
    );
  });

  it("stops at a corrupted index entry", async () => {
    const [d, i] = paths();
    const s = await CartridgeStore.open(d, i);
    await writeObjects(s, [8, 8, 8, 8]);
    await s.close();
    const h = await open(i, "r+");
    await h.write(Buffer.from([0xff]), 0, 1, 2 * INDEX_ENTRY_SIZE + 9);
    await h.close();
    const r = await CartridgeStore.open(d, i);
    expect(r.objectCount).toBe(2);
    expect(r.usedBytes).toBe(16);
    await r.close();
  });

  it("keeps memory bounded: large appends go to disk in batches", async () => {
    const [d, i] = paths();
    const s = await CartridgeStore.open(d, i);
    const rec = Buffer.alloc(256 * 1024, 1);
    for (let k = 0; k < 72; k++) await s.appendRecord(rec, rec.length, false, 0);
    // 18 MiB appended: at most two 8 MiB buffers are held (one being written behind), so the
    // first 8 MiB are in the file before any sync
    expect((await stat(d)).size).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    await s.close();
    expect((await stat(d)).size).toBe(72 * rec.length);
    await truncate(i, 71 * INDEX_ENTRY_SIZE + 5);
    const r = await CartridgeStore.open(d, i);
    expect(r.objectCount).toBe(71);
    const e = await r.entry(70);
    expect(e.kind).toBe(KIND_RECORD);
    await r.close();
  });

  it("keeps record boundaries across buffer flushes, records larger than the buffer and many filemarks, and reads back what was appended meanwhile", async () => {
    const [d, i] = paths();
    const s = await CartridgeStore.open(d, i);
    const MiB = 1024 * 1024;
    // sizes around the 8 MiB append buffer, one record larger than it, 5000 filemarks (more than an index buffer)
    const objs: Obj[] = [3 * MiB, 5 * MiB - 7, 1, 9 * MiB + 3, 8 * MiB, "F", 17, 8 * MiB - 17, 2, ...Array<Obj>(5000).fill("F"), 255, "F"];
    await writeObjects(s, objs);
    // reading flushes the buffers; reading all objects twice exercises the read-ahead windows
    expect(await readAll(s)).toEqual(objs);
    expect(await readAll(s)).toEqual(objs);
    // appending after reading, then reading the new record (the windows never serve stale data)
    await s.truncate(3);
    await s.appendRecord(payload(3, 1000), 1000, false, 0);
    expect(await readAll(s)).toEqual([...objs.slice(0, 3), 1000]);
    await s.close();
    const r = await CartridgeStore.open(d, i);
    expect(await readAll(r)).toEqual([...objs.slice(0, 3), 1000]);
    expect(r.usedBytes).toBe(3 * MiB + 5 * MiB - 7 + 1 + 1000);
    await r.close();
  });

  it("flushes the data file in the background while appends go on; sync, truncate, close and abandon wait for it", async () => {
    const [d, i] = paths();
    const s = await CartridgeStore.open(d, i);
    const MiB = 1024 * 1024;
    const objs: Obj[] = [];
    // 3 × WRITEBACK_BYTES in 1 MiB records with a filemark every 4 MiB
    for (let k = 0; k < (3 * WRITEBACK_BYTES) / MiB; k++) {
      objs.push(MiB);
      await s.appendRecord(payload(objs.length - 1, MiB), MiB, false, 0);
      if (k % 4 === 3) {
        s.appendFilemark();
        objs.push("F");
      }
    }
    await s.flush();
    expect(s.writebacks).toBeGreaterThanOrEqual(1);
    // a truncate right behind a background flush, then more appends and a sync
    await s.truncate(objs.length - 2);
    objs.length -= 2;
    for (let k = 0; k < WRITEBACK_BYTES / MiB + 1; k++) {
      objs.push(MiB);
      await s.appendRecord(payload(objs.length - 1, MiB), MiB, false, 0);
    }
    await s.sync();
    expect(await readAll(s)).toEqual(objs);
    // abandoned with a background flush possibly in flight: everything up to the sync survives
    for (let k = 0; k < WRITEBACK_BYTES / MiB + 1; k++) await s.appendRecord(payload(objs.length + k, MiB), MiB, false, 0);
    await s.abandon();
    const r = await CartridgeStore.open(d, i);
    expect(r.objectCount).toBeGreaterThanOrEqual(objs.length);
    expect((await readAll(r)).slice(0, objs.length)).toEqual(objs);
    await r.close();
  });

  it("flushes running at the same time write in order", async () => {
    const [d, i] = paths();
    const s = await CartridgeStore.open(d, i);
    const objs: Obj[] = [];
    const pending: Promise<void>[] = [];
    for (let k = 0; k < 12; k++) {
      objs.push(1000 + k);
      await s.appendRecord(payload(objs.length - 1, 1000 + k), 1000 + k, false, 0);
      if (k % 3 === 0) {
        s.appendFilemark();
        objs.push("F");
      }
      pending.push(s.flush());
    }
    await Promise.all(pending);
    await s.abandon();
    const r = await CartridgeStore.open(d, i);
    expect(await readAll(r)).toEqual(objs);
    await r.close();
  });
});
