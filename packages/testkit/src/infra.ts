import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, closeSync } from "node:fs";
import { freePort, hostPortOf, probeNats, probeRedis, sleep } from "./net.ts";
import { hasCommand, isRoot } from "./system-user.ts";

/** NATS on the standard local port (used when it answers and no URL is configured). */
export const LOCAL_NATS_URL = "nats://127.0.0.1:4222";
/** Redis on the standard local port (likewise). */
export const LOCAL_REDIS_URL = "redis://127.0.0.1:6379";

export class InfraError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InfraError";
  }
}

/** A backing server the stack uses: external (configured or already running) or a child of the launcher. */
export interface InfraServer {
  name: string;
  url: string;
  /** Present when the launcher started the server. */
  child?: { pid: number; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stop(graceMs?: number): Promise<void> };
  /** Where the URL came from: `configured`, `local` (standard port answered) or `started`. */
  origin: "configured" | "local" | "started";
}

interface ServerKind {
  name: "nats" | "redis";
  command: string;
  debianPackage: string;
  localUrl: string;
  defaultPort: number;
  probe: (host: string, port: number) => Promise<boolean>;
  args: (port: number, dir: string) => string[];
}

export const NATS_KIND: ServerKind = {
  name: "nats",
  command: "nats-server",
  debianPackage: "nats-server",
  localUrl: LOCAL_NATS_URL,
  defaultPort: 4222,
  probe: probeNats,
  args: (port, dir) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
};

export const REDIS_KIND: ServerKind = {
  name: "redis",
  command: "redis-server",
  debianPackage: "redis-server",
  localUrl: LOCAL_REDIS_URL,
  defaultPort: 6379,
  probe: probeRedis,
  args: (port, dir) => ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--appendonly", "yes", "--save", "", "--daemonize", "no"],
};

/**
 * Makes sure the command of a server exists: installs its Debian package when
 * running as root with apt-get, otherwise says exactly what to install.
 */
export function ensureCommand(kind: ServerKind, log: (line: string) => void): void {
  if (hasCommand(kind.command)) return;
  if (isRoot() && hasCommand("apt-get")) {
    log(`installing ${kind.debianPackage} (apt-get install -y ${kind.debianPackage})`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", kind.debianPackage], { stdio: "ignore", env });
    if (r.status !== 0) {
      spawnSync("apt-get", ["update"], { stdio: "ignore", env });
      r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", kind.debianPackage], { stdio: "ignore", env });
    }
    if (r.status === 0 && hasCommand(kind.command)) return;
    throw new InfraError(`could not install ${kind.debianPackage} with apt-get; install it, or set TAPEFLEET_${kind.name.toUpperCase()}_URL`);
  }
  throw new InfraError(
    `${kind.command} is not installed and nothing answers on ${kind.localUrl}: install it (sudo apt-get install ${kind.debianPackage}), or set TAPEFLEET_${kind.name.toUpperCase()}_URL`,
  );
}

/**
 * The server of one kind the stack uses: the configured URL (which must
 * answer), else the standard local port when it answers, else a child server
 * with its data under `dataDir`.
 */
export async function ensureServer(
  kind: ServerKind,
  opts: {
    configuredUrl?: string | undefined;
    dataDir: string;
    logFile: string;
    log: (line: string) => void;
    startTimeoutMs?: number;
    /** Start a child even when the standard local port answers (a server with settings of its own, e.g. TLS). */
    ownServer?: boolean;
    /** Password of a started Redis (`--requirepass`; in the URL returned). */
    password?: string;
  },
): Promise<InfraServer> {
  if (opts.configuredUrl !== undefined && opts.configuredUrl !== "") {
    const { host, port } = hostPortOf(opts.configuredUrl, kind.defaultPort);
    if (!(await kind.probe(host, port))) throw new InfraError(`${kind.name} does not answer at ${host}:${port} (configured URL)`);
    return { name: kind.name, url: opts.configuredUrl, origin: "configured" };
  }
  const local = hostPortOf(kind.localUrl, kind.defaultPort);
  if (opts.ownServer !== true && (await kind.probe(local.host, local.port))) return { name: kind.name, url: kind.localUrl, origin: "local" };

  ensureCommand(kind, opts.log);
  mkdirSync(opts.dataDir, { recursive: true });
  const port = await freePort();
  const fd = openSync(opts.logFile, "a");
  let child: ChildProcess;
  try {
    const args = kind.args(port, opts.dataDir);
    if (opts.password !== undefined) {
      if (kind.name !== "redis") throw new InfraError(`a password is only set for redis, not ${kind.name}`);
      args.push("--requirepass", opts.password);
    }
    child = spawn(kind.command, args, { stdio: ["ignore", fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once("exit", (code, signal) => res({ code, signal })));
  let dead = false;
  void exited.then(() => (dead = true));
  child.once("error", () => (dead = true));
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  while (!(await kind.probe("127.0.0.1", port))) {
    if (dead) throw new InfraError(`${kind.command} exited during start (see ${opts.logFile})`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new InfraError(`${kind.command} did not answer on 127.0.0.1:${port} in time (see ${opts.logFile})`);
    }
    await sleep(100);
  }
  const scheme = kind.name === "nats" ? "nats" : "redis";
  const auth = opts.password !== undefined ? `:${encodeURIComponent(opts.password)}@` : "";
  return {
    name: kind.name,
    url: `${scheme}://${auth}127.0.0.1:${port}`,
    origin: "started",
    child: {
      pid: child.pid!,
      exited,
      stop: async (graceMs = 10_000) => {
        if (dead) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      },
    },
  };
}
