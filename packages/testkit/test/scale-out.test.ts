/**
 * Scale-out: the stack plus a second scheduler and a second API gateway, as
 * separate processes on the same PostgreSQL, NATS and Redis. A job started
 * through gateway A and one started through gateway B each run exactly once
 * (one of the two schedulers ends each task); a scheduled backup job fires
 * once; both gateways list the same tasks; the job series of the schedulers'
 * /metrics, summed over the replicas, count each task once; a backup running
 * on one scheduler is stopped through gateway B and ends `task aborted`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, provisionTestEnv, REPO_ROOT, startStack, type RunningStack, type TestEnv } from "../src/index.ts";
import { spawnService, waitReady, type ServiceProcess } from "../src/service-process.ts";

const TAPECTL = join(REPO_ROOT, "packages", "cli", "bin", "tapectl.mjs");
const HOST_ID = "tape-host-1";
/** Schedule tick of both schedulers (ms): due occurrences are seen within a second. */
const TICK_MS = 1000;
const SITE = {
  libraries: [
    {
      name: "lib1",
      slots: 4,
      importExportSlots: 1,
      serial: "TFLIB00001",
      // The second drive is slow, so a backup to it runs long enough to be stopped.
      drives: [
        { generation: 9, serial: "TFD9000001" },
        { generation: 9, serial: "TFD9000002", throttleBytesPerSec: 64 * 1024 },
      ],
      cartridges: [
        { barcode: "TF0001L9", slot: 1 },
        { barcode: "TF0002L9", slot: 2 },
      ],
    },
  ],
  defaults: { capacityBytes: 64 * 1024 ** 2 },
  timing: { loadMs: 0, cleaningMs: 0, calibrationMs: 0, powerOnUnitAttention: false },
};

let env: TestEnv;
let stack: RunningStack;
let root: string;
let gatewayB: ServiceProcess;
let schedulerB: ServiceProcess;
let urlB: string;
const extra: ServiceProcess[] = [];

beforeAll(async () => {
  env = await provisionTestEnv("scaleout");
  root = mkdtempSync(join(tmpdir(), "tf-scale-out-"));
  const spec = join(root, "site.json");
  writeFileSync(spec, JSON.stringify(SITE));
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("TAPEFLEET_") && k !== "DATABASE_URL") base[k] = v;
  const shared = {
    TAPEFLEET_NATS_URL: env.natsUrl,
    TAPEFLEET_NATS_PREFIX: env.natsPrefix,
    TAPEFLEET_REDIS_URL: env.redisUrl,
    TAPEFLEET_QUEUE_PREFIX: env.queuePrefix,
    TAPEFLEET_SCHEDULE_TICK_MS: String(TICK_MS),
    TAPEFLEET_LOG_LEVEL: "info",
    TAPEFLEET_WEB_UI: "0",
  };
  stack = await startStack({
    varDir: join(root, "var"),
    gatewayPort: 0,
    grpcAddress: "127.0.0.1:0",
    env: { ...base, ...shared, DATABASE_URL: env.databaseUrl, TAPEFLEET_VTL_SPEC: spec, TAPEFLEET_HOST_ID: HOST_ID },
  });
  // The second replicas: same database, NATS subjects, queue and admin token file.
  const replicaEnv = { ...base, ...shared, TAPEFLEET_DATABASE_URL: stack.databaseUrl, TAPEFLEET_ADMIN_TOKEN_FILE: stack.adminTokenFile };
  const spawnReplica = async (name: string, port: number, own: Record<string, string> = {}): Promise<ServiceProcess> => {
    const svc = spawnService({
      name,
      main: join(REPO_ROOT, "services", name, "src", "main.ts"),
      cwd: REPO_ROOT,
      env: { ...replicaEnv, ...own, TAPEFLEET_HTTP_PORT: String(port) },
      healthUrl: `http://127.0.0.1:${port}`,
      logFile: join(root, "var", "logs", `${name}-b.log`),
    });
    extra.push(svc);
    await waitReady(svc, 120_000);
    return svc;
  };
  // A node name of its own: a starting scheduler ends the tasks its node left running.
  [schedulerB, gatewayB] = await Promise.all([spawnReplica("scheduler", await freePort(), { TAPEFLEET_NODE_NAME: "node-b" }), spawnReplica("api-gateway", await freePort())]);
  urlB = gatewayB.healthUrl;
}, 180_000);

afterAll(async () => {
  await Promise.all(extra.map((s) => s.stop(10_000)));
  await stack?.stop();
  await env?.cleanup();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
}, 60_000);

/** tapectl as a child process against one gateway. */
function tapectl(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith("TAPEFLEET_")) delete base[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [TAPECTL, ...args], { cwd: root, env: { ...base, NO_COLOR: "1", TAPEFLEET_URL: url, TAPEFLEET_TOKEN_FILE: stack.adminTokenFile }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
  });
}

