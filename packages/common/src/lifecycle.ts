import { hostname } from "node:os";
import Fastify, { type FastifyInstance } from "fastify";
import type { Bus } from "./nats.ts";
import type { Logger } from "./logger.ts";
import { registerMetricsRoute, type Registry } from "./metrics.ts";

/** What a service says of itself on the bus (`<prefix>.svc.heartbeat`, `svc.ping`). */
export interface ServiceAnnouncement {
  service: string;
  instance: string;
  host: string;
  pid: number;
  startedAt: string;
  ready: boolean;
  healthUrl: string;
  /** Service-specific facts (e.g. an agent's gRPC address). */
  info?: Record<string, unknown>;
}

export type ReadinessCheck = () => Promise<boolean> | boolean;

export interface HealthServerOptions {
  host: string;
  port: number;
  logger: Logger;
  checks: Record<string, ReadinessCheck>;
  /** Served at `/metrics` when given. */
  metrics?: Registry;
}

/**
 * `/healthz` (alive: the event loop answers) and `/readyz` (every readiness
 * check passes: connections up, migrations done, not draining).
 */
export async function startHealthServer(opts: HealthServerOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  registerHealthRoutes(app, opts.checks);
  if (opts.metrics) registerMetricsRoute(app, opts.metrics);
  const address = await app.listen({ host: opts.host, port: opts.port });
  return { app, url: address };
}

/** Response header of `/healthz` and `/readyz`: the pid of the process that answered. */
export const PID_HEADER = "x-tapefleet-pid";

/** Add `/healthz` and `/readyz` to an existing Fastify app (e.g. the gateway's API server). */
export function registerHealthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck>): void {
  // The answering process names itself, so a launcher that picked a port can
  // tell its own child from another process that took the same port.
  app.get("/healthz", async (_req, reply) => reply.header(PID_HEADER, String(process.pid)).send({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    reply.header(PID_HEADER, String(process.pid));
    const results: Record<string, boolean> = {};
    for (const [name, check] of Object.entries(checks)) {
      try {
        results[name] = await check();
      } catch {
        results[name] = false;
      }
    }
    const ready = Object.values(results).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not-ready", checks: results });
  });
}

type ShutdownHook = () => Promise<void> | void;

/**
 * Graceful shutdown: on SIGTERM/SIGINT the service stops being ready, runs its
 * hooks in reverse order of registration, then exits 0. A second signal exits
 * at once.
 */
export class Lifecycle {
  private hooks: { name: string; fn: ShutdownHook }[] = [];
  private stopping = false;
  draining = false;

  constructor(private readonly logger: Logger) {}

  onShutdown(name: string, fn: ShutdownHook): void {
    this.hooks.push({ name, fn });
  }

  installSignalHandlers(exit: (code: number) => void = (c) => process.exit(c)): void {
    const handler = (signal: NodeJS.Signals) => {
      if (this.stopping) {
        this.logger.warn({ signal }, "second signal: exiting now");
        exit(1);
        return;
      }
      void this.shutdown(signal).then(() => exit(0), () => exit(1));
    };
    process.on("SIGTERM", handler);
    process.on("SIGINT", handler);
  }

  async shutdown(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.draining = true;
    this.logger.info({ reason }, "shutting down");
    for (const hook of [...this.hooks].reverse()) {
      try {
        await hook.fn();
      } catch (err) {
        this.logger.error({ err, hook: hook.name }, "shutdown hook failed");
      }
    }
    this.logger.info("stopped");
  }
}

/** Announce a service on the bus: heartbeats plus an answer to `svc.ping` scatter-gathers. */
export function announceService(
  bus: Bus,
  base: Omit<ServiceAnnouncement, "ready" | "host" | "pid" | "startedAt">,
  isReady: () => Promise<boolean>,
  intervalMs = 5000,
): () => void {
  const startedAt = new Date().toISOString();
  const current = async (): Promise<ServiceAnnouncement> => ({
    ...base,
    host: hostname(),
    pid: process.pid,
    startedAt,
    ready: await isReady().catch(() => false),
  });
  bus.serve("svc.ping", async () => current());
  const beat = async () => bus.publish(`svc.heartbeat.${base.service}`, await current());
  void beat();
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
