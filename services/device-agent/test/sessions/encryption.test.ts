import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pbkdf2Sync, randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createSampleDatastore, Datastore, openDatastore, snapshotPath, type SnapshotRef } from "@tapefleet/datastore";
import { TapefleetError } from "@tapefleet/common";
import { readLabels } from "@tapefleet/tape-format";
import { createVtlTransport, type VirtualLibrary } from "@tapefleet/vtl";
import { busKeySource, readArchive, runWriteSession, ScsiTape, sessionServiceImpl, virtualLibraryDrives, type TapeKeySource } from "../../src/sessions/index.ts";
import { DRIVE, MiB, createSessionLibrary, loadAndLabel, sessionSiteSpec, tmpDir } from "./helpers/session-fixture.ts";

/** A key vault stand-in: the drive key as the key vault derives it (PBKDF2 of the raw key and the set uuid). */
function memoryKeys(keys: Map<string, Buffer>, released: Array<{ fingerprint: string; job: string; drive: string }>): TapeKeySource {
  const missing = (fp: string) => new TapefleetError("NOT_FOUND", `encryption key '${fp}' not found`);
  return {
    async keyConfig(fp) {
      if (!keys.has(fp)) throw missing(fp);
      return { kdf: null, fingerprint: fp, created: "2026-01-01T00:00:00+00:00", modified: "2026-01-01T00:00:00+00:00", data: "opaque" };
    },
    async driveKey(req) {
      const raw = keys.get(req.fingerprint);
      // the vault's NOT_FOUND, mapped exactly as the bus client maps it
      if (!raw) return busKeySource({ request: async () => Promise.reject(missing(req.fingerprint)) }, { agent: "t" }).driveKey(req);
      released.push({ fingerprint: req.fingerprint, job: req.job, drive: req.drive });
      return pbkdf2Sync(raw, Buffer.from(req.mediaSetUuid.replace(/-/g, ""), "hex"), 10, 32, "sha256");
    },
  };
}

const fingerprint = Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, "0")).join(":");
const rawKey = randomBytes(32);
let lib: VirtualLibrary;
let vtlDir: string;
let source: Datastore;
let sourcePath: string;
let snapshots: SnapshotRef[];
const dirs: Array<{ remove(): Promise<void> }> = [];
const set = { uuid: randomUUID(), pool: "secure", seqNr: 0, ctime: 1_700_000_000 };
const released: Array<{ fingerprint: string; job: string; drive: string }> = [];

const tape = () => new ScsiTape(createVtlTransport(lib, DRIVE), { readyPollMs: 10 });
const ctx = () => ({ signal: new AbortController().signal, requestId: randomUUID() }) as never;

beforeAll(async () => {
  const vtl = await tmpDir("vtl-enc");
  const src = await tmpDir("src-enc");
  dirs.push(vtl, src);
  vtlDir = vtl.path;
  lib = await createSessionLibrary(vtl.path, sessionSiteSpec([
      { barcode: "TE0001L9", capacityBytes: 64 * MiB, earlyWarningBytes: 4 * MiB },
      { barcode: "TE0002L9", capacityBytes: 64 * MiB, earlyWarningBytes: 4 * MiB },
      { barcode: "TE0003L9", capacityBytes: 64 * MiB, earlyWarningBytes: 4 * MiB },
    ]));
  sourcePath = src.path;
  source = (await createSampleDatastore(sourcePath, { size: 2 * MiB, seed: 11 })).datastore;
  snapshots = [];
  for await (const s of source.selectSnapshots({})) snapshots.push(s);
}, 120_000);

afterAll(async () => {
  await lib?.close();
  for (const d of dirs) await d.remove();
});

