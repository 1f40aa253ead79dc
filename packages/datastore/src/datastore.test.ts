import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Datastore, openDatastore, type SnapshotInfo } from "./datastore.ts";
import { ingestFiles } from "./ingest.ts";
import { formatSnapshotTime, type BackupType, type Namespace } from "./names.ts";
import { expectCode, pseudoRandom, useTmpDirs } from "./test-support.ts";

const tmp = useTmpDirs();
const T0 = 1700000000;
const DEEP: Namespace = ["a", "b", "c", "d", "e", "f", "g"];
let ds: Datastore;

async function snap(ns: Namespace, type: BackupType, id: string, time: number, data?: Uint8Array): Promise<void> {
  await ingestFiles(ds, {
    ns,
    type,
    id,
    time,
    owner: "root@pam",
    chunkSize: 4096,
    files: [
      { name: "drive-scsi0", data: data ?? pseudoRandom(10000, time % 1000), as: "image" },
      { name: "qemu-server.conf", data: new TextEncoder().encode(`name: ${id}\n`) },
    ],
  });
}

const names = (snaps: SnapshotInfo[]): string[] => snaps.map((s) => `${s.ns.join("/")}:${s.type}/${s.id}/${formatSnapshotTime(s.time)}`);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

beforeAll(async () => {
  const base = await tmp();
  await expectCode(() => openDatastore(base, { name: "t" }), "not-found");
  await mkdir(join(base, ".chunks"));
  ds = await openDatastore(base, { name: "t" });
  // chunk 0 and chunk 2 equal: digests are deduplicated per snapshot
  const repeated = new Uint8Array(4096 * 3);
  repeated.set(pseudoRandom(4096, 1), 0);
  repeated.set(pseudoRandom(4096, 2), 4096);
  repeated.set(pseudoRandom(4096, 1), 8192);
  await snap([], "vm", "100", T0, repeated);
  await snap([], "vm", "100", T0 + 3600);
  await snap([], "vm", "20", T0);
  await snap([], "ct", "200", T0);
  await snap([], "host", "elsa", T0);
  await snap(["a"], "vm", "100", T0);
  await snap(["a", "b"], "ct", "300", T0);
  await snap(DEEP, "host", "deep", T0);
  await snap(["z"], "vm", "1", T0);
  // an unfinished (newest) snapshot and a protected one
  await mkdir(ds.resolvePath(`vm/100/${formatSnapshotTime(T0 + 7200)}`));
  await writeFile(ds.resolvePath(`vm/100/${formatSnapshotTime(T0)}/.protected`), "");
  await writeFile(ds.resolvePath("vm/100/notes"), "group notes\n");
  // entries that are not namespaces, groups or snapshots
  await mkdir(ds.resolvePath("ns/bad name"), { recursive: true });
  await mkdir(ds.resolvePath("vm/bad id"), { recursive: true });
  await mkdir(ds.resolvePath("vm/100/not-a-time"), { recursive: true });
  await mkdir(ds.resolvePath("vm/100/2023-02-30T00:00:00Z"), { recursive: true });
  await mkdir(ds.resolvePath("qemu/100"), { recursive: true });
  await writeFile(ds.resolvePath("ns/file"), "");
});

describe("namespaces", () => {
  it("lists all namespaces depth first, sorted, ignoring invalid names", async () => {
    const all = await ds.listNamespaces();
    expect(all.map((n) => n.join("/"))).toEqual(["", "a", "a/b", "a/b/c", "a/b/c/d", "a/b/c/d/e", "a/b/c/d/e/f", "a/b/c/d/e/f/g", "z"]);
  });

  it("honours the start namespace and max-depth", async () => {
    expect((await ds.listNamespaces({ maxDepth: 0 })).map((n) => n.join("/"))).toEqual([""]);
    expect((await ds.listNamespaces({ maxDepth: 1 })).map((n) => n.join("/"))).toEqual(["", "a", "z"]);
    expect((await ds.listNamespaces({ ns: ["a"], maxDepth: 1 })).map((n) => n.join("/"))).toEqual(["a", "a/b"]);
    expect((await ds.listNamespaces({ ns: DEEP })).map((n) => n.join("/"))).toEqual(["a/b/c/d/e/f/g"]);
  });

  it("refuses bad depths and unknown namespaces", async () => {
    await expectCode(() => ds.listNamespaces({ maxDepth: 8 }), "invalid-field");
    await expectCode(() => ds.listNamespaces({ ns: DEEP, maxDepth: 1 }), "invalid-field");
    await expectCode(() => ds.listNamespaces({ ns: ["nope"] }), "not-found");
    await expectCode(() => ds.listNamespaces({ ns: [".."] }), "invalid-name");
  });
});

