import { describe, expect, it } from "vitest";
import { BlockedWriter } from "./blocked-writer.ts";
import { TAPE_BLOCK_SIZE } from "./block-header.ts";
import {
  CHUNK_ARCHIVE_ENTRY_HEADER_SIZE,
  ChunkArchiveWriter,
  decodeChunkArchiveEntryHeader,
  encodeChunkArchiveEntryHeader,
  encodeChunkArchiveHeaderJson,
  openChunkArchive,
  type ChunkArchiveEntry,
} from "./chunk-archive.ts";
import { encodeDataBlob } from "./data-blob.ts";
import { CHUNK_ARCHIVE_MAGIC_1_0, CHUNK_ARCHIVE_MAGIC_1_1 } from "./magics.ts";
import { writeContentHeader, openTapeFile } from "./tape-file.ts";
import { TapeFileWriter, type ChunkToWrite } from "./tape-file-writer.ts";
import { MemoryTape } from "./virtual-tape.ts";
import { catchTapeError, pseudoRandom, sha256, flip } from "./test-support.ts";
import { formatUuid } from "./uuid.ts";

async function makeChunks(count: number, size: number, seed = 1): Promise<ChunkToWrite[]> {
  const out: ChunkToWrite[] = [];
  for (let i = 0; i < count; i++) {
    const data = pseudoRandom(size, seed * 1000 + i + 1);
    out.push({ digest: sha256(data), blob: await encodeDataBlob(data, { compress: false }) });
  }
  return out;
}

async function readArchive(tape: MemoryTape, file: number, opts: { verifyDigest?: boolean; requireEndMarker?: boolean } = {}) {
  await tape.seekFile(file);
  const f = await openTapeFile(tape, { requireEndMarker: opts.requireEndMarker ?? true });
  if (f.kind !== "file") throw new Error(f.kind);
  const a = await openChunkArchive(f.file.bytes, { verifyDigest: opts.verifyDigest ?? false });
  const entries: ChunkArchiveEntry[] = [];
  for await (const e of a.entries) entries.push(e);
  return { archive: a, entries, blocks: f.file.blocks };
}

/** A chunk archive of the first two chunks whole and the third cut after 500 bytes, then the end marker. */
async function archiveWithTruncatedLastEntry(chunks: Array<{ digest: Uint8Array; blob: Uint8Array }>): Promise<MemoryTape> {
  const tape = new MemoryTape();
  const bw = new BlockedWriter(tape);
  await writeContentHeader(bw, CHUNK_ARCHIVE_MAGIC_1_1, encodeChunkArchiveHeaderJson("s"));
  for (const c of chunks.slice(0, 2)) {
    await bw.write(encodeChunkArchiveEntryHeader({ digest: c.digest, size: c.blob.length }));
    await bw.write(c.blob);
  }
  await bw.write(encodeChunkArchiveEntryHeader({ digest: chunks[2]!.digest, size: chunks[2]!.blob.length }));
  await bw.write(chunks[2]!.blob.subarray(0, 500));
  await bw.finish(false);
  return tape;
}

describe("chunk archive entry header", () => {
  it("is magic + digest + u64 LE size (48 bytes)", () => {
    const digest = Uint8Array.from({ length: 32 }, (_, i) => i);
    const b = encodeChunkArchiveEntryHeader({ digest, size: 0x01020304 });
    expect(b.length).toBe(CHUNK_ARCHIVE_ENTRY_HEADER_SIZE);
    expect(Buffer.from(b).toString("hex")).toBe("48576df2de428fdc" + Buffer.from(digest).toString("hex") + "0403020100000000");
    expect(decodeChunkArchiveEntryHeader(b)).toEqual({ digest, size: 0x01020304 });
    expect(decodeChunkArchiveEntryHeader(b.subarray(0, 48))).toEqual({ digest, size: 0x01020304 });
  });

  it("header JSON is {\"store\"} pretty printed", () => {
    expect(new TextDecoder().decode(encodeChunkArchiveHeaderJson("store1"))).toBe('{\n  "store": "store1"\n}');
  });
});

