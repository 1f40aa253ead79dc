/**
 * The web UI on the gateway's own listener: the built single-page app
 * (`packages/web-ui/dist`, or `TAPEFLEET_WEB_UI_DIR`) at `/`, with `index.html`
 * for every client route, so a reload of `/drives` or `/tasks/UPID:…` works.
 *
 * The API, the probes and the metrics keep their routes: a GET of a path under
 * {@link RESERVED_PATHS} that no route answers goes to the app's not-found
 * handler, never to `index.html`, and so does a missing file (`/favicon.ico`,
 * `/assets/gone.js`), so a broken build fails loudly. When the folder holds no
 * `index.html` the gateway still starts: client routes answer a short page
 * saying how to build the app (it is never built at request time).
 */
import { existsSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** Where `npm run build -w @tapefleet/web-ui` writes the app in this checkout. */
export const DEFAULT_WEB_UI_DIR = fileURLToPath(new URL("../../../../packages/web-ui/dist", import.meta.url));

/** Paths that belong to the gateway (API, probes, metrics), never to the app. */
export const RESERVED_PATHS: readonly string[] = ["/api2", "/healthz", "/readyz", "/metrics"];

/** The pattern of the route that answers client routes with `index.html`. */
export const SPA_FALLBACK_ROUTE = "/*";

/** Cache policy: hashed assets forever, everything else revalidated on each load. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
export const REVALIDATE = "no-cache";

/** The command that builds the app, as shown when it is not built. */
export const BUILD_COMMAND = "npm run build";

/** True when `path` is one of {@link RESERVED_PATHS} or below one. */
export function isReservedPath(path: string): boolean {
  return RESERVED_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * True when a GET of `path` (no query) gets the app's `index.html`: not
 * reserved, and not a file name (a last segment with an extension is a
 * missing file and gets a 404).
 */
export function isClientRoute(path: string): boolean {
  if (!path.startsWith("/") || isReservedPath(path)) return false;
  const last = path.slice(path.lastIndexOf("/") + 1);
  return !/\.[A-Za-z0-9]+$/.test(last);
}

/** True when `dir` holds a built app (an `index.html`). */
export function isWebUiBuilt(dir: string = DEFAULT_WEB_UI_DIR): boolean {
  return existsSync(join(dir, "index.html"));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page client routes answer while the app is not built. */
export function notBuiltPage(dir: string): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><title>tapefleet: web UI not built</title></head>',
    "<body>",
    "<h1>The tapefleet web UI is not built</h1>",
    `<p>There is no <code>index.html</code> in <code>${escapeHtml(dir)}</code>. Run <code>${BUILD_COMMAND}</code>`,
    "(or <code>npm run build -w @tapefleet/web-ui</code>) in the tapefleet checkout, then restart the gateway.</p>",
    "<p>The API is served as usual under <code>/api2/json/</code>.</p>",
    "</body></html>",
    "",
  ].join("\n");
}

export interface WebUiOptions {
  /** Folder of the built app (default {@link DEFAULT_WEB_UI_DIR}). */
  dir?: string;
}

/** What {@link registerWebUi} found. */
export interface WebUiState {
  dir: string;
  built: boolean;
}

/**
 * Serves the web UI on `app`; call it after the API routes and the not-found
 * handler are registered and before `app.listen()`. Files of the folder are
 * served as they are (`/assets/*` cached for a year, the rest revalidated);
 * every other GET of a client route gets `index.html`, or the not-built page
 * (status 503) when the folder has no `index.html`.
 */
export async function registerWebUi(app: FastifyInstance, opts: WebUiOptions = {}): Promise<WebUiState> {
  const dir = resolve(opts.dir ?? DEFAULT_WEB_UI_DIR);
  const built = isWebUiBuilt(dir);
  if (built) {
    const assets = join(dir, "assets") + sep;
    await app.register(fastifyStatic, {
      root: dir,
      prefix: "/",
      // One route per file found now (a build replaces the folder; restart to serve a new one).
      wildcard: false,
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header("cache-control", path.startsWith(assets) ? IMMUTABLE : REVALIDATE);
      },
    });
  }
  const page = notBuiltPage(dir);
  app.get(SPA_FALLBACK_ROUTE, async (req, reply) => {
    const path = req.url.split("?", 1)[0]!;
    if (!isClientRoute(path)) return reply.callNotFound();
    reply.header("cache-control", REVALIDATE);
    if (!built) return reply.code(503).type("text/html; charset=utf-8").send(page);
    return reply.sendFile("index.html");
  });
  return { dir, built };
}