describe("encrypted media sets on the virtual library", () => {
  it("writes the set label with the fingerprint and key config, loads the set's drive key in mixed mode and clears it at the end", async () => {
    await loadAndLabel(lib, "TE0001L9");
    const keys = memoryKeys(new Map([[fingerprint, rawKey]]), released);
    const t = tape();
    const out = await runWriteSession(
      t,
      { datastore: source, mediaSet: set, snapshots: snapshots.map((s) => `sample:${snapshotPath(s)}`), encryptFingerprint: fingerprint, keys, keyRelease: { job: "UPID:backup", drive: "d1" } },
      { onCommit: async () => undefined },
    );
    expect(out.status).toBe("complete");
    expect(out.snapshotsWritten.length).toBe(snapshots.length);
    expect(released).toEqual([{ fingerprint, job: "UPID:backup", drive: "d1" }]);
    // the key left the drive with the session
    expect((await t.device.encryptionStatus()).state).toBe("off");
    await t.rewind();
    const labels = await readLabels(t);
    expect(labels.kind).toBe("labeled");
    const setLabel = labels.kind === "blank" ? undefined : labels.mediaSetLabel;
    expect(setLabel?.encryptionKeyFingerprint).toBe(fingerprint);
    expect(setLabel?.keyConfig?.["fingerprint"]).toBe(fingerprint);
  });

  it("the cartridge file holds none of the chunks in clear, and without the key the drive refuses to read the data", async () => {
    const data = await readFile(join(vtlDir, "cartridges", "TE0001L9.data"));
    let checked = 0;
    for await (const d of source.chunks.listChunks()) {
      const blob = Buffer.from(await source.chunks.readChunk(d));
      // any 64 bytes of the stored blob (past its 12-byte header) would show a clear copy
      expect(data.indexOf(blob.subarray(12, 76))).toBe(-1);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
    const read = async () => {
      for await (const _ of readArchive(tape(), 2)) void _;
    };
    await expect(read()).rejects.toThrow(/decrypt|DATA PROTECT|data protect/i);
  });

  it("a restore loads the key named by the set label, restores identical data, and clears the key", async () => {
    const target = await tmpDir("target-enc");
    dirs.push(target);
    await new Datastore(target.path, "restored").chunks.create();
    const impl = sessionServiceImpl({ drives: virtualLibraryDrives(lib), keys: memoryKeys(new Map([[fingerprint, rawKey]]), released), readyPollMs: 10 });
    const restored: string[] = [];
    for await (const m of impl.restoreFromTape({ drive: DRIVE, datastorePath: target.path, store: "restored", fileNumbers: [], namespaces: [], snapshots: [], owner: "root@pam", job: "UPID:restore", driveName: "d1" } as never, ctx())) {
      restored.push(...(m as { progress: { snapshots: string[] } }).progress.snapshots);
    }
    expect(restored.sort()).toEqual(snapshots.map((s) => snapshotPath(s)).sort());
    expect(released.at(-1)).toEqual({ fingerprint, job: "UPID:restore", drive: "d1" });
    const ds = await openDatastore(target.path, { name: "restored" });
    for await (const d of source.chunks.listChunks()) expect(Buffer.from(await ds.chunks.readChunk(d)).equals(Buffer.from(await source.chunks.readChunk(d)))).toBe(true);
    expect((await tape().device.encryptionStatus()).state).toBe("off");
  });

  it("a scan and a tape file read named by a job load the key too; without a job the drive refuses the data", async () => {
    const impl = sessionServiceImpl({ drives: virtualLibraryDrives(lib), keys: memoryKeys(new Map([[fingerprint, rawKey]]), released), readyPollMs: 10 });
    const archives: string[] = [];
    for await (const m of impl.scanTape({ drive: DRIVE, job: "UPID:catalog", driveName: "d1" } as never, ctx())) {
      const msg = (m as { message: { case: string; value: { kind?: number; mediaSetUuid?: string } } }).message;
      if (msg.case === "archive") archives.push(String(msg.value.kind));
      else expect(msg.value.mediaSetUuid).toBe(set.uuid);
    }
    expect(archives.length).toBeGreaterThan(snapshots.length);
    expect(released.at(-1)).toEqual({ fingerprint, job: "UPID:catalog", drive: "d1" });
    const headers: unknown[] = [];
    for await (const m of impl.readTapeFile({ drive: DRIVE, fileNumber: 2n, verifyDigests: true, job: "UPID:read", driveName: "d1" } as never, ctx())) {
      const msg = (m as { message: { case: string; value: unknown } }).message;
      if (msg.case === "header") headers.push(msg.value);
    }
    expect(headers.length).toBe(1);
    expect((await tape().device.encryptionStatus()).state).toBe("off");
    const unkeyed = async () => {
      for await (const _ of impl.scanTape({ drive: DRIVE, job: "", driveName: "" } as never, ctx())) void _;
    };
    await expect(unkeyed()).rejects.toThrow(/decrypt/i);
  });

  it("without the key in the key vault the restore fails with 'key FP needed' and restores nothing", async () => {
    const target = await tmpDir("target-enc2");
    dirs.push(target);
    await new Datastore(target.path, "again").chunks.create();
    const impl = sessionServiceImpl({ drives: virtualLibraryDrives(lib), keys: memoryKeys(new Map(), released), readyPollMs: 10 });
    const run = async () => {
      for await (const _ of impl.restoreFromTape({ drive: DRIVE, datastorePath: target.path, store: "again", fileNumbers: [], namespaces: [], snapshots: [], owner: "root@pam", job: "UPID:r2", driveName: "d1" } as never, ctx())) void _;
    };
    const err = await run().then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe("key-needed");
    expect(err?.message).toContain(`key ${fingerprint} needed`);
    const ds = await openDatastore(target.path, { name: "again" });
    let chunks = 0;
    for await (const _ of ds.chunks.listChunks()) chunks++;
    expect(chunks).toBe(0);
    expect((await tape().device.encryptionStatus()).state).toBe("off");
  });

  it("appending to the encrypted set loads the key named by its set label (the tape is scanned for its catalog) and clears it", async () => {
    const t = tape();
    const out = await runWriteSession(
      t,
      { datastore: source, mediaSet: set, snapshots: snapshots.map((s) => `sample:${snapshotPath(s)}`), keys: memoryKeys(new Map([[fingerprint, rawKey]]), released), keyRelease: { job: "UPID:append", drive: "d1" } },
      { onCommit: async () => undefined },
    );
    expect(out.status).toBe("complete");
    expect(out.snapshotsSkipped.length).toBe(snapshots.length);
    expect(released.at(-1)).toEqual({ fingerprint, job: "UPID:append", drive: "d1" });
    expect((await t.device.encryptionStatus()).state).toBe("off");
  });

  it("a write session that fails after the key was loaded clears it", async () => {
    await loadAndLabel(lib, "TE0002L9");
    const t = tape();
    const failing = runWriteSession(
      t,
      { datastore: source, mediaSet: { ...set, uuid: randomUUID() }, snapshots: snapshots.map((s) => `sample:${snapshotPath(s)}`), encryptFingerprint: fingerprint, keys: memoryKeys(new Map([[fingerprint, rawKey]]), released), keyRelease: { job: "UPID:b2", drive: "d1" } },
      {
        onCommit: async () => {
          // the key is in the drive while the session writes
          expect((await t.device.encryptionStatus()).state).toBe("mixed");
          throw new Error("the catalog publisher is down");
        },
      },
    );
    await expect(failing).rejects.toThrow(/publisher is down/);
    expect((await t.device.encryptionStatus()).state).toBe("off");
  });

  it("control: the same check finds the chunks in clear on a cartridge written without a key", async () => {
    await loadAndLabel(lib, "TE0003L9");
    const out = await runWriteSession(tape(), { datastore: source, mediaSet: { ...set, uuid: randomUUID(), pool: "plain" }, snapshots: snapshots.map((s) => `sample:${snapshotPath(s)}`) }, { onCommit: async () => undefined });
    expect(out.status).toBe("complete");
    const data = await readFile(join(vtlDir, "cartridges", "TE0003L9.data"));
    for await (const d of source.chunks.listChunks()) {
      const blob = Buffer.from(await source.chunks.readChunk(d));
      expect(data.indexOf(blob.subarray(12, 76))).toBeGreaterThan(-1);
    }
  });
});
