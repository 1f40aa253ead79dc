import { fileURLToPath } from "node:url";
import { startService, type RunningService } from "@tapefleet/common";
import type { CatalogConfig } from "./config.ts";
import { schema, type CatalogTables } from "./db/schema.ts";
import { listMediaSets, parseListMediaSets } from "./media-sets.ts";

/** The catalog's committed drizzle-kit migrations. */
export const CATALOG_MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

/** NATS subjects the catalog answers (under the bus prefix). */
export const CATALOG_SUBJECTS = {
  /** `{ pool?: string }` → `MediaSetSummary[]`, newest first. */
  listMediaSets: "catalog.mediaSets.list",
} as const;

export interface RunningCatalog {
  service: RunningService<CatalogTables>;
  stop(): Promise<void>;
}

/**
 * Starts the catalog in this process: NATS, PostgreSQL with the `catalog`
 * schema migrated, and the request handlers. `/readyz` checks PostgreSQL.
 */
export async function startCatalog(config: CatalogConfig, options: { installSignalHandlers?: boolean } = {}): Promise<RunningCatalog> {
  const service = await startService<CatalogTables>({
    name: "catalog",
    config,
    database: { url: config.databaseUrl, schema, pgSchema: "catalog", migrationsFolder: CATALOG_MIGRATIONS },
    ...(options.installSignalHandlers === undefined ? {} : { installSignalHandlers: options.installSignalHandlers }),
  });
  const db = service.database!.db;
  service.bus.serve(CATALOG_SUBJECTS.listMediaSets, async (payload) => listMediaSets(db, parseListMediaSets(payload)), { queue: "catalog" });
  // The subscription is registered at the server before the catalog counts as started.
  await service.bus.nc.flush();
  service.markReady();
  return { service, stop: () => service.stop() };
}
