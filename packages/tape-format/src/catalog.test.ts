import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TAPE_BLOCK_SIZE } from "./block-header.ts";
import { encodeCatalogArchiveHeaderJson, openCatalogArchive, writeCatalogArchive } from "./catalog-archive.ts";
import { CATALOG_ARCHIVE_MAGIC_1_0, MEDIA_CATALOG_MAGIC_1_0, bytesEqual } from "./magics.ts";
import { MediaCatalog, decodeCatalogRecord, encodeCatalogRecord, type CatalogRecord } from "./media-catalog.ts";
import { openTapeFile } from "./tape-file.ts";
import { TapeFileWriter } from "./tape-file-writer.ts";
import { MemoryTape } from "./virtual-tape.ts";
import { catchTapeError, collect, hex, pseudoRandom } from "./test-support.ts";

const MEDIA = "11111111-2222-4333-8444-555555555555";
const SET = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const ARCH = "01020304-0506-4708-890a-0b0c0d0e0f10";
const uuidHex = (u: string) => u.replace(/-/g, "");
const le64 = (n: number) => Buffer.from(new BigUint64Array([BigInt(n)]).buffer).toString("hex");

describe("media catalog records", () => {
  it("L: tag + file_number u64 + uuid + seq_nr u64 (32 bytes)", () => {
    const b = encodeCatalogRecord({ type: "label", fileNumber: 1, uuid: SET, seqNr: 7 });
    expect(Buffer.from(b).toString("hex")).toBe("4c" + le64(1) + uuidHex(SET) + le64(7));
    expect(b.length).toBe(33);
  });
  it("A: 32 bytes with 7 padding bytes, then the store name", () => {
    const b = encodeCatalogRecord({ type: "chunk-archive-start", fileNumber: 2, uuid: ARCH, store: "st" });
    expect(Buffer.from(b).toString("hex")).toBe("41" + le64(2) + uuidHex(ARCH) + "02" + "00".repeat(7) + "7374");
  });
  it("C: the raw digest (32 bytes)", () => {
    const d = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    expect(Buffer.from(encodeCatalogRecord({ type: "chunk", digest: d })).toString("hex")).toBe("43" + Buffer.from(d).toString("hex"));
  });
  it("E: file_number + uuid (24 bytes)", () => {
    expect(Buffer.from(encodeCatalogRecord({ type: "chunk-archive-end", fileNumber: 2, uuid: ARCH })).toString("hex")).toBe("45" + le64(2) + uuidHex(ARCH));
  });
  it("S: 32 bytes (store_name_len @24, pad, name_len u16 @26, pad) + store ':' snapshot", () => {
    const snap = "vm/100/2024-01-01T00:00:00Z";
    const b = encodeCatalogRecord({ type: "snapshot", fileNumber: 3, uuid: ARCH, store: "st", snapshot: snap });
    expect(Buffer.from(b).toString("hex")).toBe(
      "53" + le64(3) + uuidHex(ARCH) + "02" + "00" + Buffer.from(Uint16Array.of(snap.length).buffer).toString("hex") + "00000000" + "7374" + "3a" + Buffer.from(snap).toString("hex"),
    );
  });
  it("decodes what it encodes and ignores padding content", () => {
    const recs: CatalogRecord[] = [
      { type: "label", fileNumber: 0, uuid: MEDIA, seqNr: 0 },
      { type: "chunk-archive-start", fileNumber: 9, uuid: ARCH, store: "store" },
      { type: "chunk", digest: new Uint8Array(32).fill(5) },
      { type: "chunk-archive-end", fileNumber: 9, uuid: ARCH },
      { type: "snapshot", fileNumber: 10, uuid: ARCH, store: "s", snapshot: "ns/a/ct/1/2024-01-01T00:00:00Z" },
    ];
    for (const r of recs) {
      const b = encodeCatalogRecord(r);
      if (r.type === "chunk-archive-start" || r.type === "snapshot") b[30] = 0xee; // padding byte
      expect(decodeCatalogRecord(b, 0)).toEqual({ record: r, length: b.length });
      expect(decodeCatalogRecord(b.subarray(0, b.length - 1), 0)).toBeNull();
    }
  });
  it("rejects unknown tags and a missing ':'", async () => {
    expect((await catchTapeError(() => decodeCatalogRecord(Uint8Array.of(0x58), 0))).code).toBe("invalid-field");
    const s = encodeCatalogRecord({ type: "snapshot", fileNumber: 3, uuid: ARCH, store: "st", snapshot: "x" });
    s[33 + 2] = 0x2f;
    expect((await catchTapeError(() => decodeCatalogRecord(s, 0))).code).toBe("invalid-field");
  });
});

