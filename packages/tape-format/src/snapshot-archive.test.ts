import { describe, expect, it } from "vitest";
import { TAPE_BLOCK_SIZE } from "./block-header.ts";
import { SNAPSHOT_ARCHIVE_MAGIC_1_1, SNAPSHOT_ARCHIVE_MAGIC_1_2, bytesEqual } from "./magics.ts";
import { S_IFREG, type PxarStat } from "./pxar.ts";
import {
  encodeSnapshotArchiveHeaderJson,
  openSnapshotArchive,
  snapshotArchiveMagic,
  writeSnapshotArchive,
  type SnapshotFile,
} from "./snapshot-archive.ts";
import { openTapeFile } from "./tape-file.ts";
import { TapeFileWriter } from "./tape-file-writer.ts";
import { MemoryTape } from "./virtual-tape.ts";
import { catchTapeError, collect, pseudoRandom } from "./test-support.ts";

const STAT: PxarStat = { mode: S_IFREG | 0o644, flags: 0, uid: 34, gid: 34, mtimeSecs: 1700000000, mtimeNanos: 5 };

/** Streams `size` pseudo-random bytes in 64 KiB pieces without holding them all. */
function streamed(name: string, size: number, seed: number): SnapshotFile {
  return {
    name,
    stat: STAT,
    size,
    content: (async function* () {
      for (let off = 0; off < size; off += 65536) yield pseudoRandom(Math.min(65536, size - off), seed + off);
    })(),
  };
}

async function expectedBytes(size: number, seed: number): Promise<Uint8Array> {
  const f = streamed("x", size, seed);
  return collect(f.content as AsyncIterable<Uint8Array>);
}

async function openAt(tape: MemoryTape, n: number, requireEndMarker = true) {
  await tape.seekFile(n);
  const f = await openTapeFile(tape, { requireEndMarker });
  if (f.kind !== "file") throw new Error(f.kind);
  return f.file;
}

describe("snapshot archive", () => {
  it("header JSON is {snapshot, store} in struct order; magic by namespace", () => {
    expect(new TextDecoder().decode(encodeSnapshotArchiveHeaderJson({ snapshot: "vm/100/2024-01-01T00:00:00Z", store: "s1" }))).toBe(
      '{\n  "snapshot": "vm/100/2024-01-01T00:00:00Z",\n  "store": "s1"\n}',
    );
    expect(snapshotArchiveMagic("vm/100/2024-01-01T00:00:00Z")).toBe(SNAPSHOT_ARCHIVE_MAGIC_1_1);
    expect(snapshotArchiveMagic("ns/a/ns/b/vm/100/2024-01-01T00:00:00Z")).toBe(SNAPSHOT_ARCHIVE_MAGIC_1_2);
  });

  it.each([
    ["vm/100/2024-01-01T00:00:00Z", "1.1"],
    ["ns/dev/ct/200/2024-02-03T04:05:06Z", "1.2"],
  ])("round trips %s (v%s) with streamed file contents", async (snapshot, version) => {
    const tape = new MemoryTape();
    const sizes: Array<[string, number]> = [["index.json.blob", 300], ["drive-scsi0.img.fidx", 600_000], ["client.log.blob", 0]];
    const out = await writeSnapshotArchive(tape, { snapshot, store: "store1" }, sizes.map(([n, s], i) => streamed(n, s, i + 1)));
    expect(out.kind).toBe("complete");
    const file = await openAt(tape, 0);
    const a = await openSnapshotArchive(file.bytes);
    expect(a.version).toBe(version);
    expect(a.snapshot).toBe(snapshot);
    expect(a.store).toBe("store1");
    expect(bytesEqual(a.header.uuid, out.uuid)).toBe(true);
    const root = await a.entries.next();
    expect(root?.kind).toBe("directory");
    for (const [i, [name, size]] of sizes.entries()) {
      const e = await a.entries.next();
      if (e?.kind !== "file") throw new Error("expected a file");
      expect(e.name).toBe(name);
      expect(e.size).toBe(size);
      expect(e.stat).toEqual(STAT);
      expect(Buffer.from(await collect(e.payload)).equals(Buffer.from(await expectedBytes(size, i + 1)))).toBe(true);
    }
    expect(await a.entries.next()).toBeNull();
    expect(file.blocks.hasEndMarker).toBe(true);
    expect(file.blocks.isIncomplete).toBe(false);
  });

  it("at LEOM finishes INCOMPLETE and asks for a rewrite on the next tape", async () => {
    const tape = new MemoryTape({ earlyWarningBytes: 2 * TAPE_BLOCK_SIZE });
    const tw = new TapeFileWriter(tape);
    const out = await tw.writeSnapshotArchive({ snapshot: "vm/1/2024-01-01T00:00:00Z", store: "s" }, [streamed("a.fidx", 2_000_000, 7)]);
    expect(out).toMatchObject({ kind: "incomplete", leom: true, action: "rewrite-on-next-tape" });
    expect(tw.tapeFull).toBe(true);
    // it stopped soon after the early warning, not after writing all 2 MB
    expect(tape.fileBlocks(0).length).toBeLessThanOrEqual(4);
    const file = await openAt(tape, 0);
    const a = await openSnapshotArchive(file.bytes);
    await a.entries.next();
    const e = await a.entries.next();
    if (e?.kind !== "file") throw new Error("expected a file");
    expect((await catchTapeError(() => collect(e.payload))).code).toBe("truncated");
    expect(file.blocks.hasEndMarker).toBe(true);
    expect(file.blocks.isIncomplete).toBe(true);
  });

  it("LEOM while writing the header also gives INCOMPLETE", async () => {
    const tape = new MemoryTape({ earlyWarningBytes: 0 });
    const out = await writeSnapshotArchive(tape, { snapshot: "vm/1/2024-01-01T00:00:00Z", store: "s" }, [streamed("a", 10, 1)]);
    // nothing is written before the EOS block, so the LEOM appears only at finish: the stream is complete
    expect(out.kind).toBe("complete");
    expect(out.leom).toBe(true);
    const big = new MemoryTape({ earlyWarningBytes: 0 });
    const longName = "s".repeat(300_000);
    const out2 = await writeSnapshotArchive(big, { snapshot: "vm/1/2024-01-01T00:00:00Z", store: longName }, [streamed("a", 10, 1)]);
    expect(out2.kind).toBe("incomplete");
  });

  it("a file that changes size aborts the tape file (no end marker) and throws", async () => {
    const tape = new MemoryTape();
    const bad: SnapshotFile = { name: "a.blob", stat: STAT, size: 1_000_000, content: [new Uint8Array(600_000)] };
    expect((await catchTapeError(() => writeSnapshotArchive(tape, { snapshot: "vm/1/2024-01-01T00:00:00Z", store: "s" }, [bad]))).code).toBe("size-mismatch");
    expect(tape.hasFilemark(0)).toBe(true);
    const file = await openAt(tape, 0, false);
    expect(await file.blocks.skipData()).toBe(2 * 262128);
    expect(file.blocks.hasEndMarker).toBe(false);
    // a file whose content is short before any block is full leaves just a filemark
    const tiny = new MemoryTape();
    const short: SnapshotFile = { name: "a.blob", stat: STAT, size: 10, content: [new Uint8Array(5)] };
    expect((await catchTapeError(() => writeSnapshotArchive(tiny, { snapshot: "vm/1/2024-01-01T00:00:00Z", store: "s" }, [short]))).code).toBe("size-mismatch");
    await tiny.rewind();
    expect((await openTapeFile(tiny)).kind).toBe("end-of-file");
  });
});
