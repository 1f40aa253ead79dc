/**
 * Data path benchmark of the device agent, in one run on the same sample
 * datastore (page cache warm):
 *   write:   a write session of every snapshot (its chunks in chunk archives,
 *            then the snapshot archives) through ScsiTape onto a file-backed
 *            virtual tape (the virtual library's in-process transport), against
 *            `tar -b 512 -cf` of the same chunk files and a raw `cat` of them;
 *   read:    every archive read back with CRC and SHA-256 digest checks
 *            against a raw `cat` of the cartridge's data file, and against a
 *            raw READ(6) of the same blocks through the drive (no decoding);
 *   restore: the whole tape restored into an empty datastore (every chunk
 *            verified, written as a file) against `cat` of the chunk files
 *            into files of their own (`cp -r` of the chunk store);
 * printed as ratios (targets: write ≥ 1.0× tar and ≥ 0.8× raw; read ≥ 0.7×
 * raw), plus the peak RSS of this process (the agent's side) and the longest
 * event-loop stall during the write (target < 20 ms).
 *
 * Two bounds are printed beside them: the disk's own rate for the same bytes
 * written to stable storage (`dd oflag=direct conv=fsync`), which no write that
 * syncs its commits can beat while `tar` and `cat` only fill the page cache,
 * and what every core verifying chunks in memory reaches, which no verified
 * read can beat.
 *
 * Each measurement runs TAPEFLEET_BENCH_ROUNDS times (default 3), interleaved
 * (cat, tar, write, cat, tar, write, …), every run into a new file as the first
 * one does; the median of each is compared, so a disturbance of the machine in
 * one run moves no ratio. Every round's times are printed too.
 *
 *   npm run bench:data-path -w @tapefleet/device-agent
 *   TAPEFLEET_BENCH_SAMPLE_SIZE=512MiB TAPEFLEET_BENCH_ROUNDS=5 npm run bench:data-path -w @tapefleet/device-agent
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createSampleDatastore, openDatastore, parseByteSize, snapshotPath, type Datastore } from "@tapefleet/datastore";
import { ensureZstd, verifyChunk, writeMediaLabel, zstdBackend } from "@tapefleet/tape-format";
import { createLibrary, createVtlTransport, type SiteSpec } from "@tapefleet/vtl";
import { ScsiTape, readArchive, restoreFromTape, runWriteSession, sharedDigestPool } from "../src/sessions/index.ts";

const SIZE = parseByteSize(process.env["TAPEFLEET_BENCH_SAMPLE_SIZE"] ?? "2GiB");
const SEED = 5;
const ROUNDS = Number(process.env["TAPEFLEET_BENCH_ROUNDS"] ?? "3");
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 20) throw new Error(`TAPEFLEET_BENCH_ROUNDS: ${process.env["TAPEFLEET_BENCH_ROUNDS"]} (must be 1..20)`);
const MiB = 1024 * 1024;

async function sample(): Promise<Datastore> {
  const dir = join(tmpdir(), `tapefleet-bench-sample-${SEED}-${SIZE}`);
  const marker = join(dir, ".sample-complete");
  if (!existsSync(marker)) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const t = performance.now();
    process.stdout.write(`creating the ${(SIZE / MiB).toFixed(0)} MiB sample datastore in ${dir} (cached for later runs)…\n`);
    await createSampleDatastore(dir, { size: SIZE, seed: SEED, name: "sample" });
    await writeFile(marker, "");
    process.stdout.write(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  return openDatastore(dir, { name: "sample" });
}

function sh(cmd: string, cwd: string): number {
  const t = performance.now();
  const r = spawnSync("sh", ["-c", cmd], { cwd, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`${cmd}: exit ${r.status}`);
  return performance.now() - t;
}

/**
 * CPU time (ms) of this process's threads so far, from /proc (Linux): the event-loop thread and
 * all others together (the thread pool's file I/O, the collector's helpers); undefined elsewhere.
 */
