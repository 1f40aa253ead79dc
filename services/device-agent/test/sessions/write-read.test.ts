import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Bus, createLogger } from "@tapefleet/common";
import { Datastore, MANIFEST_BLOB_NAME, parseSnapshotPath, createSampleDatastore, decodeManifestBlob, ingestFiles, snapshotPath, verifyDatastore, type SnapshotRef } from "@tapefleet/datastore";
import { GrpcError } from "@tapefleet/proto";
import { createVtlTransport, type VirtualLibrary } from "@tapefleet/vtl";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { COMMIT_STREAM, ScsiTape, commitSubject, natsCommitPublisher, virtualLibraryDrives, writeStatusNumber, type CommitRecord } from "../../src/sessions/index.ts";
import { DRIVE, MiB, createSessionLibrary, loadAndLabel, readPublishedCommits, runWrite, sessionSiteSpec, startSessionServer, tmpDir, type SessionServer } from "./helpers/session-fixture.ts";

let env: TestEnv;
let bus: Bus;
let lib: VirtualLibrary;
let server: SessionServer;
const dirs: Array<{ remove(): Promise<void> }> = [];
let source: Datastore;
let sourcePath: string;
let snapshots: SnapshotRef[];
const mediaSet = { uuid: randomUUID(), pool: "daily", seqNr: 0 };
const mediaUuids: string[] = [];
const allCommits: CommitRecord[] = [];
let catalogOfTape1: Uint8Array;

const snapText = (ref: SnapshotRef) => `sample:${snapshotPath(ref)}`;

beforeAll(async () => {
  env = await provisionTestEnv("sessions");
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "device-agent", logger: createLogger({ service: "t", level: "silent" }) });
  const vtl = await tmpDir("vtl");
  const src = await tmpDir("src");
  dirs.push(vtl, src);
  // Tape 1 reaches early warning at 12 MiB; tape 2 holds the rest and the later append.
  lib = await createSessionLibrary(
    vtl.path,
    sessionSiteSpec([
      { barcode: "TS0001L9", capacityBytes: 16 * MiB, earlyWarningBytes: 4 * MiB },
      { barcode: "TS0002L9", capacityBytes: 256 * MiB, earlyWarningBytes: 8 * MiB },
    ]),
  );
  sourcePath = src.path;
  source = (await createSampleDatastore(sourcePath, { size: 24 * MiB, seed: 7 })).datastore;
  snapshots = [];
  for await (const s of source.selectSnapshots({})) snapshots.push(s);
  server = await startSessionServer({ drives: virtualLibraryDrives(lib), publisher: await natsCommitPublisher(bus) });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await lib?.close();
  await bus?.close();
  await env?.cleanup();
  for (const d of dirs) await d.remove();
});

async function sourceDigests(refs: SnapshotRef[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const r of refs) for await (const d of source.snapshotDigests(r)) out.add(d);
  return out;
}

