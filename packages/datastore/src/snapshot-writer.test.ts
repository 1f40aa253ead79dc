import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeBlob, parseBlob } from "./blob.ts";
import { Datastore } from "./datastore.ts";
import { DatastoreError } from "./errors.ts";
import { ingestFiles } from "./ingest.ts";
import { decodeManifestBlob, encodeManifestBlob } from "./manifest.ts";
import { MANIFEST_BLOB_NAME, snapshotPath, type SnapshotRef } from "./names.ts";
import { SnapshotWriter, createGroup, restoreSnapshot, tmpNameFor, type RestoreEntry, type WriteStep } from "./snapshot-writer.ts";
import { expectCode, pseudoRandom, useTmpDirs } from "./test-support.ts";

const tmp = useTmpDirs();
const T = 1700000000;

async function newStore(): Promise<Datastore> {
  const ds = new Datastore(await tmp(), "target");
  await ds.chunks.create();
  return ds;
}

/** A finished source snapshot whose manifest carries a verify_state, and its files in tape order. */
async function sourceSnapshot(): Promise<{ ref: SnapshotRef; entries: RestoreEntry[]; files: Map<string, Uint8Array> }> {
  const src = await newStore();
  const ref: SnapshotRef = { ns: ["prod"], type: "vm", id: "100", time: T };
  const r = await ingestFiles(src, {
    ...ref,
    chunkSize: 4096,
    files: [
      { name: "drive-scsi0", data: pseudoRandom(9000, 2), as: "image" },
      { name: "qemu-server.conf", data: new TextEncoder().encode("cores: 2\n") },
    ],
  });
  const manifest = await encodeManifestBlob({ ...r.manifest, unprotected: { verify_state: { state: "ok", upid: "UPID:x" }, notes: "n" } });
  const files = new Map<string, Uint8Array>();
  for (const f of r.manifest.files) files.set(f.filename, await src.readSnapshotFile(ref, f.filename));
  const log = await encodeBlob(new TextEncoder().encode("client log\n"));
  const entries: RestoreEntry[] = [{ name: MANIFEST_BLOB_NAME, data: manifest }, ...[...files].map(([name, data]) => ({ name, data })), { name: "client.log.blob", data: log }];
  files.set("client.log.blob", log);
  return { ref, entries, files };
}