describe("groups and snapshots", () => {
  it("lists groups in PBS order with owner and notes", async () => {
    const groups = await ds.listGroups([]);
    expect(groups.map((g) => `${g.type}/${g.id}`)).toEqual(["ct/200", "host/elsa", "vm/20", "vm/100"]);
    expect(await ds.readOwner(groups[3]!)).toBe("root@pam");
    expect(await ds.readGroupNotes(groups[3]!)).toBe("group notes\n");
    expect(await ds.readGroupNotes(groups[0]!)).toBeUndefined();
    expect(await ds.listGroups(["nope"])).toEqual([]);
  });

  it("lists snapshots oldest first with finished and protected flags", async () => {
    const snaps = await ds.listSnapshots({ ns: [], type: "vm", id: "100" });
    expect(snaps.map((s) => [formatSnapshotTime(s.time), s.finished, s.protected])).toEqual([
      ["2023-11-14T22:13:20Z", true, true],
      ["2023-11-14T23:13:20Z", true, false],
      ["2023-11-15T00:13:20Z", false, false],
    ]);
    expect(snaps[0]!.path).toBe("vm/100/2023-11-14T22:13:20Z");
    expect((await ds.snapshotInfo(snaps[2]!)).finished).toBe(false);
    await expectCode(() => ds.snapshotInfo({ ns: [], type: "vm", id: "100", time: 1 }), "not-found");
  });

  it("selects finished snapshots across namespaces in order", async () => {
    const all = names(await collect(ds.selectSnapshots()));
    expect(all).toEqual([
      ":ct/200/2023-11-14T22:13:20Z",
      ":host/elsa/2023-11-14T22:13:20Z",
      ":vm/20/2023-11-14T22:13:20Z",
      ":vm/100/2023-11-14T22:13:20Z",
      ":vm/100/2023-11-14T23:13:20Z",
      "a:vm/100/2023-11-14T22:13:20Z",
      "a/b:ct/300/2023-11-14T22:13:20Z",
      "a/b/c/d/e/f/g:host/deep/2023-11-14T22:13:20Z",
      "z:vm/1/2023-11-14T22:13:20Z",
    ]);
    const withUnfinished = await collect(ds.selectSnapshots({ includeUnfinished: true, ns: [], maxDepth: 0, groupFilters: ["group:vm/100"] }));
    expect(withUnfinished.map((s) => s.finished)).toEqual([true, true, false]);
  });

  it("latest-only takes the newest finished snapshot of each group", async () => {
    const latest = names(await collect(ds.selectSnapshots({ latestOnly: true, maxDepth: 0 })));
    expect(latest).toEqual([":ct/200/2023-11-14T22:13:20Z", ":host/elsa/2023-11-14T22:13:20Z", ":vm/20/2023-11-14T22:13:20Z", ":vm/100/2023-11-14T23:13:20Z"]);
  });

  it("applies group filters and namespace limits", async () => {
    const vms = names(await collect(ds.selectSnapshots({ groupFilters: ["type:vm", "exclude:group:vm/20"], latestOnly: true })));
    expect(vms).toEqual([":vm/100/2023-11-14T23:13:20Z", "a:vm/100/2023-11-14T22:13:20Z", "z:vm/1/2023-11-14T22:13:20Z"]);
    const sub = names(await collect(ds.selectSnapshots({ ns: ["a"], maxDepth: 1, groupFilters: ["regex:^ct/"] })));
    expect(sub).toEqual(["a/b:ct/300/2023-11-14T22:13:20Z"]);
    await expectCode(() => collect(ds.selectSnapshots({ groupFilters: ["kind:vm"] })), "invalid-filter");
  });
});

