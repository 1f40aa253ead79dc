import postgres from "postgres";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { UnavailableError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { redactUrl } from "./logger.ts";

export type Sql = postgres.Sql;

export interface Database<TSchema extends Record<string, unknown>> {
  sql: Sql;
  db: PostgresJsDatabase<TSchema>;
  close(): Promise<void>;
  ping(): Promise<boolean>;
}

export interface ConnectDatabaseOptions<TSchema extends Record<string, unknown>> {
  url: string;
  schema: TSchema;
  logger: Logger;
  max?: number;
  applicationName?: string;
}

/** Connect postgres.js + drizzle. Fails fast with a clear error when the server is unreachable. */
export async function connectDatabase<TSchema extends Record<string, unknown>>(
  opts: ConnectDatabaseOptions<TSchema>,
): Promise<Database<TSchema>> {
  const sql = postgres(opts.url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? "tapefleet" },
  });
  try {
    await sql`select 1`;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new UnavailableError(`cannot connect to PostgreSQL at ${redactUrl(opts.url)}: ${(err as Error).message}`, err);
  }
  const db = drizzle(sql, { schema: opts.schema });
  return {
    sql,
    db,
    close: () => sql.end({ timeout: 5 }),
    ping: async () => {
      try {
        await sql`select 1`;
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Run a service's committed migrations (drizzle-kit SQL files) into its own
 * Postgres schema. An advisory lock keyed on the schema name serializes
 * replicas starting at once.
 */
export async function runMigrations(opts: { url: string; migrationsFolder: string; schema: string; logger: Logger }): Promise<void> {
  const lockKey = hashLockKey(`migrate:${opts.schema}`);
  // One dedicated connection: the advisory lock is held by this session.
  const sql = postgres(opts.url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${lockKey})`;
    await sql.unsafe(`create schema if not exists "${opts.schema.replace(/"/g, "")}"`);
    await migrate(drizzle(sql), {
      migrationsFolder: opts.migrationsFolder,
      migrationsSchema: opts.schema,
      migrationsTable: "__migrations",
    });
    opts.logger.info({ schema: opts.schema }, "migrations applied");
  } finally {
    await sql`select pg_advisory_unlock(${lockKey})`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

/** Stable signed 32-bit key for pg advisory locks. */
export function hashLockKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