describe("restore writes", () => {
  it("replaces only the last extension for tmp names", () => {
    expect(tmpNameFor("drive-scsi0.img.fidx")).toBe("drive-scsi0.img.tmp");
    expect(tmpNameFor(MANIFEST_BLOB_NAME)).toBe("index.json.tmp");
    expect(tmpNameFor("client.log.blob")).toBe("client.log.tmp");
  });

  it("writes files as tmp + rename, the manifest last and re-encoded without verify_state", async () => {
    const { ref, entries, files } = await sourceSnapshot();
    const ds = await newStore();
    const steps: WriteStep[] = [];
    const manifest = await restoreSnapshot(ds, ref, entries, { owner: "root@pam", onStep: (s) => steps.push(s) });
    expect(steps.map((s) => (s.step === "write-tmp" || s.step === "rename" ? `${s.step}:${s.name}` : s.step))).toEqual([
      "mkdir-snapshot",
      "write-tmp:drive-scsi0.img.fidx",
      "rename:drive-scsi0.img.fidx",
      "write-tmp:qemu-server.conf.blob",
      "rename:qemu-server.conf.blob",
      "write-tmp:client.log.blob",
      "rename:client.log.blob",
      "write-manifest-tmp",
      "rename-manifest",
    ]);
    const tmpStep = steps.find((s) => s.step === "write-tmp")!;
    expect(tmpStep.step === "write-tmp" && tmpStep.tmp.endsWith("/drive-scsi0.img.tmp")).toBe(true);
    expect(manifest.unprotected).toEqual({ notes: "n" });
    const dir = ds.resolvePath(snapshotPath(ref));
    expect((await readdir(dir)).sort()).toEqual(["client.log.blob", "drive-scsi0.img.fidx", "index.json.blob", "qemu-server.conf.blob"]);
    for (const [name, bytes] of files) expect(new Uint8Array(await readFile(join(dir, name)))).toEqual(bytes);
    const rawManifest = new Uint8Array(await readFile(join(dir, MANIFEST_BLOB_NAME)));
    expect(parseBlob(rawManifest).kind).toBe("compressed");
    expect((await decodeManifestBlob(rawManifest)).unprotected["verify_state"]).toBeUndefined();
    expect(await ds.readOwner(ref)).toBe("root@pam");
    const [info] = await ds.listSnapshots(ref);
    expect(info!.finished).toBe(true);
  });

  it("leaves no complete-looking snapshot when interrupted at any step", async () => {
    const { ref, entries } = await sourceSnapshot();
    const stepCount = 9;
    for (let k = 0; k < stepCount; k++) {
      const ds = await newStore();
      let n = 0;
      const crash = (): void => {
        if (n++ === k) throw new Error(`crash at step ${k}`);
      };
      // Drive the writer directly: a crash leaves whatever was on disk (no cleanup).
      await expect(
        (async () => {
          const w = await SnapshotWriter.create(ds, ref, { owner: "root@pam", onStep: crash });
          for (const e of entries.slice(1)) await w.writeFile(e.name, e.data);
          await w.commit(entries[0]!.data as Uint8Array);
        })(),
      ).rejects.toThrow(`crash at step ${k}`);
      const snaps = await ds.listSnapshots(ref);
      expect(snaps.every((s) => !s.finished), `step ${k}`).toBe(true);
      const selected = [];
      for await (const s of ds.selectSnapshots()) selected.push(s);
      expect(selected, `step ${k}`).toEqual([]);
      await expect(stat(join(ds.resolvePath(snapshotPath(ref)), MANIFEST_BLOB_NAME))).rejects.toThrow();
    }
  });

  it("replaces an unfinished snapshot only when asked, never a finished one", async () => {
    const { ref, entries } = await sourceSnapshot();
    const ds = await newStore();
    await expect(
      restoreSnapshot(ds, ref, entries, {
        owner: "root@pam",
        onStep: (s) => {
          if (s.step === "rename-manifest") throw new Error("power loss");
        },
      }),
    ).rejects.toThrow("power loss");
    // restoreSnapshot cleaned up; leave an unfinished directory the hard way
    const w = await SnapshotWriter.create(ds, ref, { owner: "root@pam" });
    await w.writeFile("client.log.blob", entries[entries.length - 1]!.data);
    await expectCode(() => restoreSnapshot(ds, ref, entries, { owner: "root@pam" }), "already-exists");
    expect((await ds.listSnapshots(ref))[0]!.finished).toBe(false);
    await restoreSnapshot(ds, ref, entries, { owner: "root@pam", replaceUnfinished: true });
    expect((await ds.listSnapshots(ref))[0]!.finished).toBe(true);
    await expectCode(() => restoreSnapshot(ds, ref, entries, { owner: "root@pam", replaceUnfinished: true }), "already-exists");
  });

  it("removes the partial snapshot when a restore fails", async () => {
    const { ref, entries } = await sourceSnapshot();
    const ds = await newStore();
    await expect(
      restoreSnapshot(ds, ref, entries, {
        owner: "root@pam",
        onStep: (s) => {
          if (s.step === "rename" && s.name === "qemu-server.conf.blob") throw new Error("tape read error");
        },
      }),
    ).rejects.toThrow("tape read error");
    expect(await ds.listSnapshots(ref)).toEqual([]);
  });

  it("refuses a manifest that does not match the files written", async () => {
    const { ref, entries } = await sourceSnapshot();
    const missing = await newStore();
    const e1 = await expectCode(() => restoreSnapshot(missing, ref, entries.filter((e) => e.name !== "qemu-server.conf.blob"), { owner: "root@pam" }), "not-found");
    expect(e1.message).toContain("qemu-server.conf.blob");
    expect(await missing.listSnapshots(ref)).toEqual([]);
    const tampered = entries.map((e) => (e.name === "qemu-server.conf.blob" ? { ...e, data: new Uint8Array([...(e.data as Uint8Array), 0]) } : e));
    await expectCode(async () => restoreSnapshot(await newStore(), ref, tampered, { owner: "root@pam" }), "checksum-mismatch");
    const badIndex = entries.map((e) => {
      if (e.name !== "drive-scsi0.img.fidx") return e;
      const b = (e.data as Uint8Array).slice();
      b[4096]! ^= 1;
      return { ...e, data: b };
    });
    await expectCode(async () => restoreSnapshot(await newStore(), ref, badIndex, { owner: "root@pam" }), "checksum-mismatch");
    await expectCode(async () => restoreSnapshot(await newStore(), { ...ref, time: T + 1 }, entries, { owner: "root@pam" }), "invalid-manifest");
    await expectCode(async () => restoreSnapshot(await newStore(), ref, entries.slice(1), { owner: "root@pam" }), "not-found");
  });

  it("never overwrites an existing snapshot and checks the group owner", async () => {
    const { ref, entries } = await sourceSnapshot();
    const ds = await newStore();
    await restoreSnapshot(ds, ref, entries, { owner: "root@pam" });
    const before = await readFile(join(ds.resolvePath(snapshotPath(ref)), MANIFEST_BLOB_NAME));
    await expectCode(() => restoreSnapshot(ds, ref, entries, { owner: "root@pam" }), "already-exists");
    expect(await readFile(join(ds.resolvePath(snapshotPath(ref)), MANIFEST_BLOB_NAME))).toEqual(before);
    const e = await expectCode(() => restoreSnapshot(ds, { ...ref, time: T + 60 }, entries, { owner: "tape@pbs" }), "owner-mismatch");
    expect(e.message).toContain("root@pam");
    await createGroup(ds, ref, "root@pam");
  });

  it("validates every name component before touching the disk", async () => {
    const { ref, entries } = await sourceSnapshot();
    const ds = await newStore();
    await expectCode(() => restoreSnapshot(ds, { ...ref, ns: [".."] }, entries, { owner: "root@pam" }), "invalid-name");
    await expectCode(() => restoreSnapshot(ds, { ...ref, id: "../../etc" }, entries, { owner: "root@pam" }), "invalid-name");
    await expectCode(() => restoreSnapshot(ds, { ...ref, type: "qemu" as "vm" }, entries, { owner: "root@pam" }), "invalid-name");
    await expectCode(() => restoreSnapshot(ds, ref, entries, { owner: "root" }), "invalid-name");
    expect(await readdir(ds.path)).toEqual([".chunks"]);
    await expectCode(() => restoreSnapshot(ds, ref, [...entries, { name: "../evil.blob", data: new Uint8Array(1) }], { owner: "root@pam" }), "invalid-name");
    expect(await ds.listSnapshots(ref)).toEqual([]);
  });

  it("refuses use after commit or abort", async () => {
    const { ref, entries } = await sourceSnapshot();
    const ds = await newStore();
    const w = await SnapshotWriter.create(ds, ref, { owner: "root@pam" });
    for (const e of entries.slice(1)) await w.writeFile(e.name, e.data);
    await expectCode(() => w.writeFile("client.log.blob", new Uint8Array(1)), "already-exists");
    await expectCode(() => w.writeFile(MANIFEST_BLOB_NAME, new Uint8Array(1)), "invalid-state");
    await w.commit(entries[0]!.data as Uint8Array);
    await expectCode(() => w.commit(entries[0]!.data as Uint8Array), "invalid-state");
    await expectCode(() => w.abort(), "invalid-state");
    expect(w.writtenFiles).toHaveLength(3);
    const err = await expectCode(() => w.writeFile("x.blob", new Uint8Array(1)), "invalid-state");
    expect(err).toBeInstanceOf(DatastoreError);
  });

  it("accepts streamed file contents", async () => {
    const { ref, entries } = await sourceSnapshot();
    const ds = await newStore();
    async function* pieces(b: Uint8Array): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < b.length; i += 1000) yield b.subarray(i, i + 1000);
    }
    const streamed = entries.map((e) => ({ name: e.name, data: pieces(e.data as Uint8Array) }));
    await restoreSnapshot(ds, ref, streamed, { owner: "root@pam" });
    expect((await ds.listSnapshots(ref))[0]!.finished).toBe(true);
  });
});
