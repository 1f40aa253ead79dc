/**
 * The one-shot migration (image mode `migrate`) against the machine's
 * PostgreSQL: its table of services agrees with the services themselves, it
 * applies every committed migration of every service, and a second run changes
 * nothing.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { MIGRATIONS_FOLDER as GATEWAY_FOLDER, MIGRATIONS_SCHEMA as GATEWAY_SCHEMA } from "@tapefleet/api-gateway";
import { CATALOG_MIGRATIONS } from "@tapefleet/catalog";
import { MIGRATIONS_FOLDER as INVENTORY_FOLDER, MIGRATIONS_SCHEMA as INVENTORY_SCHEMA } from "@tapefleet/inventory";
import { KEYVAULT_MIGRATIONS } from "@tapefleet/keyvault";
import { MIGRATIONS_FOLDER as SCHEDULER_FOLDER, MIGRATIONS_SCHEMA as SCHEDULER_SCHEMA } from "@tapefleet/scheduler";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationUrls, SERVICE_MIGRATIONS, serviceUrlVariable } from "../../../deploy/bin/migrate.ts";
import { REPO_ROOT } from "../src/index.ts";

const ENTRYPOINT = join(REPO_ROOT, "deploy/bin/entrypoint.sh");

function journalEntries(folder: string): number {
  const journal = JSON.parse(readFileSync(join(REPO_ROOT, folder, "meta/_journal.json"), "utf8")) as { entries: unknown[] };
  return journal.entries.length;
}

function runMigrate(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn("sh", [ENTRYPOINT, "migrate"], {
      env: { PATH: process.env["PATH"] ?? "", TAPEFLEET_APP_DIR: REPO_ROOT, TAPEFLEET_LOG_LEVEL: "info", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => res({ code, stdout, stderr }));
  });
}

describe("migration table", () => {
  it("names the folder and journal schema each service migrates with", () => {
    const rel = (abs: string) => relative(REPO_ROOT, abs);
    const byService = Object.fromEntries(SERVICE_MIGRATIONS.map((m) => [m.service, m]));
    expect(byService["api-gateway"]).toEqual({ service: "api-gateway", folder: rel(GATEWAY_FOLDER), journalSchema: GATEWAY_SCHEMA });
    expect(byService["inventory"]).toEqual({ service: "inventory", folder: rel(INVENTORY_FOLDER), journalSchema: INVENTORY_SCHEMA });
    expect(byService["scheduler"]).toEqual({ service: "scheduler", folder: rel(SCHEDULER_FOLDER), journalSchema: SCHEDULER_SCHEMA });
    expect(byService["catalog"]?.folder).toBe(rel(CATALOG_MIGRATIONS));
    expect(byService["keyvault"]?.folder).toBe(rel(KEYVAULT_MIGRATIONS));
    // catalog and keyvault keep their journal in their own schema (startService's pgSchema).
    for (const svc of ["catalog", "keyvault"]) {
      const src = readFileSync(join(REPO_ROOT, "services", svc, "src", `${svc}.ts`), "utf8");
      expect(src, svc).toContain(`pgSchema: "${byService[svc]!.journalSchema}"`);
    }
  });

  it("covers every service that has committed migrations", () => {
    const withMigrations: string[] = [];
    for (const svc of readdirSync(join(REPO_ROOT, "services"))) {
      for (const folder of ["drizzle", "migrations"]) {
        if (existsSync(join(REPO_ROOT, "services", svc, folder, "meta/_journal.json"))) withMigrations.push(`services/${svc}/${folder}`);
      }
    }
    expect(SERVICE_MIGRATIONS.map((m) => m.folder).sort()).toEqual(withMigrations.sort());
    for (const m of SERVICE_MIGRATIONS) expect(journalEntries(m.folder), m.folder).toBeGreaterThan(0);
  });
});

describe("migrate one-shot", () => {
  let env: TestEnv;
  let sql: postgres.Sql;

  beforeAll(async () => {
    env = await provisionTestEnv("deploymig");
    sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await env?.cleanup();
  });

  async function applied(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const m of SERVICE_MIGRATIONS) {
      const rows = await sql.unsafe(`select count(*)::int as n from "${m.journalSchema}"."__migrations"`);
      out[m.service] = Number(rows[0]?.["n"]);
    }
    return out;
  }

  it("applies every service's migrations, then a second run changes nothing", async () => {
    const first = await runMigrate({ TAPEFLEET_DATABASE_URL: env.databaseUrl });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split("\n").map((l) => JSON.parse(l) as { msg: string; component?: string; services?: string[] });
    expect(lines.filter((l) => l.msg === "migrations applied").map((l) => l.component)).toEqual(SERVICE_MIGRATIONS.map((m) => m.service));
    expect(lines.at(-1)).toMatchObject({ msg: "all migrations applied", services: SERVICE_MIGRATIONS.map((m) => m.service) });

    const expected = Object.fromEntries(SERVICE_MIGRATIONS.map((m) => [m.service, journalEntries(m.folder)]));
    expect(await applied()).toEqual(expected);
    const schemas = (await sql`select nspname from pg_namespace`).map((r) => r["nspname"] as string);
    for (const s of ["inventory", "catalog", "keyvault", "gateway", "scheduler"]) expect(schemas, s).toContain(s);

    const second = await runMigrate({ TAPEFLEET_DATABASE_URL: env.databaseUrl });
    expect(second.code).toBe(0);
    expect(await applied()).toEqual(expected);
  });

  it("also reads DATABASE_URL", async () => {
    const r = await runMigrate({ DATABASE_URL: env.databaseUrl });
    expect(r.code).toBe(0);
  });

  it("exits 64 without a database URL and 1 when the database cannot be reached", async () => {
    const none = await runMigrate({});
    expect(none.code).toBe(64);
    expect(none.stderr).toContain("TAPEFLEET_DATABASE_URL is required");
    const u = new URL(env.databaseUrl);
    u.pathname = "/tf_deploy_no_such_database";
    const bad = await runMigrate({ TAPEFLEET_DATABASE_URL: u.toString() });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^migrate: inventory: .*tf_deploy_no_such_database/m);
  });

  it("runs each service's migrations with its own URL (a role per service) where TAPEFLEET_DATABASE_URL_<SERVICE> names one", async () => {
    const bad = new URL(env.databaseUrl);
    bad.pathname = "/tf_deploy_no_such_database";
    const own = Object.fromEntries(SERVICE_MIGRATIONS.map((m) => [serviceUrlVariable(m.service), m.service === "catalog" ? bad.toString() : env.databaseUrl]));
    expect(Object.keys(own)).toContain("TAPEFLEET_DATABASE_URL_API_GATEWAY");
    // inventory (first) migrates with its URL, catalog fails with its own: no common URL is used.
    const r = await runMigrate(own);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^migrate: catalog: .*tf_deploy_no_such_database/m);
    // Without a common URL, every service needs its own.
    const { TAPEFLEET_DATABASE_URL_API_GATEWAY: _gw, ...partial } = own;
    const missing = await runMigrate(partial);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain("missing TAPEFLEET_DATABASE_URL_API_GATEWAY");
    expect(migrationUrls({ TAPEFLEET_DATABASE_URL: "postgres://a/db", TAPEFLEET_DATABASE_URL_SCHEDULER: "postgres://s/db" })).toMatchObject({ inventory: "postgres://a/db", scheduler: "postgres://s/db" });
  });

  it("resolves the table's folders inside the application root", () => {
    for (const m of SERVICE_MIGRATIONS) expect(resolve(REPO_ROOT, m.folder).startsWith(join(REPO_ROOT, "services"))).toBe(true);
  });
});