async function ok(url: string, ...args: string[]): Promise<string> {
  const r = await tapectl(url, ...args);
  expect(r.stderr, `tapectl ${args.join(" ")}`).toBe("");
  expect(r.code, `tapectl ${args.join(" ")}\n${r.stdout}`).toBe(0);
  return r.stdout;
}

interface TaskRow {
  upid: string;
  "worker-type": string;
  "worker-id"?: string;
  status?: string;
}

/** One API call to a gateway with the admin token; the answer's `data`. */
async function api<T>(url: string, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/api2/json${path}`, {
    method,
    headers: { authorization: `Bearer ${readFileSync(stack.adminTokenFile, "utf8").trim()}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  expect(res.status, `${method} ${url}${path}: ${text}`).toBe(200);
  return (JSON.parse(text) as { data: T }).data;
}

/** The task list of one gateway (`GET /nodes/localhost/tasks`, as `tapectl task list`; polled, so over HTTP straight away). */
async function taskList(url: string): Promise<TaskRow[]> {
  return api<TaskRow[]>(url, "GET", "/nodes/localhost/tasks?limit=100");
}

/** The schedulers (A, B) whose log has a line about task `upid` with message `msg`. */
function schedulersThatLogged(upid: string, msg: string): ("A" | "B")[] {
  const logs = [
    ["A", stack.services.find((s) => s.name === "scheduler")!.logFile],
    ["B", schedulerB.logFile],
  ] as const;
  return logs
    .filter(([, file]) =>
      readFileSync(file, "utf8")
        .split("\n")
        .some((l) => l.includes(`"upid":${JSON.stringify(upid)}`) && l.includes(`"msg":"${msg}"`)),
    )
    .map(([name]) => name);
}

/** How many of the two schedulers logged the end of task `upid` (exactly one ran it). */
function schedulersThatEnded(upid: string): string[] {
  return schedulersThatLogged(upid, "task ended");
}

/** Value of the series `name{…}` whose labels contain `labels`, or undefined. */
function sample(text: string, name: string, labels = ""): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    if (line.slice(name.length + 1, close).includes(labels)) return Number(line.slice(close + 2));
  }
  return undefined;
}

const until = async <T>(what: string, fn: () => Promise<T>, done: (v: T) => boolean, ms = 90_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
};