describe("chunk archive round trip", () => {
  it("writes and reads entries with CRC and digest verification", async () => {
    const tape = new MemoryTape();
    const chunks = await makeChunks(5, 100_000);
    const compressed = new TextEncoder().encode("z".repeat(50_000));
    chunks.push({ digest: sha256(compressed), blob: await encodeDataBlob(compressed) });
    const w = await ChunkArchiveWriter.start(tape, "store1", { ctime: 1700000000 });
    for (const c of chunks) expect(await w.writeChunk(c.digest, c.blob)).toBe(true);
    expect(await w.finish()).toBe(false);
    const { archive, entries, blocks } = await readArchive(tape, 0, { verifyDigest: true });
    expect(archive.store).toBe("store1");
    expect(archive.header.ctime).toBe(1700000000);
    expect(formatUuid(archive.header.uuid)).toBe(formatUuid(w.uuid));
    expect(entries.map((e) => Buffer.from(e.digest).toString("hex"))).toEqual(chunks.map((c) => Buffer.from(c.digest).toString("hex")));
    expect(entries.every((e) => e.digestChecked)).toBe(true);
    expect(Buffer.from(entries[5]!.blob).equals(Buffer.from(chunks[5]!.blob))).toBe(true);
    expect(archive.entries.truncated).toBe(false);
    expect(blocks.hasEndMarker).toBe(true);
  });

  it("stops on a truncated last entry (EOF inside the blob) and reports it", async () => {
    const chunks = await makeChunks(3, 1000);
    const tape = await archiveWithTruncatedLastEntry(chunks);
    const { entries, archive } = await readArchive(tape, 0);
    expect(entries).toHaveLength(2);
    expect(archive.entries.truncated).toBe(true);
  });

  it("bad entry magic and bad CRC are errors; unreleased v1.0 is rejected", async () => {
    const chunks = await makeChunks(2, 1000);
    for (const corrupt of ["magic", "crc"] as const) {
      const tape = new MemoryTape();
      const w = await ChunkArchiveWriter.start(tape, "s");
      for (const c of chunks) await w.writeChunk(c.digest, c.blob);
      await w.finish();
      const block = tape.fileBlocks(0)[0]!;
      // content header 48 + json + first entry
      const jsonLen = encodeChunkArchiveHeaderJson("s").length;
      const secondEntry = 16 + 48 + jsonLen + CHUNK_ARCHIVE_ENTRY_HEADER_SIZE + chunks[0]!.blob.length;
      if (corrupt === "magic") flip(block, secondEntry, 0xff);
      else flip(block, secondEntry + CHUNK_ARCHIVE_ENTRY_HEADER_SIZE + 20, 0xff);
      await tape.rewind();
      const f = await openTapeFile(tape);
      if (f.kind !== "file") throw new Error("no file");
      const a = await openChunkArchive(f.file.bytes);
      expect(await a.entries.next()).not.toBeNull();
      expect((await catchTapeError(() => a.entries.next())).code).toBe(corrupt === "magic" ? "bad-magic" : "crc-mismatch");
      // verifyCrc: false leaves the CRC to the caller (a digest worker); the entry magic is still checked
      await tape.rewind();
      const g = await openTapeFile(tape);
      if (g.kind !== "file") throw new Error("no file");
      const b = await openChunkArchive(g.file.bytes, { verifyCrc: false });
      expect(await b.entries.next()).not.toBeNull();
      if (corrupt === "magic") expect((await catchTapeError(() => b.entries.next())).code).toBe("bad-magic");
      else expect((await b.entries.next())?.blob.length).toBe(chunks[1]!.blob.length);
    }
    const old = new MemoryTape();
    const bw = new BlockedWriter(old);
    await writeContentHeader(bw, CHUNK_ARCHIVE_MAGIC_1_0, encodeChunkArchiveHeaderJson("s"));
    await bw.finish(false);
    await old.rewind();
    const f = await openTapeFile(old);
    if (f.kind !== "file") throw new Error("no file");
    expect((await catchTapeError(() => openChunkArchive(f.file.bytes))).code).toBe("unsupported-version");
  });
});