function sampleCatalog(): MediaCatalog {
  const c = MediaCatalog.createForMediaSet(MEDIA, SET, 2);
  c.startChunkArchive(2, ARCH, "store1");
  c.registerChunk(new Uint8Array(32).fill(1));
  c.registerChunk(new Uint8Array(32).fill(2));
  c.endChunkArchive();
  c.registerSnapshot(3, ARCH, "store1", "vm/100/2024-01-01T00:00:00Z");
  c.startChunkArchive(4, ARCH, "store2");
  c.registerChunk(new Uint8Array(32).fill(1));
  c.endChunkArchive();
  return c;
}

describe("MediaCatalog", () => {
  it("starts with the v1.1 magic and L(0) / L(1)", () => {
    const c = MediaCatalog.create(MEDIA);
    expect(Buffer.from(c.toBytes()).toString("hex")).toBe("4c8ee8c120a88971" + "4c" + le64(0) + uuidHex(MEDIA) + le64(0));
    c.append({ type: "label", fileNumber: 1, uuid: SET, seqNr: 4 });
    expect(c.mediaSetUuid).toBe(SET);
    expect(c.seqNr).toBe(4);
  });

  it("indexes snapshots and chunks per store and survives a reload", () => {
    const c = sampleCatalog();
    for (const cat of [c, MediaCatalog.load(c.toBytes(), { mediaUuid: MEDIA, mediaSetUuid: SET, seqNr: 2 })]) {
      expect(cat.snapshotFile("store1", "vm/100/2024-01-01T00:00:00Z")).toBe(3);
      expect(cat.snapshotFile("store2", "vm/100/2024-01-01T00:00:00Z")).toBeUndefined();
      expect(cat.chunkFile("store1", new Uint8Array(32).fill(2))).toBe(2);
      expect(cat.chunkFile("store2", new Uint8Array(32).fill(1))).toBe(4);
      expect(cat.hasChunk("store2", new Uint8Array(32).fill(2))).toBe(false);
      expect(cat.lastFileNumber).toBe(4);
      expect(cat.stores().sort()).toEqual(["store1", "store2"]);
      expect(cat.chunkCount("store1")).toBe(2);
      expect(cat.snapshots("store1")).toEqual([{ snapshot: "vm/100/2024-01-01T00:00:00Z", fileNumber: 3 }]);
    }
  });

  it("takePending returns the bytes appended since the last take", () => {
    const c = MediaCatalog.create(MEDIA);
    const first = c.takePending();
    expect(first.length).toBe(8 + 33);
    c.append({ type: "label", fileNumber: 1, uuid: SET, seqNr: 0 });
    expect(c.takePending().length).toBe(33);
    expect(c.takePending().length).toBe(0);
    expect(c.byteLength).toBe(8 + 66);
  });

  it("tolerates a truncated last record and an unterminated chunk archive", () => {
    const full = sampleCatalog().toBytes();
    const cut = MediaCatalog.load(full.subarray(0, full.length - 5));
    expect(cut.truncatedTail).toBe(true);
    // the cut-off E record leaves archive 4 open: it is dropped
    expect(cut.chunkFile("store2", new Uint8Array(32).fill(1))).toBeUndefined();
    expect(cut.lastFileNumber).toBe(3);
    expect(cut.inChunkArchive).toBe(false);
    const reloaded = MediaCatalog.load(cut.toBytes());
    expect(reloaded.truncatedTail).toBe(false);
    expect(reloaded.byteLength).toBe(cut.byteLength);
    // appending continues after the valid part
    cut.registerSnapshot(4, ARCH, "store2", "ct/1/2024-01-01T00:00:00Z");
    expect(MediaCatalog.load(cut.toBytes()).snapshotFile("store2", "ct/1/2024-01-01T00:00:00Z")).toBe(4);
  });

  const order: Array<[string, (c: MediaCatalog) => void]> = [
    ["chunk outside an archive", (c) => c.registerChunk(new Uint8Array(32))],
    ["end without start", (c) => c.append({ type: "chunk-archive-end", fileNumber: 2, uuid: ARCH })],
    ["archive at file 1", (c) => c.startChunkArchive(1, ARCH, "s")],
    ["file numbers not increasing", (c) => { c.registerSnapshot(5, ARCH, "s", "x"); c.registerSnapshot(5, ARCH, "s", "y"); }],
    ["snapshot inside an archive", (c) => { c.startChunkArchive(2, ARCH, "s"); c.registerSnapshot(3, ARCH, "s", "x"); }],
    ["end with another file number", (c) => { c.startChunkArchive(2, ARCH, "s"); c.append({ type: "chunk-archive-end", fileNumber: 3, uuid: ARCH }); }],
    ["label after archives", (c) => c.append({ type: "label", fileNumber: 2, uuid: SET, seqNr: 0 })],
  ];
  it.each(order)("rejects %s", async (_what, fn) => {
    const c = MediaCatalog.createForMediaSet(MEDIA, SET, 0);
    expect((await catchTapeError(() => fn(c))).code).toBe("catalog-order");
  });

  it("requires labels first and the expected uuids on load", async () => {
    const c = MediaCatalog.create(MEDIA);
    expect((await catchTapeError(() => c.registerSnapshot(2, ARCH, "s", "x"))).code).toBe("catalog-order");
    const bytes = sampleCatalog().toBytes();
    expect((await catchTapeError(() => MediaCatalog.load(bytes, { mediaUuid: SET }))).code).toBe("catalog-order");
    expect((await catchTapeError(() => MediaCatalog.load(bytes, { mediaSetUuid: MEDIA }))).code).toBe("catalog-order");
    expect((await catchTapeError(() => MediaCatalog.load(bytes, { seqNr: 1 }))).code).toBe("catalog-order");
    expect((await catchTapeError(() => MediaCatalog.load(MediaCatalog.create(MEDIA).toBytes(), { requireMediaSetLabel: true }))).code).toBe("catalog-order");
    expect(MediaCatalog.load(bytes, { requireMediaSetLabel: true, mediaUuid: MEDIA, mediaSetUuid: SET }).seqNr).toBe(2);
    const noL0 = Uint8Array.from([...bytes.subarray(0, 8), ...bytes.subarray(41)]);
    expect((await catchTapeError(() => MediaCatalog.load(noL0))).code).toBe("catalog-order");
  });

  it("rejects the v1.0 magic and unknown magics", async () => {
    expect((await catchTapeError(() => MediaCatalog.load(MEDIA_CATALOG_MAGIC_1_0))).code).toBe("unsupported-version");
    expect((await catchTapeError(() => MediaCatalog.load(hex("0000000000000000")))).code).toBe("bad-magic");
    expect((await catchTapeError(() => MediaCatalog.load(hex("00")))).code).toBe("truncated");
  });
});

