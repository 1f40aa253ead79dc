import { collectDefaultMetrics, Registry } from "prom-client";
import type { FastifyInstance } from "fastify";

export { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Prefix of every tapefleet metric name. */
export const METRIC_PREFIX = "tapefleet_";

/**
 * One Prometheus registry per service process, with the default process
 * metrics (CPU, memory, event loop lag, GC) and the labels `service` and
 * `instance` on every series.
 */
export function createMetricsRegistry(labels: { service: string; instance: string }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/** Serve the registry in the Prometheus text format at `/metrics`. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get("/metrics", async (_req, reply) => {
    const body = await registry.metrics();
    return reply.header("content-type", registry.contentType).send(body);
  });
}
