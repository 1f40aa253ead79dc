import { fileURLToPath } from "node:url";
import { EVENTS_STREAM, EVENTS_SUBJECTS } from "@tapefleet/api-types";
import { startService, type Logger, type RunningService } from "@tapefleet/common";
import type { InventoryConfig } from "./config.ts";
import { ConfigStore } from "./core/config-store.ts";
import { EventRelay } from "./core/event-relay.ts";
import { schema, type InventorySchema } from "./db/schema.ts";
import { registerConfigHandlers } from "./handlers/config-handlers.ts";
import { registerMediaHandlers } from "./handlers/media-handlers.ts";
import { DeviceTracker } from "./core/device-locations.ts";
import { MediaStore } from "./core/media-store.ts";
import { PoolAllocator } from "./core/pool-allocator.ts";
import { registerJobHandlers, systemJobClock } from "./handlers/job-handlers.ts";
import { AGENT_HEARTBEAT_SUBJECT } from "@tapefleet/api-types";
import { registerInventoryMetrics } from "./metrics.ts";

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
  media: MediaStore;
  devices: DeviceTracker;
  relay: EventRelay;
  allocator: PoolAllocator;
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
    const db = service.database!.db;
    registerInventoryMetrics(service.metrics, db);
    const store = new ConfigStore(db);
    const relay = new EventRelay(db, service.bus, service.logger.child({ component: "event-relay" }));
    registerConfigHandlers(service.bus, store, relay, service.logger.child({ component: "config" }), { slowRequestMs: config.slowRequestMs });
    const media = new MediaStore(db);
    const devicesLogger = service.logger.child({ component: "devices" });
    const devices = new DeviceTracker(db, service.bus, store, media, devicesLogger, {
      offlineAfterMs: config.deviceOfflineMs,
      scanDeadlineMs: config.scanDeadlineMs,
    });
    registerMediaHandlers(service.bus, { media, devices, relay }, service.logger.child({ component: "media" }), { slowRequestMs: config.slowRequestMs });
    const allocator = new PoolAllocator(db, { timeZone: config.timeZone });
    registerJobHandlers(service.bus, { allocator, media, relay, clock: systemJobClock(config.allowClientClock) }, service.logger.child({ component: "jobs" }), {
      slowRequestMs: config.slowRequestMs,
    });
    service.bus.subscribe(AGENT_HEARTBEAT_SUBJECT, (beat) => {
      devices.onHeartbeat(beat).catch((err: unknown) => devicesLogger.error({ err }, "recording a device agent heartbeat failed"));
    });
    const sweepTimer = setInterval(() => {
      devices
        .sweep()
        .then(() => relay.flush())
        .catch((err: unknown) => devicesLogger.error({ err }, "device sweep failed"));
    }, Math.max(500, Math.floor(config.deviceOfflineMs / 3)));
    sweepTimer.unref();
    service.lifecycle.onShutdown("device-sweep", () => clearInterval(sweepTimer));
    // Agents already running answer a first scan; later ones are found by their heartbeats.
    void devices.scan().catch((err: unknown) => devicesLogger.warn({ err }, "first device scan failed"));
    // Events left by an earlier run (NATS was down) go out now, and periodically after.
    await relay.flush();
    const timer = setInterval(() => void relay.flush(), config.outboxIntervalMs);
    timer.unref();
    // Registered after startService's hooks, so it runs first on shutdown: stop, then wait for the last flush.
    service.lifecycle.onShutdown("event-relay", async () => {
      clearInterval(timer);
      await relay.flush();
    });
    await service.bus.nc.flush();
    service.markReady();
    return { service, store, media, devices, relay, allocator, stop: () => service.stop() };
  } catch (err) {
    await service.stop();
    throw err;
  }
}
