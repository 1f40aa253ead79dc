import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { startService, type Logger, type RunningService } from "@tapefleet/common";
import Fastify, { type FastifyInstance } from "fastify";
import type { GatewayConfig } from "./config.ts";
import { TokenStore } from "./core/token-store.ts";
import { schema, type GatewaySchema } from "./db/schema.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { RequestStats } from "./http/request-stats.ts";
import { registerApi } from "./http/routes.ts";
import { registerWebUi, type WebUiState } from "./http/web-ui.ts";
import { registerHttpMetrics } from "./metrics.ts";

/** Folder of the committed drizzle-kit migrations. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));
/** Schema of the migration journal (not `gateway`: the first migration creates that one). */
export const MIGRATIONS_SCHEMA = "gateway_migrations";
/** Version shown in the OpenAPI document. */
export const API_VERSION = "0.1.0";
/** Largest request body accepted (bytes). */
export const BODY_LIMIT = 256 * 1024;

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export interface RunningGateway {
  /** Base URL of the API, e.g. `http://127.0.0.1:8007`. */
  url: string;
  app: FastifyInstance;
  tokens: TokenStore;
  service: RunningService<GatewaySchema>;
  /** Path of the admin token file and whether this start created it. */
  adminToken: { file: string; created: boolean };
  /** The web UI served at `/` (its folder and whether it is built), or null when `webUi` is off. */
  webUi: WebUiState | null;
  stop(): Promise<void>;
}

/** A free TCP port on `host` (used when the configured port is 0, so the announced URL is exact). */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Start the API gateway: PostgreSQL (tokens) + NATS via startService, the
 * admin token on first start, the REST API with /healthz and /readyz on one
 * Fastify app, and a periodic request-rate log line.
 */
export async function startGateway(config: GatewayConfig, opts: { logger?: Logger; installSignalHandlers?: boolean } = {}): Promise<RunningGateway> {
  const port = config.httpPort === 0 ? await freePort(config.httpHost) : config.httpPort;
  const url = urlOf(config.httpHost, port);
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
  });
  const service = await startService({
    name: "api-gateway",
    config,
    database: { url: config.databaseUrl, schema, pgSchema: MIGRATIONS_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER },
    httpApp: { app, url },
    info: { apiUrl: url },
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.installSignalHandlers === undefined ? {} : { installSignalHandlers: opts.installSignalHandlers }),
  });
  try {
    registerHttpMetrics(app, service.metrics);
    const tokens = new TokenStore(service.database!.db);
    const adminToken = await tokens.ensureAdminToken(config.adminTokenFile, service.logger);
    const stats = new RequestStats();
    const logger = service.logger.child({ component: "http" });
    registerApi(app, {
      bus: service.bus,
      tokens,
      logger,
      stats,
      requestTimeoutMs: config.requestTimeoutMs,
      deviceTimeoutMs: config.deviceRequestTimeoutMs,
      openApiDocument: buildOpenApiDocument({ version: API_VERSION, serverUrl: url }),
    });
    const webUi = config.webUi ? await registerWebUi(app, config.webUiDir === undefined ? {} : { dir: config.webUiDir }) : null;
    if (webUi !== null && !webUi.built) {
      service.logger.warn({ dir: webUi.dir }, "the web UI is not built: '/' shows how to build it (npm run build)");
    }
    await app.listen({ host: config.httpHost, port });
    service.lifecycle.onShutdown("http", () => app.close());
    if (config.statsIntervalMs > 0) {
      const timer = setInterval(() => {
        const s = stats.take();
        if (s.requests > 0) logger.info(s, "request rate");
      }, config.statsIntervalMs);
      timer.unref();
      service.lifecycle.onShutdown("stats", () => clearInterval(timer));
    }
    service.markReady();
    service.logger.info({ url, webUi: webUi === null ? "off" : webUi.built ? `${url}/` : "not built" }, "API listening");
    return { url, app, tokens, service, adminToken, webUi, stop: () => service.stop() };
  } catch (err) {
    await service.stop();
    await app.close();
    throw err;
  }
}
