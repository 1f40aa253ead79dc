import { fileURLToPath } from "node:url";
import { startService, UnavailableError, redactUrl, type RunningService } from "@tapefleet/common";
import { GrpcAgentPort, type AgentPort } from "./core/agent-port.ts";
import { DeviceOps } from "./core/device-ops.ts";
import { BusInventory } from "./core/inventory-port.ts";
import { TaskRegistry } from "./core/task-registry.ts";
import { schema, type SchedulerSchema } from "./db/schema.ts";
import { registerDeviceHandlers } from "./handlers/device-handlers.ts";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { JOB_QUEUE_NAME, type SchedulerConfig } from "./config.ts";

/** Folder of the committed drizzle-kit migrations. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));
/** Schema of the migration journal (not `scheduler`: the first migration creates that one). */
export const MIGRATIONS_SCHEMA = "scheduler_migrations";

/** How long a Redis PING may take before the scheduler counts Redis as down. */
export const REDIS_PING_TIMEOUT_MS = 2000;

export interface RunningScheduler {
  service: RunningService<SchedulerSchema>;
  /** Task registry (PostgreSQL schema `scheduler`). */
  tasks: TaskRegistry;
  /** The scheduler's BullMQ queue (`<queuePrefix>:tape-jobs:*` keys). */
  queue: Queue;
  /** True when Redis answers PING. */
  redisReady(): Promise<boolean>;
  stop(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the scheduler in this process: NATS (announcement, health), Redis and
 * its BullMQ queue. `/readyz` checks that Redis answers PING.
 */
export async function startScheduler(
  config: SchedulerConfig,
  options: { installSignalHandlers?: boolean; agents?: AgentPort } = {},
): Promise<RunningScheduler> {
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null, enableOfflineQueue: true });
  redis.on("error", () => {
    /* reported by the readiness check */
  });
  try {
    await withTimeout(redis.connect(), 5000, `Redis at ${redactUrl(config.redisUrl)}`);
  } catch (err) {
    redis.disconnect();
    throw new UnavailableError(`cannot connect to Redis at ${redactUrl(config.redisUrl)}: ${(err as Error).message}`, err);
  }
  const queue = new Queue(JOB_QUEUE_NAME, { connection: redis, prefix: config.queuePrefix });
  try {
    await withTimeout(queue.waitUntilReady(), 5000, "BullMQ queue");
  } catch (err) {
    await queue.close().catch(() => {});
    redis.disconnect();
    throw err;
  }
  const redisReady = async (): Promise<boolean> => {
    try {
      return (await withTimeout(redis.ping(), REDIS_PING_TIMEOUT_MS, "Redis")) === "PONG";
    } catch {
      return false;
    }
  };
  let service: RunningService<SchedulerSchema>;
  try {
    service = await startService({
      name: "scheduler",
      config,
      database: { url: config.databaseUrl, schema, pgSchema: MIGRATIONS_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER },
      info: { queue: JOB_QUEUE_NAME, queuePrefix: config.queuePrefix },
      ...(options.installSignalHandlers === undefined ? {} : { installSignalHandlers: options.installSignalHandlers }),
    });
  } catch (err) {
    await queue.close().catch(() => {});
    redis.disconnect();
    throw err;
  }
  service.lifecycle.onShutdown("redis", async () => {
    await queue.close().catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
  });
  service.addReadinessCheck("redis", redisReady);
  const tasks = new TaskRegistry(service.database!.db, { node: config.nodeName, logger: service.logger.child({ component: "tasks" }) });
  const agents = options.agents ?? new GrpcAgentPort({ lockWaitMs: config.lockWaitMs, timeoutMs: config.agentTimeoutMs });
  const inventory = new BusInventory(service.bus, config.inventoryTimeoutMs);
  try {
    const recovered = await tasks.recover();
    if (recovered > 0) service.logger.warn({ recovered }, "tasks left running by a stopped scheduler ended with status unknown");
    registerDeviceHandlers(service.bus, { ops: (requestId) => new DeviceOps(requestId ? inventory.withRequestId(requestId) : inventory, agents, tasks), tasks }, service.logger.child({ component: "devices" }));
    await service.bus.nc.flush();
  } catch (err) {
    await service.stop();
    throw err;
  }
  // Runs before NATS and PostgreSQL close (hooks run in reverse): stop the running tasks, let them record their end.
  service.lifecycle.onShutdown("tasks", async () => {
    for (const t of await tasks.list({ running: true }).catch(() => [])) tasks.abortLocal(t.upid);
    await tasks.waitAll();
    agents.close();
  });
  service.markReady();
  service.logger.info({ queue: JOB_QUEUE_NAME, queuePrefix: config.queuePrefix, node: config.nodeName }, "job queue and device operations ready");
  return { service, tasks, queue, redisReady, stop: () => service.stop() };
}
