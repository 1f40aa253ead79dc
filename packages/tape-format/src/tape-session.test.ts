import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TAPE_BLOCK_SIZE } from "./block-header.ts";
import { encodeDataBlob } from "./data-blob.ts";
import { readLabels, writeMediaLabel, writeMediaSetLabel } from "./labels.ts";
import { MediaCatalog } from "./media-catalog.ts";
import { S_IFREG } from "./pxar.ts";
import { readTapeFile } from "./tape-file-reader.ts";
import { TapeFileWriter, type ChunkToWrite } from "./tape-file-writer.ts";
import { formatUuid } from "./uuid.ts";
import { FileTape, MemoryTape, type VirtualTapeDevice } from "./virtual-tape.ts";
import { catchTapeError, collect, pseudoRandom, sha256 } from "./test-support.ts";

const MEDIA = "11111111-2222-4333-8444-555555555555";
const SET = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tape-format-"));
  dirs.push(d);
  return d;
}

async function chunks(n: number): Promise<ChunkToWrite[]> {
  const out: ChunkToWrite[] = [];
  for (let i = 0; i < n; i++) {
    const data = new TextEncoder().encode(`chunk ${i} `.repeat(2000 + i));
    out.push({ digest: sha256(data), blob: await encodeDataBlob(data) });
  }
  return out;
}

/** Writes a tape as a PBS backup job would: labels, chunk archive, snapshot archive, catalog archive. */
async function writeSessionTape(tape: VirtualTapeDevice): Promise<MediaCatalog> {
  await writeMediaLabel(tape, { uuid: MEDIA, labelText: "TAPE01L9", ctime: 1700000000 });
  await writeMediaSetLabel(tape, { pool: "daily", uuid: SET, seqNr: 0, ctime: 1700000001 });
  const catalog = MediaCatalog.createForMediaSet(MEDIA, SET, 0);
  const tw = new TapeFileWriter(tape, { nextFileNumber: 2 });
  const cs = await chunks(4);
  const a = await tw.writeChunkArchive("store1", cs[Symbol.iterator]());
  expect(a!.fileNumber).toBe(2);
  catalog.startChunkArchive(a!.fileNumber!, formatUuid(a!.uuid), "store1");
  for (const d of a!.written) catalog.registerChunk(d);
  catalog.endChunkArchive();
  const manifest = await encodeDataBlob(new TextEncoder().encode('{"backup-type":"vm"}'));
  const s = await tw.writeSnapshotArchive({ snapshot: "vm/100/2024-01-01T00:00:00Z", store: "store1" }, [
    { name: "index.json.blob", stat: { mode: S_IFREG | 0o644, flags: 0, uid: 0, gid: 0, mtimeSecs: 1, mtimeNanos: 0 }, size: manifest.length, content: manifest },
  ]);
  expect(s.kind).toBe("complete");
  expect(s.fileNumber).toBe(3);
  catalog.registerSnapshot(s.fileNumber!, formatUuid(s.uuid), "store1", "vm/100/2024-01-01T00:00:00Z");
  const bytes = catalog.toBytes();
  const c = await tw.writeCatalogArchive({ uuid: MEDIA, mediaSetUuid: SET, seqNr: 0 }, bytes);
  expect(c.kind).toBe("complete");
  expect(c.fileNumber).toBe(4);
  expect(tw.filesWritten).toBe(3);
  expect(tw.nextFileNumber).toBe(5);
  return catalog;
}

