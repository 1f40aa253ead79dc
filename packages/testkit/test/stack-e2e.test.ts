import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, provisionTestEnv, REPO_ROOT, startStack, type RunningStack, type StackFile, type TestEnv } from "../src/index.ts";

const TAPECTL = join(REPO_ROOT, "packages", "cli", "bin", "tapectl.mjs");

let env: TestEnv;
const dirs: string[] = [];

beforeAll(async () => {
  env = await provisionTestEnv("e2e");
});
afterAll(async () => {
  await env?.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh `<tmp>/var` folder (the launcher's default layout, so tapectl can find `./var/stack.json`). */
function newVarDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tf-stack-"));
  dirs.push(dir);
  return join(dir, "var");
}

/** Environment of a stack: the test run's NATS prefix, Redis and queue prefix; no database unless given. */
function stackEnv(databaseUrl?: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith("TAPEFLEET_") || k === "DATABASE_URL") delete e[k];
  return {
    ...e,
    ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
    TAPEFLEET_NATS_URL: env.natsUrl,
    TAPEFLEET_NATS_PREFIX: env.natsPrefix,
    TAPEFLEET_REDIS_URL: env.redisUrl,
    TAPEFLEET_QUEUE_PREFIX: env.queuePrefix,
    TAPEFLEET_LOG_LEVEL: "info",
  };
}

function start(varDir: string, e: NodeJS.ProcessEnv): Promise<RunningStack> {
  return startStack({ varDir, env: e, gatewayPort: 0, grpcAddress: "127.0.0.1:0" });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs tapectl as a child process. */
function tapectl(args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<Run> {
  return new Promise((resolve) => {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(base)) if (k.startsWith("TAPEFLEET_")) delete base[k];
    execFile(process.execPath, [TAPECTL, ...args], { cwd: opts.cwd, env: { ...base, NO_COLOR: "1", ...opts.env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The rows of a table printed by tapectl (box drawing, header first), as trimmed cells. */
function tableRows(stdout: string): string[][] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("│"))
    .map((l) => l.slice(1, l.lastIndexOf("│")).split("│").map((c) => c.trim()));
}

/** `npm start`'s entry point as a child process; resolves once it printed its summary. */
function launch(varDir: string, e: NodeJS.ProcessEnv, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "packages", "testkit", "src", "bin", "stack.ts")], {
    cwd: REPO_ROOT,
    env: { ...e, TAPEFLEET_VAR_DIR: varDir, TAPEFLEET_HTTP_PORT: String(port), TAPEFLEET_GRPC_ADDRESS: "127.0.0.1:0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => {
      clearInterval(timer);
      reject(new Error(`launcher exited (${code}):\n${out}`));
    };
    child.once("exit", onExit);
    const timer = setInterval(() => {
      if (out.includes("Ctrl-C stops the stack")) {
        clearInterval(timer);
        child.off("exit", onExit);
        resolve({ child, output: () => out });
      }
    }, 100);
  });
}

function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe("the stack as processes, driven by tapectl", () => {
  it("configures a drive and a pool, refuses bad requests, and keeps the configuration across a restart", async () => {
    const varDir = newVarDir();
    const e = stackEnv(env.databaseUrl);
    let stack = await start(varDir, e);
    try {
      expect(stack.database).toBe("configured");
      expect(stack.services.map((s) => s.name).sort()).toEqual(["api-gateway", "catalog", "device-agent", "inventory", "keyvault", "scheduler"]);
      const file = JSON.parse(readFileSync(stack.stackFile, "utf8")) as StackFile;
      expect(file.gatewayUrl).toBe(stack.gatewayUrl);
      expect(JSON.stringify(file)).not.toContain(stack.databaseUrl);
      const token = readFileSync(stack.adminTokenFile, "utf8").trim();
      // The device agent serves the library folder, created from the default site on first start.
      expect(existsSync(join(varDir, "vtl", "state.json"))).toBe(true);
      expect(readFileSync(join(varDir, "logs", "device-agent.log"), "utf8")).toContain('"devices":"vtl"');
      expect(token.length).toBeGreaterThan(10);

      const cli = { cwd: dirname(varDir), env: { TAPEFLEET_URL: stack.gatewayUrl, TAPEFLEET_TOKEN_FILE: stack.adminTokenFile } };
      const drive = await tapectl(["drive", "create", "d1", "--path", "/dev/tape/by-id/scsi-TFD9000001-sg"], cli);
      expect(drive.stderr).toBe("");
      expect(drive.code).toBe(0);
      const pool = await tapectl(["pool", "create", "daily", "--drive", "d1", "--allocation", "daily", "--retention", "7days"], cli);
      expect(pool.stderr).toBe("");
      expect(pool.code).toBe(0);

      const list = await tapectl(["pool", "list"], cli);
      expect(list.code).toBe(0);
      const [header, ...rows] = tableRows(list.stdout);
      expect(header?.[0]).toBe("name");
      const row = Object.fromEntries(header!.map((h, i) => [h, rows.find((r) => r[0] === "daily")?.[i]]));
      expect(row).toMatchObject({ name: "daily", drive: "d1", allocation: "daily", retention: "7days" });

      // No token: 401, from the gateway itself.
      const anon = await fetch(`${stack.gatewayUrl}/api2/json/config/media-pool`);
      expect(anon.status).toBe(401);

      // A bad time span: 400 naming the field, over HTTP and through tapectl.
      const bad = await fetch(`${stack.gatewayUrl}/api2/json/config/media-pool`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "weekly", drive: "d1", retention: "7dayz" }),
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("retention");
      const badCli = await tapectl(["pool", "create", "weekly", "--drive", "d1", "--retention", "7dayz"], cli);
      expect(badCli.code).not.toBe(0);
      expect(badCli.stderr).toContain("retention");

      // The master key never reaches a log.
      const masterKey = readFileSync(join(varDir, "master-key"), "utf8").trim();
      for (const f of readdirSync(join(varDir, "logs"))) expect(readFileSync(join(varDir, "logs", f), "utf8")).not.toContain(masterKey);

      const pids = stack.services.map((s) => s.pid);
      await stack.stop();
      expect(pids.every(pidGone)).toBe(true);

      stack = await start(varDir, e);
      expect(readFileSync(stack.adminTokenFile, "utf8").trim()).toBe(token);
      // tapectl finds the gateway through ./var/stack.json and the token in ./var/admin-token.
      const again = await tapectl(["pool", "list"], { cwd: dirname(varDir), env: {} });
      expect(again.stderr).toBe("");
      expect(again.code).toBe(0);
      expect(tableRows(again.stdout).slice(1).map((r) => r[0])).toEqual(["daily"]);
    } finally {
      await stack.stop();
    }
  });

  it("runs on the embedded PostgreSQL when no database is configured, and keeps its data across a restart", async () => {
    const varDir = newVarDir();
    const e = stackEnv();
    let stack = await start(varDir, e);
    try {
      expect(stack.database).toBe("embedded");
      expect(stack.databaseUrl).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/tapefleet$/);
      const cli = { cwd: dirname(varDir), env: {} };
      const created = await tapectl(["drive", "create", "d02", "--path", "/dev/tape/by-id/scsi-TFD8000002-sg"], cli);
      expect(created.stderr).toBe("");
      expect(created.code).toBe(0);
      await stack.stop();

      stack = await start(varDir, e);
      expect(stack.database).toBe("embedded");
      const list = await tapectl(["drive", "list"], cli);
      expect(list.code).toBe(0);
      expect(tableRows(list.stdout).slice(1).map((r) => r[0])).toEqual(["d02"]);

      // A service that dies is reported, and the stack stops the rest.
      const scheduler = stack.services.find((s) => s.name === "scheduler")!;
      process.kill(scheduler.pid, "SIGKILL");
      const failure = await stack.failed;
      expect(failure.message).toContain("scheduler exited (SIGKILL)");
      await stack.stop();
      expect(stack.services.map((s) => s.pid).every(pidGone)).toBe(true);
    } finally {
      await stack.stop();
    }
  });

  it("refuses to start when the configured database does not answer, naming it", async () => {
    const varDir = newVarDir();
    await expect(start(varDir, stackEnv("postgres://postgres@127.0.0.1:1/none"))).rejects.toThrow("PostgreSQL does not answer at 127.0.0.1:1 (DATABASE_URL)");
  });

  it("npm start's entry point prints where things are, stops on SIGTERM, and a restart stops what a killed launcher left", async () => {
    // A database of its own: the keyvault in it is pinned to this folder's master key.
    const own = await provisionTestEnv("e2elaunch");
    try {
      const varDir = newVarDir();
      const e = stackEnv(own.databaseUrl);
      const port = await freePort();
      const first = await launch(varDir, e, port);
      expect(first.output()).toContain(`gateway:          http://127.0.0.1:${port}`);
      expect(first.output()).toContain(`admin token file: ${join(varDir, "admin-token")}`);
      const left = (JSON.parse(readFileSync(join(varDir, "stack.json"), "utf8")) as StackFile).services.map((s) => s.pid);
      first.child.kill("SIGKILL");
      await new Promise((r) => first.child.once("exit", r));
      expect(left.some((pid) => !pidGone(pid))).toBe(true);

      const second = await launch(varDir, e, port);
      expect(second.output()).toContain("left running by a launcher that died");
      expect(left.every(pidGone)).toBe(true);
      const running = (JSON.parse(readFileSync(join(varDir, "stack.json"), "utf8")) as StackFile).services.map((s) => s.pid);
      const code = await new Promise<number | null>((resolve) => {
        second.child.once("exit", (c) => resolve(c));
        second.child.kill("SIGTERM");
      });
      expect(code).toBe(0);
      expect(second.output()).toContain("[stack] stopped");
      expect(running.every(pidGone)).toBe(true);
      expect(existsSync(join(varDir, "stack.json"))).toBe(false);
    } finally {
      await own.cleanup();
    }
  });
});
