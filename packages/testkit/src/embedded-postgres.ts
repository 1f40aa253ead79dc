import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { arch, platform } from "node:os";
import postgres from "postgres";
import { freePort, sleep } from "./net.ts";
import { isRoot, lookupUser } from "./system-user.ts";

/** Account the embedded server runs as when the launcher runs as root (PostgreSQL refuses root). */
export const EMBEDDED_POSTGRES_USER = "postgres";
/** Database the stack's services share (each owns its own schema in it). */
export const EMBEDDED_DATABASE = "tapefleet";

export interface EmbeddedPostgresOptions {
  /** Cluster folder (created and initialised on first start). */
  dataDir: string;
  /** TCP port on 127.0.0.1 (default: a free port, chosen at each start). */
  port?: number;
  /** Lines of the server's own log (default: dropped). */
  onLog?: (line: string) => void;
  /** How long to wait for the server to accept connections (default 60 s). */
  startTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** URL of the `tapefleet` database (with the generated password). */
  url: string;
  port: number;
  /** Who the server runs as (the current user, or `postgres` when started as root). */
  runAs: string;
  /** Resolves when the server process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  pid: number;
  /** Fast shutdown (SIGINT), then SIGKILL after `graceMs` (default 30 s). */
  stop(graceMs?: number): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddedPostgresError";
  }
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const mod = (await import(pkg)) as { initdb: string; postgres: string };
    return { initdb: mod.initdb, postgres: mod.postgres };
  } catch (err) {
    throw new EmbeddedPostgresError(`no embedded PostgreSQL binaries for ${platform()}-${arch()} (${pkg}: ${(err as Error).message}); set DATABASE_URL to use an existing server`);
  }
}

/**
 * Who runs the server: as root, the `postgres` account (created with useradd
 * when missing, as embedded-postgres's `createPostgresUser` does); otherwise
 * the current user.
 */
export function serverAccount(): { name: string; uid?: number; gid?: number } {
  if (!isRoot()) return { name: process.env["USER"] ?? "current user" };
  let ids = lookupUser(EMBEDDED_POSTGRES_USER);
  if (ids === undefined) {
    try {
      execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", EMBEDDED_POSTGRES_USER], { stdio: "ignore" });
    } catch (err) {
      throw new EmbeddedPostgresError(`running as root and there is no '${EMBEDDED_POSTGRES_USER}' account to run PostgreSQL as (useradd failed: ${(err as Error).message})`);
    }
    ids = lookupUser(EMBEDDED_POSTGRES_USER);
    if (ids === undefined) throw new EmbeddedPostgresError(`created the '${EMBEDDED_POSTGRES_USER}' account but cannot look it up`);
  }
  return { name: EMBEDDED_POSTGRES_USER, uid: ids.uid, gid: ids.gid };
}

/** Every folder above `dir` must be searchable by the server's account. */
function ensureTraversable(dir: string): void {
  let d = dirname(resolve(dir));
  for (;;) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
}

function run(bin: string, args: string[], account: { uid?: number; gid?: number }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C", LANG: "C" },
      ...(account.uid !== undefined ? { uid: account.uid, gid: account.gid! } : {}),
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolvePromise({ code, output }));
  });
}

function tail(text: string, lines = 15): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/**
 * Starts (and on first use initialises) a private PostgreSQL server from the
 * binaries of the `embedded-postgres` package, listening on 127.0.0.1 only,
 * with a generated password kept beside the cluster (`<dataDir>.password`,
 * mode 0600). Creates the `tapefleet` database when missing. As root the
 * server runs as the `postgres` account and the cluster folder is owned by it.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const bin = await binaries();
  const account = serverAccount();
  const dataDir = resolve(opts.dataDir);
  const passwordFile = `${dataDir}.password`;
  mkdirSync(dirname(dataDir), { recursive: true });
  if (account.uid !== undefined) ensureTraversable(dataDir);

  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { mode: 0o700 });
    if (account.uid !== undefined) chownSync(dataDir, account.uid, account.gid!);
    const password = randomBytes(18).toString("base64url");
    writeFileSync(passwordFile, password + "\n", { mode: 0o600 });
    const pwfile = join(dirname(dataDir), `.initdb-pw-${randomBytes(4).toString("hex")}`);
    writeFileSync(pwfile, password + "\n", { mode: 0o600 });
    if (account.uid !== undefined) chownSync(pwfile, account.uid, account.gid!);
    try {
      const init = await run(bin.initdb, [`--pgdata=${dataDir}`, "--username=postgres", "--auth=scram-sha-256", `--pwfile=${pwfile}`, "--encoding=UTF8", "--no-locale"], account);
      if (init.code !== 0) throw new EmbeddedPostgresError(`initdb failed (exit ${init.code}):\n${tail(init.output)}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  if (!existsSync(passwordFile)) throw new EmbeddedPostgresError(`${passwordFile} is missing: the cluster in ${dataDir} was not made by this launcher (remove it, or set DATABASE_URL)`);
  const password = readFileSync(passwordFile, "utf8").trim();

  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(
    bin.postgres,
    ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C", LANG: "C" },
      detached: true,
      ...(account.uid !== undefined ? { uid: account.uid, gid: account.gid! } : {}),
    },
  );
  let log = "";
  const onData = (c: Buffer) => {
    const text = c.toString();
    log = (log + text).slice(-8000);
    if (opts.onLog) for (const line of text.split("\n")) if (line.trim() !== "") opts.onLog(line);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once("exit", (code, signal) => res({ code, signal })));
  let dead = false;
  void exited.then(() => (dead = true));

  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (dead) throw new EmbeddedPostgresError(`embedded PostgreSQL exited during start:\n${tail(log)}`);
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
    try {
      const rows = await sql<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${EMBEDDED_DATABASE}`;
      if (rows[0]?.n === 0) await sql.unsafe(`create database "${EMBEDDED_DATABASE}"`);
      await sql.end({ timeout: 2 });
      break;
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => {});
      const msg = (err as Error).message;
      if (/password authentication failed/.test(msg)) {
        child.kill("SIGINT");
        throw new EmbeddedPostgresError(`the password in ${passwordFile} does not open the cluster in ${dataDir}`);
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new EmbeddedPostgresError(`embedded PostgreSQL did not accept connections within ${opts.startTimeoutMs ?? 60_000} ms: ${msg}\n${tail(log)}`);
      }
      await sleep(200);
    }
  }

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  return {
    url,
    port,
    runAs: account.name,
    exited,
    pid: child.pid!,
    stop: async (graceMs = 30_000) => {
      if (dead) return;
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
