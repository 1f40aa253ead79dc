import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "@tapefleet/cli";
import { createLogger } from "@tapefleet/common";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "@tapefleet/inventory";
import { loadSchedulerConfig, startScheduler, type RunningScheduler } from "@tapefleet/scheduler";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { gatewayConfigSchema, startGateway, type RunningGateway } from "../../src/index.ts";

/** The job routes against the real scheduler (no device agents): requests that need no tape. */

const logger = createLogger({ service: "gw-jobs-sched-test", level: "silent" });
let env: TestEnv;
let dir: string;
let inv: RunningInventory;
let sched: RunningScheduler;
let gw: RunningGateway;
let token: string;

async function tapectl(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { env: { TAPEFLEET_URL: gw.url, TAPEFLEET_TOKEN: token }, cwd: dir, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  env = await provisionTestEnv("gwjobsched");
  dir = mkdtempSync(join(tmpdir(), "tapefleet-gwjobsched-"));
  const base = { natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, databaseUrl: env.databaseUrl, logLevel: "silent" };
  inv = await startInventory(inventoryConfigSchema.parse(base), { logger, installSignalHandlers: false });
  sched = await startScheduler(loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent" } }), { installSignalHandlers: false });
  gw = await startGateway(gatewayConfigSchema.parse({ ...base, httpPort: 0, adminTokenFile: join(dir, "admin-token") }), { logger, installSignalHandlers: false });
  token = readFileSync(join(dir, "admin-token"), "utf8").trim();
});

afterAll(async () => {
  await gw?.stop();
  await sched?.stop();
  await inv?.stop();
  await env?.cleanup();
});

describe("job routes against the scheduler", () => {
  it("lists tape requests (none) and refuses to run a backup job that does not exist", async () => {
    const res = await gw.app.inject({ method: "GET", url: "/api2/json/tape/requests", headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: [] });
    const r = await tapectl("requests");
    expect(r.code).toBe(0);
    const run = await tapectl("backup-job", "run", "nosuch");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/'nosuch' does not exist/);
  });

  it("backup and datastore sample start tasks whose log tapectl follows to the failure", async () => {
    const b = await tapectl("backup", "store1", "daily", "--drive", "d1");
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/datastore 'store1' does not exist/);
    expect(b.stderr).toMatch(/^Error: task failed: .*datastore 'store1' does not exist/);
    const s = await tapectl("datastore", "sample", "store1", "--size", "1M");
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/task failed: .*datastore 'store1' does not exist/);
  });
});
