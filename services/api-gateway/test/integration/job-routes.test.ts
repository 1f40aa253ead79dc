import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CATALOG_REQUESTS,
  INVENTORY_JOB_SUBJECTS,
  mediaSubject,
  SCHEDULER_JOB_SUBJECTS,
  SCHEDULER_QUEUE,
  taskSubject,
  type MediaEntry,
  type PoolAllocateReply,
} from "@tapefleet/api-types";
import { runCli } from "@tapefleet/cli";
import { Bus, createLogger } from "@tapefleet/common";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "@tapefleet/inventory";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { gatewayConfigSchema, startGateway, type RunningGateway } from "../../src/index.ts";

/**
 * The backup/restore routes and tapectl commands against a real inventory and
 * gateway. The scheduler's and the catalog's subjects are answered by a small
 * fake on the bus that records each request and starts a "task" whose log has
 * one line.
 */

const logger = createLogger({ service: "gw-jobs-test", level: "silent" });
let env: TestEnv;
let dir: string;
let inv: RunningInventory;
let gw: RunningGateway;
let fake: Bus;
let token: string;
const received: { subject: string; payload: unknown }[] = [];
const UPID = "UPID:n1:00000001:00000002:00000003:6553F100:tape-backup:store1:admin:";
const MON = Date.parse("2026-11-30T00:00:00Z") / 1000;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await gw.app.inject({ method: method as "GET", url: `/api2/json${path}`, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: res.statusCode, body: res.body === "" ? undefined : res.json() };
}

async function tapectl(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { env: { TAPEFLEET_URL: gw.url, TAPEFLEET_TOKEN: token }, cwd: dir, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

async function ok(...argv: string[]): Promise<string> {
  const r = await tapectl(...argv);
  expect(r.stderr, `tapectl ${argv.join(" ")}`).toBe("");
  expect(r.code, `tapectl ${argv.join(" ")}`).toBe(0);
  return r.stdout;
}

/** The last request on `subject`, without the caller's `user` (checked apart). */
const last = (subject: string) => {
  const p = [...received].reverse().find((r) => r.subject === subject)?.payload as Record<string, unknown> | undefined;
  if (p === undefined) return undefined;
  const { user: _user, ...rest } = p;
  return rest;
};
const lastUser = (subject: string) => ([...received].reverse().find((r) => r.subject === subject)?.payload as { user?: string } | undefined)?.user;

beforeAll(async () => {
  env = await provisionTestEnv("gwjobs");
  dir = mkdtempSync(join(tmpdir(), "tapefleet-gwjobs-"));
  const base = { natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, databaseUrl: env.databaseUrl, logLevel: "silent" };
  inv = await startInventory(inventoryConfigSchema.parse({ ...base, allowClientClock: "1" }), { logger, installSignalHandlers: false });
  gw = await startGateway(gatewayConfigSchema.parse({ ...base, httpPort: 0, adminTokenFile: join(dir, "admin-token") }), { logger, installSignalHandlers: false });
  token = readFileSync(join(dir, "admin-token"), "utf8").trim();
  fake = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "fake-scheduler", logger });
  const startsTask = [
    SCHEDULER_JOB_SUBJECTS.backupStart,
    SCHEDULER_JOB_SUBJECTS.backupJobRun,
    SCHEDULER_JOB_SUBJECTS.restoreStart,
    SCHEDULER_JOB_SUBJECTS.catalogStart,
    SCHEDULER_JOB_SUBJECTS.datastoreSample,
    SCHEDULER_JOB_SUBJECTS.datastoreIngest,
  ];
  for (const subject of startsTask) {
    fake.serve(
      subject,
      async (payload) => {
        received.push({ subject, payload });
        return { upid: UPID };
      },
      { queue: SCHEDULER_QUEUE },
    );
  }
  fake.serve(
    SCHEDULER_JOB_SUBJECTS.tapeRequestList,
    async () => [{ id: "r1", upid: UPID, kind: "load", pool: "daily", labelText: "TF0009L9", drive: "d1", message: "please insert TF0009L9 into lib1", since: MON }],
    { queue: SCHEDULER_QUEUE },
  );
  fake.serve(taskSubject("log"), async (p) => {
    const start = (p as { start?: number }).start ?? 0;
    return { lines: start === 0 ? [{ n: 1, t: "task ran", time: MON, level: "info" }] : [], total: 1, active: false };
  });
  fake.serve(taskSubject("status"), async () => ({ upid: UPID, status: "stopped", exitstatus: "OK", "worker-type": "tape-backup" }));
  fake.serve(CATALOG_REQUESTS.mediaContent, async (p) => {
    received.push({ subject: CATALOG_REQUESTS.mediaContent, payload: p });
    return [
      { "label-text": "JOB001L9", uuid: "x", pool: "daily", "media-set-name": "daily-2026-11-30", "media-set-uuid": "y", "media-set-ctime": MON, "seq-nr": 0, snapshot: "vm/100/2026-11-30T21:00:00Z", "backup-time": MON, store: "store1" },
    ];
  });
  await fake.nc.flush();
});

