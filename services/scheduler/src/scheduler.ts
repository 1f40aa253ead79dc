import { fileURLToPath } from "node:url";
import { startService, UnavailableError, redactUrl, type RunningService } from "@tapefleet/common";
import { GrpcAgentPort, type AgentPort } from "./core/agent-port.ts";
import { DeviceOps } from "./core/device-ops.ts";
import { BusInventory } from "./core/inventory-port.ts";
import { TaskRegistry } from "./core/task-registry.ts";
import { schema, type SchedulerSchema } from "./db/schema.ts";
import { registerDeviceHandlers } from "./handlers/device-handlers.ts";
import { backupRequestOf, backupTaskSpec, registerJobHandlers } from "./handlers/job-handlers.ts";
import { BackupJob } from "./core/backup-job.ts";
import { RestoreJob } from "./core/restore-job.ts";
import { CatalogJob } from "./core/catalog-job.ts";
import { DatastoreJobs } from "./core/datastore-jobs.ts";
import { JobQueue } from "./core/job-queue.ts";
import { LeaseManager } from "./core/lease-manager.ts";
import { registerLeaseHandlers } from "./handlers/lease-handlers.ts";
import { Notifier, NOTIFICATION_EVENT } from "./core/notifier.ts";
import { ScheduleRunner } from "./core/schedules.ts";
import { TAPE_REQUEST_CLOSED_EVENT, TAPE_REQUEST_CREATED_EVENT, TapeRequestBoard } from "./core/tape-requests.ts";
import { agentChannelCredentials, parseNotifyAddresses } from "./config.ts";
import { CATALOG_STREAM, CATALOG_STREAM_SUBJECTS, catalogCommitSubject } from "@tapefleet/api-types";
import type { BackupStartRequest, CatalogRecord, CatalogStartRequest, DatastoreIngestRequest, DatastoreSampleRequest, RestoreStartRequest, TapeRequestEntry } from "@tapefleet/api-types";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { JOB_QUEUE_NAME, type SchedulerConfig } from "./config.ts";
import { MetricsLeader, registerSchedulerMetrics } from "./metrics.ts";

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
  /** Jobs on the queue (submit, worker). */
  jobs: JobQueue;
  /** Fleet-wide leases of drives and tapes. */
  leases: LeaseManager;
  /** Calendar schedules of tape backup jobs. */
  schedules: ScheduleRunner;
  /** Open tape requests of this instance's jobs. */
  tapeRequests: TapeRequestBoard;
  notifier: Notifier;
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
  const agents = options.agents ?? new GrpcAgentPort({ lockWaitMs: config.lockWaitMs, timeoutMs: config.agentTimeoutMs, credentials: agentChannelCredentials(config) });
  const inventory = new BusInventory(service.bus, config.inventoryTimeoutMs);
  const db = service.database!.db;
  const bus = service.bus;
  const logger = service.logger;
  let eventsStream: Promise<unknown> | undefined;
  const publishEvent = async (type: string, subject: string, data: unknown) => {
    eventsStream ??= bus.ensureStream("events", ["events.>"]);
    await eventsStream;
    await bus.publishEvent(type, subject, data);
  };
  let catalogStream: Promise<unknown> | undefined;
  /** Catalog records on JetStream, as the agent's write sessions publish them (message id = record id). */
  const publishCatalogRecords = async (records: readonly CatalogRecord[]) => {
    catalogStream ??= bus.ensureStream(CATALOG_STREAM, CATALOG_STREAM_SUBJECTS);
    await catalogStream;
    const js = bus.nc.jetstream();
    const enc = new TextEncoder();
    for (const r of records) await js.publish(bus.subject(catalogCommitSubject(r.mediaSetUuid)), enc.encode(JSON.stringify(r)), { msgID: r.recordId });
  };
  const leases = new LeaseManager(db, { worker: `${service.instanceId}:${config.nodeName}:${process.pid}`, ttlMs: config.leaseTtlMs });
  const addresses = parseNotifyAddresses(config.notifyAddresses);
  const notifier = new Notifier({
    ...(config.smtpHost !== undefined ? { smtp: { host: config.smtpHost, port: config.smtpPort, from: config.smtpFrom, tls: config.smtpTls } } : {}),
    addresses: typeof addresses === "string" ? {} : addresses,
    publish: (e) => publishEvent(NOTIFICATION_EVENT, e.user, e),
    logger: logger.child({ component: "notify" }),
  });
  /** Tape requests of every instance live in one Redis hash, so any replica lists them. */
  const tapeRequestKey = `${config.queuePrefix}:tape-requests`;
  const tapeRequests = new TapeRequestBoard({
    created: async (e) => {
      await redis.hset(tapeRequestKey, e.id, JSON.stringify(e));
      await publishEvent(TAPE_REQUEST_CREATED_EVENT, e.id, e).catch((err: unknown) => logger.warn({ err }, "cannot publish the tape request"));
    },
    closed: async (e) => {
      await redis.hdel(tapeRequestKey, e.id);
      await publishEvent(TAPE_REQUEST_CLOSED_EVENT, e.id, e).catch(() => undefined);
    },
  });
  // Jobs need the datastore and write session rpcs: the gRPC port has them (a fake agent passed for device operations may not).
  const grpcAgents = agents as unknown as GrpcAgentPort;
  const jobs = new JobQueue(
    queue,
    tasks,
    {
      backup: async (params, ctx) => {
        await new BackupJob({
          inventory,
          agent: grpcAgents,
          leases,
          tapeRequests,
          notify: (u, subj, text) => notifier.notify(u, subj, text),
          recheckMs: config.tapeRecheckMs,
          commitBytes: config.commitBytes,
        }).run(params as BackupStartRequest, ctx);
      },
      catalog: async (params, ctx) => {
        await new CatalogJob({ inventory, agent: grpcAgents, leases, publish: publishCatalogRecords }).run(params as CatalogStartRequest, ctx);
      },
      restore: (params, ctx) => new RestoreJob({ inventory, catalog: inventory, agent: grpcAgents, leases, notify: (u, subj, text) => notifier.notify(u, subj, text) }).run(params as RestoreStartRequest, ctx),
      "datastore-sample": (params, ctx) => new DatastoreJobs(inventory, grpcAgents).sample(params as DatastoreSampleRequest, ctx),
      "datastore-ingest": (params, ctx) => new DatastoreJobs(inventory, grpcAgents).ingest(params as DatastoreIngestRequest, ctx),
    },
    logger.child({ component: "jobs" }),
  );
  const schedules = new ScheduleRunner(db, {
    instance: service.instanceId,
    jobs: () => inventory.backupJobs(),
    fire: (job) => {
      const req = backupRequestOf(job);
      return jobs.submit("backup", backupTaskSpec(req, "root@pam", job.id), req);
    },
    logger: logger.child({ component: "schedules" }),
  });
  const wireJobs = () => {
    registerJobHandlers(
      bus,
      {
        submit: (kind, spec, params) => jobs.submit(kind, spec, params),
        backupJob: (id) => inventory.backupJob(id),
        tapeRequests: async () => Object.values(await redis.hgetall(tapeRequestKey)).map((v) => JSON.parse(v) as TapeRequestEntry).sort((a, b) => a.since - b.since),
      },
      logger.child({ component: "jobs" }),
    );
    bus.subscribe("events.inventory.>", () => tapeRequests.poke());
    if (config.workerConcurrency > 0) jobs.startWorker({ redisUrl: config.redisUrl, prefix: config.queuePrefix, concurrency: config.workerConcurrency, queueName: JOB_QUEUE_NAME });
    if (config.scheduleTickMs > 0) schedules.start(config.scheduleTickMs);
  };
  try {
    // A task created here whose job is still queued is kept (a worker of any replica runs it); when Redis does not answer, too.
    const recovered = await tasks.recover({ queued: (upid) => withTimeout(jobs.isQueued(upid), 5000, "BullMQ job state").catch(() => true) });
    if (recovered > 0) service.logger.warn({ recovered, node: config.nodeName }, "tasks left running by a stopped scheduler ended with status unknown");
    wireJobs();
    registerLeaseHandlers(service.bus, leases, service.logger.child({ component: "leases" }));
    registerDeviceHandlers(service.bus, { ops: (requestId) => new DeviceOps(requestId ? inventory.withRequestId(requestId) : inventory, agents, tasks), tasks }, service.logger.child({ component: "devices" }));
    await service.bus.nc.flush();
  } catch (err) {
    await service.stop();
    throw err;
  }
  // Runs before NATS and PostgreSQL close (hooks run in reverse): stop the running tasks, let them record their end.
  service.lifecycle.onShutdown("tasks", async () => {
    // Only this process's tasks (other replicas keep theirs), however many tasks run fleet-wide.
    tasks.abortAllLocal();
    await tasks.waitAll();
    agents.close();
  });
  // Runs first at shutdown: no new jobs or schedule ticks, then the tasks hook stops the running ones.
  service.lifecycle.onShutdown("jobs", async () => {
    await schedules.stop();
    await jobs.close();
    notifier.close();
  });
  // Series from shared state are exported by one replica: the metrics leader.
  const metricsLeader = new MetricsLeader(redis, `${config.queuePrefix}:metrics-leader`, service.instanceId);
  metricsLeader.start();
  service.lifecycle.onShutdown("metrics-leader", () => metricsLeader.stop());
  registerSchedulerMetrics(service.metrics, { sql: service.database!.sql, queue, redis, tapeRequestKey, leader: metricsLeader });
  service.markReady();
  service.logger.info({ queue: JOB_QUEUE_NAME, queuePrefix: config.queuePrefix, node: config.nodeName }, "job queue and device operations ready");
  return { service, tasks, queue, jobs, leases, schedules, tapeRequests, notifier, redisReady, stop: () => service.stop() };
}
