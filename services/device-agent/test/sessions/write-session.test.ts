import { afterAll, describe, expect, it } from "vitest";
import { randomBytes, randomUUID } from "node:crypto";
import { Datastore, createSampleDatastore, ingestFiles, snapshotPath } from "@tapefleet/datastore";
import { TAPE_BLOCK_SIZE, writeMediaLabel } from "@tapefleet/tape-format";
import type { ScsiCommand, ScsiTransport } from "@tapefleet/scsi";
import { createVtlTransport, type VirtualLibrary } from "@tapefleet/vtl";
import { ScsiTape, runWriteSession, scanTape, type CommitRecord } from "../../src/sessions/index.ts";
import { DRIVE, MiB, createSessionLibrary, loadAndLabel, sessionSiteSpec, tmpDir } from "./helpers/session-fixture.ts";

const dirs: Array<{ remove(): Promise<void> }> = [];
const libs: VirtualLibrary[] = [];
afterAll(async () => {
  for (const l of libs) await l.close();
  for (const d of dirs) await d.remove();
});

async function library(cartridges: Parameters<typeof sessionSiteSpec>[0]): Promise<VirtualLibrary> {
  const d = await tmpDir("ws");
  dirs.push(d);
  const lib = await createSessionLibrary(d.path, sessionSiteSpec(cartridges));
  libs.push(lib);
  return lib;
}

const WRITE_FILEMARKS = 0x10;
const WRITE6 = 0x0a;

/** Records every CDB sent to the drive. */
function recording(inner: ScsiTransport): { transport: ScsiTransport; log: Uint8Array[] } {
  const log: Uint8Array[] = [];
  return {
    log,
    transport: {
      description: inner.description,
      close: () => inner.close(),
      execute: (c: ScsiCommand) => {
        log.push(c.cdb.slice());
        return inner.execute(c);
      },
    },
  };
}
const isSync = (cdb: Uint8Array) => cdb[0] === WRITE_FILEMARKS && cdb[4] === 0 && (cdb[1]! & 1) === 0;

