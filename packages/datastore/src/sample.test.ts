import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseBlob } from "./blob.ts";
import type { SnapshotInfo } from "./datastore.ts";
import { createSampleDatastore, type SampleReport } from "./sample.ts";
import { expectCode, useTmpDirs } from "./test-support.ts";
import { verifyDatastore } from "./verify.ts";

const tmp = useTmpDirs();
const SIZE = 4 * 1024 * 1024;
let sample: SampleReport;
let snaps: SnapshotInfo[];

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Every file below `dir` with the SHA-256 of its content. */
async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(dir, p), createHash("sha256").update(await readFile(p)).digest("hex"));
    }
  };
  await walk(dir);
  return out;
}

beforeAll(async () => {
  sample = await createSampleDatastore(await tmp(), { size: SIZE, seed: 1 });
  snaps = await collect(sample.datastore.selectSnapshots({ includeUnfinished: true }));
});

describe("sample datastore", () => {
  it("has roughly the requested size", () => {
    expect(sample.chunkBytes / SIZE).toBeGreaterThan(0.75);
    expect(sample.chunkBytes / SIZE).toBeLessThan(1.25);
    expect(sample.chunks).toBeGreaterThan(100);
  });

  it("has nested namespaces and vm, ct and host groups with several snapshots each", async () => {
    const ds = sample.datastore;
    const namespaces = (await ds.listNamespaces()).map((n) => n.join("/"));
    expect(namespaces).toEqual(expect.arrayContaining(["", "prod", "prod/db", "dev", "dev/ci", "dev/ci/nightly"]));
    const groups = new Map<string, number>();
    for (const s of snaps) if (s.finished) groups.set(`${s.ns.join("/")}:${s.type}/${s.id}`, (groups.get(`${s.ns.join("/")}:${s.type}/${s.id}`) ?? 0) + 1);
    expect(groups.size).toBe(sample.groups);
    for (const n of groups.values()) expect(n).toBeGreaterThanOrEqual(2);
    expect(new Set(snaps.map((s) => s.type))).toEqual(new Set(["vm", "ct", "host"]));
    expect(snaps.filter((s) => s.finished)).toHaveLength(sample.snapshots);
    expect(snaps.filter((s) => s.protected)).toHaveLength(1);
    expect(snaps.filter((s) => !s.finished)).toHaveLength(1);
    let notes = 0;
    for (const ns of await ds.listNamespaces()) for (const g of await ds.listGroups(ns)) if (await ds.readGroupNotes(g)) notes++;
    expect(notes).toBeGreaterThan(0);
  });

  it("writes consistent snapshots: manifests match files, fidx and didx, client logs", async () => {
    const ds = sample.datastore;
    const kinds = new Set<string>();
    for (const s of snaps.filter((x) => x.finished)) {
      const m = await ds.readManifest(s);
      expect(await ds.hasClientLog(s)).toBe(true);
      for (const f of m.files) {
        const raw = await ds.readSnapshotFile(s, f.filename);
        if (f.filename.endsWith(".blob")) {
          expect(f.csum).toBe(createHash("sha256").update(raw).digest("hex"));
          expect(f.size).toBe(raw.length);
          continue;
        }
        const idx = await ds.readIndex(s, f.filename);
        kinds.add(idx.kind);
        expect(f.size).toBe(idx.size);
        expect(f.csum).toBe(Buffer.from(idx.indexCsum).toString("hex"));
      }
    }
    expect(kinds).toEqual(new Set(["fixed", "dynamic"]));
  });

  it("verifies clean: every chunk matches its digest and none is missing", async () => {
    const r = await verifyDatastore(sample.datastore);
    expect(r.bad).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.chunks).toBe(sample.chunks);
    expect(r.digestChecked).toBe(sample.chunks);
    expect(r.snapshots).toBe(sample.snapshots);
  });

  it("shares most chunks between consecutive snapshots of a group", async () => {
    const ds = sample.datastore;
    let shared = 0;
    let total = 0;
    for (const ns of await ds.listNamespaces()) {
      for (const g of await ds.listGroups(ns)) {
        const list = (await ds.listSnapshots(g)).filter((s) => s.finished);
        for (let i = 1; i < list.length; i++) {
          const prev = new Set(await collect(ds.snapshotDigests(list[i - 1]!)));
          const cur = await collect(ds.snapshotDigests(list[i]!));
          shared += cur.filter((d) => prev.has(d)).length;
          total += cur.length;
        }
      }
    }
    expect(shared / total).toBeGreaterThan(0.85);
    expect(shared / total).toBeLessThan(1);
    expect(sample.logicalBytes / sample.uniquePlainBytes).toBeGreaterThan(2);
  });

  it("mixes compressible and incompressible chunks", async () => {
    const kinds = new Map<string, number>();
    let n = 0;
    for await (const d of sample.datastore.chunks.listChunks()) {
      const k = parseBlob(await sample.datastore.chunks.readChunk(d)).kind;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      if (++n >= 200) break;
    }
    expect(kinds.get("compressed") ?? 0).toBeGreaterThan(10);
    expect(kinds.get("uncompressed") ?? 0).toBeGreaterThan(10);
    expect(sample.chunkBytes).toBeLessThan(sample.uniquePlainBytes);
  });

  it("is deterministic from the seed", async () => {
    const a = await createSampleDatastore(await tmp(), { size: 1024 * 1024, seed: 42 });
    const b = await createSampleDatastore(await tmp(), { size: 1024 * 1024, seed: 42 });
    const c = await createSampleDatastore(await tmp(), { size: 1024 * 1024, seed: 43 });
    const ta = await tree(a.datastore.path);
    expect(ta).toEqual(await tree(b.datastore.path));
    const tc = await tree(c.datastore.path);
    const chunksA = [...ta.keys()].filter((k) => k.startsWith(".chunks"));
    const chunksC = new Set([...tc.keys()].filter((k) => k.startsWith(".chunks")));
    expect(chunksA.filter((k) => chunksC.has(k)).length / chunksA.length).toBeLessThan(0.2);
  });

  it("refuses sizes that are too small", async () => {
    await expectCode(async () => createSampleDatastore(await tmp(), { size: 1000 }), "invalid-field");
  });
});