describe("catalog archive", () => {
  it("header JSON in struct order", () => {
    expect(new TextDecoder().decode(encodeCatalogArchiveHeaderJson({ uuid: MEDIA, mediaSetUuid: SET, seqNr: 1 }))).toBe(
      `{\n  "uuid": "${MEDIA}",\n  "media_set_uuid": "${SET}",\n  "seq_nr": 1\n}`,
    );
  });

  it("round trips the catalog bytes verbatim (v1.1 default, v1.0 on request)", async () => {
    const bytes = sampleCatalog().toBytes();
    const tape = new MemoryTape();
    const out = await writeCatalogArchive(tape, { uuid: MEDIA, mediaSetUuid: SET, seqNr: 2 }, bytes, { size: bytes.length });
    expect(out.kind).toBe("complete");
    await writeCatalogArchive(tape, { uuid: MEDIA, mediaSetUuid: SET, seqNr: 2 }, [bytes.subarray(0, 10), bytes.subarray(10)], { version: "1.0" });
    for (const [n, version] of [[0, "1.1"], [1, "1.0"]] as const) {
      await tape.seekFile(n);
      const f = await openTapeFile(tape);
      if (f.kind !== "file") throw new Error("no file");
      const a = await openCatalogArchive(f.file.bytes);
      expect(a.version).toBe(version);
      expect(a.catalog).toEqual({ uuid: MEDIA, mediaSetUuid: SET, seqNr: 2 });
      const body = await collect({ [Symbol.asyncIterator]: () => ({ next: async () => { const b = await a.body.readUpTo(4096); return b.length ? { done: false, value: b } : { done: true, value: undefined }; } }) });
      expect(Buffer.from(body).equals(Buffer.from(bytes))).toBe(true);
      expect(MediaCatalog.load(body).snapshotFile("store1", "vm/100/2024-01-01T00:00:00Z")).toBe(3);
    }
    expect(bytesEqual(tape.fileBlocks(1)[0]!.subarray(16 + 8, 16 + 16), CATALOG_ARCHIVE_MAGIC_1_0)).toBe(true);
  });

  it("an archive written past the early warning reports LEOM (tape full)", async () => {
    const tape = new MemoryTape({ earlyWarningBytes: TAPE_BLOCK_SIZE });
    await tape.writeBlock(new Uint8Array(TAPE_BLOCK_SIZE));
    await tape.writeBlock(new Uint8Array(TAPE_BLOCK_SIZE));
    await tape.writeFilemark();
    const tw = new TapeFileWriter(tape);
    const out = await tw.writeCatalogArchive({ uuid: MEDIA, mediaSetUuid: SET, seqNr: 0 }, pseudoRandom(10, 1), { uuid: new Uint8Array(16) });
    // the header (48 + ~130 bytes) fits in the first block, which is only written at finish: the archive is complete
    expect(out.kind).toBe("complete");
    expect(out.leom).toBe(true);
    expect(tw.tapeFull).toBe(true);
    expect(tw.filesWritten).toBe(1);
  });

  it("LEOM during the body keeps writing (the body goes into the early-warning zone)", async () => {
    const body = pseudoRandom(5 * TAPE_BLOCK_SIZE, 4);
    const tape = new MemoryTape({ earlyWarningBytes: TAPE_BLOCK_SIZE, capacityBytes: 10 * TAPE_BLOCK_SIZE });
    const out = await writeCatalogArchive(tape, { uuid: MEDIA, mediaSetUuid: SET, seqNr: 0 }, body);
    expect(out).toMatchObject({ kind: "complete", leom: true });
    await tape.rewind();
    const f = await openTapeFile(tape);
    if (f.kind !== "file") throw new Error("no file");
    const a = await openCatalogArchive(f.file.bytes);
    expect((await a.body.readUpTo(body.length + 1)).length).toBe(body.length);
    expect(f.file.blocks.isIncomplete).toBe(false);
    expect(tape.fileBlocks(0).length).toBe(6);
  });
});


