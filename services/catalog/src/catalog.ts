import { fileURLToPath } from "node:url";
import { startService, type RunningService } from "@tapefleet/common";
import type { CatalogConfig } from "./config.ts";
import { startIngestConsumer, type IngestConsumer } from "./core/consumer.ts";
import { schema, type CatalogTables } from "./db/schema.ts";
import { registerCatalogHandlers } from "./handlers.ts";
import { listMediaSets, parseListMediaSets } from "./media-sets.ts";
import { registerCatalogMetrics } from "./metrics.ts";

/** The catalog's committed drizzle-kit migrations. */
export const CATALOG_MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

/** NATS subjects the catalog answers (under the bus prefix); the others are `CATALOG_REQUESTS` in @tapefleet/api-types. */
export const CATALOG_SUBJECTS = {
  /** `{ pool?: string }` → `MediaSetSummary[]`, newest first. */
  listMediaSets: "catalog.mediaSets.list",
} as const;

export interface RunningCatalog {
  service: RunningService<CatalogTables>;
  ingest: IngestConsumer;
  stop(): Promise<void>;
}

/**
 * Starts the catalog in this process: NATS, PostgreSQL with the `catalog`
 * schema migrated, the ingest consumer on the catalog stream, and the
 * request handlers. `/readyz` checks PostgreSQL and NATS.
 */
export async function startCatalog(config: CatalogConfig, options: { installSignalHandlers?: boolean } = {}): Promise<RunningCatalog> {
  const service = await startService<CatalogTables>({
    name: "catalog",
    config,
    database: { url: config.databaseUrl, schema, pgSchema: "catalog", migrationsFolder: CATALOG_MIGRATIONS },
    ...(options.installSignalHandlers === undefined ? {} : { installSignalHandlers: options.installSignalHandlers }),
  });
  try {
    const db = service.database!.db;
    const sql = service.database!.sql;
    service.bus.serve(CATALOG_SUBJECTS.listMediaSets, async (payload) => listMediaSets(db, parseListMediaSets(payload)), { queue: "catalog" });
    registerCatalogHandlers(service.bus, sql, service.logger.child({ component: "queries" }));
    const ingest = await startIngestConsumer(service.bus, sql, service.logger.child({ component: "ingest" }), {
      batchSize: config.ingestBatch,
      ackWaitSeconds: config.ingestAckWaitSeconds,
    });
    // Registered after startService's hooks, so it runs first on shutdown: the last batch commits before the database closes.
    service.lifecycle.onShutdown("ingest", () => ingest.stop());
    registerCatalogMetrics(service.metrics, service.bus, ingest);
    // The subscriptions are registered at the server before the catalog counts as started.
    await service.bus.nc.flush();
    service.markReady();
    return { service, ingest, stop: () => service.stop() };
  } catch (err) {
    await service.stop();
    throw err;
  }
}
