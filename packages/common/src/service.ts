import { randomUUID } from "node:crypto";
import { connectDatabase, runMigrations, type Database } from "./db.ts";
import { createLogger, type Logger } from "./logger.ts";
import { announceService, Lifecycle, registerHealthRoutes, startHealthServer, type ReadinessCheck } from "./lifecycle.ts";
import { Bus, natsSecurityOf } from "./nats.ts";
import { createMetricsRegistry, registerMetricsRoute, type Registry } from "./metrics.ts";

/** The settings startService reads (every service schema has them: see baseConfigShape). */
export interface BaseServiceConfig {
  instanceId?: string | undefined;
  logLevel: string;
  httpHost: string;
  httpPort: number;
  natsUrl: string;
  natsUser?: string | undefined;
  natsPassword?: string | undefined;
  natsToken?: string | undefined;
  natsCredsFile?: string | undefined;
  natsTlsCa?: string | undefined;
  natsTlsCert?: string | undefined;
  natsTlsKey?: string | undefined;
  natsPrefix: string;
}

export interface StartServiceOptions<TSchema extends Record<string, unknown>> {
  name: string;
  config: BaseServiceConfig;
  /** Service owns tables: connect, migrate its schema, check in /readyz. */
  database?: { url: string; schema: TSchema; pgSchema: string; migrationsFolder: string };
  /** Extra facts announced on the bus (e.g. gRPC address). */
  info?: Record<string, unknown>;
  logger?: Logger;
  installSignalHandlers?: boolean;
  /**
   * Serve /healthz and /readyz on this app instead of a health server of
   * their own (the caller listens; pass its URL as `httpUrl`).
   */
  httpApp?: { app: import("fastify").FastifyInstance; url: string };
}

export interface RunningService<TSchema extends Record<string, unknown>> {
  name: string;
  instanceId: string;
  logger: Logger;
  bus: Bus;
  database: Database<TSchema> | undefined;
  lifecycle: Lifecycle;
  healthUrl: string;
  /** Prometheus registry served at `/metrics` beside `/healthz`. */
  metrics: Registry;
  addReadinessCheck(name: string, check: ReadinessCheck): void;
  /** Call once the service serves: /readyz turns ready (if every check passes). */
  markReady(): void;
  stop(): Promise<void>;
}

/**
 * Boot sequence shared by every service: logger → NATS → PostgreSQL +
 * migrations → health server → announcement. Each step fails fast with a
 * typed error naming what is unreachable.
 */
export async function startService<TSchema extends Record<string, unknown> = Record<string, never>>(
  opts: StartServiceOptions<TSchema>,
): Promise<RunningService<TSchema>> {
  const cfg = opts.config;
  const instanceId = cfg.instanceId ?? `${opts.name}-${randomUUID().slice(0, 8)}`;
  const logger = opts.logger ?? createLogger({ service: opts.name, instanceId, level: cfg.logLevel });
  const lifecycle = new Lifecycle(logger);
  let ready = false;
  const checks: Record<string, ReadinessCheck> = { started: () => ready && !lifecycle.draining };

  const bus = await Bus.connect({
    url: cfg.natsUrl,
    prefix: cfg.natsPrefix,
    name: instanceId,
    ...natsSecurityOf(cfg),
    logger: logger.child({ component: "bus" }),
  });
  lifecycle.onShutdown("nats", () => bus.close());
  checks["nats"] = () => bus.connected;

  let database: Database<TSchema> | undefined;
  if (opts.database) {
    database = await connectDatabase({ url: opts.database.url, schema: opts.database.schema, logger, applicationName: instanceId });
    lifecycle.onShutdown("postgres", () => database!.close());
    await runMigrations({ url: opts.database.url, migrationsFolder: opts.database.migrationsFolder, schema: opts.database.pgSchema, logger });
    checks["postgres"] = () => database!.ping();
  }

  const metrics = createMetricsRegistry({ service: opts.name, instance: instanceId });
  let health: { url: string };
  if (opts.httpApp) {
    registerHealthRoutes(opts.httpApp.app, checks);
    registerMetricsRoute(opts.httpApp.app, metrics);
    health = { url: opts.httpApp.url };
  } else {
    const own = await startHealthServer({ host: cfg.httpHost, port: cfg.httpPort, logger, checks, metrics });
    lifecycle.onShutdown("http", () => own.app.close());
    health = own;
  }

  const stopAnnounce = announceService(
    bus,
    { service: opts.name, instance: instanceId, healthUrl: health.url, ...(opts.info ? { info: opts.info } : {}) },
    async () => {
      for (const c of Object.values(checks)) if (!(await c())) return false;
      return true;
    },
  );
  lifecycle.onShutdown("announce", stopAnnounce);
  if (opts.installSignalHandlers !== false) lifecycle.installSignalHandlers();

  logger.info({ healthUrl: health.url }, `${opts.name} started`);
  return {
    name: opts.name,
    instanceId,
    logger,
    bus,
    database,
    lifecycle,
    healthUrl: health.url,
    metrics,
    addReadinessCheck: (name, check) => {
      checks[name] = check;
    },
    markReady: () => {
      ready = true;
    },
    stop: () => lifecycle.shutdown("stop"),
  };
}
