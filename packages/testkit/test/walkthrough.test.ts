import { execFile, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTestEnv, REPO_ROOT, startStack, type RunningStack, type TestEnv } from "../src/index.ts";
import { digestsOf, expectSameSnapshot, filesUnder, snapshotDirs, stackEnvOn } from "./stack-helpers.ts";

/**
 * The new user's walk-through of issue #6, in the stack `npm start` brings up
 * (every service a process of its own), driven only by the `tapectl` binary:
 * changer and drive, a media pool, barcode-label, a sample datastore, a
 * backup job run and followed, `media content`, then a restore of the whole
 * media set into a new datastore and of one snapshot with a namespace mapping
 * into another; the restored snapshots and chunks equal the source's bytes.
 */

const TAPECTL = join(REPO_ROOT, "packages", "cli", "bin", "tapectl.mjs");
const CHANGER_PATH = "/dev/tape/by-id/scsi-TFWLK00001";
const DRIVE_PATH = "/dev/tape/by-id/scsi-TFWD900001-sg";
/** Sample data: a few MiB, so the tapes are written and read in seconds. */
const SAMPLE_SIZE = "6M";

/** A small library: one LTO-9 drive, three small data cartridges, short load and calibration times. */
const LIBRARY_SPEC = {
  libraries: [
    {
      name: "wlk",
      slots: 8,
      importExportSlots: 2,
      serial: "TFWLK00001",
      drives: [{ generation: 9, serial: "TFWD900001" }],
      cartridges: [1, 2, 3].map((i) => ({ barcode: `WK000${i}L9`, slot: i })),
    },
  ],
  defaults: { capacityBytes: 512 * 1024 ** 2 },
  timing: { loadMs: 50, cleaningMs: 50, calibrationMs: 50 },
};

let env: TestEnv;
let work: string;

