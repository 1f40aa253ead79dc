/**
 * Per-command overhead of the SG_IO path: TEST UNIT READY and a 256 KiB WRITE
 * through koffi SG_IO + the forwarding library + the virtual library served on
 * its UNIX socket, against the same commands through the virtual library's
 * in-process transport (the baseline) and its plain socket client, measured
 * in the same run. Prints µs/command and ratios to the baseline.
 *
 *   npm run bench:sg -w @tapefleet/device-agent [-- --tur N --write N]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ScsiCommand, ScsiTransport } from "@tapefleet/scsi";
import { connectVtlSocket, createLibrary, createVtlTransport, startVtlServer } from "@tapefleet/vtl";
import { buildForwardingLibrary, forwardDevices, openSgDevice } from "../src/sg/index.ts";

const { values: args } = parseArgs({
  options: {
    tur: { type: "string", default: "3000" },
    write: { type: "string", default: "200" },
  },
});
const TUR_COUNT = Number(args.tur);
const WRITE_COUNT = Number(args.write);
const BLOCK = 256 * 1024;

const TUR: ScsiCommand = { cdb: Uint8Array.of(0x00, 0, 0, 0, 0, 0), direction: "none", timeoutMs: 30_000 };
const REWIND: ScsiCommand = { cdb: Uint8Array.of(0x01, 0, 0, 0, 0, 0), direction: "none", timeoutMs: 600_000 };
const block = new Uint8Array(BLOCK).map((_, i) => (i * 31) & 0xff);
const WRITE: ScsiCommand = {
  cdb: Uint8Array.of(0x0a, 0, (BLOCK >> 16) & 0xff, (BLOCK >> 8) & 0xff, BLOCK & 0xff, 0),
  direction: "out",
  dataOut: block,
  timeoutMs: 600_000,
};

async function check(t: ScsiTransport, c: ScsiCommand): Promise<void> {
  const r = await t.execute(c);
  if (r.status !== 0) throw new Error(`${t.description}: status 0x${r.status.toString(16)} for opcode 0x${(c.cdb[0] ?? 0).toString(16)}`);
}

/** Clears the power-on / medium-change UNIT ATTENTION and waits for the drive. */
async function settle(t: ScsiTransport): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await t.execute(TUR)).status === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${t.description}: not ready`);
}

async function perCommandMicros(t: ScsiTransport, c: ScsiCommand, count: number): Promise<number> {
  for (let i = 0; i < Math.min(50, count); i++) await check(t, c);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await check(t, c);
  return Number(process.hrtime.bigint() - start) / 1000 / count;
}

const dir = await mkdtemp(join(tmpdir(), "tapefleet-bench-sg-"));
try {
  const spec = {
    libraries: [
      {
        name: "bench",
        slots: 3,
        drives: [0, 1, 2].map((i) => ({ generation: 8, serial: `BENCH0000${i}` })),
        cartridges: [0, 1, 2].map((i) => ({ barcode: `BEN00${i}L8`, drive: i })),
      },
    ],
    defaults: { capacityBytes: 4 * 1024 ** 3 },
    timing: { loadMs: 0, powerOnUnitAttention: false },
  };
  const library = await createLibrary(join(dir, "library"), spec);
  const socketPath = join(dir, "vtl.sock");
  const server = await startVtlServer({ library, socketPath });
  const forwarding = await buildForwardingLibrary();
  const withdraw = forwardDevices(forwarding, [{ path: "/dev/sg-bench2", socketPath, deviceId: "bench/drive2" }]);

  // One drive per path, so the WRITEs of one path do not fill another's tape.
  const paths: Array<{ name: string; transport: ScsiTransport }> = [
    { name: "in-process transport (baseline)", transport: createVtlTransport(library, "bench/drive0") },
    { name: "socket client", transport: await connectVtlSocket(socketPath, "bench/drive1") },
    { name: "koffi SG_IO + libsgfwd + socket", transport: await openSgDevice("/dev/sg-bench2", { library: forwarding }) },
  ];
  const results: Array<{ name: string; tur: number; write: number }> = [];
  for (const p of paths) {
    await settle(p.transport);
    await check(p.transport, REWIND);
    const tur = await perCommandMicros(p.transport, TUR, TUR_COUNT);
    const write = await perCommandMicros(p.transport, WRITE, WRITE_COUNT);
    results.push({ name: p.name, tur, write });
  }
  for (const p of paths) await p.transport.close();
  withdraw();
  await server.close();
  await library.close();

  const base = results[0];
  if (base === undefined) throw new Error("no baseline");
  console.log(`sg overhead: ${TUR_COUNT} TEST UNIT READY, ${WRITE_COUNT} WRITE(6) of ${BLOCK / 1024} KiB per path`);
  console.log(`${"path".padEnd(34)} ${"TUR µs/cmd".padStart(11)} ${"ratio".padStart(7)} ${"WRITE µs/cmd".padStart(13)} ${"ratio".padStart(7)} ${"MB/s".padStart(8)}`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(34)} ${r.tur.toFixed(1).padStart(11)} ${(r.tur / base.tur).toFixed(2).padStart(7)} ${r.write.toFixed(1).padStart(13)} ${(r.write / base.write).toFixed(2).padStart(7)} ${(BLOCK / r.write).toFixed(0).padStart(8)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
