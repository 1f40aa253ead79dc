/**
 * A scheduler process killed while it runs a task, and started again under
 * the same node name (as a StatefulSet pod keeps its name): the new process
 * ends the task the old one left running (`unknown`, lock released), judged
 * by the old process's pid and start time, not by the pid alone.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inventorySubject, SCHEDULER_JOB_SUBJECTS, taskSubject, type TaskStatus } from "@tapefleet/api-types";
import { Bus, createLogger } from "@tapefleet/common";
import { freePort, provisionTestEnv, spawnService, waitReady, type ServiceProcess, type TestEnv } from "@tapefleet/testkit";
import postgres from "postgres";

const logger = createLogger({ service: "scheduler-restart-test", level: "silent" });
const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const NODE = "scheduler-0";

let env: TestEnv;
let bus: Bus;
let dir: string;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  env = await provisionTestEnv("schedrestart");
  dir = mkdtempSync(join(tmpdir(), "tf-sched-restart-"));
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "sched-restart-test", logger });
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop(10_000)));
  await bus?.close();
  await env?.cleanup();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** A scheduler process named `NODE`, with one queue worker; the inventory answers slowly (below). */
async function startSchedulerProcess(n: number): Promise<ServiceProcess> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("TAPEFLEET_")) base[k] = v;
  const port = await freePort();
  const svc = spawnService({
    name: "scheduler",
    main: MAIN,
    cwd: ROOT,
    env: {
      ...base,
      ...env.serviceEnv(),
      TAPEFLEET_NODE_NAME: NODE,
      TAPEFLEET_HTTP_PORT: String(port),
      TAPEFLEET_LOG_LEVEL: "info",
      TAPEFLEET_WORKER_CONCURRENCY: "1",
      TAPEFLEET_SCHEDULE_TICK_MS: "0",
      TAPEFLEET_INVENTORY_TIMEOUT_MS: "600000",
    },
    healthUrl: `http://127.0.0.1:${port}`,
    logFile: join(dir, `scheduler-${n}.log`),
  });
  started.push(svc);
  await waitReady(svc, 120_000);
  return svc;
}

describe("a restarted scheduler", () => {
  it("ends the task its killed predecessor of the same node name left running", async () => {
    // The job's first step asks the inventory for the datastore; nobody answers while the test runs,
    // so the task stays running in the first process.
    let asked!: () => void;
    const askedOnce = new Promise<void>((r) => (asked = r));
    bus.serve(inventorySubject("datastore", "get"), () => {
      asked();
      return new Promise<never>(() => {});
    });
    await bus.nc.flush();
    const first = await startSchedulerProcess(1);
    const { upid } = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.datastoreSample, { store: "store1", size: 4096, user: "admin" });
    await askedOnce;
    const sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const [owner] = await sql<{ owner_node: string; owner_pid: number; owner_pstart: string }[]>`select owner_node, owner_pid, owner_pstart from scheduler.task where upid = ${upid}`;
      expect(owner).toMatchObject({ owner_node: NODE, owner_pid: first.pid });
      expect((await bus.request<TaskStatus>(taskSubject("status"), { upid })).status).toBe("running");

      // Killed: nothing ends the task.
      process.kill(-first.pid, "SIGKILL");
      await first.exited;
      expect((await sql<{ endtime: string | null }[]>`select endtime from scheduler.task where upid = ${upid}`)[0]!.endtime).toBeNull();

      // The same node name again, in a new process: it ends what the old process left.
      const second = await startSchedulerProcess(2);
      const status = await bus.request<TaskStatus>(taskSubject("status"), { upid });
      expect(status).toMatchObject({ status: "stopped", exitstatus: "unknown" });
      const log = readFileSync(second.logFile, "utf8");
      expect(log).toContain(`"upid":${JSON.stringify(upid)}`);
      expect(log).toContain("task left running by a stopped process ended with status unknown");
      expect(log).toContain(`"ownerPid":${first.pid}`);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }, 240_000);
});
