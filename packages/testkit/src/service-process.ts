import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { sleep } from "./net.ts";

/** One tapefleet service run as a child process (`node --import tsx src/main.ts`). */
export interface ServiceProcess {
  name: string;
  pid: number;
  /** Base URL of its `/healthz` + `/readyz`. */
  healthUrl: string;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly running: boolean;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL. */
  stop(graceMs: number): Promise<void>;
}

export interface SpawnServiceOptions {
  name: string;
  /** Absolute path of the service's `src/main.ts`. */
  main: string;
  cwd: string;
  env: Record<string, string>;
  healthUrl: string;
  logFile: string;
}

/** Spawns a service in its own process group, output appended to its log file. */
export function spawnService(opts: SpawnServiceOptions): ServiceProcess {
  const fd = openSync(opts.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ["--import", "tsx", opts.main], { cwd: opts.cwd, env: opts.env, stdio: ["ignore", fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    child.once("error", () => {
      running = false;
      resolve({ code: null, signal: null });
    });
  });
  return {
    name: opts.name,
    pid: child.pid ?? -1,
    healthUrl: opts.healthUrl,
    logFile: opts.logFile,
    exited,
    get running() {
      return running;
    },
    stop: async (graceMs) => {
      if (!running) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (running) child.kill("SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Why a service did not become ready. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(message);
    this.name = "ServiceStartError";
  }
}

/** The last lines of a log file (for error messages). */
export function logTail(file: string, lines = 12): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Polls `/readyz` until it answers 200; fails when the process exits first or the time runs out. */
export async function waitReady(svc: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!svc.running) {
      const { code, signal } = await svc.exited;
      throw new ServiceStartError(svc.name, `${svc.name} exited during start (${signal ?? `code ${code}`}); last lines of ${svc.logFile}:\n${logTail(svc.logFile)}`);
    }
    try {
      const res = await fetch(`${svc.healthUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      // Another process that took the same port answers with its own pid: not ours.
      const pid = res.headers.get("x-tapefleet-pid");
      if (res.status === 200 && (pid === null || pid === String(svc.pid))) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      throw new ServiceStartError(svc.name, `${svc.name} was not ready within ${timeoutMs} ms; last lines of ${svc.logFile}:\n${logTail(svc.logFile)}`);
    }
    await sleep(150);
  }
}
