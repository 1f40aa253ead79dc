import { startService, UnavailableError, redactUrl, type RunningService } from "@tapefleet/common";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { JOB_QUEUE_NAME, type SchedulerConfig } from "./config.ts";

/** How long a Redis PING may take before the scheduler counts Redis as down. */
export const REDIS_PING_TIMEOUT_MS = 2000;

export interface RunningScheduler {
  service: RunningService<Record<string, never>>;
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
export async function startScheduler(config: SchedulerConfig, options: { installSignalHandlers?: boolean } = {}): Promise<RunningScheduler> {
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
  let service: RunningService<Record<string, never>>;
  try {
    service = await startService({
      name: "scheduler",
      config,
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
  service.markReady();
  service.logger.info({ queue: JOB_QUEUE_NAME, queuePrefix: config.queuePrefix }, "job queue ready");
  return { service, queue, redisReady, stop: () => service.stop() };
}
