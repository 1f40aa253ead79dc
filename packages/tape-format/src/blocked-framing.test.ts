import { describe, expect, it } from "vitest";
import {
  BLOCK_FLAG_END_OF_STREAM,
  BLOCK_FLAG_INCOMPLETE,
  BLOCK_PAYLOAD_SIZE,
  TAPE_BLOCK_SIZE,
  decodeBlockHeader,
  encodeBlockHeader,
} from "./block-header.ts";
import { BlockedReader } from "./blocked-reader.ts";
import { BlockedWriter } from "./blocked-writer.ts";
import { MemoryTape } from "./virtual-tape.ts";
import { catchTapeError, openStream, pseudoRandom, readAll, scriptedSource, flip } from "./test-support.ts";

function block(flags: number, size: number, seqNr: number, fill = 0): Uint8Array {
  const b = new Uint8Array(TAPE_BLOCK_SIZE);
  encodeBlockHeader(b, { flags, size, seqNr });
  b.fill(fill, 16, 16 + size);
  return b;
}

describe("block header", () => {
  it("has the documented byte layout (magic, flags, 24-bit LE size, u32 LE seq)", () => {
    const b = new Uint8Array(16);
    encodeBlockHeader(b, { flags: BLOCK_FLAG_END_OF_STREAM | BLOCK_FLAG_INCOMPLETE, size: 0x030201, seqNr: 0x0a0b0c0d });
    expect(Buffer.from(b).toString("hex")).toBe("dcbdafcaeba0a528" + "03" + "010203" + "0d0c0b0a");
    expect(decodeBlockHeader(b)).toEqual({ flags: 3, endOfStream: true, incomplete: true, size: 0x030201, seqNr: 0x0a0b0c0d });
  });

  it("rejects wrong magic, oversize payload, empty non-final block and short input", async () => {
    const b = new Uint8Array(16);
    encodeBlockHeader(b, { flags: 0, size: 5, seqNr: 0 });
    const bad = b.slice();
    bad[0] = 0;
    expect((await catchTapeError(() => decodeBlockHeader(bad))).code).toBe("bad-magic");
    const over = b.slice();
    over[9] = 0xf1; // 262129 = 0x03FFF1
    over[10] = 0xff;
    over[11] = 0x03;
    expect((await catchTapeError(() => decodeBlockHeader(over))).code).toBe("bad-payload-size");
    const empty = new Uint8Array(16);
    encodeBlockHeader(empty, { flags: 0, size: 0, seqNr: 0 });
    expect((await catchTapeError(() => decodeBlockHeader(empty))).code).toBe("bad-payload-size");
    expect((await catchTapeError(() => decodeBlockHeader(b.subarray(0, 15)))).code).toBe("truncated");
    expect((await catchTapeError(() => encodeBlockHeader(new Uint8Array(16), { flags: 0, size: BLOCK_PAYLOAD_SIZE + 1, seqNr: 0 }))).code).toBe("invalid-field");
  });
});