beforeAll(async () => {
  env = await provisionTestEnv("walk");
  work = mkdtempSync(join(tmpdir(), "tf-walk-"));
});
afterAll(async () => {
  await env?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** tapectl as a child process, from the folder that holds `./var` (it finds the gateway and token there). */
function tapectl(args: string[], timeoutMs = 150_000): Promise<Run> {
  return new Promise((resolve) => {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(base)) if (k.startsWith("TAPEFLEET_")) delete base[k];
    execFile(process.execPath, [TAPECTL, ...args], { cwd: work, env: { ...base, NO_COLOR: "1" }, timeout: timeoutMs, maxBuffer: 64 * 1024 ** 2 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** tapectl that must succeed; the failure message holds its output. */
async function ok(args: string[]): Promise<string> {
  const r = await tapectl(args);
  if (r.code !== 0) throw new Error(`tapectl ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function okJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await ok([...args, "--output-format", "json"])) as T;
}

interface MediaContentRow {
  "label-text": string;
  pool: string;
  "media-set-name": string;
  "media-set-uuid": string;
  "seq-nr": number;
  snapshot: string;
  store: string;
}

describe("the new user's walk-through, in the stack npm start brings up", () => {
  it("pool, barcode-label, sample datastore, backup job, media content, whole-set and single-snapshot restores with identical data", { timeout: 175_000 }, async () => {
    const varDir = join(work, "var");
    mkdirSync(varDir, { recursive: true });
    const specFile = join(work, "library.json");
    writeFileSync(specFile, JSON.stringify(LIBRARY_SPEC));
    // The device agent creates its library folder from the spec on first start.
    const e = stackEnvOn(env, specFile);
    const stack: RunningStack = await startStack({ varDir, env: e, gatewayPort: 0, grpcAddress: "127.0.0.1:0" });
    try {
      // Each tapectl run is a process of its own (seconds on a loaded machine): steps that do not depend on each other run side by side.
      // 1. The changer the agent found, its drive, and three datastores on the agent's host.
      const changers = await okJson<Array<{ path: string; "host-id": string; serial: string }>>(["changer", "scan"]);
      const changer = changers.find((c) => c.serial === "TFWLK00001");
      expect(changer, JSON.stringify(changers)).toBeDefined();
      const host = changer!["host-id"];
      const [store1, store2, store3] = ["store1", "store2", "store3"].map((n) => join(work, n)) as [string, string, string];
      await Promise.all([
        ok(["changer", "create", "wlk", "--path", CHANGER_PATH]).then(() => ok(["drive", "create", "d1", "--path", DRIVE_PATH, "--changer", "wlk"])),
        ...[store1, store2, store3].map((path, i) => ok(["datastore", "create", `store${i + 1}`, "--path", path, "--host", host])),
      ]);

      // 2. A media pool with the cartridges labelled into it by barcode; meanwhile sample backups fill the first datastore.
      const [labelled] = await Promise.all([
        ok(["pool", "create", "daily", "--drive", "d1"]).then(() => ok(["barcode-label", "--drive", "d1", "--pool", "daily"])),
        ok(["datastore", "sample", "store1", "--size", SAMPLE_SIZE, "--seed", "7"]),
      ]);
      expect(labelled).toContain("WK0003L9");
      const sourceSnapshots = snapshotDirs(store1);
      expect(sourceSnapshots.length).toBeGreaterThan(3);
      const [media] = await Promise.all([
        okJson<Array<{ "label-text": string; pool?: string }>>(["media", "list"]),
        ok(["backup-job", "create", "nightly", "--store", "store1", "--pool", "daily", "--drive", "d1"]),
      ]);
      expect(media.map((m) => m["label-text"]).sort()).toEqual(["WK0001L9", "WK0002L9", "WK0003L9"]);
      expect(media.every((m) => m.pool === "daily")).toBe(true);

      // 3. The backup job, run now; its task followed to the end with `task log --follow`.
      const run = spawn(process.execPath, [TAPECTL, "backup-job", "run", "nightly"], { cwd: work, env: { ...e, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
      let runOut = "";
      run.stdout.on("data", (c: Buffer) => (runOut += c.toString()));
      run.stderr.on("data", (c: Buffer) => (runOut += c.toString()));
      const runExit = new Promise<number | null>((r) => run.once("exit", r));
      let upid: string | undefined;
      for (let i = 0; i < 100 && upid === undefined; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const tasks = await okJson<Array<{ upid: string; "worker-type": string }>>(["task", "list"]);
        upid = tasks.find((t) => t["worker-type"].startsWith("tape-backup"))?.upid;
      }
      expect(upid, runOut).toBeDefined();
      const followed = await tapectl(["task", "log", upid!, "--follow"]);
      expect(followed.code, followed.stdout + followed.stderr).toBe(0);
      expect(followed.stdout).toContain("backup finished");
      expect(await runExit, runOut).toBe(0);

      // 4. What is on tape, from the catalog: complete once the task has ended (the job waits for the catalog to list its commits).
      const content = await okJson<MediaContentRow[]>(["media", "content", "--pool", "daily"]);
      expect(content.map((c) => c.snapshot).sort()).toEqual(sourceSnapshots);
      expect(content.every((c) => c.store === "store1" && c.pool === "daily" && /^WK000\dL9$/.test(c["label-text"]))).toBe(true);
      const setUuid = content[0]!["media-set-uuid"];
      expect(new Set(content.map((c) => c["media-set-uuid"]))).toEqual(new Set([setUuid]));
      // The set's name (the pool's name template), as the inventory gave it to the backup: not its uuid.
      expect(new Set(content.map((c) => c["media-set-name"])).size).toBe(1);
      expect(content[0]!["media-set-name"]).not.toBe(setUuid);

      // 5. The whole media set into a new datastore.
      await ok(["restore", setUuid, "store2", "--drive", "d1"]);
      expect(snapshotDirs(store2)).toEqual(sourceSnapshots);
      let chunks = 0;
      for (const s of sourceSnapshots) chunks += await expectSameSnapshot(store1, s, store2, s);
      expect(chunks).toBeGreaterThan(0);

      // 6. One snapshot of a namespace, mapped to another namespace, into a third datastore.
      const pick = sourceSnapshots.find((s) => s.startsWith("ns/prod/vm/"));
      expect(pick, sourceSnapshots.join("\n")).toBeDefined();
      const single = await ok(["restore", setUuid, "store1=store3", "--drive", "d1", "--snapshots", `store1:${pick!}`, "--namespaces", "store=store1,source=prod,target=restored"]);
      const mapped = pick!.replace(/^ns\/prod\//, "ns/restored/");
      expect(snapshotDirs(store3), single).toEqual([mapped]);
      expect(await expectSameSnapshot(store1, pick!, store3, mapped)).toBeGreaterThan(0);
      // Planned by the catalog: only the files that hold the snapshot and its chunks are read.
      const planned = /catalog plan: 'WK000\dL9' \((\d+) file\(s\)\)/.exec(single);
      expect(planned, single).not.toBeNull();
      expect(single).not.toContain("reading every tape");
      // The agent read the planned files only (one progress line each), fewer than the snapshot archives on the tape.
      const read = single.split("\n").filter((l) => /^file \d+: /.test(l));
      expect(read).toHaveLength(Number(planned![1]));
      expect(read.length).toBeLessThan(content.length);
    } catch (err) {
      // Keep the services' logs of a failed walk-through.
      const kept = mkdtempSync(join(tmpdir(), "tf-walk-logs-"));
      cpSync(join(varDir, "logs"), kept, { recursive: true });
      throw new Error(`${(err as Error).message}\n(service logs kept in ${kept})`, { cause: err });
    } finally {
      await stack.stop();
    }
  });
});
