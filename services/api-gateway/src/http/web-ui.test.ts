import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Bus } from "@tapefleet/common";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal, TokenStore } from "../core/token-store.ts";
import { RequestStats } from "./request-stats.ts";
import { isApiPath, needsToken, OPENAPI_PATH, registerApi } from "./routes.ts";
import { DEFAULT_WEB_UI_DIR, IMMUTABLE, isClientRoute, isReservedPath, isWebUiBuilt, registerWebUi, RESERVED_PATHS, REVALIDATE } from "./web-ui.ts";

const INDEX = '<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script>';
const TOKEN = "admin:s3cret";
const TOKENS = [{ id: "admin", role: "admin", comment: "" }];

/** A token store that knows one admin token (the auth hook only calls verify; the token list route calls list). */
const tokens = {
  verify: async (t: string): Promise<Principal | undefined> => (t === TOKEN ? { tokenId: "admin", role: "admin" } : undefined),
  list: async () => TOKENS,
} as unknown as TokenStore;
/** The routes under test never reach the bus. */
const bus = {
  request: async () => {
    throw new Error("no bus in this test");
  },
} as unknown as Bus;

/** The gateway's app as startGateway builds it (probes, API, then the web UI), without PostgreSQL or NATS. */
async function gatewayApp(dir: string): Promise<{ app: FastifyInstance; built: boolean }> {
  const app = Fastify({ logger: false });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async () => ({ status: "ready" }));
  registerApi(app, {
    bus,
    tokens,
    logger: createLogger({ service: "api-gateway", level: "silent" }),
    stats: new RequestStats(),
    requestTimeoutMs: 1000,
    openApiDocument: { openapi: "3.1.0" },
  });
  const state = await registerWebUi(app, { dir });
  await app.ready();
  return { app, built: state.built };
}

const auth = { authorization: `Bearer ${TOKEN}` };
let root: string;
let app: FastifyInstance;
let bare: FastifyInstance;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "tapefleet-gw-webui-"));
  mkdirSync(join(root, "dist", "assets"), { recursive: true });
  writeFileSync(join(root, "dist", "index.html"), INDEX);
  writeFileSync(join(root, "dist", "assets", "index-abc123.js"), "console.log('app');");
  writeFileSync(join(root, "dist", "logo.svg"), "<svg/>");
  const built = await gatewayApp(join(root, "dist"));
  expect(built.built).toBe(true);
  app = built.app;
  const missing = await gatewayApp(join(root, "not-built"));
  expect(missing.built).toBe(false);
  bare = missing.app;
});

