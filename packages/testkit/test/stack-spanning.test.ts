import { execFile, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTestEnv, REPO_ROOT, startStack, type RunningStack, type TestEnv } from "../src/index.ts";
import { expectSameSnapshot, snapshotDirs, stackEnvOn, TAPECTL, tapectlIn } from "./stack-helpers.ts";

/**
 * Issue #6 in the stack `npm start` brings up (inventory, catalog, keyvault,
 * scheduler, gateway and device agent, each a process of its own), driven by
 * the `tapectl` binary: a backup that spans three tapes through the changer
 * (and restores identical), two backups on two drives at once, and a backup
 * that waits on a tape request until the operator puts a cartridge of the
 * pool into an import/export slot of the running library (`vtl import`, as an
 * operator's hand would); the job imports it into a storage slot and goes on.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const CHANGER_SERIAL = "TFSPN00001";
const CHANGER_PATH = `/dev/tape/by-id/scsi-${CHANGER_SERIAL}`;
const DRIVE_SERIALS = ["TFSD900001", "TFSD900002"] as const;
const drivePath = (i: number) => `/dev/tape/by-id/scsi-${DRIVE_SERIALS[i]}-sg`;
const STORAGE_SLOTS = 12;
/** Changer element numbers: storage slots first, then the import/export slots. */
const ieSlot = (i: number) => STORAGE_SLOTS + i;
/**
 * Tiny cartridges. A sample datastore of 6M (seed 11, 33 snapshots) makes
 * about 17 MiB of archives (each snapshot archive takes at least one 256 KiB
 * block): two full 7 MiB tapes and part of a third. The 3M sample (seed 12,
 * 34 snapshots) makes 16 MiB: more than one 10 MiB tape, less than two.
 */
const SPAN_TAPE_BYTES = 7 * MiB;
const REQUEST_TAPE_BYTES = 10 * MiB;

/**
 * One library, two LTO-9 drives (throttled, so the two parallel backups run
 * for seconds), three cartridges for the spanning pool in storage slots, and
 * four more waiting in the import/export slots (offline until imported).
 */
const LIBRARY_SPEC = {
  libraries: [
    {
      name: "spn",
      slots: STORAGE_SLOTS,
      importExportSlots: 4,
      serial: CHANGER_SERIAL,
      drives: DRIVE_SERIALS.map((serial) => ({ generation: 9, serial, throttleBytesPerSec: 4 * MiB })),
      cartridges: [
        ...[1, 2, 3].map((i) => ({ barcode: `SP000${i}L9`, slot: i, capacityBytes: SPAN_TAPE_BYTES })),
        { barcode: "RQ0001L9", importExport: 1, capacityBytes: REQUEST_TAPE_BYTES },
        { barcode: "RQ0002L9", importExport: 2, capacityBytes: REQUEST_TAPE_BYTES },
        { barcode: "PA0001L9", importExport: 3, capacityBytes: 64 * MiB },
        { barcode: "PB0001L9", importExport: 4, capacityBytes: 64 * MiB },
      ],
    },
  ],
  defaults: { earlyWarningBytes: 256 * KiB },
  timing: { loadMs: 50, cleaningMs: 50, calibrationMs: 50 },
};

interface MediaListRow {
  "label-text": string;
  pool?: string;
  "media-set-uuid"?: string;
  "media-set-name"?: string;
  "seq-nr"?: number;
  status: string;
  location: string;
}
interface MediaContentRow {
  "label-text": string;
  pool: string;
  "media-set-uuid": string;
  "seq-nr": number;
  snapshot: string;
  store: string;
}
interface TaskRow {
  upid: string;
  "worker-type": string;
  "worker-id"?: string;
  starttime: number;
  endtime?: number;
  status?: string;
}
interface ChangerEntry {
  "entry-kind": string;
  "entry-id": number;
  "label-text"?: string;
}
interface TapeRequestRow {
  upid: string;
  kind: string;
  pool?: string;
  changer?: string;
  drive: string;
  message: string;
}

let env: TestEnv;
let work: string;
let varDir: string;
let stack: RunningStack | undefined;
let stackEnv: NodeJS.ProcessEnv;
let ok: (args: string[]) => Promise<string>;
let okJson: <T>(args: string[]) => Promise<T>;
const store = (name: string) => join(work, name);

/** Keeps the services' logs of a failed test. */
async function keepLogs<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const kept = mkdtempSync(join(tmpdir(), "tf-span-logs-"));
    cpSync(join(varDir, "logs"), kept, { recursive: true });
    throw new Error(`${(err as Error).message}\n(service logs kept in ${kept})`, { cause: err });
  }
}

