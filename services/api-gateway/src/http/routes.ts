import {
  CONFIG_KIND_INFO,
  CONFIG_KINDS,
  configDigest,
  createTokenRequest,
  inventorySubject,
  parseInput,
  type ConfigKind,
  type ConfigOp,
} from "@tapefleet/api-types";
import { ForbiddenError, NotFoundError, UnauthorizedError, type Bus, type Logger } from "@tapefleet/common";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal, TokenStore } from "../core/token-store.ts";
import { tokenFromHeader } from "./auth.ts";
import { toHttpError } from "./error-response.ts";
import type { RequestStats } from "./request-stats.ts";
import { registerTapeRoutes } from "./tape-routes.ts";
import { SPA_FALLBACK_ROUTE } from "./web-ui.ts";

/** Root of the JSON API (as PBS). */
export const API_ROOT = "/api2/json";
/** The OpenAPI document (served without authentication: it holds no data). */
export const OPENAPI_PATH = "/api2/openapi.json";
/** Paths of the API answered without a token: the API description (it holds no data). */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set([OPENAPI_PATH]);

/** True for the API's paths (`/api2` and below). */
export function isApiPath(path: string): boolean {
  return path === "/api2" || path.startsWith("/api2/");
}

/**
 * True when a request for `path` needs a token: every API path except
 * {@link PUBLIC_PATHS}. The probes, the metrics and the web UI's files (which
 * hold no data; every API call of the app carries the token) do not.
 */
export function needsToken(path: string): boolean {
  return isApiPath(path) && !PUBLIC_PATHS.has(path);
}

/**
 * The path that decides whether a request needs a token: the pattern of the
 * route it matched (so a percent-encoded spelling of an API path is still an
 * API path), or its own path when no route or only the web UI's fallback matched.
 */
export function authPathOf(req: FastifyRequest): string {
  const route = req.routeOptions.url;
  return route === undefined || route === SPA_FALLBACK_ROUTE ? req.url.split("?", 1)[0]! : route;
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface ApiDeps {
  bus: Bus;
  tokens: TokenStore;
  logger: Logger;
  stats: RequestStats;
  requestTimeoutMs: number;
  /** Timeout of device operations (the scheduler waits for the agents). */
  deviceTimeoutMs?: number;
  openApiDocument: unknown;
}

/**
 * Authentication, error mapping, request logging and every API route. Config
 * routes are thin: they forward to the inventory service over NATS.
 */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const { bus, tokens, logger, stats } = deps;
  app.decorateRequest("principal", null);

  // JSON bodies with Fastify's safe parser, but an empty body (e.g. a DELETE sent
  // with a JSON content type) is no body rather than an error.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    parseJson(req, text, done);
  });

  app.addHook("onRequest", async (req, reply) => {
    void reply.header("x-request-id", req.id);
    if (!needsToken(authPathOf(req))) return;
    const principal = await tokens.verify(tokenFromHeader(req.headers.authorization));
    if (!principal) throw new UnauthorizedError("invalid API token");
    req.principal = principal;
    if (!READ_METHODS.has(req.method) && principal.role !== "admin") {
      throw new ForbiddenError(`token '${principal.tokenId}' has role '${principal.role}' and may only read`);
    }
  });

  app.addHook("onResponse", async (req, reply) => {
    stats.record(reply.statusCode);
    logger.info(
      {
        requestId: req.id,
        method: req.method,
        route: req.routeOptions.url ?? null,
        url: req.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
        tokenId: req.principal?.tokenId ?? null,
      },
      "request",
    );
  });

  app.setErrorHandler(async (err, req, reply) => {
    const { status, body, internal } = toHttpError(err, req.id);
    if (internal) logger.error({ err, requestId: req.id }, "request failed");
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler(async (req, reply) => {
    const { status, body } = toHttpError(new NotFoundError("route", `${req.method} ${req.url.split("?", 1)[0]}`), req.id);
    return reply.code(status).send(body);
  });

  const forward = (req: FastifyRequest, kind: ConfigKind, op: ConfigOp, payload?: unknown) =>
    bus.request(inventorySubject(kind, op), payload, { timeoutMs: deps.requestTimeoutMs, requestId: req.id });

  for (const kind of CONFIG_KINDS) {
    const base = `${API_ROOT}/config/${kind}`;
    const item = `${base}/:${CONFIG_KIND_INFO[kind].key}`;
    const keyOf = (req: FastifyRequest) => (req.params as Record<string, string>)[CONFIG_KIND_INFO[kind].key]!;
    app.get(base, async (req) => ({ data: await forward(req, kind, "list") }));
    app.post(base, async (req) => ({ data: await forward(req, kind, "create", req.body ?? {}) }));
    app.get(item, async (req) => {
      const data = await forward(req, kind, "get", { key: keyOf(req) });
      return { data, digest: configDigest(data) };
    });
    app.put(item, async (req) => ({ data: await forward(req, kind, "update", { key: keyOf(req), patch: req.body ?? {} }) }));
    app.delete(item, async (req) => {
      await forward(req, kind, "remove", { key: keyOf(req) });
      return { data: null };
    });
  }

  app.get(`${API_ROOT}/access/token`, async () => ({ data: await tokens.list() }));
  app.post(`${API_ROOT}/access/token`, async (req) => {
    const body = parseInput(createTokenRequest, req.body ?? {});
    const created = await tokens.create(body.role, body.comment);
    logger.info({ requestId: req.id, newTokenId: created.id, role: created.role, by: req.principal?.tokenId }, "API token created");
    return { data: created };
  });
  app.delete(`${API_ROOT}/access/token/:id`, async (req) => {
    const id = (req.params as { id: string }).id;
    await tokens.remove(id);
    logger.info({ requestId: req.id, removedTokenId: id, by: req.principal?.tokenId }, "API token removed");
    return { data: null };
  });

  registerTapeRoutes(app, { bus, requestTimeoutMs: deps.requestTimeoutMs, deviceTimeoutMs: deps.deviceTimeoutMs ?? deps.requestTimeoutMs });
  app.get(OPENAPI_PATH, async () => deps.openApiDocument);
}