describe("chunk archive at LEOM", () => {
  it("closes clean at LEOM; the cut-off chunk is pending and the rest are registered", async () => {
    // chunks of ~300 KiB: each spans more than one 256 KiB piece
    const chunks = await makeChunks(8, 300_000, 2);
    const tape = new MemoryTape({ earlyWarningBytes: 4 * TAPE_BLOCK_SIZE });
    const tw = new TapeFileWriter(tape);
    const it = chunks[Symbol.iterator]();
    const out = await tw.writeChunkArchive("store1", it);
    expect(out).not.toBeNull();
    expect(out!.reason).toBe("leom");
    expect(out!.leom).toBe(true);
    expect(tw.tapeFull).toBe(true);
    const nWritten = out!.written.length;
    // stream = 66 + k * 300060; block 4 (past 4 blocks of early warning) is written by the first piece of chunk 5
    expect(nWritten).toBe(4);
    expect(out!.pending).toBe(chunks[4]);
    // the stream on tape is finished without INCOMPLETE and holds exactly the registered chunks (plus maybe a truncated one)
    const { entries, blocks, archive } = await readArchive(tape, 0, { verifyDigest: true });
    expect(blocks.hasEndMarker).toBe(true);
    expect(blocks.isIncomplete).toBe(false);
    expect(entries.map((e) => Buffer.from(e.digest).toString("hex"))).toEqual(out!.written.map((d) => Buffer.from(d).toString("hex")));
    expect(archive.entries.truncated).toBe(true);
    // continue on a fresh tape: the pending chunk first, then the rest of the iterator
    const tape2 = new MemoryTape();
    const out2 = await new TapeFileWriter(tape2).writeChunkArchive("store1", it, out!.pending ? { first: out!.pending } : {});
    expect(out2!.reason).toBe("no-more-chunks");
    expect(nWritten + out2!.written.length).toBe(8);
    const all = [...out!.written, ...out2!.written].map((d) => Buffer.from(d).toString("hex"));
    expect(all).toEqual(chunks.map((c) => Buffer.from(c.digest).toString("hex")));
  });

  it("a chunk whose last piece triggers LEOM counts as written", async () => {
    // one small chunk that fills the block which crosses the early-warning size
    const tape = new MemoryTape({ earlyWarningBytes: TAPE_BLOCK_SIZE });
    // stream: 48 + 18 (JSON) + 48 + blob; block 1 (the one past the early warning) is written only by the last piece
    const [c] = await makeChunks(1, 2 * TAPE_BLOCK_SIZE - 112, 3);
    const big = await makeChunks(1, 100_000, 4);
    const w = await ChunkArchiveWriter.start(tape, "s");
    // first chunk: > 1 block; LEOM seen on its second piece (the last piece)
    expect(await w.writeChunk(c!.digest, c!.blob)).toBe(true);
    expect(w.closed).toBe(true);
    expect(await w.writeChunk(big[0]!.digest, big[0]!.blob)).toBe(false);
    const { entries } = await readArchive(tape, 0, { verifyDigest: true });
    expect(entries).toHaveLength(1);
  });

  it("closes at the maximum archive size", async () => {
    const tape = new MemoryTape();
    const chunks = await makeChunks(6, 200_000, 5);
    const tw = new TapeFileWriter(tape, { maxChunkArchiveSize: 2 * TAPE_BLOCK_SIZE });
    const it = chunks[Symbol.iterator]();
    const a = await tw.writeChunkArchive("s", it);
    expect(a!.reason).toBe("max-size");
    expect(a!.leom).toBe(false);
    const b = await tw.writeChunkArchive("s", it);
    const c = await tw.writeChunkArchive("s", it);
    expect(a!.written.length + b!.written.length + (c?.written.length ?? 0)).toBe(6);
    expect(await tw.writeChunkArchive("s", it)).toBeNull();
    expect(tape.fileCount).toBe(c === null ? 2 : 3);
  });
});

describe("chunk archive entry header limits", () => {
  it("rejects sizes above MAX_BLOB_SIZE and short input", async () => {
    const b = encodeChunkArchiveEntryHeader({ digest: new Uint8Array(32), size: 0x0102030405 });
    expect(Buffer.from(b.subarray(40)).toString("hex")).toBe("0504030201000000");
    const e = await catchTapeError(() => decodeChunkArchiveEntryHeader(b));
    expect(e.code).toBe("invalid-field");
    expect(e.field).toBe("size");
    expect((await catchTapeError(() => decodeChunkArchiveEntryHeader(b.subarray(0, 47)))).code).toBe("truncated");
  });
});

