/**
 * One-shot migration of every tapefleet service's PostgreSQL schema, then exit
 * (image mode `migrate`, the compose `migrate` step, the Kubernetes Job).
 *
 * Services also migrate when they start (under the same advisory locks), so this
 * step only makes the order explicit: the schemas are current before any
 * replica of a new version serves. Reads `TAPEFLEET_DATABASE_URL` (or
 * `DATABASE_URL`), a service's own URL in `TAPEFLEET_DATABASE_URL_<SERVICE>`
 * (`TAPEFLEET_DATABASE_URL_API_GATEWAY`, …: where each service logs in as a role
 * of its own that owns its schemas, its migrations run as that role), and
 * `TAPEFLEET_LOG_LEVEL`. Exit codes: 0 done, 1 a migration failed, 64
 * configuration missing.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLogger, runMigrations, type Logger } from "@tapefleet/common";

/** Root of the sources (`/app` in the image). */
export const APP_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A service's committed drizzle-kit migrations and the schema of its migration journal. */
export interface ServiceMigrations {
  service: string;
  /** Folder relative to the application root (holds `meta/_journal.json`). */
  folder: string;
  /** PostgreSQL schema of the journal table, as the service passes it to `runMigrations`. */
  journalSchema: string;
}

/** The services that own tables, in the order they are migrated. */
export const SERVICE_MIGRATIONS: readonly ServiceMigrations[] = [
  { service: "inventory", folder: "services/inventory/drizzle", journalSchema: "inventory_migrations" },
  { service: "catalog", folder: "services/catalog/migrations", journalSchema: "catalog" },
  { service: "keyvault", folder: "services/keyvault/migrations", journalSchema: "keyvault" },
  { service: "scheduler", folder: "services/scheduler/drizzle", journalSchema: "scheduler_migrations" },
  { service: "api-gateway", folder: "services/api-gateway/drizzle", journalSchema: "gateway_migrations" },
];

export class MigrateError extends Error {
  constructor(
    readonly code: "CONFIG" | "MIGRATION",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MigrateError";
  }
}

/** The variable holding a service's own database URL (`api-gateway` → `TAPEFLEET_DATABASE_URL_API_GATEWAY`). */
export function serviceUrlVariable(service: string): string {
  return `TAPEFLEET_DATABASE_URL_${service.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * The URL each service's migrations run with: its own variable, else the
 * common one. Throws `MigrateError("CONFIG")` naming the variables missing.
 */
export function migrationUrls(env: NodeJS.ProcessEnv, services: readonly ServiceMigrations[] = SERVICE_MIGRATIONS): Record<string, string> {
  const common = env["TAPEFLEET_DATABASE_URL"] || env["DATABASE_URL"];
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const m of services) {
    const url = env[serviceUrlVariable(m.service)] || common;
    if (url) out[m.service] = url;
    else missing.push(serviceUrlVariable(m.service));
  }
  if (missing.length > 0) throw new MigrateError("CONFIG", `TAPEFLEET_DATABASE_URL is required (postgres://user@host:5432/db), or every service's own URL (missing ${missing.join(", ")})`);
  return out;
}

/** Applies every service's migrations in turn (with its own URL from `urls`, else `url`); stops at the first failure. */
export async function migrateAll(opts: { url?: string; urls?: Record<string, string>; logger: Logger; root?: string; services?: readonly ServiceMigrations[] }): Promise<string[]> {
  const root = opts.root ?? APP_ROOT;
  const done: string[] = [];
  for (const m of opts.services ?? SERVICE_MIGRATIONS) {
    const folder = join(root, m.folder);
    if (!existsSync(join(folder, "meta", "_journal.json"))) {
      throw new MigrateError("MIGRATION", `${m.service}: no migrations journal in ${folder}`);
    }
    const url = opts.urls?.[m.service] ?? opts.url;
    if (url === undefined) throw new MigrateError("CONFIG", `${m.service}: no database URL`);
    try {
      await runMigrations({ url, migrationsFolder: folder, schema: m.journalSchema, logger: opts.logger.child({ component: m.service }) });
    } catch (err) {
      throw new MigrateError("MIGRATION", `${m.service}: ${(err as Error).message}`, { cause: err });
    }
    done.push(m.service);
  }
  return done;
}

async function main(): Promise<number> {
  const env = process.env;
  const logger = createLogger({ service: "migrate", level: env["TAPEFLEET_LOG_LEVEL"] || "info" });
  let urls: Record<string, string>;
  try {
    urls = migrationUrls(env);
  } catch (err) {
    process.stderr.write(`migrate: ${(err as Error).message}\n`);
    return 64;
  }
  try {
    const done = await migrateAll({ urls, logger });
    logger.info({ services: done }, "all migrations applied");
    return 0;
  } catch (err) {
    process.stderr.write(`migrate: ${(err as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
