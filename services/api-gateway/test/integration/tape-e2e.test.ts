import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "@tapefleet/cli";
import { createLogger } from "@tapefleet/common";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "@tapefleet/inventory";
import { loadSchedulerConfig, startScheduler, type RunningScheduler } from "@tapefleet/scheduler";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { gatewayConfigSchema, startGateway, type RunningGateway } from "../../src/index.ts";

/**
 * The control plane end to end, as a new user drives it: two device agents
 * as real processes (each with its own virtual library), inventory, scheduler
 * and gateway, and tapectl against the gateway's HTTP API.
 */

const REPO = resolve(fileURLToPath(new URL("../../../../", import.meta.url)));
const AGENT_MAIN = join(REPO, "services/device-agent/src/main.ts");
const FAST = { loadMs: 50, cleaningMs: 300, calibrationMs: 100, powerOnUnitAttention: true };

/** A library with two LTO-9 data cartridges and one holding data already, a WORM-free mix, a cleaning cartridge. */
function librarySpec(name: string, serialDigit: string) {
  return {
    libraries: [
      {
        name,
        slots: 8,
        importExportSlots: 2,
        serial: `TFLIB0000${serialDigit}`,
        drives: [{ generation: 9, serial: `TFD900000${serialDigit}` }],
        cartridges: [
          { barcode: `TF${serialDigit}001L9`, slot: 1 },
          { barcode: `TF${serialDigit}002L9`, slot: 2 },
          { barcode: `CLN${serialDigit}01L1`, slot: 8, cleaningCycles: 50 },
          { barcode: `TF${serialDigit}009L9`, importExport: 1 },
        ],
      },
    ],
    defaults: { capacityBytes: 67108864 },
    timing: FAST,
  };
}

let env: TestEnv;
let dir: string;
let inv: RunningInventory;
let sched: RunningScheduler;
let gw: RunningGateway;
let token: string;
const agents: Record<string, { child: ChildProcess; log: () => string }> = {};

