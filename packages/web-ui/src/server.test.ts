import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerWebUi, WebUiError } from "./server.ts";

const INDEX = '<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script>';

let dir: string;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tapefleet-webui-server-"));
  mkdirSync(join(dir, "dist", "assets"), { recursive: true });
  writeFileSync(join(dir, "dist", "index.html"), INDEX);
  writeFileSync(join(dir, "dist", "assets", "index-abc123.js"), "console.log('app');");
  app = Fastify({ logger: false });
  // Routes of the host app (as the gateway has them) and its own not-found answer.
  app.get("/api2/json/config/drive", async () => ({ data: [] }));
  app.get("/healthz", async () => ({ status: "ok" }));
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ code: "NOT_FOUND", message: `no route ${req.url}` }));
  await registerWebUi(app, { distDir: join(dir, "dist"), build: false });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("registerWebUi", () => {
  it("serves index.html at / and on client routes, revalidated on every load", async () => {
    for (const url of ["/", "/drives", "/media-pools?x=1", "/tasks/UPID%3Avm%3A1", "/no/such/page"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers["cache-control"], url).toBe("no-cache");
    }
    expect((await app.inject({ method: "HEAD", url: "/drives" })).statusCode).toBe(200);
  });

  it("serves hashed assets with a long cache lifetime", async () => {
    const res = await app.inject({ method: "GET", url: "/assets/index-abc123.js" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/javascript/);
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(res.body).toBe("console.log('app');");
  });

  it("never shadows the host's routes, and leaves unknown reserved paths and missing files to its not-found handler", async () => {
    expect((await app.inject({ method: "GET", url: "/api2/json/config/drive" })).json()).toEqual({ data: [] });
    expect((await app.inject({ method: "GET", url: "/healthz" })).json()).toEqual({ status: "ok" });
    for (const url of ["/api2/json/nope", "/api2", "/readyz", "/metrics", "/assets/missing-1.js", "/favicon.ico"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ code: "NOT_FOUND" });
    }
    expect((await app.inject({ method: "POST", url: "/drives" })).statusCode).toBe(404);
  });

  it("fails with a clear message when the app is not built and building is off", async () => {
    const other = Fastify({ logger: false });
    const missing = join(dir, "nothing-here");
    const err = await registerWebUi(other, { distDir: missing, build: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebUiError);
    expect((err as WebUiError).code).toBe("WEB_UI_NOT_BUILT");
    expect((err as WebUiError).message).toBe(
      `the web UI is not built (no index.html in ${missing}): run 'npm run build -w @tapefleet/web-ui' (or 'npm run build')`,
    );
    await other.close();
  });
});