describe("BlockedWriter", () => {
  it("writes an empty stream as one EOS block of size 0 and one filemark", async () => {
    const tape = new MemoryTape();
    const w = new BlockedWriter(tape);
    expect(await w.finish(false)).toBe(false);
    expect(tape.fileCount).toBe(1);
    expect(tape.hasFilemark(0)).toBe(true);
    const blocks = tape.fileBlocks(0);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.length).toBe(TAPE_BLOCK_SIZE);
    expect(decodeBlockHeader(blocks[0]!)).toMatchObject({ flags: BLOCK_FLAG_END_OF_STREAM, size: 0, seqNr: 0 });
    expect(blocks[0]!.subarray(16).every((x) => x === 0)).toBe(true);
    expect(w.bytesWritten).toBe(TAPE_BLOCK_SIZE);
  });

  it.each([0, 1, BLOCK_PAYLOAD_SIZE - 1, BLOCK_PAYLOAD_SIZE, BLOCK_PAYLOAD_SIZE + 1, 3 * BLOCK_PAYLOAD_SIZE + 7])(
    "a stream of %i bytes becomes floor(len/262128)+1 blocks and reads back",
    async (len) => {
      const tape = new MemoryTape();
      const w = new BlockedWriter(tape);
      const data = pseudoRandom(len, len + 1);
      // write in odd-sized pieces
      for (let i = 0; i < len; i += 100_003) await w.write(data.subarray(i, Math.min(len, i + 100_003)));
      await w.finish(false);
      const blocks = tape.fileBlocks(0);
      expect(blocks).toHaveLength(Math.floor(len / BLOCK_PAYLOAD_SIZE) + 1);
      blocks.forEach((b, i) => {
        const h = decodeBlockHeader(b);
        expect(h.seqNr).toBe(i);
        expect(h.endOfStream).toBe(i === blocks.length - 1);
        expect(h.size).toBe(i === blocks.length - 1 ? len % BLOCK_PAYLOAD_SIZE : BLOCK_PAYLOAD_SIZE);
      });
      expect(w.bytesWritten).toBe(blocks.length * TAPE_BLOCK_SIZE);
      await tape.rewind();
      const r = await openStream(tape);
      expect(Buffer.compare(await readAll(r), data)).toBe(0);
      expect(r.hasEndMarker).toBe(true);
      expect(r.isIncomplete).toBe(false);
      // the filemark was consumed: next file is end of data
      expect((await BlockedReader.open(tape)).kind).toBe("end-of-stream");
    },
  );

  it("sets INCOMPLETE on finish(true)", async () => {
    const tape = new MemoryTape();
    const w = new BlockedWriter(tape);
    await w.write(Uint8Array.of(1, 2, 3));
    await w.finish(true);
    expect(decodeBlockHeader(tape.fileBlocks(0)[0]!).flags).toBe(BLOCK_FLAG_END_OF_STREAM | BLOCK_FLAG_INCOMPLETE);
    await tape.rewind();
    const r = await openStream(tape);
    expect(Array.from(await readAll(r))).toEqual([1, 2, 3]);
    expect(r.isIncomplete).toBe(true);
  });

  it("reports LEOM sticky from the first block written past the early warning", async () => {
    const tape = new MemoryTape({ earlyWarningBytes: 2 * TAPE_BLOCK_SIZE });
    const w = new BlockedWriter(tape);
    expect(await w.write(new Uint8Array(2 * BLOCK_PAYLOAD_SIZE))).toBe(false);
    expect(await w.write(new Uint8Array(BLOCK_PAYLOAD_SIZE))).toBe(true);
    expect(await w.write(Uint8Array.of(1))).toBe(true);
    expect(w.leom).toBe(true);
    expect(await w.finish(false)).toBe(true);
  });

  it("refuses writes after finish and reports the physical end of medium", async () => {
    const tape = new MemoryTape({ earlyWarningBytes: TAPE_BLOCK_SIZE, capacityBytes: 2 * TAPE_BLOCK_SIZE });
    const w = new BlockedWriter(tape);
    await w.finish(false);
    expect((await catchTapeError(() => w.write(Uint8Array.of(1)))).code).toBe("invalid-state");
    const w2 = new BlockedWriter(tape);
    expect((await catchTapeError(() => w2.write(new Uint8Array(2 * BLOCK_PAYLOAD_SIZE)))).code).toBe("end-of-medium");
  });

  it("abort() leaves a stream without end marker", async () => {
    const tape = new MemoryTape();
    const w = new BlockedWriter(tape);
    await w.write(new Uint8Array(BLOCK_PAYLOAD_SIZE + 10).fill(7));
    await w.abort();
    expect(tape.fileBlocks(0)).toHaveLength(1);
    await tape.rewind();
    const strict = await openStream(tape);
    const err = await catchTapeError(() => readAll(strict));
    expect(err.code).toBe("missing-end-marker");
    expect(strict.hasEndMarker).toBe(false);
    expect((await catchTapeError(() => strict.isIncomplete)).code).toBe("invalid-state");
    await tape.rewind();
    const lenient = await openStream(tape, false);
    expect((await readAll(lenient)).length).toBe(BLOCK_PAYLOAD_SIZE);
    expect(lenient.hasEndMarker).toBe(false);
  });
});