describe("two schedulers and two gateways", () => {
  it("configures the library through gateway A and labels tapes through gateway B", async () => {
    const a = stack.gatewayUrl;
    await api(a, "POST", "/config/changer", { name: "lib1", path: "/dev/tape/by-id/scsi-TFLIB00001" });
    await api(a, "POST", "/config/drive", { name: "d1", path: "/dev/tape/by-id/scsi-TFD9000001-sg", changer: "lib1" });
    await api(a, "POST", "/config/media-pool", { name: "daily", drive: "d1" });
    // B sees A's configuration (one database).
    expect(await api(urlB, "GET", "/config/media-pool")).toEqual([expect.objectContaining({ name: "daily", drive: "d1" })]);
    const log = await ok(urlB, "barcode-label", "--pool", "daily", "--drive", "d1");
    expect(log).toContain("barcode-label: 2 labeled, 0 skipped");
  }, 120_000);

  it("a job started through gateway A and one through gateway B each run exactly once", async () => {
    for (const [url, store] of [
      [stack.gatewayUrl, "store-a"],
      [urlB, "store-b"],
    ] as const) {
      await api(url, "POST", "/config/datastore", { name: store, path: join(root, "datastores", store), host: HOST_ID });
    }
    const [a, b] = await Promise.all([ok(stack.gatewayUrl, "datastore", "sample", "store-a", "--size", "512K", "--seed", "1"), ok(urlB, "datastore", "sample", "store-b", "--size", "512K", "--seed", "2")]);
    for (const log of [a, b]) {
      expect(log.match(/^create sample datastore /gm)?.length, log).toBe(1);
      expect(log).toMatch(/TASK OK\n$/);
    }
    const samples = (await taskList(stack.gatewayUrl)).filter((t) => t["worker-type"] === "datastore-sample");
    expect(samples.map((t) => [t["worker-id"], t.status]).sort()).toEqual([
      ["store-a", "OK"],
      ["store-b", "OK"],
    ]);
    for (const t of samples) expect(schedulersThatEnded(t.upid), t.upid).toHaveLength(1);
  }, 120_000);

  it("a scheduled backup job fires once", async () => {
    // The next whole second at least 5 s ahead, as a calendar event of today (UTC).
    const at = new Date(Math.ceil((Date.now() + 5000) / 1000) * 1000);
    const schedule = `${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 19)}`;
    await api(stack.gatewayUrl, "POST", "/config/tape-backup-job", { id: "nightly-a", store: "store-a", pool: "daily", drive: "d1", schedule });
    const fired = await until(
      "the scheduled backup to end",
      async () => (await taskList(urlB)).filter((t) => t["worker-type"] === "tape-backup-job" && t["worker-id"] === "nightly-a"),
      (ts) => ts.length > 0 && ts.every((t) => t.status !== undefined && t.status !== ""),
      150_000,
    );
    expect(fired.map((t) => t.status)).toEqual(["OK"]);
    // Some more ticks of both schedulers: the occurrence does not fire again.
    await new Promise((r) => setTimeout(r, 4 * TICK_MS));
    expect((await taskList(stack.gatewayUrl)).filter((t) => t["worker-type"] === "tape-backup-job")).toHaveLength(1);
    expect(schedulersThatEnded(fired[0]!.upid)).toHaveLength(1);
    expect(await ok(urlB, "task", "log", fired[0]!.upid)).toMatch(/backup finished: \d+ snapshot\(s\)/);
  }, 200_000);

  it("both gateways list the same tasks", async () => {
    const [a, b] = [await taskList(stack.gatewayUrl), await taskList(urlB)];
    expect(a.length).toBeGreaterThanOrEqual(4);
    expect(b).toEqual(a);
  });

  it("summed over both schedulers, the job series count each task once", async () => {
    const schedulerA = stack.services.find((s) => s.name === "scheduler")!;
    const texts = await Promise.all([schedulerA, schedulerB].map(async (s) => (await fetch(`${s.healthUrl}/metrics`)).text()));
    expect(texts.map((t) => sample(t, "tapefleet_metrics_leader")).sort()).toEqual([0, 1]);
    const sum = (name: string, labels: string) => texts.reduce((n, t) => n + (sample(t, name, labels) ?? 0), 0);
    expect(sum("tapefleet_jobs_total", 'kind="datastore-sample",outcome="ok"')).toBe(2);
    expect(sum("tapefleet_jobs_total", 'kind="tape-backup-job",outcome="ok"')).toBe(1);
    expect(sum("tapefleet_jobs_total", 'kind="barcode-label-media",outcome="ok"')).toBe(1);
    expect(sum("tapefleet_job_duration_seconds_count", 'kind="tape-backup-job",outcome="ok"')).toBe(1);
    expect(sum("tapefleet_queue_depth", 'state="waiting"')).toBe(0);
  });

  it("a backup running on one scheduler is stopped through gateway B and ends 'task aborted'", async () => {
    const a = stack.gatewayUrl;
    await api(a, "POST", "/config/drive", { name: "d2", path: "/dev/tape/by-id/scsi-TFD9000002-sg", changer: "lib1", "changer-drivenum": 1 });
    // A new media set on the free tape, written through the throttled drive.
    const upid = await api<string>(a, "POST", "/tape/backup", { store: "store-a", pool: "daily", drive: "d2", "force-media-set": true });
    // Running: one scheduler's worker took it, and it writes.
    await until(
      "the backup to write",
      async () => (await api<{ t: string }[]>(urlB, "GET", `/nodes/localhost/tasks/${encodeURIComponent(upid)}/log?limit=5000`)).map((l) => l.t),
      (lines) => lines.some((t) => /^media '[^']+': /.test(t)),
      120_000,
    );
    const runner = schedulersThatLogged(upid, "task started");
    expect(runner).toHaveLength(1);
    await api(urlB, "DELETE", `/nodes/localhost/tasks/${encodeURIComponent(upid)}`);
    const status = await until(
      "the backup to end",
      () => api<{ status: string; exitstatus?: string }>(urlB, "GET", `/nodes/localhost/tasks/${encodeURIComponent(upid)}/status`),
      (s) => s.status === "stopped",
      120_000,
    );
    expect(status.exitstatus).toBe("task aborted");
    expect(await api<TaskRow[]>(a, "GET", "/nodes/localhost/tasks?running=1")).toEqual([]);
    expect(schedulersThatEnded(upid)).toEqual(runner);
    // The replica that took the stop request aborted it itself (it ran it) or told the one that runs it.
    const stopper = schedulersThatLogged(upid, "task stop");
    expect(stopper).toHaveLength(1);
    if (stopper[0] !== runner[0]) expect(schedulersThatLogged(upid, "task stop received from another replica")).toEqual(runner);
    // The drive is free again (its lock went with the task): a rewind on it runs.
    const rewind = await api<string>(urlB, "POST", "/tape/drive/d2/rewind");
    const rewound = await until(
      "the rewind to end",
      () => api<{ status: string; exitstatus?: string }>(a, "GET", `/nodes/localhost/tasks/${encodeURIComponent(rewind)}/status`),
      (s) => s.status === "stopped",
      120_000,
    );
    expect(rewound.exitstatus).toBe("OK");
  }, 240_000);
});
