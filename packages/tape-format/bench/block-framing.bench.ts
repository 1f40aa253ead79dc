/**
 * Throughput of the stream layers, printed as ratios to a baseline measured
 * in the same run (copying the same bytes into 256 KiB buffers), so numbers
 * compare across machines. Run: npm run bench -w @tapefleet/tape-format
 */
import {
  BlockedReader,
  BlockedWriter,
  ByteReader,
  ChunkArchiveWriter,
  MemoryTape,
  PxarWriter,
  S_IFREG,
  TAPE_BLOCK_SIZE,
  crc32,
  encodeDataBlob,
  openChunkArchive,
} from "@tapefleet/tape-format";

const TOTAL = 64 * 1024 * 1024;
const PIECE = 1024 * 1024;
const data = new Uint8Array(PIECE).map((_, i) => (i * 2654435761) >>> 24);

async function time(name: string, fn: () => Promise<void> | void): Promise<number> {
  await fn(); // warm up
  const t0 = process.hrtime.bigint();
  await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return ms;
}

const results: Array<[string, number]> = [];
const baseline = await time("baseline", () => {
  let buf = new Uint8Array(TAPE_BLOCK_SIZE);
  let pos = 0;
  for (let off = 0; off < TOTAL; off += PIECE) {
    let at = 0;
    while (at < PIECE) {
      const n = Math.min(TAPE_BLOCK_SIZE - pos, PIECE - at);
      buf.set(data.subarray(at, at + n), pos);
      pos += n;
      at += n;
      if (pos === TAPE_BLOCK_SIZE) {
        buf = new Uint8Array(TAPE_BLOCK_SIZE);
        pos = 0;
      }
    }
  }
});

results.push(["BlockedWriter → MemoryTape", await time("write", async () => {
  const tape = new MemoryTape({ earlyWarningBytes: 2 * TOTAL });
  const w = new BlockedWriter(tape);
  for (let off = 0; off < TOTAL; off += PIECE) await w.write(data);
  await w.finish(false);
})]);

const tape = new MemoryTape({ earlyWarningBytes: 2 * TOTAL });
{
  const w = new BlockedWriter(tape);
  for (let off = 0; off < TOTAL; off += PIECE) await w.write(data);
  await w.finish(false);
}
results.push(["BlockedReader ← MemoryTape", await time("read", async () => {
  await tape.rewind();
  const r = await BlockedReader.open(tape);
  if (r.kind !== "stream") throw new Error("no stream");
  let n = 0;
  for await (const p of r.reader) n += p.length;
  if (n !== TOTAL) throw new Error("short read");
})]);

results.push(["crc32", await time("crc", () => {
  for (let off = 0; off < TOTAL; off += PIECE) crc32(data);
})]);

results.push(["pxar writer → BlockedWriter (64 MiB file)", await time("pxar", async () => {
  const bw = new BlockedWriter(new MemoryTape({ earlyWarningBytes: 2 * TOTAL }));
  const w = new PxarWriter(async (b) => {
    await bw.write(b);
  });
  async function* content() {
    for (let off = 0; off < TOTAL; off += PIECE) yield data;
  }
  await w.addFile("big.img.fidx", { mode: S_IFREG | 0o644, flags: 0, uid: 0, gid: 0, mtimeSecs: 0, mtimeNanos: 0 }, TOTAL, content());
  await w.finish();
  await bw.finish(false);
})]);

const blob = await encodeDataBlob(new Uint8Array(4 * 1024 * 1024).map((_, i) => i & 0xff), { compress: false });
const digest = new Uint8Array(32);
results.push(["chunk archive write+read (4 MiB chunks, CRC checked)", await time("chunks", async () => {
  const t = new MemoryTape({ earlyWarningBytes: 4 * TOTAL });
  const w = await ChunkArchiveWriter.start(t, "bench");
  for (let off = 0; off < TOTAL; off += blob.length) await w.writeChunk(digest, blob);
  await w.finish();
  await t.rewind();
  const r = await BlockedReader.open(t);
  if (r.kind !== "stream") throw new Error("no stream");
  const a = await openChunkArchive(new ByteReader(r.reader));
  for await (const _ of a.entries) void _;
})]);

console.log(`baseline (copy ${TOTAL >> 20} MiB into 256 KiB blocks): ${baseline.toFixed(1)} ms`);
for (const [name, ms] of results) console.log(`${name}: ${(ms / baseline).toFixed(2)}x baseline (${((TOTAL / 1048576) / (ms / 1000)).toFixed(0)} MiB/s)`);