describe("write sessions on a SCSI drive of the virtual library", () => {
  it("syncs the drive before every commit, once per commitBytes of archives and at the end only", async () => {
    const lib = await library([{ barcode: "TW0001L9", capacityBytes: 512 * MiB, earlyWarningBytes: 8 * MiB }]);
    await loadAndLabel(lib, "TW0001L9");
    const src = await tmpDir("wssrc");
    dirs.push(src);
    const ds = (await createSampleDatastore(src.path, { size: 6 * MiB, seed: 21 })).datastore;
    const snaps: string[] = [];
    for await (const s of ds.selectSnapshots({})) snaps.push(`sample:${snapshotPath(s)}`);
    const rec = recording(createVtlTransport(lib, DRIVE));
    const batches: Array<{ at: number; records: CommitRecord[] }> = [];
    const commitBytes = 2 * MiB;
    const result = await runWriteSession(
      new ScsiTape(rec.transport, { readyPollMs: 10 }),
      { datastore: ds, mediaSet: { uuid: randomUUID(), pool: "p", seqNr: 0, ctime: 1 }, snapshots: snaps, commitBytes, maxChunkArchiveSize: 256 * 1024, readers: 3 },
      { onCommit: async (records) => void batches.push({ at: rec.log.length, records }) },
    );
    expect(result.status).toBe("complete");
    expect(result.snapshotsWritten).toEqual(snaps);
    for (const b of batches) {
      // the last command before a commit is the sync (WRITE FILEMARKS 0, IMMED=0)
      expect(isSync(rec.log[b.at - 1]!)).toBe(true);
    }
    const records = batches.flatMap((b) => b.records);
    expect(records.map((r) => r.fileNumber)).toEqual(records.map((_, i) => 2 + i));
    // the last batch ends with the catalog archive of the tape
    expect(records.at(-1)!.kind).toBe("catalog-archive");
    // no sync storm: the set label's sync, one per commitBytes written, and the end
    const chunkArchives = records.filter((r) => r.kind === "chunk-archive").length;
    const syncs = rec.log.filter(isSync).length;
    expect(chunkArchives).toBeGreaterThan(3);
    expect(syncs).toBe(1 + batches.length);
    expect(batches.length).toBeLessThanOrEqual(Math.floor(result.bytesWritten / commitBytes) + 1);
    // several snapshot archives share a sync
    expect(batches.some((b) => b.records.filter((r) => r.kind === "snapshot-archive").length > 1)).toBe(true);
    expect(rec.log.filter((c) => c[0] === WRITE6).length).toBeGreaterThan(chunkArchives);
    // the catalog archive of the tape is the last file and matches a scan of the tape
    const scan = await scanTape(new ScsiTape(createVtlTransport(lib, DRIVE)));
    expect(scan.records).toEqual(records);
    const own = scan.memberCatalogs.get(result.mediaUuid);
    expect(own).toBeDefined();
    expect(Buffer.compare(own!, scan.catalog)).toBe(0);
  }, 120_000);

  it("at early warning inside a snapshot archive finishes it INCOMPLETE, commits nothing for it, and the next tape takes it whole", async () => {
    // Early warning at 768 KiB: the labels take 512 KiB, the snapshot archive crosses it.
    const lib = await library([
      { barcode: "TE0001L9", capacityBytes: 8 * MiB, earlyWarningBytes: 8 * MiB - 768 * 1024 },
      { barcode: "TE0002L9", capacityBytes: 64 * MiB, earlyWarningBytes: 8 * MiB },
    ]);
    const src = await tmpDir("eesrc");
    dirs.push(src);
    const ds = new Datastore(src.path, "st1");
    await ds.chunks.create();
    await ingestFiles(ds, { type: "host", id: "big", time: 1_700_000_000, files: [{ name: "settings", data: randomBytes(900 * 1024), as: "blob" }] });
    const snap = "st1:host/big/2023-11-14T22:13:20Z";
    const set = { uuid: randomUUID(), pool: "p", seqNr: 0, ctime: 1 };
    await loadAndLabel(lib, "TE0001L9");
    const commits: CommitRecord[] = [];
    const tape = new ScsiTape(createVtlTransport(lib, DRIVE), { readyPollMs: 10 });
    const first = await runWriteSession(tape, { datastore: ds, mediaSet: set, snapshots: [snap] }, { onCommit: async (r) => void commits.push(...r) });
    expect(first).toMatchObject({ status: "tape-full", rewriteSnapshot: snap, remainingSnapshots: [snap], snapshotsWritten: [], catalogWritten: false });
    expect(commits).toEqual([]);
    const scan = await scanTape(tape);
    expect(scan.records).toEqual([]);
    expect(scan.skippedFiles).toEqual([2]);

    const t2 = await loadAndLabel(lib, "TE0002L9");
    const second = await runWriteSession(
      tape,
      { datastore: ds, mediaSet: { ...set, seqNr: 1 }, snapshots: first.remainingSnapshots, memberCatalogs: [{ mediaUuid: scan.mediaLabel.uuid, seqNr: 0, bytes: scan.catalog }] },
      { onCommit: async (r) => void commits.push(...r) },
    );
    expect(second.status).toBe("complete");
    expect(commits.map((c) => [c.kind, c.fileNumber])).toEqual([
      ["catalog-archive", 2],
      ["snapshot-archive", 3],
      ["catalog-archive", 4],
    ]);
    expect(commits[2]!.snapshot).toBe(t2.mediaUuid);
  }, 60_000);

  it("stops at a medium error on write naming file and block, and keeps every archive committed before it", async () => {
    const lib = await library([{ barcode: "TM0001L9", capacityBytes: 512 * MiB, earlyWarningBytes: 8 * MiB }]);
    await loadAndLabel(lib, "TM0001L9");
    const src = await tmpDir("mesrc");
    dirs.push(src);
    const ds = (await createSampleDatastore(src.path, { size: 4 * MiB, seed: 9 })).datastore;
    const snaps: string[] = [];
    for await (const s of ds.selectSnapshots({})) snaps.push(`sample:${snapshotPath(s)}`);
    const tape = new ScsiTape(createVtlTransport(lib, DRIVE), { readyPollMs: 10 });
    await tape.waitReady();
    const start = (await tape.position()).blockNumber;
    // labels: 2 blocks + 2 filemarks; fail a block a few archives in
    lib.injectMediumError("TM0001L9", start + 4 + 12, "write");
    const commits: CommitRecord[] = [];
    const err = await runWriteSession(
      tape,
      { datastore: ds, mediaSet: { uuid: randomUUID(), pool: "p", seqNr: 0, ctime: 1 }, snapshots: snaps, maxChunkArchiveSize: 128 * 1024, commitBytes: 1 },
      { onCommit: async (r) => void commits.push(...r) },
    ).catch((e: unknown) => e);
    lib.clearMediumErrors();
    expect(err).toMatchObject({ code: "medium-error" });
    const e = err as { fileNumber: number; block: number; message: string };
    expect(e.fileNumber).toBeGreaterThanOrEqual(2);
    expect(e.message).toContain(`tape file ${e.fileNumber}, block ${e.block}`);
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.every((c) => c.fileNumber < e.fileNumber)).toBe(true);
    const scan = await scanTape(tape);
    for (const c of commits) expect(scan.records).toContainEqual(c);
  });

  it("refuses a blank tape, a tape of another media set and a wrong member number", async () => {
    const lib = await library([{ barcode: "TR0001L9", capacityBytes: 64 * MiB, earlyWarningBytes: 8 * MiB }]);
    const src = await tmpDir("rfsrc");
    dirs.push(src);
    const ds = new Datastore(src.path, "st1");
    await ds.chunks.create();
    const tape = new ScsiTape(createVtlTransport(lib, DRIVE), { readyPollMs: 10 });
    await loadAndLabel(lib, "TR0001L9", { label: false });
    const noop = { onCommit: async () => undefined };
    await expect(runWriteSession(tape, { datastore: ds, mediaSet: { uuid: randomUUID(), pool: "p", seqNr: 0, ctime: 1 }, snapshots: [] }, noop)).rejects.toMatchObject({ code: "wrong-medium" });
    await loadAndLabel(lib, "TR0001L9");
    const set = { uuid: randomUUID(), pool: "p", seqNr: 0, ctime: 1 };
    expect((await runWriteSession(tape, { datastore: ds, mediaSet: set, snapshots: [] }, noop)).status).toBe("complete");
    await expect(runWriteSession(tape, { datastore: ds, mediaSet: { ...set, uuid: randomUUID() }, snapshots: [] }, noop)).rejects.toMatchObject({ code: "wrong-medium" });
    await expect(runWriteSession(tape, { datastore: ds, mediaSet: { ...set, seqNr: 2 }, snapshots: [] }, noop)).rejects.toMatchObject({ code: "wrong-medium" });
    await expect(runWriteSession(tape, { datastore: ds, mediaSet: set, snapshots: ["other:vm/1/2020-01-01T00:00:00Z"] }, noop)).rejects.toMatchObject({ code: "invalid-request", field: "snapshots" });
    await expect(runWriteSession(tape, { datastore: ds, mediaSet: { ...set, uuid: "not-a-uuid" }, snapshots: [] }, noop)).rejects.toMatchObject({ code: "invalid-request", field: "media_set.uuid" });
    // a new set may take the tape when asked to
    const other = await runWriteSession(tape, { datastore: ds, mediaSet: { ...set, uuid: randomUUID() }, snapshots: [], overwriteMediaSet: true }, noop);
    expect(other.status).toBe("complete");
  });
});