afterAll(async () => {
  await app?.close();
  await bare?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("paths", () => {
  it("never treats the API, the probes or the metrics as client routes", () => {
    for (const p of ["/api2", "/api2/", "/api2/json/config/drive", "/api2/openapi.json", "/healthz", "/readyz", "/metrics"]) {
      expect(isReservedPath(p), p).toBe(true);
      expect(isClientRoute(p), p).toBe(false);
    }
    expect(RESERVED_PATHS).toEqual(["/api2", "/healthz", "/readyz", "/metrics"]);
  });

  it("answers page paths with the app, but not file names", () => {
    for (const p of ["/", "/drives", "/media-pools", "/backup-jobs", "/tasks/UPID:abc", "/api2x", "/healthz-page"]) expect(isClientRoute(p), p).toBe(true);
    for (const p of ["/assets/index-abc.js", "/favicon.ico", "/robots.txt", "drives", ""]) expect(isClientRoute(p), p).toBe(false);
  });

  it("needs a token for every API path but the OpenAPI document, and for nothing else", () => {
    for (const p of ["/api2", "/api2/", "/api2/json/config/drive", "/api2/json/no-such", "/api2/json/access/token"]) {
      expect(isApiPath(p), p).toBe(true);
      expect(needsToken(p), p).toBe(true);
    }
    expect(needsToken(OPENAPI_PATH)).toBe(false);
    for (const p of ["/", "/drives", "/assets/index-abc.js", "/healthz", "/readyz", "/metrics", "/api2x", "/x/api2/json"]) {
      expect(needsToken(p), p).toBe(false);
    }
  });

  it("defaults to the web UI workspace's dist folder of this checkout", () => {
    expect(DEFAULT_WEB_UI_DIR.replace(/\\/g, "/")).toMatch(/\/packages\/web-ui\/dist$/);
    expect(isWebUiBuilt(join(root, "dist"))).toBe(true);
    expect(isWebUiBuilt(join(root, "not-built"))).toBe(false);
  });
});

describe("the gateway serving a built web UI", () => {
  it("serves index.html at / and on client routes without a token, revalidated on every load", async () => {
    for (const url of ["/", "/drives", "/media-pools?x=1", "/tasks/UPID%3Avm%3A1", "/no/such/page", "/api2x"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers["cache-control"], url).toBe(REVALIDATE);
    }
    expect((await app.inject({ method: "HEAD", url: "/drives" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/index.html" })).body).toBe(INDEX);
  });

  it("serves hashed assets with a long cache lifetime and other files revalidated", async () => {
    const res = await app.inject({ method: "GET", url: "/assets/index-abc123.js" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/javascript/);
    expect(res.headers["cache-control"]).toBe(IMMUTABLE);
    expect(res.body).toBe("console.log('app');");
    const logo = await app.inject({ method: "GET", url: "/logo.svg" });
    expect(logo.statusCode).toBe(200);
    expect(logo.headers["cache-control"]).toBe(REVALIDATE);
  });

  it("still asks a token for the API, known and unknown routes, however the path is spelled", async () => {
    for (const url of ["/api2/json/access/token", "/api2/json/config/drive", "/api2/json/no-such-route", "/api2", "/api2/", "/%61pi2/json/access/token"]) {
      // The router decodes `%61` to `a`: the route it matched decides, not the spelling of the path.
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json(), url).toMatchObject({ code: "UNAUTHORIZED" });
    }
    expect((await app.inject({ method: "POST", url: "/api2/json/config/drive", payload: {} })).statusCode).toBe(401);
    const listed = await app.inject({ method: "GET", url: "/api2/json/access/token", headers: auth });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual({ data: TOKENS });
    const unknown = await app.inject({ method: "GET", url: "/api2/json/no-such-route", headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: "NOT_FOUND" });
  });

  it("never shadows the probes and the OpenAPI document, which need no token", async () => {
    expect((await app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({ status: "ready" });
    expect((await app.inject({ method: "GET", url: OPENAPI_PATH })).json()).toEqual({ openapi: "3.1.0" });
  });

  it("leaves reserved paths without a route and missing files to the not-found answer", async () => {
    for (const url of ["/metrics", "/readyz/x", "/healthz/", "/assets/missing-1.js", "/favicon.ico"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ code: "NOT_FOUND" });
    }
    expect((await app.inject({ method: "POST", url: "/drives" })).statusCode).toBe(404);
  });
});

describe("the gateway without a built web UI", () => {
  it("answers client routes with a page saying to run npm run build, and the API as usual", async () => {
    for (const url of ["/", "/drives"]) {
      const res = await bare.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      expect(res.body, url).toContain("The tapefleet web UI is not built");
      expect(res.body, url).toContain("<code>npm run build</code>");
      expect(res.body, url).toContain(join(root, "not-built"));
    }
    expect((await bare.inject({ method: "GET", url: "/assets/index-abc123.js" })).statusCode).toBe(404);
    expect((await bare.inject({ method: "GET", url: "/api2/json/config/drive" })).statusCode).toBe(401);
    expect((await bare.inject({ method: "GET", url: "/api2/json/access/token", headers: auth })).json()).toEqual({ data: TOKENS });
    expect((await bare.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
  });
});
