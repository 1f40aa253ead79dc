import { Counter, Histogram, METRIC_PREFIX, type Registry } from "@tapefleet/common";
import type { FastifyInstance } from "fastify";

/** `route` label of a request no route matched (404 of an unknown path). */
export const UNMATCHED_ROUTE = "unmatched";

/** Upper bounds (seconds) of the request duration buckets: API calls up to device operations of minutes. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

/**
 * Count every answered request and its duration, by method, route pattern (e.g.
 * `/api2/json/tape/drive/:name`, never the raw URL, so the series stay few) and
 * status code: `tapefleet_http_requests_total{method,route,status}` and
 * `tapefleet_http_request_duration_seconds{method,route,status}`, from one
 * `onResponse` hook on the gateway's app (it covers the API, the web UI, `/healthz`,
 * `/readyz` and `/metrics`).
 */
export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({
    name: `${METRIC_PREFIX}http_requests_total`,
    help: "HTTP requests answered by the gateway, by method, route pattern and status code",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: "Time from receiving an HTTP request to sending its answer, by method, route pattern and status code",
    labelNames,
    buckets: [...HTTP_DURATION_BUCKETS],
    registers: [registry],
  });
  app.addHook("onResponse", async (req, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? UNMATCHED_ROUTE, status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });
}