/** `tapectl` as a long-running child (a task it follows to the end), with its output collected. */
function follow(args: string[]): { exit: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [TAPECTL, ...args], { cwd: work, env: { ...stackEnv, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  return { exit: new Promise((r) => child.once("exit", r)), output: () => out };
}

/** The virtual library's operator command line (`vtl import|remove`). */
const VTL_BIN = join(REPO_ROOT, "packages", "vtl", "bin", "vtl.ts");

/**
 * Operator at the library the device agent runs (its socket in the stack's
 * `var/vtl`): put a shelf cartridge into an import/export slot, or take one out.
 */
function vtl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", VTL_BIN, ...args, "--socket", join(varDir, "vtl", "vtl.sock")], { cwd: REPO_ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`vtl ${args.join(" ")}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Operator: move the cartridge in an import/export slot (1-based) into an empty storage slot. */
async function importFromIe(ie: number, slot: number): Promise<void> {
  await ok(["changer", "transfer", String(ieSlot(ie)), String(slot), "--changer", "spn"]);
}

beforeAll(async () => {
  env = await provisionTestEnv("span");
  work = mkdtempSync(join(tmpdir(), "tf-span-"));
  varDir = join(work, "var");
  mkdirSync(varDir, { recursive: true });
  const specFile = join(work, "library.json");
  writeFileSync(specFile, JSON.stringify(LIBRARY_SPEC));
  const e = stackEnvOn(env, specFile, {
    // Small commits, so a tiny tape holds several and the catalog is fed as the tapes fill.
    TAPEFLEET_COMMIT_BYTES: String(256 * KiB),
    // A job waiting on a tape request looks at the import/export slots this often (an operator's hand raises no event).
    TAPEFLEET_TAPE_RECHECK_MS: "2000",
  });
  stackEnv = e;
  ({ ok, okJson } = tapectlIn(work));
  stack = await startStack({ varDir, env: e, gatewayPort: 0, grpcAddress: "127.0.0.1:0" });
  await keepLogs(async () => {
    const changers = await okJson<Array<{ "host-id": string; serial: string }>>(["changer", "scan"]);
    const host = changers.find((c) => c.serial === CHANGER_SERIAL)?.["host-id"];
    expect(host, JSON.stringify(changers)).toBeDefined();
    await Promise.all([
      ok(["changer", "create", "spn", "--path", CHANGER_PATH]).then(() =>
        Promise.all([0, 1].map((i) => ok(["drive", "create", `d${i + 1}`, "--path", drivePath(i), "--changer", "spn", "--changer-drivenum", String(i)]))),
      ),
      ...["src1", "dst1", "src2"].map((n) => ok(["datastore", "create", n, "--path", store(n), "--host", host!])),
    ]);
    // Pools and sample data side by side; the spanning pool's three tapes labelled by barcode (the others wait in import/export slots).
    await Promise.all([
      Promise.all([["span", "d1"], ["req", "d1"], ["para", "d1"], ["parb", "d2"]].map(([p, d]) => ok(["pool", "create", p!, "--drive", d!]))).then(() =>
        ok(["barcode-label", "--drive", "d1", "--pool", "span"]),
      ),
      ok(["datastore", "sample", "src1", "--size", "6M", "--seed", "11"]),
      ok(["datastore", "sample", "src2", "--size", "3M", "--seed", "12"]),
    ]);
  });
}, 170_000);

afterAll(async () => {
  await stack?.stop();
  await env?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("spanning, tape requests and parallel jobs in the whole stack", () => {
  it("a backup spans three tapes of one media set through the changer; media content lists every snapshot once; the set restores identical", { timeout: 170_000 }, async () => {
    await keepLogs(async () => {
      const source = snapshotDirs(store("src1"));
      expect(source.length).toBeGreaterThan(3);
      const run = await ok(["backup", "src1", "span", "--drive", "d1"]);
      expect(run).toMatch(/backup finished: \d+ snapshot\(s\), .* on 3 tape\(s\)/);

      const [list, content] = await Promise.all([okJson<MediaListRow[]>(["media", "list", "--pool", "span"]), okJson<MediaContentRow[]>(["media", "content", "--pool", "span"])]);
      const media = list.sort((a, b) => (a["seq-nr"] ?? 0) - (b["seq-nr"] ?? 0));
      expect(media.map((m) => m["label-text"]).sort()).toEqual(["SP0001L9", "SP0002L9", "SP0003L9"]);
      const setUuid = media[0]!["media-set-uuid"];
      expect(setUuid, JSON.stringify(media)).toBeDefined();
      expect(media.every((m) => m["media-set-uuid"] === setUuid), JSON.stringify(media)).toBe(true);
      expect(media.map((m) => m["seq-nr"])).toEqual([0, 1, 2]);
      expect(media.slice(0, 2).map((m) => m.status), JSON.stringify(media)).toEqual(["full", "full"]);

      expect(content.map((c) => c.snapshot).sort()).toEqual(source);
      expect(content.every((c) => c["media-set-uuid"] === setUuid && c.store === "src1")).toBe(true);

      const restore = await ok(["restore", setUuid!, "dst1", "--drive", "d1"]);
      expect(restore).toContain("TASK OK");
      expect(snapshotDirs(store("dst1"))).toEqual(source);
      let chunks = 0;
      for (const s of source) chunks += await expectSameSnapshot(store("src1"), s, store("dst1"), s);
      expect(chunks).toBeGreaterThan(0);
    });
  });

  it("two backups on two drives at once: both run at the same time, both end OK, no tape written by both", { timeout: 170_000 }, async () => {
    await keepLogs(async () => {
      // Two cartridges imported from the import/export slots and labelled by barcode into no pool: free tapes either pool may take.
      await importFromIe(3, 6);
      await importFromIe(4, 7);
      await ok(["barcode-label", "--drive", "d2"]);

      const [a, b] = await Promise.all([ok(["backup", "src2", "para", "--drive", "d1"]), ok(["backup", "src2", "parb", "--drive", "d2"])]);
      expect(a).toContain("TASK OK");
      expect(b).toContain("TASK OK");
      // Worker ids of manual backups are `store:pool:drive`.
      const backups = (await okJson<TaskRow[]>(["task", "list", "--limit", "100"])).filter((t) => t["worker-type"] === "tape-backup");
      const [ta, tb] = ["src2:para:d1", "src2:parb:d2"].map((id) => backups.find((t) => t["worker-id"] === id));
      expect(ta, JSON.stringify(backups)).toBeDefined();
      expect(tb, JSON.stringify(backups)).toBeDefined();
      expect([ta!.status, tb!.status]).toEqual(["OK", "OK"]);
      // Their time ranges overlap: each started before the other ended.
      expect(ta!.starttime).toBeLessThan(tb!.endtime!);
      expect(tb!.starttime).toBeLessThan(ta!.endtime!);

      const [ca, cb] = await Promise.all(["para", "parb"].map((p) => okJson<MediaContentRow[]>(["media", "content", "--pool", p])));
      const source = snapshotDirs(store("src2"));
      expect(ca!.map((c) => c.snapshot).sort()).toEqual(source);
      expect(cb!.map((c) => c.snapshot).sort()).toEqual(source);
      // Each pool took one of the free tapes: no tape holds both.
      const tapesA = new Set(ca!.map((c) => c["label-text"]));
      const tapesB = new Set(cb!.map((c) => c["label-text"]));
      expect(tapesA.size).toBe(1);
      expect(tapesB.size).toBe(1);
      expect(new Set([...tapesA, ...tapesB])).toEqual(new Set(["PA0001L9", "PB0001L9"]));
      expect(ca![0]!["media-set-uuid"]).not.toBe(cb![0]!["media-set-uuid"]);
    });
  });

  it("a backup waits on a tape request until a tape of the pool is put into an import/export slot, imports it and finishes", { timeout: 170_000 }, async () => {
    await keepLogs(async () => {
      // Two cartridges for pool 'req', both labelled; then one is exported and taken out of the library: one writable tape online.
      await importFromIe(1, 4);
      await importFromIe(2, 5);
      await ok(["barcode-label", "--drive", "d1", "--pool", "req"]);
      await ok(["changer", "export", "RQ0002L9", "--drive", "d1"]);
      const exported = (await okJson<ChangerEntry[]>(["changer", "status", "spn"])).find((e) => e["label-text"] === "RQ0002L9");
      expect(exported?.["entry-kind"]).toBe("import-export");
      expect(await vtl(["remove", "--library", "spn", "--slot", String(exported!["entry-id"] - STORAGE_SLOTS)])).toContain("RQ0002L9");
      const before = await okJson<MediaListRow[]>(["media", "list", "--pool", "req"]);
      expect(before.find((m) => m["label-text"] === "RQ0002L9")?.location, JSON.stringify(before)).toBe("offline");

      const backup = follow(["backup", "src2", "req", "--drive", "d1"]);
      let requests: TapeRequestRow[] = [];
      for (let i = 0; i < 120 && requests.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        requests = await okJson<TapeRequestRow[]>(["requests"]);
      }
      expect(requests, backup.output()).toHaveLength(1);
      expect(requests[0]).toMatchObject({ kind: "insert", pool: "req", changer: "spn", drive: "d1" });
      expect(requests[0]!.message).toContain("insert a writable tape of pool 'req'");

      // The operator puts the cartridge into an import/export slot; the job imports it into a storage slot, loads it and ends.
      await vtl(["import", "--library", "spn", "--barcode", "RQ0002L9", "--slot", "2"]);
      expect(await backup.exit, backup.output()).toBe(0);
      const out = backup.output();
      expect(out).toContain("tape request: ");
      expect(out).toMatch(new RegExp(`imported media 'RQ0002L9' from import/export slot ${ieSlot(2)} into slot \\d+`));
      expect(out).toContain("a usable tape appeared: continuing");
      expect(out).toMatch(/backup finished: .* on 2 tape\(s\) \(RQ0001L9, RQ0002L9\)/);
      expect(await okJson<TapeRequestRow[]>(["requests"])).toEqual([]);
      const content = await okJson<MediaContentRow[]>(["media", "content", "--pool", "req"]);
      expect(content.map((c) => c.snapshot).sort()).toEqual(snapshotDirs(store("src2")));
    });
  });
});
