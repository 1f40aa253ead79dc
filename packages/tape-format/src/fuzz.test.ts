import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TAPE_BLOCK_SIZE, decodeBlockHeader, encodeBlockHeader } from "./block-header.ts";
import { BlockedReader } from "./blocked-reader.ts";
import { ByteReader } from "./byte-reader.ts";
import { ChunkArchiveWriter, decodeChunkArchiveEntryHeader, openChunkArchive } from "./chunk-archive.ts";
import { decodeDataBlob, encodeDataBlob, parseDataBlob } from "./data-blob.ts";
import { TapeFormatError } from "./errors.ts";
import { crc32 } from "./crc32.ts";
import { ENCRYPTED_BLOB_MAGIC_1_0, ENCR_COMPR_BLOB_MAGIC_1_0, bytesEqual } from "./magics.ts";
import { decodeMediaLabelJson, decodeMediaSetLabelJson, readLabels } from "./labels.ts";
import { decodeMediaContentHeader } from "./media-content-header.ts";
import { MediaCatalog, decodeCatalogRecord } from "./media-catalog.ts";
import { PxarDecoder, PxarWriter, S_IFREG } from "./pxar.ts";
import { readTapeFile } from "./tape-file-reader.ts";
import type { BlockReadResult } from "./tape-io.ts";
import { MemoryTape } from "./virtual-tape.ts";
import { ensureZstd, zstdDecompress } from "./zstd.ts";
import { collect, scriptedSource, sha256 } from "./test-support.ts";

const RUNS = 300;

function parseDataBlobHeaderSize(b: Uint8Array): number {
  const m = b.subarray(0, 8);
  const enc = bytesEqual(m, ENCRYPTED_BLOB_MAGIC_1_0) || bytesEqual(m, ENCR_COMPR_BLOB_MAGIC_1_0);
  return Math.min(b.length, enc ? 44 : 12);
}
const KEY = new Uint8Array(32).fill(7);

/** Runs `fn`; any exception other than TapeFormatError fails the property. */
async function onlyTapeFormatErrors(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof TapeFormatError)) throw err;
    expect(typeof err.code).toBe("string");
    expect(err.message.length).toBeGreaterThan(0);
  }
}

