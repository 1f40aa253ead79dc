import { fileURLToPath } from "node:url";
import { EVENTS_STREAM, EVENTS_SUBJECTS } from "@tapefleet/api-types";
import { startService, type Logger, type RunningService } from "@tapefleet/common";
import type { InventoryConfig } from "./config.ts";
import { ConfigStore } from "./core/config-store.ts";
import { schema, type InventorySchema } from "./db/schema.ts";
import { registerConfigHandlers } from "./handlers/config-handlers.ts";

/** Folder of the committed drizzle-kit migrations. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

/**
 * PostgreSQL schema holding the migration journal. It is not `inventory`
 * itself: drizzle-kit's first migration runs `CREATE SCHEMA "inventory"`,
 * which must find that schema absent.
 */
export const MIGRATIONS_SCHEMA = "inventory_migrations";

export interface RunningInventory {
  service: RunningService<InventorySchema>;
  store: ConfigStore;
  stop(): Promise<void>;
}

/** Start the inventory service: connect, migrate, serve the NATS API, turn ready. */
export async function startInventory(
  config: InventoryConfig,
  opts: { logger?: Logger; installSignalHandlers?: boolean } = {},
): Promise<RunningInventory> {
  const service = await startService({
    name: "inventory",
    config,
    database: { url: config.databaseUrl, schema, pgSchema: MIGRATIONS_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER },
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.installSignalHandlers === undefined ? {} : { installSignalHandlers: opts.installSignalHandlers }),
  });
  try {
    await service.bus.ensureStream(EVENTS_STREAM, EVENTS_SUBJECTS);
    const store = new ConfigStore(service.database!.db);
    registerConfigHandlers(service.bus, store, service.logger.child({ component: "config" }), { slowRequestMs: config.slowRequestMs });
    await service.bus.nc.flush();
    service.markReady();
    return { service, store, stop: () => service.stop() };
  } catch (err) {
    await service.stop();
    throw err;
  }
}