function startAgent(hostId: string, libName: string, digit: string): void {
  const vtlDir = join(dir, `vtl-${hostId}`);
  const specFile = join(dir, `spec-${hostId}.json`);
  writeFileSync(specFile, JSON.stringify(librarySpec(libName, digit)));
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", AGENT_MAIN], {
    cwd: REPO,
    env: {
      ...process.env,
      ...env.serviceEnv(),
      TAPEFLEET_HOST_ID: hostId,
      TAPEFLEET_GRPC_ADDRESS: "127.0.0.1:0",
      TAPEFLEET_VTL_DIR: vtlDir,
      TAPEFLEET_VTL_SPEC: specFile,
      TAPEFLEET_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  agents[hostId] = { child, log: () => out };
}

async function stopAgent(hostId: string): Promise<void> {
  const a = agents[hostId];
  if (!a || a.child.exitCode !== null) return;
  const exited = new Promise((r) => a.child.once("exit", r));
  a.child.kill("SIGTERM");
  const timer = setTimeout(() => a.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** tapectl in this process against the gateway over HTTP. */
async function tapectl(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: { TAPEFLEET_URL: gw.url, TAPEFLEET_TOKEN: token },
    cwd: dir,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
  });
  return { code, stdout, stderr };
}

async function ok(...argv: string[]): Promise<string> {
  const r = await tapectl(...argv);
  expect(r.stderr, `tapectl ${argv.join(" ")}`).toBe("");
  expect(r.code, `tapectl ${argv.join(" ")}`).toBe(0);
  return r.stdout;
}

async function until<T>(what: string, fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  env = await provisionTestEnv("tape");
  dir = mkdtempSync(join(tmpdir(), "tapefleet-tape-"));
  startAgent("host-a", "lib1", "1");
  startAgent("host-b", "lib2", "2");
  const base = { natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, databaseUrl: env.databaseUrl, logLevel: "silent" };
  inv = await startInventory(inventoryConfigSchema.parse({ ...base, scanDeadlineMs: 1000, deviceOfflineMs: 7000 }), {
    logger: createLogger({ service: "inventory", level: "silent" }),
    installSignalHandlers: false,
  });
  sched = await startScheduler(loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent" } }), { installSignalHandlers: false });
  gw = await startGateway(gatewayConfigSchema.parse({ ...base, httpPort: 0, adminTokenFile: join(dir, "admin-token") }), {
    logger: createLogger({ service: "api-gateway", level: "silent" }),
    installSignalHandlers: false,
  });
  token = readFileSync(join(dir, "admin-token"), "utf8").trim();
  // Both agents answer a scan once they are up.
  await until(
    "both agents",
    async () => (await tapectl("--output-format", "json", "changer", "scan")).stdout,
    (s) => s.includes("TFLIB00001") && s.includes("TFLIB00002"),
    90_000,
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.keys(agents).map(stopAgent));
  await gw?.stop();
  await sched?.stop();
  await inv?.stop();
  await env?.cleanup();
}, 60_000);

describe("tape control plane end to end", () => {
  it("scans find the changers and drives of both agents", async () => {
    const changers = await ok("changer", "scan");
    expect(changers).toMatch(/│ vtl:lib1\S*\s+│ IBM\s+│ 3573-TL\s+│ TFLIB00001 │ host-a\s+│ true\s+│/);
    expect(changers).toMatch(/│ TFLIB00002 │ host-b/);
    const drives = await ok("drive", "scan");
    expect(drives).toMatch(/│ TFD9000001 │ host-a/);
    expect(drives).toMatch(/│ TFD9000002 │ host-b/);
  });

  it("configures a changer and its drive; changer status prints the seed's table", async () => {
    await ok("changer", "create", "lib1", "--path", "/dev/tape/by-id/scsi-TFLIB00001");
    await ok("drive", "create", "d1", "--path", "/dev/tape/by-id/scsi-TFD9000001-sg");
    await ok("drive", "update", "d1", "--changer", "lib1");
    const status = await ok("changer", "status", "lib1");
    const rows = status
      .split("\n")
      .filter((l) => l.startsWith("│"))
      .map((l) =>
        l
          .split("│")
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(rows[0]).toEqual(["entry-kind", "entry-id", "label-text", "loaded-slot"]);
    expect(rows.slice(1)).toEqual([
      ["drive", "0", "", ""],
      ["slot", "1", "TF1001L9", ""],
      ["slot", "2", "TF1002L9", ""],
      ["slot", "3", "", ""],
      ["slot", "4", "", ""],
      ["slot", "5", "", ""],
      ["slot", "6", "", ""],
      ["slot", "7", "", ""],
      ["slot", "8", "CLN101L1", ""],
      ["import-export", "9", "TF1009L9", ""],
      ["import-export", "10", "", ""],
    ]);
    // The same, defaulting to the changer of TAPEFLEET_DRIVE's drive.
    const viaDrive = await runCli(["changer", "status"], {
      env: { TAPEFLEET_URL: gw.url, TAPEFLEET_TOKEN: token, TAPEFLEET_DRIVE: "d1" },
      cwd: dir,
      stdout: (s) => expect(s).toBe(status),
      stderr: (s) => expect(s).toBe(""),
    });
    expect(viaDrive).toBe(0);
  });

  it("barcode-label labels the data cartridges into the pool; read-label shows the label", async () => {
    await ok("pool", "create", "daily", "--drive", "d1");
    const log = await ok("barcode-label", "--pool", "daily", "--drive", "d1");
    expect(log).toContain("barcode-label: 2 labeled, 0 skipped");
    expect(log).toMatch(/TASK OK\n$/);
    const media = (await gw.app.inject({ method: "GET", url: "/api2/json/tape/media/list", headers: { authorization: `Bearer ${token}` } })).json() as {
      data: { "label-text": string; pool?: string; location: string }[];
    };
    expect(media.data.map((m) => [m["label-text"], m.pool, m.location])).toEqual([
      ["TF1001L9", "daily", "online-lib1"],
      ["TF1002L9", "daily", "online-lib1"],
    ]);
    const label = await ok("drive", "read-label", "--drive", "d1");
    expect(label).toMatch(/│ label-text │ TF1002L9\s+│/);
    expect(label).toMatch(/│ pool\s+│ daily\s+│/);
    // The last tape stays in the drive.
    expect(await ok("changer", "status", "lib1")).toMatch(/│ drive\s+│\s+0 │ TF1002L9\s+│\s+2 │/);
    // Labelling again: nothing new to label.
    expect(await ok("barcode-label", "--drive", "d1")).toContain("0 labeled, 2 skipped");
  });

  it("refuses to label a tape that holds data", async () => {
    const r = await tapectl("label", "--label-text", "OTHER01", "--drive", "d1");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: task failed: .*not empty/);
    expect(r.stdout).toMatch(/TASK ERROR/);
    const dup = await tapectl("label", "--label-text", "TF1001L9", "--drive", "d1");
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("media with label 'TF1001L9' already exists in the inventory");
  });

  it("cleans the drive with the cleaning cartridge, end to end", async () => {
    const log = await ok("drive", "clean", "--drive", "d1");
    expect(log).toContain("used cleaning cartridge 'CLN101L1' (slot 8)");
    expect(log).toContain("drive cleaned successfully");
    const status = await ok("changer", "status", "lib1");
    expect(status).toMatch(/│ slot\s+│\s+8 │ CLN101L1\s+│/);
    const tasks = await ok("task", "list");
    expect(tasks).toContain("clean-drive");
    expect(tasks).toContain("barcode-label-media");
  });

  it("reads drive information, moves tapes, formats one and re-reads the labels into the inventory", async () => {
    // Cleaning put the tape back in its slot: load it again.
    expect(await ok("changer", "load-media", "TF1002L9", "--drive", "d1")).toContain("TASK OK");
    const status = await ok("status", "--drive", "d1");
    expect(status).toMatch(/│ vendor\s+│ IBM\s+│/);
    expect(status).toMatch(/│ density\s+│ LTO-9\s+│/);
    expect((await ok("drive", "cartridge-memory", "--drive", "d1")).split("\n").length).toBeGreaterThan(5);
    expect(await ok("drive", "volume-statistics", "--drive", "d1")).toContain("volume-mounts");
    expect(await ok("changer", "unload", "--drive", "d1")).toMatch(/unloaded TF1002L9 to slot 2/);
    await ok("changer", "transfer", "1", "3", "--changer", "lib1");
    expect(await ok("changer", "status", "lib1")).toMatch(/│ slot\s+│\s+3 │ TF1001L9\s+│/);
    const format = await ok("drive", "format", "--drive", "d1", "--label-text", "TF1001L9");
    expect(format).toContain("removed media 'TF1001L9' from the inventory");
    const inventory = await ok("inventory", "--read-all-labels", "--drive", "d1");
    expect(inventory).toContain("media 'TF1001L9' is empty");
    expect(inventory).toMatch(/inventorized media 'TF1002L9'/);
    expect(inventory).toMatch(/│ TF1001L9\s+│\s+│/);
    expect(inventory).toMatch(/│ TF1002L9\s+│ [0-9a-f-]{36} │/);
    await ok("changer", "export", "TF1002L9", "--drive", "d1");
    expect(await ok("changer", "status", "lib1")).toMatch(/│ import-export │\s+10 │ TF1002L9\s+│/);
    const media = (await gw.app.inject({ method: "GET", url: "/api2/json/tape/media/list", headers: { authorization: `Bearer ${token}` } })).json() as {
      data: { "label-text": string; location: string }[];
    };
    expect(media.data.map((m) => [m["label-text"], m.location])).toEqual([["TF1002L9", "offline"]]);
    await ok("media", "move", "TF1002L9", "--vault-name", "safe1");
    const uuid = (JSON.parse(await ok("--output-format", "json", "media", "list")) as { uuid: string }[])[0]!.uuid;
    await ok("media", "status", uuid, "--status", "full");
    expect(await ok("media", "list", "--pool", "daily")).toMatch(/│ TF1002L9\s+│ daily\s+│\s+│\s+│ full\s+│ vault-safe1 │/);
    // Audit tokens read, but may not start operations.
    const audit = (await gw.app.inject({ method: "POST", url: "/api2/json/access/token", headers: { authorization: `Bearer ${token}` }, payload: { role: "audit" } })).json() as {
      data: { token: string };
    };
    const auth = { authorization: `Bearer ${audit.data.token}` };
    expect((await gw.app.inject({ method: "GET", url: "/api2/json/tape/changer/lib1/status", headers: auth })).statusCode).toBe(200);
    expect((await gw.app.inject({ method: "POST", url: "/api2/json/tape/drive/d1/rewind", headers: auth, payload: {} })).statusCode).toBe(403);
    expect((await gw.app.inject({ method: "GET", url: "/api2/json/tape/changer/lib1/status" })).statusCode).toBe(401);
  });

  it("serves the second library through the same gateway; a stopped agent's devices go offline", async () => {
    await ok("changer", "create", "lib2", "--path", "/dev/tape/by-id/scsi-TFLIB00002");
    await ok("drive", "create", "d2", "--path", "/dev/tape/by-id/scsi-TFD9000002-sg", "--changer", "lib2");
    expect(await ok("changer", "status", "lib2")).toMatch(/│ slot\s+│\s+1 │ TF2001L9\s+│/);
    const before = (await gw.app.inject({ method: "GET", url: "/api2/json/tape/drive", headers: { authorization: `Bearer ${token}` } })).json() as {
      data: { name: string; state: string; "host-id"?: string }[];
    };
    expect(before.data.map((d) => [d.name, d.state, d["host-id"]])).toEqual([
      ["d1", "online", "host-a"],
      ["d2", "online", "host-b"],
    ]);
    await stopAgent("host-b");
    await until(
      "d2 offline",
      async () =>
        ((await gw.app.inject({ method: "GET", url: "/api2/json/tape/drive", headers: { authorization: `Bearer ${token}` } })).json() as { data: { name: string; state: string }[] }).data,
      (d) => d.find((x) => x.name === "d2")?.state === "offline",
      40_000,
    );
    const r = await tapectl("changer", "status", "lib2");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no online device agent has changer 'lib2'");
    // host-a is unaffected.
    expect(await ok("changer", "status", "lib1")).toContain("TF1001L9");
  }, 60_000);
});