describe("ScsiTape positioning", () => {
  it("lets the event loop run between blocks once yieldAfterMs has passed, though the virtual drive answers without I/O", async () => {
    const lib = await library([{ barcode: "TY0001L9", capacityBytes: 64 * MiB, earlyWarningBytes: 8 * MiB }]);
    await loadAndLabel(lib, "TY0001L9", { label: false });
    const turnsDuring = async (yieldAfterMs: number) => {
      const tape = new ScsiTape(createVtlTransport(lib, DRIVE), { readyPollMs: 10, yieldAfterMs });
      await tape.waitReady();
      await tape.rewind();
      let turns = 0;
      const tick = () => {
        turns++;
        if (!done) setImmediate(tick);
      };
      let done = false;
      setImmediate(tick);
      // 4 blocks fit the drive's append buffer: no write waits for the disk
      for (let b = 0; b < 4; b++) await tape.writeBlock(new Uint8Array(TAPE_BLOCK_SIZE));
      await tape.readBlock().catch(() => undefined);
      const seen = turns;
      done = true;
      return seen;
    };
    // never yielding: the writes run in one macrotask; yielding after every block: a turn per block
    expect(await turnsDuring(Number.MAX_SAFE_INTEGER)).toBe(0);
    expect(await turnsDuring(0)).toBeGreaterThanOrEqual(4);
  });

  it("locates files, repairs a missing filemark at end of data, and names file and block of a medium error", async () => {
    const lib = await library([{ barcode: "TP0001L9", capacityBytes: 64 * MiB, earlyWarningBytes: 8 * MiB }]);
    await loadAndLabel(lib, "TP0001L9", { label: false });
    const tape = new ScsiTape(createVtlTransport(lib, DRIVE), { readyPollMs: 10 });
    await tape.waitReady();
    await tape.rewind();
    await writeMediaLabel(tape, { uuid: randomUUID(), labelText: "TP0001L9", ctime: 1 });
    const block = () => new Uint8Array(TAPE_BLOCK_SIZE);
    for (let f = 1; f <= 3; f++) {
      for (let b = 0; b < f; b++) await tape.writeBlock(block());
      await tape.writeFilemark();
    }
    await tape.sync();
    expect(await tape.moveToEndOfData()).toEqual({ fileNumber: 4, repairedFilemark: false });
    for (const n of [3, 0, 1, 2]) {
      await tape.locateFile(n);
      expect((await tape.position()).fileNumber).toBe(n);
      expect(tape.fileNumber).toBe(n);
    }
    await tape.locateFile(3);
    let blocks = 0;
    while ((await tape.readBlock()).kind === "data") blocks++;
    expect(blocks).toBe(3);
    // an interrupted write: data blocks at the end without a filemark
    await tape.moveToEndOfData();
    await tape.writeBlock(block());
    await tape.writeBlock(block());
    await tape.sync();
    expect(await tape.moveToEndOfData()).toEqual({ fileNumber: 5, repairedFilemark: true });
    // a write error names the file and the block within it
    const pos = await tape.position();
    lib.injectMediumError("TP0001L9", pos.blockNumber + 1, "write");
    await tape.writeBlock(block());
    await expect(tape.writeBlock(block())).rejects.toMatchObject({ code: "medium-error", fileNumber: 5, block: 1 });
    lib.clearMediumErrors();
    await expect(tape.locateFile(-1)).rejects.toMatchObject({ code: "invalid-request" });
  });
});