afterAll(async () => {
  await fake?.close();
  await gw?.stop();
  await inv?.stop();
  await env?.cleanup();
});

describe("backup and restore routes", () => {
  it("POST /tape/backup turns the PBS body into the scheduler request and answers the UPID", async () => {
    const r = await api("POST", "/tape/backup", { store: "store1", pool: "daily", "max-depth": 2, "latest-only": true, "group-filter": ["type:vm"], "force-media-set": true });
    expect(r).toEqual({ status: 200, body: { data: UPID } });
    expect(last(SCHEDULER_JOB_SUBJECTS.backupStart)).toEqual({ store: "store1", pool: "daily", maxDepth: 2, latestOnly: true, groupFilter: ["type:vm"], forceMediaSet: true });
    expect(lastUser(SCHEDULER_JOB_SUBJECTS.backupStart)).toBe(token.split(":")[0]);
    const bad = await api("POST", "/tape/backup", { store: "store1", pool: "daily", "max-depth": 9, colour: "red" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual({ colour: "unknown field" });
    const bad2 = await api("POST", "/tape/backup", { store: "store1", pool: "daily", "max-depth": 9 });
    expect(bad2.body.errors["max-depth"]).toMatch(/integer from 0 to 7/);
  });

  it("tapectl backup, restore, catalog and backup-job run follow the task log", async () => {
    expect(await ok("backup", "store1", "daily", "--drive", "d1", "--eject-media")).toBe("task ran\n");
    expect(last(SCHEDULER_JOB_SUBJECTS.backupStart)).toEqual({ store: "store1", pool: "daily", drive: "d1", ejectMedia: true });
    const set = "0b5b3f1e-6a3c-4d2e-9f00-1234567890ab";
    await ok("restore", set, "store1=store2,store3", "--namespaces", "store=store1,source=a,target=b");
    expect(last(SCHEDULER_JOB_SUBJECTS.restoreStart)).toEqual({ mediaSet: set, store: "store1=store2,store3", namespaces: ["store=store1,source=a,target=b"] });
    const badMap = await tapectl("restore", set, "store1,store2");
    expect(badMap.code).toBe(1);
    expect(badMap.stderr).toMatch(/store: at most one default target/);
    await ok("catalog", "--drive", "d1", "--scan");
    expect(last(SCHEDULER_JOB_SUBJECTS.catalogStart)).toEqual({ drive: "d1", scan: true });
    await ok("backup-job", "run", "nightly");
    expect(last(SCHEDULER_JOB_SUBJECTS.backupJobRun)).toEqual({ id: "nightly" });
    const json = JSON.parse(await ok("--output-format", "json", "backup", "store1", "daily")) as { upid: string; status: string };
    expect(json).toEqual({ upid: UPID, status: "OK" });
  });

  it("tape requests and media content", async () => {
    const req = await api("GET", "/tape/requests");
    expect(req.body.data[0]).toMatchObject({ kind: "load", labelText: "TF0009L9", drive: "d1" });
    expect(await ok("requests")).toMatch(/│ load │ d1\s+│ TF0009L9\s+│ daily │ 2026-11-30T00:00:00Z │ please insert TF0009L9 into lib1 │/);
    const content = await ok("media", "content", "--pool", "daily", "--store", "store1");
    expect(last(CATALOG_REQUESTS.mediaContent)).toEqual({ pool: "daily", store: "store1" });
    expect(content).toMatch(/│ label-text │ pool\s+│ media-set-name\s+│ seq-nr │ snapshot\s+│ store\s+│/);
    expect(content).toMatch(/│ JOB001L9\s+│ daily │ daily-2026-11-30 │\s+0 │ vm\/100\/2026-11-30T21:00:00Z │ store1 │/);
    const bad = await api("GET", "/tape/media/content?seq-nr=x");
    expect(bad.status).toBe(400);
    expect(bad.body.errors["seq-nr"]).toBeDefined();
  });
});

describe("datastores", () => {
  it("tapectl datastore create|list|remove and sample|ingest", async () => {
    await ok("datastore", "create", "store1", "--path", "/srv/pbs/store1", "--host", "agent-1");
    expect(await ok("datastore", "list")).toMatch(/│ store1 │ \/srv\/pbs\/store1 │ agent-1 │/);
    const bad = await tapectl("datastore", "create", "store2", "--path", "relative", "--host", "agent-1");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/path: must be an absolute path/);
    expect(await ok("datastore", "sample", "store1", "--size", "16M", "--seed", "3")).toBe("task ran\n");
    expect(last(SCHEDULER_JOB_SUBJECTS.datastoreSample)).toEqual({ store: "store1", size: 16 * 1024 * 1024, seed: 3 });
    await ok("datastore", "ingest", "store1", "/etc/hostname", "--backup-type", "host", "--backup-id", "web1", "--ns", "prod");
    expect(last(SCHEDULER_JOB_SUBJECTS.datastoreIngest)).toEqual({ store: "store1", type: "host", id: "web1", ns: "prod", files: ["/etc/hostname"] });
    await ok("datastore", "remove", "store1");
    expect((await api("GET", "/config/datastore")).body.data).toEqual([]);
  });
});

describe("media routes over the real inventory", () => {
  it("media list shows set name, seq nr, status, expiry and bytes; sets, move and destroy", async () => {
    const ask = <T>(subject: string, payload: unknown) => fake.request<T>(subject, payload);
    await api("POST", "/config/media-pool", { name: "daily", template: "daily-%F", retention: "overwrite", allocation: "always" });
    const t1 = await ask<MediaEntry>(mediaSubject("register"), { uuid: "7a000000-0000-4000-8000-000000000001", "label-text": "JOB001L9", ctime: MON - 100, location: "online-lib1" });
    await ask<MediaEntry>(mediaSubject("register"), { uuid: "7a000000-0000-4000-8000-000000000002", "label-text": "JOB002L9", ctime: MON - 50, location: "online-lib1", worm: true });
    // A set started in 2100: with allocation 'always' and retention 'overwrite' its tape expires at the set start,
    // which the media list (system clock) shows as a time still to come.
    const START = Date.parse("2100-01-04T21:00:00Z") / 1000;
    const a = await ask<PoolAllocateReply>(INVENTORY_JOB_SUBJECTS.poolAllocate, { pool: "daily", driveChanger: "lib1", now: START });
    expect(a.medium.uuid).toBe(t1.uuid);
    await ask(INVENTORY_JOB_SUBJECTS.mediaSetBytesUsed, { uuid: t1.uuid, bytesUsed: 1048576 });
    await ask(INVENTORY_JOB_SUBJECTS.mediaMarkFull, { uuid: t1.uuid });
    const list = await api("GET", "/tape/media/list?pool=daily");
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ "label-text": "JOB001L9", pool: "daily", "media-set-name": "daily-2100-01-04", "seq-nr": 0, status: "full", "bytes-used": 1048576, "expire-time": START });
    const table = await ok("media", "list");
    expect(table).toMatch(/│ JOB001L9\s+│ daily │ daily-2100-01-04 │\s+0 │ full\s+│ online-lib1 │ 2100-01-04T21:00:00Z │ 1048576 │/);
    expect(table).toMatch(/│ JOB002L9\s+│\s+│\s+│\s+│ writable │ online-lib1 │\s+│\s+│/);
    const sets = await api("GET", "/tape/media/media-sets?pool=daily");
    expect(sets.body.data).toEqual([
      {
        "media-set-uuid": a.setLabel.uuid,
        "media-set-name": "daily-2100-01-04",
        "media-set-ctime": START,
        pool: "daily",
        complete: true,
        members: [{ "seq-nr": 0, uuid: t1.uuid, "label-text": "JOB001L9", location: "online-lib1", status: "full" }],
      },
    ]);
    expect(await ok("media", "sets")).toMatch(/│ daily-2100-01-04 │ daily │ [0-9a-f-]{36} │ 2100-01-04T21:00:00Z │\s+1 │ true\s+│/);
    await ok("media", "move", t1.uuid, "--vault-name", "offsite");
    expect((await api("GET", "/tape/media/list?location=vault-offsite")).body.data.map((m: MediaEntry) => m["label-text"])).toEqual(["JOB001L9"]);
    await ok("media", "move", "JOB001L9");
    expect((await api("GET", "/tape/media/list?location=offline")).body.data.map((m: MediaEntry) => m["label-text"])).toEqual(["JOB001L9"]);
    await ok("media", "destroy", "JOB001L9");
    expect((await api("GET", "/tape/media/list")).body.data.map((m: MediaEntry) => m["label-text"])).toEqual(["JOB002L9"]);
    // A WORM tape with data: 409 with the stable reason.
    await api("POST", "/config/media-pool", { name: "archive" });
    await ask(INVENTORY_JOB_SUBJECTS.poolAllocate, { pool: "archive", driveChanger: "lib1", now: START + 3600 });
    const worm = await api("POST", "/tape/media/destroy", { "label-text": "JOB002L9" });
    expect(worm.status).toBe(409);
    expect(worm.body.reason).toBe("WORM_MEDIA_WITH_DATA");
    expect(worm.body.message).toMatch(/WORM cartridge with data/);
    const cli = await tapectl("media", "destroy", "JOB002L9");
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/WORM cartridge with data/);
  });
});
