import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus, createLogger, type EventEnvelope } from "@tapefleet/common";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "@tapefleet/inventory";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { gatewayConfigSchema, startGateway, type RunningGateway } from "../../src/index.ts";

const run = promisify(execFile);
const REPO = resolve(fileURLToPath(new URL("../../../../", import.meta.url)));
const TAPECTL = join(REPO, "packages/cli/bin/tapectl.mjs");

let env: TestEnv;
let inv: RunningInventory;
let gw: RunningGateway;
let bus: Bus;
let dir: string;
let adminToken: string;
let logText = "";
const events: EventEnvelope[] = [];

const logStream = new PassThrough();
logStream.on("data", (chunk: Buffer) => (logText += chunk.toString("utf8")));

interface Res {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

async function api(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? adminToken : opts.token;
  if (token !== null) headers["authorization"] = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.raw !== undefined || opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = opts.raw ?? JSON.stringify(opts.body);
  }
  const res = await fetch(`${gw.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: res.headers };
}

beforeAll(async () => {
  env = await provisionTestEnv("gateway");
  dir = mkdtempSync(join(tmpdir(), "tapefleet-gw-"));
  const base = { natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, databaseUrl: env.databaseUrl, logLevel: "info" };
  inv = await startInventory(inventoryConfigSchema.parse({ ...base, logLevel: "silent" }), {
    logger: createLogger({ service: "inventory", level: "silent" }),
    installSignalHandlers: false,
  });
  gw = await startGateway(gatewayConfigSchema.parse({ ...base, httpPort: 0, adminTokenFile: join(dir, "var/admin-token") }), {
    logger: createLogger({ service: "api-gateway", level: "info", destination: logStream }),
    installSignalHandlers: false,
  });
  adminToken = readFileSync(join(dir, "var/admin-token"), "utf8").trim();
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "gateway-test", logger: createLogger({ service: "t", level: "silent" }) });
  await bus.consumeEvents("events", "gatewaytest", "events.inventory.>", async (e) => {
    events.push(e);
  });
});

afterAll(async () => {
  await bus?.close();
  await gw?.stop();
  await inv?.stop();
  await env?.cleanup();
});

describe("admin token", () => {
  it("is created on first start, stored as a hash, written 0600, and only its location is logged", async () => {
    expect(gw.adminToken.created).toBe(true);
    expect(statSync(gw.adminToken.file).mode & 0o777).toBe(0o600);
    expect(adminToken).toMatch(/^admin:[A-Za-z0-9_-]{43}$/);
    const rows = await gw.service.database!.sql`select secret_hash from gateway.api_token where id = 'admin'`;
    expect(rows[0]?.["secret_hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(adminToken.split(":")[1]);
    expect(logText).toContain(gw.adminToken.file);
    expect(logText).not.toContain(adminToken.split(":")[1]);
  });

  it("is not replaced by a second start on the same database", async () => {
    const second = await startGateway(
      gatewayConfigSchema.parse({ natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, databaseUrl: env.databaseUrl, httpPort: 0, adminTokenFile: join(dir, "other/admin-token") }),
      { logger: createLogger({ service: "api-gateway", level: "silent" }), installSignalHandlers: false },
    );
    try {
      expect(second.adminToken.created).toBe(false);
      const res = await fetch(`${second.url}/api2/json/config/changer`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});

describe("authentication and roles", () => {
  it("answers 401 without a token, with a wrong one and with another scheme", async () => {
    for (const token of [null, "admin:wrong", "nobody:secret", "garbage"]) {
      const r = await api("GET", "/api2/json/config/media-pool", { token });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ code: "UNAUTHORIZED", errors: {} });
    }
    const basic = await api("GET", "/api2/json/config/drive", { token: null, headers: { authorization: "Basic YWRtaW46eA==" } });
    expect(basic.status).toBe(401);
    expect((await api("POST", "/api2/json/config/changer", { token: null, body: { name: "x1x", path: "/dev/x" } })).status).toBe(401);
    expect((await api("GET", "/api2/json/no/such/route", { token: null })).status).toBe(401);
  });

  it("serves health probes and the OpenAPI document without a token", async () => {
    expect((await api("GET", "/healthz", { token: null })).status).toBe(200);
    const ready = await api("GET", "/readyz", { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", checks: { nats: true, postgres: true } });
    expect((await api("GET", "/api2/openapi.json", { token: null })).body.openapi).toBe("3.1.0");
  });

  it("creates tokens (admin only, secret shown once); audit tokens read but get 403 on changes", async () => {
    const created = await api("POST", "/api2/json/access/token", { body: { role: "audit", comment: "monitoring" } });
    expect(created.status).toBe(200);
    const audit = created.body.data.token as string;
    expect(created.body.data).toMatchObject({ role: "audit", comment: "monitoring", id: audit.split(":")[0] });
    const list = await api("GET", "/api2/json/access/token", { token: audit });
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: { id: string; role: string }) => [t.id, t.role])).toEqual([
      ["admin", "admin"],
      [created.body.data.id, "audit"],
    ]);
    expect(JSON.stringify(list.body)).not.toContain(audit.split(":")[1]);

    expect((await api("GET", "/api2/json/config/media-pool", { token: audit })).status).toBe(200);
    for (const [method, path, body] of [
      ["POST", "/api2/json/config/media-pool", { name: "audit-pool" }],
      ["PUT", "/api2/json/config/media-pool/anything", { comment: "x" }],
      ["DELETE", "/api2/json/config/media-pool/anything", undefined],
      ["POST", "/api2/json/access/token", { role: "admin" }],
    ] as const) {
      const r = await api(method, path, { token: audit, ...(body ? { body } : {}) });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe("FORBIDDEN");
    }
    // PBS's header form works too.
    const pbs = await api("GET", "/api2/json/config/drive", { token: null, headers: { authorization: `PBSAPIToken=${audit}` } });
    expect(pbs.status).toBe(200);

    const bad = await api("POST", "/api2/json/access/token", { body: { role: "root" } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.role).toMatch(/admin, audit/);
    expect((await api("DELETE", `/api2/json/access/token/${created.body.data.id}`)).status).toBe(200);
    expect((await api("GET", "/api2/json/config/drive", { token: audit })).status).toBe(401);
    expect((await api("DELETE", "/api2/json/access/token/tf-000000000000")).status).toBe(404);
  });
});

describe("configuration over HTTP", () => {
  it("creates, reads, updates and removes every kind, with an event per change", async () => {
    let r = await api("POST", "/api2/json/config/changer", { body: { name: "lib1", path: "/dev/tape/by-id/scsi-LIB1", "export-slots": "9,10" } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: { name: "lib1", path: "/dev/tape/by-id/scsi-LIB1", "export-slots": [9, 10] } });
    expect((await api("POST", "/api2/json/config/drive", { body: { name: "drv1", path: "/dev/sg3", changer: "lib1", "changer-drivenum": 0 } })).status).toBe(200);
    expect((await api("POST", "/api2/json/config/media-pool", { body: { name: "daily", drive: "drv1", allocation: "daily", retention: "7days" } })).status).toBe(200);
    r = await api("POST", "/api2/json/config/tape-backup-job", { body: { id: "job1", store: "store1", pool: "daily", drive: "drv1", schedule: "mon..fri 02:00" } });
    expect(r.status).toBe(200);

    r = await api("GET", "/api2/json/config/media-pool/daily");
    expect(r.body.data).toEqual({ name: "daily", drive: "drv1", allocation: "daily", retention: "7days" });
    expect(r.body.digest).toMatch(/^[0-9a-f]{64}$/);
    const digest = r.body.digest as string;
    r = await api("PUT", "/api2/json/config/media-pool/daily", { body: { comment: "weekdays", delete: ["allocation"], digest } });
    expect(r.body.data).toEqual({ name: "daily", drive: "drv1", retention: "7days", comment: "weekdays" });
    const stale = await api("PUT", "/api2/json/config/media-pool/daily", { body: { comment: "lost update", digest } });
    expect(stale).toMatchObject({ status: 409, body: { code: "CONFLICT", errors: { digest: expect.stringMatching(/digest mismatch/) } } });
    r = await api("GET", "/api2/json/config/tape-backup-job");
    expect(r.body.data).toEqual([{ id: "job1", store: "store1", pool: "daily", drive: "drv1", schedule: "mon..fri 02:00" }]);

    expect((await api("POST", "/api2/json/config/changer", { body: { name: "tmp1", path: "/dev/sg9" } })).status).toBe(200);
    r = await api("DELETE", "/api2/json/config/changer/tmp1");
    expect(r).toMatchObject({ status: 200, body: { data: null } });
    expect((await api("GET", "/api2/json/config/changer/tmp1")).status).toBe(404);

    const want = [
      ["lib1", "inventory.changer.created"],
      ["drv1", "inventory.drive.created"],
      ["daily", "inventory.media-pool.created"],
      ["job1", "inventory.tape-backup-job.created"],
      ["daily", "inventory.media-pool.updated"],
      ["tmp1", "inventory.changer.created"],
      ["tmp1", "inventory.changer.removed"],
    ];
    for (let i = 0; i < 200 && events.length < want.length; i++) await new Promise((res) => setTimeout(res, 25));
    expect(events.map((e) => [e.subject, e.type])).toEqual(want);
    expect(events[4]?.data).toMatchObject({ comment: "weekdays" });
  });

  it("answers 400 naming the field, 404 for missing entries and routes, 409 for duplicates and references", async () => {
    const bad = await api("POST", "/api2/json/config/media-pool", { body: { name: "weekly", retention: "7dayz" } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("VALIDATION");
    expect(Object.keys(bad.body.errors)).toEqual(["retention"]);
    expect(bad.body.errors.retention).toMatch(/^invalid time span '7dayz': .*dayz/);
    expect(bad.body.message).toMatch(/^retention: invalid time span '7dayz'/);
    expect((await api("GET", "/api2/json/config/media-pool/weekly")).status).toBe(404);

    const json = await api("POST", "/api2/json/config/media-pool", { raw: "{not json" });
    expect(json.status).toBe(400);
    expect(Object.keys(json.body.errors)).toEqual(["body"]);
    const poisoned = await api("POST", "/api2/json/config/media-pool", { raw: '{"name":"p9","__proto__":{"admin":true}}' });
    expect(poisoned.status).toBe(400);
    const empty = await api("POST", "/api2/json/config/media-pool", { raw: "" });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual({ name: "is required" });
    const ref = await api("POST", "/api2/json/config/media-pool", { body: { name: "weekly", drive: "nodrive" } });
    expect(ref).toMatchObject({ status: 400, body: { errors: { drive: "drive 'nodrive' does not exist" } } });

    const missing = await api("GET", "/api2/json/config/drive/nodrive");
    expect(missing).toMatchObject({ status: 404, body: { code: "NOT_FOUND", message: "drive 'nodrive' does not exist" } });
    expect((await api("PUT", "/api2/json/config/drive/nodrive", { body: { path: "/dev/sg1" } })).status).toBe(404);
    expect((await api("GET", "/api2/json/nothing/here")).status).toBe(404);

    const dup = await api("POST", "/api2/json/config/changer", { body: { name: "lib1", path: "/dev/sg4" } });
    expect(dup).toMatchObject({ status: 409, body: { code: "CONFLICT", errors: { name: "changer 'lib1' already exists" } } });
    const num = await api("POST", "/api2/json/config/drive", { body: { name: "drv2", path: "/dev/sg5", changer: "lib1" } });
    expect(num.status).toBe(409);
    expect(Object.keys(num.body.errors)).toEqual(["changer-drivenum"]);
    const used = await api("DELETE", "/api2/json/config/drive/drv1");
    expect(used).toMatchObject({ status: 409, body: { message: "drive 'drv1' is in use by media pool 'daily'" } });
  });

  it("tags every response with a request id (taken from the caller when given)", async () => {
    const r = await api("GET", "/api2/json/config/changer", { headers: { "x-request-id": "req-42" } });
    expect(r.headers.get("x-request-id")).toBe("req-42");
    expect((await api("GET", "/api2/json/config/changer")).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((res) => setTimeout(res, 50));
    expect(logText).toMatch(/"requestId":"req-42".*"status":200/);
  });
});

describe("OpenAPI document", () => {
  it("lints with zero errors (redocly, offline)", async () => {
    const doc = await api("GET", "/api2/openapi.json", { token: null });
    expect(Object.keys(doc.body.paths)).toContain("/api2/json/config/media-pool/{name}");
    const file = join(dir, "openapi.json");
    writeFileSync(file, JSON.stringify(doc.body));
    const out = await run("npx", ["--no-install", "@redocly/cli", "lint", file, "--format=json"], {
      cwd: REPO,
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_UPDATE_NOTIFIER: "1" },
    }).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? "", stderr: err.stderr ?? "" }));
    const report = JSON.parse(out.stdout) as { totals: { errors: number }; problems: { ruleId: string; severity: string; message: string }[] };
    expect(report.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(report.totals.errors).toBe(0);
  });
});

describe("tapectl against the running gateway", () => {
  it("creates a pool and lists it as a table", async () => {
    const cliEnv = { ...process.env, TAPEFLEET_URL: gw.url, TAPEFLEET_TOKEN_FILE: gw.adminToken.file, TAPEFLEET_TOKEN: "" };
    const opts = { cwd: dir, env: cliEnv };
    await run(process.execPath, [TAPECTL, "pool", "create", "weekly", "--drive", "drv1", "--allocation", "sat 03:00", "--retention", "4weeks"], opts);
    const list = await run(process.execPath, [TAPECTL, "pool", "list"], opts);
    const lines = list.stdout.split("\n");
    expect(lines[0]).toMatch(/^┌─+┬/);
    expect(lines[1]).toMatch(/^│ name\s+│ drive\s+│ allocation\s+│ retention\s+│/);
    expect(lines[2]).toMatch(/^╞═+╪/);
    expect(list.stdout).toMatch(/│ weekly\s+│ drv1\s+│ sat 03:00\s+│ 4weeks\s+│/);
    expect(list.stdout).toMatch(/│ daily\s+│ drv1\s+│\s+│ 7days\s+│/);

    const err = await run(process.execPath, [TAPECTL, "pool", "create", "monthly", "--retention", "7dayz"], opts).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).not.toBe(0);
    expect(err?.stderr).toMatch(/^Error: retention: invalid time span '7dayz'/);
  });
});

describe("inventory unavailable", () => {
  it("answers 503 UNAVAILABLE while no inventory instance serves (runs last: stops the inventory)", async () => {
    await inv.stop();
    const r = await api("GET", "/api2/json/config/changer");
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: "UNAVAILABLE", errors: {} });
    expect((await api("GET", "/healthz", { token: null })).status).toBe(200);
  });
});
