/**
 * The catalog archives of a media set on its last tape (reference §4.3,
 * §5.5): a write session joining tape 2 to a set writes the catalog of
 * member 0 (as the caller streams it) as file 2, and its own catalog at the
 * end. Read back from tape 2 alone, the two catalogs list every archive and
 * snapshot of the set, byte for byte what a scan of each tape rebuilds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSampleDatastore, snapshotPath, type SnapshotRef } from "@tapefleet/datastore";
import { MediaCatalog } from "@tapefleet/tape-format";
import type { VirtualLibrary } from "@tapefleet/vtl";
import { virtualLibraryDrives, writeStatusNumber } from "../../src/sessions/index.ts";
import { DRIVE, MiB, createSessionLibrary, loadAndLabel, runWrite, sessionSiteSpec, startSessionServer, tmpDir, type SessionServer } from "./helpers/session-fixture.ts";

const STORE = "sample";
const mediaSet = { uuid: "5b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d9e", pool: "weekly", seqNr: 0 };

let lib: VirtualLibrary;
let server: SessionServer;
let sourcePath: string;
let snapshots: string[] = [];
const dirs: Array<{ remove(): Promise<void> }> = [];

beforeAll(async () => {
  const vtl = await tmpDir("vtl-members");
  const src = await tmpDir("src-members");
  dirs.push(vtl, src);
  lib = await createSessionLibrary(
    vtl.path,
    sessionSiteSpec([
      { barcode: "TM0001L9", capacityBytes: 5 * MiB, earlyWarningBytes: 2 * MiB },
      { barcode: "TM0002L9", capacityBytes: 64 * MiB, earlyWarningBytes: 8 * MiB },
    ]),
  );
  sourcePath = src.path;
  const source = (await createSampleDatastore(sourcePath, { size: 6 * MiB, seed: 11 })).datastore;
  const refs: SnapshotRef[] = [];
  for await (const s of source.selectSnapshots({})) refs.push(s);
  snapshots = refs.map((r) => `${STORE}:${snapshotPath(r)}`);
  server = await startSessionServer({ drives: virtualLibraryDrives(lib) });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await lib?.close();
  for (const d of dirs) await d.remove();
});

/** Every file of the loaded tape from 2 on, as ReadTapeFile returns it (kind, the media a catalog describes, its bytes). */
async function readFiles(count: number): Promise<Array<{ fileNumber: number; kind: number; mediaUuid: string; catalog: Buffer; complete: boolean }>> {
  const out = [];
  for (let f = 2; f < count; f++) {
    let kind = 0;
    let mediaUuid = "";
    const pieces: Uint8Array[] = [];
    let complete = false;
    for await (const r of server.client.readTapeFile({ drive: DRIVE, fileNumber: BigInt(f) })) {
      const m = r.message;
      if (m.case === "header") {
        kind = m.value.kind;
        mediaUuid = m.value.snapshot;
      } else if (m.case === "catalogData") pieces.push(m.value);
      else if (m.case === "end") complete = m.value.hasEndMarker && !m.value.incomplete;
    }
    out.push({ fileNumber: f, kind, mediaUuid, catalog: Buffer.concat(pieces), complete });
  }
  return out;
}

async function scanCatalog(): Promise<{ mediaUuid: string; catalog: Buffer; files: number }> {
  let result: { mediaUuid: string; catalog: Buffer; files: number } | undefined;
  let last = 1;
  for await (const r of server.client.scanTape({ drive: DRIVE })) {
    if (r.message.case === "archive") last = Math.max(last, Number(r.message.value.fileNumber));
    else if (r.message.case === "result") result = { mediaUuid: r.message.value.mediaUuid, catalog: Buffer.from(r.message.value.catalog), files: last + 1 };
  }
  return result!;
}

describe("catalog archives of the earlier members", () => {
  it("the second tape of a two-tape set carries both members' catalogs: member 0's at file 2, its own at the end", async () => {
    expect(snapshots.length).toBeGreaterThan(4);
    const t1 = await loadAndLabel(lib, "TM0001L9");
    const first = await runWrite(server.client, { datastorePath: sourcePath, store: STORE, mediaSet, snapshots, maxChunkArchiveBytes: MiB });
    expect(first.end?.status).toBe(writeStatusNumber("tape-full"));
    // A full tape carries no catalog of its own: the next member carries it.
    expect(first.end?.catalogWritten).toBe(false);
    const scan1 = await scanCatalog();
    expect(scan1.mediaUuid).toBe(t1.mediaUuid);

    const t2 = await loadAndLabel(lib, "TM0002L9");
    const second = await runWrite(server.client, {
      datastorePath: sourcePath,
      store: STORE,
      mediaSet: { ...mediaSet, seqNr: 1 },
      snapshots: first.end!.remainingSnapshots,
      knownDigests: new Set(first.commits.flatMap((c) => c.chunkDigests)),
      memberCatalogs: [{ mediaUuid: t1.mediaUuid, seqNr: 0, bytes: scan1.catalog }],
      maxChunkArchiveBytes: MiB,
    });
    expect(second.end?.status).toBe(writeStatusNumber("complete"));
    expect(second.end?.catalogWritten).toBe(true);
    const scan2 = await scanCatalog();

    // Tape 2 read back alone: file 2 is member 0's catalog, the last file tape 2's own, both complete and byte-identical to the scans.
    const files = await readFiles(scan2.files);
    const catalogs = files.filter((f) => f.kind === 3);
    expect(catalogs.map((c) => [c.fileNumber, c.mediaUuid, c.complete])).toEqual([
      [2, t1.mediaUuid, true],
      [scan2.files - 1, t2.mediaUuid, true],
    ]);
    expect(catalogs[0]!.catalog.equals(scan1.catalog)).toBe(true);
    expect(catalogs[1]!.catalog.equals(scan2.catalog)).toBe(true);

    // Together they name every snapshot of the set, each on the member that holds it.
    const c1 = MediaCatalog.load(catalogs[0]!.catalog, { mediaUuid: t1.mediaUuid, mediaSetUuid: mediaSet.uuid, seqNr: 0, requireMediaSetLabel: true });
    const c2 = MediaCatalog.load(catalogs[1]!.catalog, { mediaUuid: t2.mediaUuid, mediaSetUuid: mediaSet.uuid, seqNr: 1, requireMediaSetLabel: true });
    const on1 = c1.snapshots(STORE).map((s) => `${STORE}:${s.snapshot}`);
    const on2 = c2.snapshots(STORE).map((s) => `${STORE}:${s.snapshot}`);
    expect(on1.sort()).toEqual([...first.end!.snapshotsWritten].sort());
    expect(on2.sort()).toEqual([...second.end!.snapshotsWritten].sort());
    expect(new Set([...on1, ...on2])).toEqual(new Set(snapshots));
    expect(c1.chunkCount(STORE) + c2.chunkCount(STORE)).toBe(first.end!.chunksWritten + second.end!.chunksWritten);
  }, 150_000);
});