describe("snapshot contents", () => {
  const ref = { ns: [], type: "vm" as const, id: "100", time: T0 };

  it("reads manifest, files and indexes", async () => {
    const m = await ds.readManifest(ref);
    expect(m.files.map((f) => f.filename)).toEqual(["drive-scsi0.img.fidx", "qemu-server.conf.blob"]);
    expect(await ds.listSnapshotFiles(ref)).toEqual(["drive-scsi0.img.fidx", "index.json.blob", "qemu-server.conf.blob"]);
    const idx = await ds.readIndex(ref, "drive-scsi0.img.fidx");
    expect(idx.kind).toBe("fixed");
    expect(idx.count).toBe(3);
    await expectCode(() => ds.readIndex(ref, "qemu-server.conf.blob"), "invalid-name");
    await expectCode(() => ds.readSnapshotFile(ref, "../../owner"), "invalid-name");
    await expectCode(() => ds.readManifest({ ...ref, time: T0 + 7200 }), "not-found");
    expect(await ds.hasClientLog(ref)).toBe(false);
  });

  it("yields each referenced digest once, in index order", async () => {
    const digests = await collect(ds.snapshotDigests(ref));
    expect(digests).toHaveLength(2);
    const idx = await ds.readIndex(ref, "drive-scsi0.img.fidx");
    expect(digests[0]).toBe(Buffer.from(idx.kind === "fixed" ? idx.digests.subarray(0, 32) : new Uint8Array()).toString("hex"));
    for (const d of digests) expect(await ds.chunks.hasChunk(d)).toBe(true);
  });

  it("lists snapshot archive files in tape order with their stat", async () => {
    const files = await ds.snapshotArchiveFiles(ref);
    expect(files.map((f) => f.name)).toEqual(["index.json.blob", "drive-scsi0.img.fidx", "qemu-server.conf.blob"]);
    for (const f of files) {
      expect(f.stat.mode & 0o170000).toBe(0o100000);
      expect(f.stat.flags).toBe(0);
      expect(f.stat.mtimeNanos).toBeLessThan(1e9);
      expect(Buffer.concat(await collect(f.content as AsyncIterable<Uint8Array>)).length).toBe(f.size);
    }
    const other = { ns: [], type: "vm" as const, id: "20", time: T0 };
    await mkdir(ds.resolvePath(`vm/20/${formatSnapshotTime(T0)}/client.log.blob`));
    await expectCode(() => ds.snapshotArchiveFiles(other), "invalid-field");
  });
});

describe("snapshot archive file content", () => {
  const MiB = 1024 * 1024;
  const sizes: Record<string, number> = { empty: 0, three: 3, "one-mib": MiB, "two-and-a-half-mib": 2.5 * MiB };

  /** A datastore of its own with one snapshot whose blob files hold exactly `sizes` bytes each. */
  async function sizedSnapshot(id: string) {
    const base = await tmp();
    await mkdir(join(base, ".chunks"));
    const store = await openDatastore(base, { name: "sizes" });
    const names = Object.keys(sizes);
    const { ref } = await ingestFiles(store, {
      type: "host",
      id,
      time: T0,
      files: names.map((name) => ({ name, data: new Uint8Array(1), as: "blob" as const })),
    });
    // the archive files are streamed as they are on disk: give each an exact size
    const data = new Map<string, Uint8Array>();
    for (const [i, name] of names.entries()) {
      const bytes = pseudoRandom(sizes[name]!, 50 + i);
      data.set(`${name}.blob`, bytes);
      await writeFile(store.resolvePath(`host/${id}/${formatSnapshotTime(T0)}/${name}.blob`), bytes);
    }
    return { store, ref, data, dir: store.resolvePath(`host/${id}/${formatSnapshotTime(T0)}`) };
  }

  async function pieces(content: unknown): Promise<Uint8Array[]> {
    return collect(content as AsyncIterable<Uint8Array>);
  }

  it("streams files of 0, 3, 1 MiB and 2.5 MiB byte for byte in pieces of at most 1 MiB", async () => {
    const { store, ref, data } = await sizedSnapshot("sizes");
    const files = await store.snapshotArchiveFiles(ref);
    expect(files.map((f) => f.name)).toEqual(["index.json.blob", ...Object.keys(sizes).map((n) => `${n}.blob`)]);
    for (const f of files.slice(1)) {
      const want = data.get(f.name)!;
      expect(f.size).toBe(want.length);
      const got = await pieces(f.content);
      for (const p of got) expect(p.length).toBeLessThanOrEqual(MiB);
      expect(got.every((p) => p.length > 0)).toBe(true);
      expect(Buffer.concat(got).equals(Buffer.from(want))).toBe(true);
    }
  });

  it("reads a file that grew after stat to its new end", async () => {
    const { store, ref, data, dir } = await sizedSnapshot("growing");
    const files = await store.snapshotArchiveFiles(ref);
    const extra = new Map([
      ["empty.blob", pseudoRandom(10, 70)],
      ["three.blob", pseudoRandom(5000, 71)],
      ["one-mib.blob", pseudoRandom(MiB + 123, 72)],
    ]);
    for (const [name, bytes] of extra) await appendFile(join(dir, name), bytes);
    for (const f of files.slice(1)) {
      const before = data.get(f.name)!;
      expect(f.size).toBe(before.length); // the size stat gave when the list was made
      const added = extra.get(f.name) ?? new Uint8Array(0);
      const got = await pieces(f.content);
      for (const p of got) expect(p.length).toBeLessThanOrEqual(MiB);
      expect(Buffer.concat(got).equals(Buffer.concat([before, added]))).toBe(true);
    }
  });
});