describe("tape write and read sessions over gRPC against the virtual library", () => {
  it("writes a sample datastore to a media set spanning two cartridges, commits only after sync, and publishes every commit on NATS", async () => {
    expect(snapshots.length).toBeGreaterThan(10);
    const t1 = await loadAndLabel(lib, "TS0001L9");
    mediaUuids.push(t1.mediaUuid);
    const first = await runWrite(server.client, { datastorePath: sourcePath, store: "sample", mediaSet, snapshots: snapshots.map(snapText), maxChunkArchiveBytes: 2 * MiB });
    expect(first.started).toMatchObject({ mediaUuid: t1.mediaUuid, appended: false, firstFileNumber: 2 });
    expect(first.end?.status).toBe(writeStatusNumber("tape-full"));
    expect(first.end?.remainingSnapshots.length).toBeGreaterThan(0);
    expect(first.end?.catalogWritten).toBe(false);
    expect(first.commits.length).toBe(first.end?.committed);
    // file numbers are consecutive from 2; each snapshot archive follows the chunk archives of its chunks
    expect(first.commits.map((c) => c.fileNumber)).toEqual(first.commits.map((_, i) => 2 + i));
    expect(first.commits.every((c) => c.mediaUuid === t1.mediaUuid && c.seqNr === 0 && c.mediaSetUuid === mediaSet.uuid)).toBe(true);
    const done = first.end!.snapshotsWritten;
    expect(first.commits.filter((c) => c.kind === "snapshot-archive").map((c) => `sample:${c.snapshot}`)).toEqual(done);
    const written1 = new Set(first.commits.flatMap((c) => c.chunkDigests));
    for (const d of await sourceDigests(snapshots.filter((s) => done.includes(snapText(s))))) expect(written1.has(d)).toBe(true);
    allCommits.push(...first.commits);

    // What the tape holds, rebuilt by a scan, is exactly what was committed.
    const scan1 = [];
    let catalog1: Uint8Array | undefined;
    for await (const r of server.client.scanTape({ drive: DRIVE })) {
      if (r.message.case === "archive") scan1.push(r.message.value);
      else if (r.message.case === "result") catalog1 = r.message.value.catalog;
    }
    expect(scan1.map((a) => Number(a.fileNumber))).toEqual(first.commits.map((c) => c.fileNumber));
    expect(scan1.map((a) => a.archiveUuid)).toEqual(first.commits.map((c) => c.archiveUuid));
    expect(catalog1!.length).toBeGreaterThan(8);
    catalogOfTape1 = catalog1!;

    // The next tape joins the set: catalog of member 0 first, then the remaining snapshots, then its own catalog.
    const t2 = await loadAndLabel(lib, "TS0002L9");
    mediaUuids.push(t2.mediaUuid);
    const second = await runWrite(server.client, {
      datastorePath: sourcePath,
      store: "sample",
      mediaSet: { ...mediaSet, seqNr: 1 },
      snapshots: first.end!.remainingSnapshots,
      knownDigests: written1,
      memberCatalogs: [{ mediaUuid: t1.mediaUuid, seqNr: 0, bytes: catalog1! }],
    });
    expect(second.end?.status).toBe(writeStatusNumber("complete"));
    expect(second.end?.catalogWritten).toBe(true);
    expect(second.commits[0]).toMatchObject({ kind: "catalog-archive", fileNumber: 2, snapshot: t1.mediaUuid });
    expect(second.commits[second.commits.length - 1]).toMatchObject({ kind: "catalog-archive", snapshot: t2.mediaUuid });
    const written2 = second.commits.flatMap((c) => c.chunkDigests);
    for (const d of written2) expect(written1.has(d)).toBe(false);
    expect(new Set([...done, ...second.end!.snapshotsWritten])).toEqual(new Set(snapshots.map(snapText)));
    const all = await sourceDigests(snapshots);
    expect(new Set([...written1, ...written2])).toEqual(all);
    allCommits.push(...second.commits);

    const published = await readPublishedCommits(bus.nc, bus.streamName(COMMIT_STREAM), bus.subject(commitSubject(mediaSet.uuid)));
    expect(published).toEqual(allCommits.map((c) => (c.kind === "catalog-archive" ? { ...c, snapshot: undefined } : c)));
  }, 240_000);

  it("writes only new chunks on a second write to the same media set", async () => {
    const extra = new Uint8Array(3 * MiB).map((_, i) => (i * 7919) % 251);
    const oldChunks = await sourceDigests(snapshots);
    const time = 1_800_000_000;
    await ingestFiles(source, { type: "host", id: "late", time, files: [{ name: "drive-scsi0", data: extra, as: "image" }], chunkSize: 256 * 1024 });
    const ref: SnapshotRef = { ns: [], type: "host", id: "late", time };
    const fresh = [...(await sourceDigests([ref]))].filter((d) => !oldChunks.has(d));
    expect(fresh.length).toBeGreaterThan(0);
    const third = await runWrite(server.client, {
      datastorePath: sourcePath,
      store: "sample",
      mediaSet: { ...mediaSet, seqNr: 1 },
      snapshots: [...snapshots.map(snapText), snapText(ref)],
      knownDigests: new Set(allCommits.flatMap((c) => c.chunkDigests)),
      memberCatalogs: [{ mediaUuid: mediaUuids[0]!, seqNr: 0, bytes: catalogOfTape1 }],
      readers: 2,
    });
    expect(third.started?.appended).toBe(true);
    expect(third.end?.status).toBe(writeStatusNumber("complete"));
    expect(third.end?.snapshotsWritten).toEqual([snapText(ref)]);
    // the old snapshots are found in tape 1's catalog or in tape 2's own (rebuilt by scanning the tape)
    expect(third.end!.snapshotsSkipped).toEqual(snapshots.map(snapText));
    const chunks = third.commits.flatMap((c) => c.chunkDigests);
    expect(new Set(chunks)).toEqual(new Set(fresh));
    expect(third.end?.chunksWritten).toBe(fresh.length);
    allCommits.push(...third.commits);
    snapshots.push(ref);
  }, 120_000);

  it("restores both cartridges into an empty datastore: every snapshot and chunk byte-identical, digests verified", async () => {
    const dst = await tmpDir("dst");
    dirs.push(dst);
    const target = new Datastore(dst.path, "restored");
    await target.chunks.create();
    const restored: string[] = [];
    let inserted = 0;
    for (const barcode of ["TS0001L9", "TS0002L9"]) {
      await loadAndLabel(lib, barcode, { label: false });
      let lastRate = 0n;
      for await (const r of server.client.restoreFromTape({ drive: DRIVE, datastorePath: dst.path, store: "restored", owner: "root@pam" })) {
        const p = r.progress!;
        restored.push(...p.snapshots);
        inserted += Number(p.chunksInserted);
        lastRate = p.bytesPerSecond;
      }
      expect(lastRate).toBeGreaterThan(0n);
    }
    expect(new Set(restored)).toEqual(new Set(snapshots.map((s) => snapshotPath(s))));
    const all = await sourceDigests(snapshots);
    expect(inserted).toBe(all.size);
    for (const d of all) expect(Buffer.compare(await target.chunks.readChunk(d), await source.chunks.readChunk(d))).toBe(0);
    for (const s of snapshots) {
      const files = await source.listSnapshotFiles(s);
      expect(await target.listSnapshotFiles(s)).toEqual(files);
      for (const f of files) {
        if (f === MANIFEST_BLOB_NAME) continue;
        expect(Buffer.compare(await target.readSnapshotFile(s, f), await source.readSnapshotFile(s, f))).toBe(0);
      }
      const a = await decodeManifestBlob(await source.readSnapshotFile(s, MANIFEST_BLOB_NAME));
      const b = await decodeManifestBlob(await target.readSnapshotFile(s, MANIFEST_BLOB_NAME));
      expect(b.files).toEqual(a.files);
      expect(b.backupTime).toBe(a.backupTime);
    }
    const report = await verifyDatastore(target);
    expect(report.bad).toEqual([]);
    expect(report.missing).toEqual([]);
  }, 240_000);

  it("restores selected snapshots into mapped namespaces and skips the unmapped ones", async () => {
    const dst = await tmpDir("dstns");
    dirs.push(dst);
    const target = new Datastore(dst.path, "mapped");
    await target.chunks.create();
    await loadAndLabel(lib, "TS0002L9", { label: false });
    const onTape2 = allCommits.filter((c) => c.kind === "snapshot-archive" && c.mediaUuid === mediaUuids[1]).map((c) => c.snapshot!);
    const prod = onTape2.filter((p) => p.startsWith("ns/prod/"));
    const chosen = [...prod, ...onTape2.filter((p) => !p.startsWith("ns/prod/")).slice(0, 1)];
    expect(prod.length).toBeGreaterThan(0);
    const restored: string[] = [];
    const notes: string[] = [];
    for await (const r of server.client.restoreFromTape({
      drive: DRIVE,
      datastorePath: dst.path,
      store: "mapped",
      owner: "root@pam",
      namespaces: ["store=sample,source=prod,target=copy/of-prod"],
      snapshots: chosen,
    })) {
      restored.push(...r.progress!.snapshots);
      if (r.progress!.note) notes.push(r.progress!.note);
    }
    expect(restored.sort()).toEqual(prod.map((p) => p.replace(/^ns\/prod\//, "ns/copy/ns/of-prod/")).sort());
    expect(notes.some((n) => n.endsWith("no namespace mapping"))).toBe(true);
    expect(notes.some((n) => n.endsWith("not selected"))).toBe(true);
    for (const p of prod) {
      const ref = parseSnapshotPath(p.replace(/^ns\/prod\//, "ns/copy/ns/of-prod/"));
      expect((await target.listSnapshots(ref)).some((s) => s.time === ref.time && s.finished)).toBe(true);
    }
  });

  it("restores only the listed tape files (LOCATE to each) into a configured datastore folder that does not exist yet; a folder holding something else is refused", async () => {
    const dst = await tmpDir("dstfiles");
    dirs.push(dst);
    const storePath = join(dst.path, "new-store");
    await loadAndLabel(lib, "TS0002L9", { label: false });
    const archives = allCommits.filter((c) => c.mediaUuid === mediaUuids[1] && c.kind === "snapshot-archive");
    const pick = archives.at(-1)!;
    const files: number[] = [];
    const restored: string[] = [];
    for await (const r of server.client.restoreFromTape({ drive: DRIVE, datastorePath: storePath, store: "files", owner: "root@pam", fileNumbers: [BigInt(pick.fileNumber)], snapshots: [pick.snapshot!] })) {
      files.push(Number(r.progress!.fileNumber));
      restored.push(...r.progress!.snapshots);
    }
    expect(files).toEqual([pick.fileNumber]);
    expect(restored).toEqual([pick.snapshot]);
    const created = new Datastore(storePath, "files");
    const ref = parseSnapshotPath(pick.snapshot!);
    expect((await created.listSnapshots(ref)).some((x) => x.time === ref.time && x.finished)).toBe(true);

    // The group now belongs to root@pam: restored again for another owner, the snapshot is reported as not restored.
    await rm(join(storePath, pick.snapshot!), { recursive: true });
    const failed: string[] = [];
    for await (const r of server.client.restoreFromTape({ drive: DRIVE, datastorePath: storePath, store: "files", owner: "other@pbs", fileNumbers: [BigInt(pick.fileNumber)], snapshots: [pick.snapshot!] })) {
      failed.push(...r.progress!.failedSnapshots);
      expect(r.progress!.snapshots).toEqual([]);
    }
    expect(failed).toHaveLength(1);
    expect(failed[0]!.startsWith(`${pick.snapshot}: `)).toBe(true);

    const other = join(dst.path, "not-a-store");
    await mkdir(other);
    await writeFile(join(other, "notes.txt"), "not a datastore");
    const err = await (async () => {
      for await (const _ of server.client.restoreFromTape({ drive: DRIVE, datastorePath: other, store: "other", owner: "root@pam", fileNumbers: [BigInt(pick.fileNumber)] })) void _;
    })().catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain("datastore_path");
  });

  it("streams one archive back as typed entries", async () => {
    const chunkArchive = allCommits.find((c) => c.kind === "chunk-archive" && c.mediaUuid === mediaUuids[1])!;
    const digests: string[] = [];
    let end: { hasEndMarker: boolean } | undefined;
    for await (const r of server.client.readTapeFile({ drive: DRIVE, fileNumber: BigInt(chunkArchive.fileNumber), verifyDigests: true })) {
      if (r.message.case === "header") expect(r.message.value.archiveUuid).toBe(chunkArchive.archiveUuid);
      if (r.message.case === "chunk") {
        expect(r.message.value.digestChecked).toBe(true);
        digests.push(Buffer.from(r.message.value.digest).toString("hex"));
      }
      if (r.message.case === "end") end = r.message.value;
    }
    expect(digests).toEqual(chunkArchive.chunkDigests);
    expect(end?.hasEndMarker).toBe(true);
  });

  it("reports a medium error on read with its tape file and block, and a busy drive", async () => {
    const target = allCommits.find((c) => c.kind === "chunk-archive" && c.mediaUuid === mediaUuids[1] && c.chunkDigests.length > 2)!;
    const tape = new ScsiTape(createVtlTransport(lib, DRIVE), { readyPollMs: 10 });
    await tape.locateFile(target.fileNumber);
    const start = (await tape.position()).blockNumber;
    lib.injectMediumError("TS0002L9", start + 1, "read");
    try {
      const err = await (async () => {
        for await (const _ of server.client.readTapeFile({ drive: DRIVE, fileNumber: BigInt(target.fileNumber) })) void _;
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GrpcError);
      expect((err as GrpcError).code).toBe(15);
      expect((err as GrpcError).reason).toBe("medium-error");
      expect((err as GrpcError).rawMessage).toContain(`tape file ${target.fileNumber}, block 1`);
    } finally {
      lib.clearMediumErrors();
    }
    // The drive is free again after the failure, and a second holder is refused while it is held.
    const drives = virtualLibraryDrives(lib);
    const held = await drives.acquire(DRIVE, "test");
    await expect(drives.acquire(DRIVE, "other")).rejects.toMatchObject({ code: "drive-busy" });
    held.release();
  });
});
