/**
 * The image's entry point and health check, run here as the image runs them:
 * the entry point with a stand-in `node` that reports what it was asked to run,
 * the health check against a local HTTP server.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../src/index.ts";

const ENTRYPOINT = join(REPO_ROOT, "deploy/bin/entrypoint.sh");
const HEALTHCHECK = join(REPO_ROOT, "deploy/bin/healthcheck.mjs");

let fakeBin: string;
let app: string;

beforeAll(() => {
  fakeBin = mkdtempSync(join(tmpdir(), "tf-entrypoint-"));
  app = mkdtempSync(join(tmpdir(), "tf-app-"));
  // Stands in for node: prints its arguments, the variables the entry point sets, and its cwd.
  writeFileSync(
    join(fakeBin, "node"),
    '#!/bin/sh\nprintf "args=%s\\n" "$*"\nprintf "port=%s\\n" "${TAPEFLEET_HTTP_PORT:-}"\nprintf "service=%s\\n" "${TAPEFLEET_SERVICE:-}"\nprintf "cwd=%s\\n" "$(pwd)"\n',
  );
  chmodSync(join(fakeBin, "node"), 0o755);
});

afterAll(() => {
  rmSync(fakeBin, { recursive: true, force: true });
  rmSync(app, { recursive: true, force: true });
});

function entrypoint(args: string[], env: Record<string, string> = {}): { code: number | null; out: Record<string, string>; stderr: string } {
  const r = spawnSync("sh", [ENTRYPOINT, ...args], {
    env: { PATH: `${fakeBin}:/usr/bin:/bin`, TAPEFLEET_APP_DIR: app, ...env },
    encoding: "utf8",
    cwd: tmpdir(),
  });
  const out: Record<string, string> = {};
  for (const line of r.stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).replaceAll(app, "/srv/tapefleet");
  }
  return { code: r.status, out, stderr: r.stderr };
}

describe("entrypoint.sh", () => {
  it.each([
    ["api-gateway", "8007"],
    ["inventory", "8080"],
    ["catalog", "8080"],
    ["keyvault", "8080"],
    ["scheduler", "8080"],
    ["device-agent", "8080"],
  ])("starts %s from its sources with tsx, health port %s", (service, port) => {
    const r = entrypoint([service]);
    expect(r.code).toBe(0);
    expect(r.out).toEqual({ args: `--import tsx /srv/tapefleet/services/${service}/src/main.ts`, port, service, cwd: "/srv/tapefleet" });
  });

  it("takes the service from TAPEFLEET_SERVICE when no argument is given", () => {
    const r = entrypoint([], { TAPEFLEET_SERVICE: "catalog" });
    expect(r.out["args"]).toBe("--import tsx /srv/tapefleet/services/catalog/src/main.ts");
  });

  it("prefers the argument over TAPEFLEET_SERVICE and passes the rest on", () => {
    const r = entrypoint(["keyvault", "--trace-warnings"], { TAPEFLEET_SERVICE: "catalog" });
    expect(r.out["args"]).toBe("--import tsx /srv/tapefleet/services/keyvault/src/main.ts --trace-warnings");
    expect(r.out["service"]).toBe("keyvault");
  });

  it("keeps a TAPEFLEET_HTTP_PORT that is set", () => {
    expect(entrypoint(["api-gateway"], { TAPEFLEET_HTTP_PORT: "9000" }).out["port"]).toBe("9000");
    expect(entrypoint(["scheduler"], { TAPEFLEET_HTTP_PORT: "9001" }).out["port"]).toBe("9001");
  });

  it("runs the one-shot migration in migrate mode", () => {
    const r = entrypoint(["migrate"]);
    expect(r.code).toBe(0);
    expect(r.out["args"]).toBe("--import tsx /srv/tapefleet/deploy/bin/migrate.ts");
    expect(r.out["service"]).toBe("migrate");
  });

  it("refuses an unknown or missing service with exit 64 and the list of services", () => {
    const unknown = entrypoint(["gateway"]);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("unknown service 'gateway'");
    expect(unknown.stderr).toContain("api-gateway inventory catalog keyvault scheduler device-agent");
    expect(unknown.out["args"]).toBeUndefined();
    const none = entrypoint([]);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain("no service given");
  });
});

describe("healthcheck.mjs", () => {
  let server: Server;
  let port: number;
  let status = 200;
  let paths: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? "");
      res.writeHead(status).end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  async function healthcheck(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const { spawn } = await import("node:child_process");
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [HEALTHCHECK], { env: { PATH: process.env["PATH"] ?? "", ...env } });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (code) => resolve({ code, stderr }));
    });
  }

  it("passes when /healthz answers 200 on TAPEFLEET_HTTP_PORT", async () => {
    status = 200;
    paths = [];
    expect((await healthcheck({ TAPEFLEET_SERVICE: "inventory", TAPEFLEET_HTTP_PORT: String(port) })).code).toBe(0);
    expect(paths).toEqual(["/healthz"]);
  });

  it("fails when /healthz answers anything else", async () => {
    status = 503;
    const r = await healthcheck({ TAPEFLEET_SERVICE: "api-gateway", TAPEFLEET_HTTP_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${port}`);
  });

  it("fails when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect((await healthcheck({ TAPEFLEET_SERVICE: "catalog", TAPEFLEET_HTTP_PORT: String(free) })).code).toBe(1);
  });

  it("is healthy in migrate mode, which has no listener", async () => {
    expect((await healthcheck({ TAPEFLEET_SERVICE: "migrate", TAPEFLEET_HTTP_PORT: "1" })).code).toBe(0);
  });
});
