/**
 * Throughput of the sample generator, chunk verification and the gear-hash
 * chunker, each printed next to a baseline measured in the same run:
 * SHA-256 + zstd level 1 of in-memory data (the least work per stored byte)
 * and plain SHA-256 for the chunker.
 *   npm run bench -w @tapefleet/datastore [-- SIZE_MIB]
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureZstd, zstdCompress } from "@tapefleet/tape-format";
import { GearChunker, createSampleDatastore, verifyDatastore } from "@tapefleet/datastore";
import { ContentGenerator } from "../src/sample-content.ts";

const sizeMiB = Number(process.argv[2] ?? "64");
const MiB = 1024 * 1024;

function rate(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000);
}

await ensureZstd();
const gen = new ContentGenerator(9);
const buf = new Uint8Array(4 * MiB);
const profile = { random: 40, text: 25, zero: 25 };
let t = performance.now();
const baseBytes = 128 * MiB;
for (let i = 0; i < baseBytes / buf.length; i++) {
  gen.fill(i, 0, buf, profile);
  createHash("sha256").update(buf).digest();
  zstdCompress(buf, 1);
}
const baseline = rate(baseBytes, performance.now() - t);

const dir = await mkdtemp(join(tmpdir(), "tapefleet-bench-"));
try {
  t = performance.now();
  const r = await createSampleDatastore(join(dir, "ds"), { size: sizeMiB * MiB, seed: 1 });
  const sampleMs = performance.now() - t;
  const samplePlain = rate(r.uniquePlainBytes, sampleMs);
  t = performance.now();
  await verifyDatastore(r.datastore);
  const verify = rate(r.chunkBytes, performance.now() - t);

  const data = new Uint8Array(64 * MiB);
  for (let i = 0; i < data.length; i += buf.length) {
    gen.fill(1000 + i, 0, buf, profile);
    data.set(buf, i);
  }
  t = performance.now();
  createHash("sha256").update(data).digest();
  const sha = rate(data.length, performance.now() - t);
  const chunker = new GearChunker({ avgSize: 4 * MiB });
  t = performance.now();
  let rest = data;
  while (rest.length > 0) {
    const cut = chunker.scan(rest);
    rest = cut < 0 ? rest.subarray(rest.length) : rest.subarray(cut);
  }
  const chunk = rate(data.length, performance.now() - t);

  console.log(`baseline sha256+zstd1 in memory: ${baseline.toFixed(1)} MiB/s plain`);
  console.log(`sample ${sizeMiB} MiB: ${samplePlain.toFixed(1)} MiB/s plain (${rate(r.chunkBytes, sampleMs).toFixed(1)} MiB/s stored), ratio ${(samplePlain / baseline).toFixed(2)} of baseline`);
  console.log(`verify: ${verify.toFixed(1)} MiB/s stored, ratio ${(verify / baseline).toFixed(2)} of baseline`);
  console.log(`gear chunker: ${chunk.toFixed(1)} MiB/s, ratio ${(chunk / sha).toFixed(2)} of sha256 (${sha.toFixed(1)} MiB/s)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