describe("BlockedReader", () => {
  it("reports a filemark at the first read as end-of-file and blank as end-of-stream", async () => {
    expect((await BlockedReader.open(scriptedSource([{ kind: "filemark" }]))).kind).toBe("end-of-file");
    expect((await BlockedReader.open(scriptedSource([{ kind: "end-of-data" }]))).kind).toBe("end-of-stream");
  });

  it("checks the sequence number", async () => {
    const src = scriptedSource([{ kind: "data", data: block(0, 10, 0) }, { kind: "data", data: block(1, 10, 2) }, { kind: "filemark" }]);
    const r = await openStream(src);
    expect((await catchTapeError(() => readAll(r))).code).toBe("bad-sequence");
    const first = scriptedSource([{ kind: "data", data: block(1, 10, 1) }, { kind: "filemark" }]);
    expect((await catchTapeError(() => BlockedReader.open(first))).code).toBe("bad-sequence");
  });

  it("rejects blocks of the wrong length and bad magic", async () => {
    const short = scriptedSource([{ kind: "data", data: block(1, 10, 0).subarray(0, 1000) }]);
    expect((await catchTapeError(() => BlockedReader.open(short))).code).toBe("bad-block-size");
    const b = block(1, 10, 0);
    flip(b, 3, 0xff);
    expect((await catchTapeError(() => BlockedReader.open(scriptedSource([{ kind: "data", data: b }])))).code).toBe("bad-magic");
  });

  it("requires a filemark after the EOS block", async () => {
    const data = scriptedSource([{ kind: "data", data: block(1, 10, 0) }, { kind: "data", data: block(1, 10, 1) }]);
    expect((await catchTapeError(() => BlockedReader.open(data))).code).toBe("data-after-end-marker");
    const eod = scriptedSource([{ kind: "data", data: block(1, 10, 0) }, { kind: "end-of-data" }]);
    expect((await catchTapeError(() => BlockedReader.open(eod))).code).toBe("unexpected-end-of-data");
  });

  it("reports end of data in the middle of a file", async () => {
    const src = scriptedSource([{ kind: "data", data: block(0, 10, 0) }, { kind: "end-of-data" }]);
    const r = await openStream(src);
    expect((await catchTapeError(() => readAll(r))).code).toBe("unexpected-end-of-data");
    expect((await catchTapeError(() => r.read())).code).toBe("invalid-state");
  });

  it("skipData reads to the end without an end marker", async () => {
    const src = scriptedSource([{ kind: "data", data: block(0, 10, 0) }, { kind: "data", data: block(0, 20, 1) }, { kind: "filemark" }]);
    const r = await openStream(src);
    expect(await r.skipData()).toBe(30);
    expect(r.hasEndMarker).toBe(false);
    expect(r.atEnd).toBe(true);
  });

  it("wraps source failures as io errors", async () => {
    const src = { readBlock: async () => { throw new Error("sg: device gone"); } };
    const err = await catchTapeError(() => BlockedReader.open(src));
    expect(err.code).toBe("io");
    expect(err.message).toContain("device gone");
  });
});

describe("BlockedWriter block buffer reuse", () => {
  it("writes the same bytes to a sink that releases its blocks (one reused buffer) as to one that keeps them", async () => {
    const kept = new MemoryTape();
    const copies: Uint8Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    const releasing = {
      releasesBlocks: true,
      async writeBlock(b: Uint8Array) {
        buffers.add(b.buffer);
        copies.push(b.slice());
        return { earlyWarning: false };
      },
      async writeFilemark() {},
    };
    // two files: a long one whose last block is short (its tail must be zero, not old bytes), then a short one
    for (const sizes of [[BLOCK_PAYLOAD_SIZE * 3 + 17, 5, 99_999], [10]]) {
      const a = new BlockedWriter(kept);
      const b = new BlockedWriter(releasing);
      for (const [i, n] of sizes.entries()) {
        const data = pseudoRandom(n, 7 + i);
        await a.write(data);
        await b.write(data);
      }
      await a.finish(false);
      await b.finish(false);
    }
    const expected = [...kept.fileBlocks(0), ...kept.fileBlocks(1)];
    expect(copies.length).toBe(expected.length);
    for (const [i, e] of expected.entries()) expect(Buffer.from(copies[i]!).equals(Buffer.from(e))).toBe(true);
    // one buffer per tape file, whatever the number of blocks
    expect(buffers.size).toBe(2);
  });
});
