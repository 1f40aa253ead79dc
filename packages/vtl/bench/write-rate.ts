/**
 * Write-rate benchmark: the same bytes in 256 KiB records, once through a virtual drive
 * (in-process transport, WRITE(6) CDBs) and once straight to a file with fs writes.
 * Prints both rates and their ratio (target ≥ 0.9). TAPEFLEET_BENCH_BYTES overrides the
 * 4 GiB default. The runs alternate A-B-B-A (half of the bytes each) so that disk write-back
 * drift hits both sides alike; every run ends with an fsync. Deletes its files.
 */
import { spawnSync } from "node:child_process";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { createLibrary, createVtlTransport } from "../src/index.ts";
import { tempDir } from "../src/test-support.ts";

const RECORD = 256 * 1024;
const TOTAL = Number(process.env.TAPEFLEET_BENCH_BYTES ?? 4 * 1024 ** 3);
/** Records per run: four runs of half the total each side. */
const records = Math.max(1, Math.floor(TOTAL / RECORD / 2));
const bytes = records * RECORD;

const payload = Buffer.alloc(RECORD);
for (let i = 0; i < RECORD; i++) payload[i] = (i * 131) & 0xff;
const cdb = Uint8Array.of(0x0a, 0x00, (RECORD >> 16) & 0xff, (RECORD >> 8) & 0xff, RECORD & 0xff, 0x00);
const sync = Uint8Array.of(0x10, 0, 0, 0, 0, 0);

/** Seconds for one baseline run. */
async function baseline(dir: string): Promise<number> {
  const path = join(dir, "baseline.bin");
  const h = await open(path, "w");
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records; i++) await h.write(payload, 0, RECORD);
  await h.sync();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await h.close();
  await rm(path);
  return s;
}

/** Seconds for one virtual-drive run. */
async function virtualDrive(dir: string, run: number): Promise<number> {
  const lib = await createLibrary(join(dir, `lib${run}`), {
    drives: [{ name: "bench", generation: 9, serial: "BENCH00001", cartridge: { barcode: "BENCH1L9", capacityBytes: Math.max(bytes * 2, 64 * 1024 ** 2) } }],
    timing: { powerOnUnitAttention: false },
  });
  const t = createVtlTransport(lib, "bench");
  // consume the not-ready-to-ready unit attention of the load
  await t.execute({ cdb: new Uint8Array(6), direction: "none", timeoutMs: 1000 });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records; i++) {
    const r = await t.execute({ cdb, direction: "out", dataOut: payload, timeoutMs: 600_000 });
    if (r.status !== 0) throw new Error(`WRITE(6) failed at record ${i}: status ${r.status}`);
  }
  await t.execute({ cdb: sync, direction: "none", timeoutMs: 600_000 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await lib.close();
  await rm(join(dir, `lib${run}`), { recursive: true, force: true });
  return s;
}

const MB = 1e6;
const dir = await tempDir();
try {
  let baseSeconds = await baseline(dir);
  let vtlSeconds = await virtualDrive(dir, 1);
  vtlSeconds += await virtualDrive(dir, 2);
  baseSeconds += await baseline(dir);
  const base = (2 * bytes) / baseSeconds;
  const vtl = (2 * bytes) / vtlSeconds;
  console.log(`bytes: ${2 * bytes} per side (${2 * records} records of ${RECORD}, runs A-B-B-A)`);
  console.log(`fs.write baseline: ${(base / MB).toFixed(1)} MB/s`);
  console.log(`virtual drive WRITE(6): ${(vtl / MB).toFixed(1)} MB/s`);
  console.log(`ratio vtl/baseline: ${(vtl / base).toFixed(3)} (target >= 0.9)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

// the SG_IO per-command overhead bench lives with the device agent
spawnSync("npm", ["run", "bench:sg", "-w", "@tapefleet/device-agent", "--if-present"], { stdio: "inherit", cwd: new URL("../../..", import.meta.url).pathname });
