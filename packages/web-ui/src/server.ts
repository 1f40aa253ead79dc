/**
 * Serving the built web UI from a Fastify app (the gateway's, or one of its own).
 *
 * `registerWebUi` serves `dist/` at `/`, answers client routes (`/drives`, …)
 * with `index.html`, and leaves `/api2/…`, `/healthz`, `/readyz` and
 * `/metrics` to the app's own routes and not-found handler. When `dist/` has
 * no `index.html` it runs `vite build` in a child process first (about half a
 * minute on two cores), unless `build: false`, in which case it fails with a
 * {@link WebUiError} saying to run `npm run build`.
 */
import { spawn } from "node:child_process";
import { existsSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { isClientRoute } from "./spa-paths.ts";

/** The workspace folder (where `vite.config.ts` and `index.html` are). */
export const WEB_UI_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where `npm run build -w @tapefleet/web-ui` writes the app. */
export const DEFAULT_DIST_DIR = join(WEB_UI_ROOT, "dist");

/** Cache policy: hashed assets forever, everything else revalidated. */
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

export type WebUiErrorCode = "WEB_UI_NOT_BUILT" | "WEB_UI_BUILD_FAILED";

/** Why the web UI cannot be served. */
export class WebUiError extends Error {
  readonly code: WebUiErrorCode;
  constructor(code: WebUiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebUiError";
    this.code = code;
  }
}

export interface WebUiOptions {
  /** Folder of the built app (default: the workspace's `dist/`). */
  distDir?: string;
  /**
   * Build the app when `distDir` has no `index.html` (default true). With
   * `false`, registration fails with `WEB_UI_NOT_BUILT` instead.
   */
  build?: boolean;
  /** Where build progress goes (default: nowhere). */
  log?: (line: string) => void;
}

/** True when `distDir` holds a built app. */
export function isBuilt(distDir: string = DEFAULT_DIST_DIR): boolean {
  return existsSync(join(distDir, "index.html"));
}

/**
 * Builds the app into `outDir` with `vite build` in a child process. The build
 * goes to a temporary folder first and is renamed into place, so a reader
 * never sees half a build.
 * @throws WebUiError `WEB_UI_BUILD_FAILED` with vite's output when it fails.
 */
export async function buildWebUi(outDir: string = DEFAULT_DIST_DIR, log?: (line: string) => void): Promise<void> {
  const target = resolve(outDir);
  const tmp = `${target}.build-${process.pid}-${Date.now()}`;
  const require = createRequire(join(WEB_UI_ROOT, "package.json"));
  const viteBin = join(dirname(require.resolve("vite/package.json")), "bin", "vite.js");
  log?.(`building the web UI into ${target}`);
  const output: string[] = [];
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(process.execPath, [viteBin, "build", "--outDir", tmp, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: WEB_UI_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_ENV: "production" },
    });
    child.stdout.on("data", (b: Buffer) => output.push(b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => output.push(b.toString("utf8")));
    child.once("error", fail);
    child.once("close", done);
  });
  if (code !== 0 || !isBuilt(tmp)) {
    rmSync(tmp, { recursive: true, force: true });
    throw new WebUiError("WEB_UI_BUILD_FAILED", `vite build of the web UI failed (exit ${String(code)}): ${output.join("").trim().slice(-4000)}`);
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  log?.("web UI built");
}

/**
 * Serves the web UI on `app`: static files of `distDir` and `index.html` for
 * client routes. Register it before `app.listen()`. Routes the app already has
 * (`/api2/…`, probes) keep priority; a GET of a reserved path that no route
 * answers goes to the app's not-found handler, not to `index.html`.
 * @throws WebUiError when the app is not built and `build` is false, or the build fails.
 */
export async function registerWebUi(app: FastifyInstance, opts: WebUiOptions = {}): Promise<void> {
  const distDir = resolve(opts.distDir ?? DEFAULT_DIST_DIR);
  if (!isBuilt(distDir)) {
    if (opts.build === false) {
      throw new WebUiError("WEB_UI_NOT_BUILT", `the web UI is not built (no index.html in ${distDir}): run 'npm run build -w @tapefleet/web-ui' (or 'npm run build')`);
    }
    await buildWebUi(distDir, opts.log);
  }
  await app.register(fastifyStatic, {
    root: distDir,
    prefix: "/",
    wildcard: false,
    cacheControl: false,
    setHeaders: (res, path) => {
      res.header("cache-control", path.includes(`${join(distDir, "assets")}`) ? IMMUTABLE : REVALIDATE);
    },
  });
  app.get("/*", async (req, reply) => {
    const path = req.url.split("?", 1)[0]!;
    if (!isClientRoute(path)) return reply.callNotFound();
    reply.header("cache-control", REVALIDATE);
    return reply.sendFile("index.html");
  });
}