describe("chunk archive decoder with caller-owned blob buffers", () => {
  async function open(tape: MemoryTape, options: Parameters<typeof openChunkArchive>[1]) {
    await tape.rewind();
    const f = await openTapeFile(tape, { requireEndMarker: false });
    if (f.kind !== "file") throw new Error(f.kind);
    return openChunkArchive(f.file.bytes, options);
  }

  /** Hands out consecutive views of one arena; records each view and each release. */
  function arena(bytes: number) {
    const buffer = new Uint8Array(bytes);
    const views: Uint8Array[] = [];
    const released: Uint8Array[] = [];
    let at = 0;
    return {
      buffer,
      views,
      released,
      allocBlob: (size: number) => {
        const v = buffer.subarray(at, at + size);
        at += size;
        views.push(v);
        return v;
      },
      releaseBlob: (b: Uint8Array) => {
        released.push(b);
      },
    };
  }

  it("reads each blob into the view allocBlob returns (same buffer, the original bytes)", async () => {
    const chunks = await makeChunks(3, 300_000, 6);
    const text = new TextEncoder().encode("y".repeat(40_000));
    chunks.push({ digest: sha256(text), blob: await encodeDataBlob(text) });
    const tape = new MemoryTape();
    const w = await ChunkArchiveWriter.start(tape, "s");
    for (const c of chunks) expect(await w.writeChunk(c.digest, c.blob)).toBe(true);
    await w.finish();
    for (const verifyDigest of [false, true]) {
      const pool = arena(chunks.reduce((n, c) => n + c.blob.length, 0) + 16);
      const a = await open(tape, { verifyDigest, allocBlob: pool.allocBlob, releaseBlob: pool.releaseBlob });
      const entries: ChunkArchiveEntry[] = [];
      for await (const e of a.entries) entries.push(e);
      expect(entries).toHaveLength(chunks.length);
      expect(pool.views).toHaveLength(chunks.length);
      for (const [i, e] of entries.entries()) {
        expect(e.blob).toBe(pool.views[i]);
        expect(e.blob.buffer).toBe(pool.buffer.buffer);
        expect(e.blob.length).toBe(chunks[i]!.blob.length);
        expect(Buffer.from(e.blob).equals(Buffer.from(chunks[i]!.blob))).toBe(true);
        expect(e.digestChecked).toBe(verifyDigest);
      }
      expect(pool.released).toHaveLength(0);
      expect(a.entries.truncated).toBe(false);
      expect(a.entries.count).toBe(chunks.length);
    }
  });

  it("hands the buffer of a truncated last entry to releaseBlob and reports truncated", async () => {
    const chunks = await makeChunks(3, 1000, 7);
    const tape = await archiveWithTruncatedLastEntry(chunks);
    const pool = arena(3 * chunks[0]!.blob.length);
    const a = await open(tape, { allocBlob: pool.allocBlob, releaseBlob: pool.releaseBlob });
    const entries: ChunkArchiveEntry[] = [];
    for await (const e of a.entries) entries.push(e);
    expect(entries).toHaveLength(2);
    expect(entries.map((e) => e.blob)).toEqual(pool.views.slice(0, 2));
    expect(pool.views).toHaveLength(3);
    expect(pool.released).toHaveLength(1);
    expect(pool.released[0]).toBe(pool.views[2]);
    expect(a.entries.truncated).toBe(true);
    expect(a.entries.count).toBe(2);
    expect(await a.entries.next()).toBeNull();
    // without releaseBlob the truncated entry is dropped all the same
    const b = await open(tape, { allocBlob: arena(3 * chunks[0]!.blob.length).allocBlob });
    expect(await b.entries.next()).not.toBeNull();
    expect(await b.entries.next()).not.toBeNull();
    expect(await b.entries.next()).toBeNull();
    expect(b.entries.truncated).toBe(true);
  });

  it("an allocBlob buffer of the wrong length is invalid-state", async () => {
    const chunks = await makeChunks(1, 2000, 8);
    const tape = new MemoryTape();
    const w = await ChunkArchiveWriter.start(tape, "s");
    await w.writeChunk(chunks[0]!.digest, chunks[0]!.blob);
    await w.finish();
    for (const delta of [-1, 1]) {
      const a = await open(tape, { allocBlob: (size) => new Uint8Array(size + delta) });
      expect((await catchTapeError(() => a.entries.next())).code).toBe("invalid-state");
    }
  });
});