describe("media catalog property", () => {
  it("any valid record sequence survives encode → load with the same index", () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("snapshot" as const), store: fc.constantFrom("a", "b", "ström"), snap: fc.string({ maxLength: 30 }) }),
      fc.record({ kind: fc.constant("archive" as const), store: fc.constantFrom("a", "b"), digests: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), fc.nat(3), (steps, gap) => {
        const c = MediaCatalog.createForMediaSet(MEDIA, SET, 1);
        let file = 2;
        for (const s of steps) {
          if (s.kind === "snapshot") c.registerSnapshot(file, ARCH, s.store, s.snap);
          else {
            c.startChunkArchive(file, ARCH, s.store);
            for (const d of s.digests) c.registerChunk(d);
            c.endChunkArchive();
          }
          file += 1 + gap;
        }
        const bytes = c.toBytes();
        const loaded = MediaCatalog.load(bytes, { mediaUuid: MEDIA, mediaSetUuid: SET, seqNr: 1, requireMediaSetLabel: true });
        expect(Buffer.from(loaded.toBytes()).equals(Buffer.from(bytes))).toBe(true);
        expect(loaded.lastFileNumber).toBe(c.lastFileNumber);
        for (const st of ["a", "b", "ström"]) {
          expect(loaded.snapshots(st)).toEqual(c.snapshots(st));
          expect(loaded.chunkCount(st)).toBe(c.chunkCount(st));
        }
        // every prefix loads (tolerant of a cut) and never indexes more than the full catalog
        const cut = MediaCatalog.load(bytes.subarray(0, Math.max(8, bytes.length - 7)));
        expect(cut.byteLength).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 150 },
    );
  });
});