/** Mutations of a valid byte string: flips, overwrites and truncation. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      flips: fc.array(fc.tuple(fc.nat(Math.max(0, valid.length - 1)), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(valid.length), { nil: undefined }),
    })
    .map(({ flips, cut }) => {
      const b = valid.slice(0, cut ?? valid.length);
      for (const [i, x] of flips) if (i < b.length) b[i] = b[i]! ^ x;
      return b;
    });
}

async function validChunkArchiveStream(): Promise<Uint8Array> {
  const tape = new MemoryTape();
  const w = await ChunkArchiveWriter.start(tape, "store");
  for (let i = 0; i < 3; i++) {
    const data = new TextEncoder().encode(`data ${i} `.repeat(50 + i));
    await w.writeChunk(sha256(data), await encodeDataBlob(data, i === 2 ? { key: KEY } : {}));
  }
  await w.finish();
  const block = tape.fileBlocks(0)[0]!;
  const size = block[9]! | (block[10]! << 8) | (block[11]! << 16);
  return block.slice(16, 16 + size);
}

async function validPxar(): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const w = new PxarWriter(async (b) => {
    parts.push(b.slice());
  });
  for (const [n, s] of [["a", 3], ["bb", 0], ["index.json.blob", 40]] as const) {
    await w.addFile(n, { mode: S_IFREG | 0o600, flags: 0, uid: 1, gid: 2, mtimeSecs: 3, mtimeNanos: 4 }, s, [new Uint8Array(s).fill(1)]);
  }
  await w.finish();
  return Uint8Array.from(Buffer.concat(parts));
}

function sampleCatalog(): Uint8Array {
  const c = MediaCatalog.createForMediaSet("11111111-2222-4333-8444-555555555555", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", 1);
  c.startChunkArchive(2, "01020304-0506-4708-890a-0b0c0d0e0f10", "s");
  c.registerChunk(new Uint8Array(32).fill(3));
  c.endChunkArchive();
  c.registerSnapshot(3, "01020304-0506-4708-890a-0b0c0d0e0f10", "s", "vm/1/2024-01-01T00:00:00Z");
  return c.toBytes();
}

describe("fuzz: decoders throw only TapeFormatError", () => {
  it("block header and media content header", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (b) => {
        await onlyTapeFormatErrors(() => decodeBlockHeader(b));
        await onlyTapeFormatErrors(() => decodeMediaContentHeader(b));
        await onlyTapeFormatErrors(() => decodeChunkArchiveEntryHeader(b));
      }),
      { numRuns: RUNS },
    );
  });

  it("BlockedReader over arbitrary read results", async () => {
    const good = (flags: number, size: number, seq: number) => {
      const b = new Uint8Array(TAPE_BLOCK_SIZE);
      encodeBlockHeader(b, { flags, size, seqNr: seq });
      return b;
    };
    const result: fc.Arbitrary<BlockReadResult> = fc.oneof(
      fc.constant<BlockReadResult>({ kind: "filemark" }),
      fc.constant<BlockReadResult>({ kind: "end-of-data" }),
      fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 3 })).map(([f, s, q]) => ({ kind: "data" as const, data: good(f, s, q) })),
      fc.uint8Array({ maxLength: 40 }).map((data) => ({ kind: "data" as const, data })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(result, { maxLength: 6 }), fc.boolean(), async (results, strict) => {
        await onlyTapeFormatErrors(async () => {
          const r = await BlockedReader.open(scriptedSource(results), { requireEndMarker: strict });
          if (r.kind === "stream") {
            for await (const _ of r.reader) void _;
            void r.reader.hasEndMarker;
          }
        });
        await onlyTapeFormatErrors(() => readLabels(scriptedSource(results)));
        await onlyTapeFormatErrors(async () => {
          const f = await readTapeFile(scriptedSource(results));
          if (f.kind === "file" && f.archive.kind === "chunk-archive") for await (const _ of f.archive.entries) void _;
        });
      }),
      { numRuns: 150 },
    );
  });

  it("label JSON", async () => {
    const json = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
      fc.record({ uuid: fc.oneof(fc.uuid(), fc.string()), label_text: fc.string(), ctime: fc.oneof(fc.integer(), fc.double()), pool: fc.option(fc.string()), seq_nr: fc.integer(), "key-config": fc.jsonValue() }, { requiredKeys: [] }).map((o) => new TextEncoder().encode(JSON.stringify(o))),
    );
    await fc.assert(
      fc.asyncProperty(json, async (b) => {
        await onlyTapeFormatErrors(() => decodeMediaLabelJson(b));
        await onlyTapeFormatErrors(() => decodeMediaSetLabelJson(b));
      }),
      { numRuns: RUNS },
    );
  });

  it("DataBlob (random and mutated, all four kinds)", async () => {
    await ensureZstd();
    const text = new TextEncoder().encode("blob ".repeat(300));
    const valid = [
      await encodeDataBlob(text, { compress: false }),
      await encodeDataBlob(text),
      await encodeDataBlob(text, { compress: false, key: KEY }),
      await encodeDataBlob(text, { key: KEY }),
    ];
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 100 }), ...valid.map(mutated)), async (b) => {
        await onlyTapeFormatErrors(() => parseDataBlob(b, { verifyCrc: false }));
        await onlyTapeFormatErrors(() => decodeDataBlob(b, { key: KEY, maxSize: 1 << 20 }));
        if (b.length > 12) await onlyTapeFormatErrors(() => zstdDecompress(b.subarray(12), 1 << 20));
        // with the CRC fixed up, the mutation reaches decryption and decompression
        if (b.length >= 12) {
          const fixed = b.slice();
          const header = parseDataBlobHeaderSize(fixed);
          new DataView(fixed.buffer).setUint32(8, crc32(fixed.subarray(header)), true);
          await onlyTapeFormatErrors(() => decodeDataBlob(fixed, { key: KEY, maxSize: 1 << 20 }));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("chunk archive streams", async () => {
    const valid = await validChunkArchiveStream();
    await fc.assert(
      fc.asyncProperty(mutated(valid), fc.boolean(), async (b, verifyDigest) => {
        await onlyTapeFormatErrors(async () => {
          const a = await openChunkArchive(new ByteReader(b), { verifyDigest, key: KEY });
          for await (const _ of a.entries) void _;
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("pxar streams", async () => {
    const valid = await validPxar();
    await fc.assert(
      fc.asyncProperty(mutated(valid), fc.boolean(), async (b, readPayloads) => {
        await onlyTapeFormatErrors(async () => {
          for await (const e of new PxarDecoder(new ByteReader(b))) if (readPayloads && e.kind === "file") await collect(e.payload);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("media catalog", async () => {
    const valid = sampleCatalog();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(valid), fc.uint8Array({ maxLength: 80 })), fc.nat(100), async (b, off) => {
        await onlyTapeFormatErrors(() => MediaCatalog.load(b));
        await onlyTapeFormatErrors(() => decodeCatalogRecord(b, off));
      }),
      { numRuns: RUNS },
    );
  });
});