function threadCpu(): { loop: number; other: number } | undefined {
  const tick = 10; // USER_HZ is 100 on Linux
  try {
    let loop = 0;
    let other = 0;
    for (const tid of readdirSync("/proc/self/task")) {
      let fields: string[];
      try {
        fields = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ");
      } catch {
        continue; // the thread ended meanwhile
      }
      const ms = (Number(fields[11]) + Number(fields[12])) * tick;
      if (tid === String(process.pid)) loop += ms;
      else other += ms;
    }
    return { loop, other };
  } catch {
    return undefined;
  }
}

const mibs = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const rounds = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(" ");

const ds = await sample();
await ensureZstd();
const work = await mkdtemp(join(tmpdir(), "tapefleet-bench-data-path-"));
try {
  const snapshots: string[] = [];
  const digests = new Set<string>();
  for await (const s of ds.selectSnapshots({})) {
    snapshots.push(`sample:${snapshotPath(s)}`);
    for await (const d of ds.snapshotDigests(s)) digests.add(d);
  }
  let chunkBytes = 0;
  const paths: string[] = [];
  for (const d of digests) {
    paths.push(relative(ds.path, ds.chunks.chunkPath(d)));
    chunkBytes += (await ds.chunks.stat(d)).size;
  }
  const list = join(work, "chunks.list");
  await writeFile(list, `${paths.join("\n")}\n`);
  // warm the page cache
  sh(`xargs cat < '${list}' > /dev/null`, ds.path);

  // event-loop delay of this process doing nothing: what the machine's load alone causes
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 2000));
  idle.disable();

  /** One write session of every snapshot onto a new cartridge of a new library (a new data file, as tar's and cat's). */
  const writeRound = async (round: number) => {
    const spec = {
      drives: [{ name: "bench0", generation: 9, serial: "TFDBENCH01" }],
      shelf: [{ barcode: "BENCH1L9", capacityBytes: Math.max(4 * SIZE, 1024 * MiB), earlyWarningBytes: 64 * MiB }],
      timing: { loadMs: 0, powerOnUnitAttention: false },
    } as SiteSpec;
    const dir = join(work, `vtl-${round}`);
    const lib = await createLibrary(dir, spec);
    await lib.insertCartridge("bench0", "BENCH1L9");
    const tape = new ScsiTape(createVtlTransport(lib, "bench0"));
    await tape.waitReady();
    await tape.rewind();
    await writeMediaLabel(tape, { uuid: randomUUID(), labelText: "BENCH1L9", ctime: 1 });
    await tape.sync();
    // time spent in drive syncs (WRITE FILEMARKS 0: the virtual library fsyncs its files)
    let syncMs = 0;
    let syncs = 0;
    const sync = tape.sync.bind(tape);
    tape.sync = async () => {
      syncs++;
      const t = performance.now();
      try {
        await sync();
      } finally {
        syncMs += performance.now() - t;
      }
    };
    let firstFile = 2;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const cpu0 = threadCpu();
    const t0 = performance.now();
    const result = await runWriteSession(
      tape,
      { datastore: ds, mediaSet: { uuid: randomUUID(), pool: "bench", seqNr: 0, ctime: 1 }, snapshots },
      {
        onStarted: (info) => {
          firstFile = info.firstFileNumber;
        },
        onCommit: async () => undefined,
      },
    );
    const ms = performance.now() - t0;
    const cpu1 = threadCpu();
    const cpu = cpu0 && cpu1 ? { loop: cpu1.loop - cpu0.loop, other: cpu1.other - cpu0.other } : undefined;
    delay.disable();
    if (result.status !== "complete" || result.chunksWritten !== digests.size) throw new Error(`write session: ${result.status}, ${result.chunksWritten} of ${digests.size} chunks`);
    return { ms, cpu, lib, dir, tape, firstFile, result, syncMs, syncs, stallMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6 };
  };

  const rawRuns: number[] = [];
  const tarRuns: number[] = [];
  const tarSyncRuns: number[] = [];
  const writeRuns: Array<Awaited<ReturnType<typeof writeRound>>> = [];
  const diskRuns: number[] = [];
  let diskHow = "O_DIRECT";
  for (let round = 0; round < ROUNDS; round++) {
    rawRuns.push(sh(`xargs cat < '${list}' > '${join(work, "raw.out")}'`, ds.path));
    // what the disk takes to make the same bytes durable: written past the page cache, then an
    // fsync (without it a virtual disk reports the bytes written while the host still caches
    // them; the session's syncs wait for them); where the file system refuses O_DIRECT
    // (older tmpfs), written through the page cache before the fsync
    const dd = `dd if='${join(work, "raw.out")}' of='${join(work, "disk.out")}' bs=8M conv=fsync status=none`;
    let directMs: number | undefined;
    if (diskHow === "O_DIRECT") {
      try {
        directMs = sh(`${dd} oflag=direct 2>/dev/null`, work);
      } catch {
        diskHow = "page cache";
      }
    }
    diskRuns.push(directMs ?? sh(dd, work));
    await rm(join(work, "disk.out"), { force: true });
    await rm(join(work, "raw.out"));
    tarRuns.push(sh(`tar -b 512 -cf '${join(work, "chunks.tar")}' -T '${list}'`, ds.path));
    await rm(join(work, "chunks.tar"));
    // the same with the archive made durable at the end (the session syncs the drive at every commit)
    tarSyncRuns.push(sh(`tar -b 512 -cf '${join(work, "chunks.tar")}' -T '${list}' && sync -f '${join(work, "chunks.tar")}'`, ds.path));
    await rm(join(work, "chunks.tar"));
    const w = await writeRound(round);
    writeRuns.push(w);
    if (round < ROUNDS - 1) {
      await w.lib.close();
      await rm(w.dir, { recursive: true, force: true });
    }
  }
  const writeRss = process.resourceUsage().maxRSS * 1024;
  const rawMs = median(rawRuns);
  const tarMs = median(tarRuns);
  const tarSyncMs = median(tarSyncRuns);
  const diskMs = median(diskRuns);
  const writeMs = median(writeRuns.map((w) => w.ms));
  const last = writeRuns.at(-1)!;
  const { tape, firstFile, lib } = last;
  const stallMs = Math.max(...writeRuns.map((w) => w.stallMs));

  // read back every archive the last session wrote, as the agent does (readArchive): chunk
  // digests verified (CRC, zstd, SHA-256) in the digest worker pool
  const lastFile = (await tape.position()).fileNumber - 1;
  await sharedDigestPool().start(); // as an agent does at boot
  const readRuns: number[] = [];
  const rawDriveRuns: number[] = [];
  const restoreRuns: number[] = [];
  const cpRuns: number[] = [];
  let verified = 0;
  let readBytes = 0;
  let rawDriveBytes = 0;
  let restored = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const t1 = performance.now();
    verified = 0;
    readBytes = 0;
    for (let f = firstFile; f <= lastFile; f++) {
      for await (const e of readArchive(tape, f, { verifyDigests: true, recycleBlobs: true })) {
        if (e.kind === "chunk" && e.digestChecked) verified++;
        else if (e.kind === "end") readBytes += e.bytes;
      }
    }
    readRuns.push(performance.now() - t1);
    if (verified !== digests.size) throw new Error(`read back: ${verified} of ${digests.size} chunks verified`);
    // the same tape files read raw through the drive (READ(6) of every block, no decoding)
    await tape.locateFile(firstFile);
    const t2 = performance.now();
    rawDriveBytes = 0;
    for (;;) {
      const b = await tape.readBlock();
      if (b.kind === "end-of-data") break;
      if (b.kind === "data") rawDriveBytes += b.data.length;
    }
    rawDriveRuns.push(performance.now() - t2);
  }
  const readRss = process.resourceUsage().maxRSS * 1024;
  for (let round = 0; round < ROUNDS; round++) {
    // the whole tape restored into an empty datastore, against a copy of the chunk store
    const target = join(work, `restore-${round}`);
    await mkdir(join(target, ".chunks"), { recursive: true });
    const dst = await openDatastore(target, { name: "restored" });
    const t3 = performance.now();
    restored = 0;
    for await (const p of restoreFromTape(tape, dst, { owner: "root@pam" })) restored += p.chunksInserted;
    restoreRuns.push(performance.now() - t3);
    if (restored !== digests.size) throw new Error(`restore: ${restored} of ${digests.size} chunks inserted`);
    await rm(target, { recursive: true, force: true });
    cpRuns.push(sh(`cp -r .chunks '${join(work, "copy")}'`, ds.path));
    await rm(join(work, "copy"), { recursive: true, force: true });
  }
  const readMs = median(readRuns);
  const rawDriveMs = median(rawDriveRuns);
  const restoreMs = median(restoreRuns);
  const cpMs = median(cpRuns);
  await lib.close();
  const dataFile = join(last.dir, "cartridges", "BENCH1L9.data");
  const tapeBytes = (await stat(dataFile)).size;
  sh(`cat '${dataFile}' > /dev/null`, work);
  const rawReadRuns: number[] = [];
  const rawReadFileRuns: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    rawReadRuns.push(sh(`cat '${dataFile}' > /dev/null`, work));
    rawReadFileRuns.push(sh(`cat '${dataFile}' > '${join(work, "tape.copy")}'`, work));
    await rm(join(work, "tape.copy"));
  }
  const rawReadMs = median(rawReadRuns);
  const rawReadFileMs = median(rawReadFileRuns);

  // what one core can verify (CRC, zstd, SHA-256) with the chunks in memory: the CPU bound of the
  // verified read, in CPU time of this thread (the machine's load does not shorten it)
  const sampleChunks: Array<{ blob: Uint8Array; digest: Uint8Array }> = [];
  for (const d of [...digests].slice(0, 48)) sampleChunks.push({ blob: await ds.chunks.readChunk(d), digest: Buffer.from(d, "hex") });
  const sampleBytes = sampleChunks.reduce((n, c) => n + c.blob.length, 0);
  let verifyCpuMs = 0;
  for (let round = 0; round < 3; round++) {
    const c = process.cpuUsage();
    for (const { blob, digest } of sampleChunks) await verifyChunk(blob, digest);
    const u = process.cpuUsage(c);
    if (round > 0) verifyCpuMs += (u.user + u.system) / 1000; // round 0 warms up
  }
  const ceiling = mibs(2 * sampleBytes, verifyCpuMs);
  const workers = sharedDigestPool().size;
  const cores = availableParallelism();
  const z = zstdBackend();

  const rss = process.resourceUsage().maxRSS * 1024;
  const readRate = mibs(readBytes, readMs);
  const rows = [
    ["sample", `${(chunkBytes / MiB).toFixed(0)} MiB in ${digests.size} chunks, ${snapshots.length} snapshots`],
    ["rounds (median of each compared; times per round in s)", `${ROUNDS}`],
    ["zstd", z.backend === "native" ? `libzstd ${z.version} (native)` : "WebAssembly"],
    ["raw cat of the chunk files", `${mibs(chunkBytes, rawMs).toFixed(0)} MiB/s  [${rounds(rawRuns)}]`],
    ["tar -b 512 of the chunk files", `${mibs(chunkBytes, tarMs).toFixed(0)} MiB/s  [${rounds(tarRuns)}]`],
    ["write session to the virtual tape", `${mibs(chunkBytes, writeMs).toFixed(0)} MiB/s of chunks (${(last.result.bytesWritten / MiB).toFixed(0)} MiB on tape incl. snapshot archives)  [${rounds(writeRuns.map((w) => w.ms))}]`],
    ["  ratio to tar (target ≥ 1.0)", (tarMs / writeMs).toFixed(2)],
    ["  ratio to raw (target ≥ 0.8)", (rawMs / writeMs).toFixed(2)],
    [`  of which drive syncs (${last.syncs} commits, each an fsync)`, `${((100 * last.syncMs) / last.ms).toFixed(0)} % (${(last.syncMs / 1000).toFixed(1)} s)`],
    ["  ratio to tar + fsync of the archive", (tarSyncMs / writeMs).toFixed(2)],
    [
      "  CPU of the write per round, event loop + other threads",
      writeRuns.every((w) => w.cpu)
        ? `${writeRuns.map((w) => `${(w.cpu!.loop / 1000).toFixed(2)} + ${(w.cpu!.other / 1000).toFixed(2)}`).join(", ")} s (${cores} cores)`
        : "n/a (no /proc)",
    ],
    [`disk: the same bytes to stable storage (dd bs=8M, ${diskHow}, fsync)`, `${mibs(chunkBytes, diskMs).toFixed(0)} MiB/s  [${rounds(diskRuns)}]`],
    ["  ratio of the write to it", (diskMs / writeMs).toFixed(2)],
    ["  best ratio to tar / raw a write that syncs can reach", `${(tarMs / diskMs).toFixed(2)} / ${(rawMs / diskMs).toFixed(2)} (tar and cat leave the bytes in the page cache)`],
    ["read back, digests verified", `${readRate.toFixed(0)} MiB/s (${verified} chunks)  [${rounds(readRuns)}]`],
    ["raw cat of the tape data file to /dev/null", `${mibs(tapeBytes, rawReadMs).toFixed(0)} MiB/s  [${rounds(rawReadRuns)}]`],
    ["  ratio to raw (target ≥ 0.7)", (readRate / mibs(tapeBytes, rawReadMs)).toFixed(2)],
    ["raw cat of the tape data file to a file", `${mibs(tapeBytes, rawReadFileMs).toFixed(0)} MiB/s  [${rounds(rawReadFileRuns)}]`],
    ["  ratio of the verified read to it", (readRate / mibs(tapeBytes, rawReadFileMs)).toFixed(2)],
    ["verify on one core, chunks in memory, per CPU second", `${ceiling.toFixed(0)} MiB/s`],
    [`  ratio of the verified read to it × ${workers} digest workers`, (readRate / (workers * ceiling)).toFixed(2)],
    [`  best ratio to raw a verified read on ${cores} cores can reach`, `${((cores * ceiling) / mibs(tapeBytes, rawReadMs)).toFixed(2)} (every core verifying, none reading)`],
    ["raw READ(6) of the same files through the drive", `${mibs(rawDriveBytes, rawDriveMs).toFixed(0)} MiB/s  [${rounds(rawDriveRuns)}]`],
    ["  ratio of the verified read to it", (readRate / mibs(rawDriveBytes, rawDriveMs)).toFixed(2)],
    ["restore of the tape into an empty datastore", `${mibs(chunkBytes, restoreMs).toFixed(0)} MiB/s of chunks (${restored} chunks verified and written)  [${rounds(restoreRuns)}]`],
    ["cp -r of the chunk store", `${mibs(chunkBytes, cpMs).toFixed(0)} MiB/s  [${rounds(cpRuns)}]`],
    ["  ratio of the restore to it", (cpMs / restoreMs).toFixed(2)],
    ["peak RSS of this process (the agent's side)", `${(rss / MiB).toFixed(0)} MiB (up to the end of the writes ${(writeRss / MiB).toFixed(0)} MiB, of the reads ${(readRss / MiB).toFixed(0)} MiB)`],
    ["longest event-loop stall during the writes (target < 20 ms)", `${stallMs.toFixed(1)} ms (per round ${writeRuns.map((w) => w.stallMs.toFixed(1)).join(" ")}; p99 ${writeRuns.map((w) => w.p99Ms.toFixed(1)).join(" ")})`],
    ["  same, this process idle for 2 s before (machine load)", `${(idle.max / 1e6).toFixed(1)} ms (p99 ${(idle.percentile(99) / 1e6).toFixed(1)} ms)`],
    ["load average (1 min) at the end", loadavg()[0]!.toFixed(1)],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(62)} ${v}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