/** Rebuilds a catalog from the tape alone (like `catalog --scan`). */
async function scanTape(tape: VirtualTapeDevice): Promise<{ catalog: MediaCatalog; kinds: string[] }> {
  await tape.rewind();
  const labels = await readLabels(tape);
  if (labels.kind !== "labeled" || labels.mediaSetLabel === undefined) throw new Error("not labeled");
  const catalog = MediaCatalog.createForMediaSet(labels.mediaLabel.uuid, labels.mediaSetLabel.uuid, labels.mediaSetLabel.seqNr);
  const kinds: string[] = [];
  for (let fileNr = 2; ; fileNr++) {
    const r = await readTapeFile(tape, { verifyDigest: true });
    if (r.kind !== "file") break;
    const a = r.archive;
    kinds.push(a.kind);
    if (a.kind === "chunk-archive") {
      const digests: Uint8Array[] = [];
      for await (const e of a.entries) digests.push(e.digest);
      if (!r.file.blocks.hasEndMarker) continue;
      catalog.startChunkArchive(fileNr, formatUuid(a.header.uuid), a.store);
      for (const d of digests) catalog.registerChunk(d);
      catalog.endChunkArchive();
    } else if (a.kind === "snapshot-archive") {
      for await (const e of a.entries) if (e.kind === "file") await collect(e.payload);
      if (r.file.blocks.hasEndMarker && !r.file.blocks.isIncomplete) catalog.registerSnapshot(fileNr, formatUuid(a.header.uuid), a.store, a.snapshot);
    } else {
      await r.file.blocks.skipData();
    }
  }
  return { catalog, kinds };
}

describe("a whole tape", () => {
  it.each([
    ["MemoryTape", () => new MemoryTape()],
    ["FileTape", () => new FileTape(tempDir())],
  ])("%s: written session scans back to the same catalog", async (_name, make) => {
    const tape = make();
    const written = await writeSessionTape(tape);
    expect(tape.fileCount).toBe(5);
    const { catalog, kinds } = await scanTape(tape);
    expect(kinds).toEqual(["chunk-archive", "snapshot-archive", "catalog-archive"]);
    expect(Buffer.from(catalog.toBytes()).equals(Buffer.from(written.toBytes()))).toBe(true);
  });

  it("FileTape persists across instances and truncates on overwrite", async () => {
    const dir = tempDir();
    const t1 = new FileTape(dir, { earlyWarningBytes: 100 * TAPE_BLOCK_SIZE });
    await writeSessionTape(t1);
    const t2 = new FileTape(dir);
    expect(t2.fileCount).toBe(5);
    const labels = await readLabels(t2);
    expect(labels.kind === "labeled" && labels.mediaSetLabel?.pool).toBe("daily");
    // rewriting file 1 discards everything after it
    await t2.seekFile(1);
    await writeMediaSetLabel(t2, { pool: "weekly", uuid: SET, seqNr: 1, ctime: 5 });
    expect(new FileTape(dir).fileCount).toBe(2);
    await t2.rewind();
    const again = await readLabels(t2);
    expect(again.kind === "labeled" && again.mediaSetLabel?.pool).toBe("weekly");
    expect(await t2.readBlock()).toEqual({ kind: "end-of-data" });
    expect((await catchTapeError(() => t2.seekFile(9))).code).toBe("invalid-state");
  });

  it("virtual tapes report early warning past the configured size and fail at capacity", async () => {
    for (const tape of [new MemoryTape({ earlyWarningBytes: 2 * TAPE_BLOCK_SIZE }), new FileTape(tempDir(), { earlyWarningBytes: 2 * TAPE_BLOCK_SIZE, capacityBytes: 4 * (TAPE_BLOCK_SIZE + 4) })]) {
      const b = () => new Uint8Array(TAPE_BLOCK_SIZE);
      expect((await tape.writeBlock(b())).earlyWarning).toBe(false);
      expect((await tape.writeBlock(b())).earlyWarning).toBe(tape instanceof FileTape);
      expect((await tape.writeBlock(b())).earlyWarning).toBe(true);
      await tape.writeBlock(b());
      expect((await catchTapeError(() => tape.writeBlock(b()))).code).toBe("end-of-medium");
      await tape.rewind();
      expect((await tape.readBlock()).kind).toBe("data");
    }
  });

  it("reading an unterminated last file ends with end-of-data", async () => {
    const tape = new MemoryTape();
    await tape.writeBlock(pseudoRandom(10, 1));
    await tape.rewind();
    expect((await tape.readBlock()).kind).toBe("data");
    expect(await tape.readBlock()).toEqual({ kind: "end-of-data" });
  });
});
