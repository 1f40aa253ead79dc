import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.ts";
import { ensureServer, NATS_KIND, REDIS_KIND, type InfraServer } from "./infra.ts";
import { freePort, hostPortOf, probePostgres } from "./net.ts";
import { logTail, spawnService, waitReady, type ServiceProcess } from "./service-process.ts";
import { createStackTls, natsTlsConfig, type StackTls } from "./stack-tls.ts";

/** Root of the tapefleet checkout (services are started from their sources). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Port of the API gateway when neither the options nor `TAPEFLEET_HTTP_PORT` say otherwise. */
export const DEFAULT_GATEWAY_PORT = 8007;
/** gRPC address of the device agent when neither the options nor `TAPEFLEET_GRPC_ADDRESS` say otherwise. */
export const DEFAULT_AGENT_GRPC_ADDRESS = "127.0.0.1:8008";
/** How long one start level may take to become ready. */
export /** Starts of a service whose picked port another process took first. */
const PORT_ATTEMPTS = 3;
const DEFAULT_READY_TIMEOUT_MS = 120_000;
/** How long a stopping service may take before it is killed. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** The services of the stack, in dependency levels: every service of a level is ready before the next level starts. */
export const STACK_SERVICES: readonly { name: string; level: number }[] = [
  { name: "inventory", level: 0 },
  { name: "catalog", level: 0 },
  { name: "keyvault", level: 0 },
  { name: "scheduler", level: 0 },
  { name: "device-agent", level: 0 },
  { name: "api-gateway", level: 1 },
];

export interface StackOptions {
  /** State folder: database, master key, admin token, logs, virtual library (default `./var`). */
  varDir?: string;
  /** Where `TAPEFLEET_*`, `DATABASE_URL` and the rest of the children's environment come from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Gateway port (0: a free port). Default `TAPEFLEET_HTTP_PORT`, else 8007. */
  gatewayPort?: number;
  /** Device agent gRPC address. Default `TAPEFLEET_GRPC_ADDRESS`, else 127.0.0.1:8008. */
  grpcAddress?: string;
  /** Launcher messages (default: dropped). */
  log?: (line: string) => void;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  /**
   * TLS and credentials between the services (default `TAPEFLEET_TLS`, off):
   * a private CA and certificates in `<varDir>/tls/`, a NATS server of the
   * launcher's own with TLS, client certificates and one user per service,
   * mutual TLS between the scheduler and the device agent, a password on a
   * Redis the launcher starts.
   */
  tls?: boolean;
}

export interface StackServiceInfo {
  name: string;
  pid: number;
  healthUrl: string;
  logFile: string;
}

export interface RunningStack {
  gatewayUrl: string;
  adminTokenFile: string;
  /** `<varDir>/stack.json`, read by tapectl. */
  stackFile: string;
  varDir: string;
  /** URL of the database the services use (holds the password: do not print). */
  databaseUrl: string;
  database: "configured" | "embedded";
  natsUrl: string;
  redisUrl: string;
  natsPrefix: string;
  queuePrefix: string;
  services: readonly StackServiceInfo[];
  /** TLS mode: where the certificates are and the CA that signed them. */
  tls?: { dir: string; caFile: string };
  /** `host:port` the device agent's gRPC server listens on (the port picked when 0 was asked for). */
  agentGrpcAddress: string;
  /** Resolves when a service or a backing server dies while the stack runs; the stack then stops itself. */
  failed: Promise<Error>;
  /** Stops every service (gateway first), then the servers the launcher started. Idempotent. */
  stop(): Promise<void>;
}

/** What `<varDir>/stack.json` holds (no secrets). */
export interface StackFile {
  gatewayUrl: string;
  adminTokenFile: string;
  pid: number;
  startedAt: string;
  database: "configured" | "embedded";
  natsPrefix: string;
  services: StackServiceInfo[];
  /** The embedded PostgreSQL server, when the launcher started one. */
  postgresPid?: number;
  /** TLS mode: the CA of the stack's certificates. */
  tls?: { caFile: string };
}

export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackError";
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return undefined;
  }
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = pids.filter(pidAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    alive = alive.filter(pidAlive);
  }
  return alive;
}

/**
 * Stops what a launcher that died without stopping left running from this
 * folder (per its stack.json): only processes whose command line is that
 * service's main.ts (or that folder's PostgreSQL) are signalled.
 */
export async function reapStaleStack(prev: Partial<StackFile>, varDir: string, log: (line: string) => void, graceMs = DEFAULT_STOP_GRACE_MS): Promise<number> {
  const services = (prev.services ?? []).filter((s) => typeof s.pid === "number" && pidAlive(s.pid) && (cmdlineOf(s.pid) ?? "").includes(`/services/${s.name}/src/main.ts`));
  for (const s of services) {
    log(`${s.name}: stopping pid ${s.pid}, left running by a launcher that died`);
    process.kill(s.pid, "SIGTERM");
  }
  for (const pid of await waitGone(services.map((s) => s.pid), graceMs)) process.kill(pid, "SIGKILL");
  let reaped = services.length;
  const pg = prev.postgresPid;
  if (typeof pg === "number" && pidAlive(pg) && (cmdlineOf(pg) ?? "").includes(join(varDir, "postgres"))) {
    log(`postgres: stopping pid ${pg}, left running by a launcher that died`);
    process.kill(pg, "SIGINT");
    for (const pid of await waitGone([pg], 30_000)) process.kill(pid, "SIGKILL");
    reaped += 1;
  }
  return reaped;
}

/** Creates the master key file on first start: base64 of 32 random bytes, mode 0600. */
export function ensureMasterKeyFile(file: string): boolean {
  if (existsSync(file)) return false;
  writeFileSync(file, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  return true;
}

const PORT_RE = /^\d{1,5}$/;

/** A URL with its password replaced by `***` (for launcher messages). */
function redactPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, "$1***@");
}

/**
 * The TLS and credential settings of one service in a TLS stack: NATS over
 * TLS with its client certificate and user; the device agent's gRPC server
 * certificate (client certificates required); the scheduler's gRPC client
 * certificate.
 */
export function tlsEnvOf(tls: StackTls, service: string): Record<string, string> {
  const client = tls.clients[service];
  const password = tls.natsPasswords[service];
  if (client === undefined || password === undefined) throw new StackError(`tls: no certificate or NATS user for ${service}`);
  const out: Record<string, string> = {
    TAPEFLEET_NATS_TLS_CA: tls.caFile,
    TAPEFLEET_NATS_TLS_CERT: client.certFile,
    TAPEFLEET_NATS_TLS_KEY: client.keyFile,
    TAPEFLEET_NATS_USER: service,
    TAPEFLEET_NATS_PASSWORD: password,
  };
  if (service === "device-agent") {
    Object.assign(out, { TAPEFLEET_GRPC_TLS_CA: tls.caFile, TAPEFLEET_GRPC_TLS_CERT: tls.agentServer.certFile, TAPEFLEET_GRPC_TLS_KEY: tls.agentServer.keyFile });
  }
  if (service === "scheduler") {
    Object.assign(out, { TAPEFLEET_GRPC_TLS_CA: tls.caFile, TAPEFLEET_GRPC_TLS_CERT: client.certFile, TAPEFLEET_GRPC_TLS_KEY: client.keyFile });
  }
  return out;
}

/** The web UI's build in this checkout, served by the gateway at `/` unless `TAPEFLEET_WEB_UI_DIR` names another. */
export const WEB_UI_INDEX = join(REPO_ROOT, "packages", "web-ui", "dist", "index.html");

/**
 * Builds the web UI (`npm run build -w @tapefleet/web-ui`, a child command)
 * when the gateway would serve this checkout's build and it is missing. A
 * failed build is logged, not fatal: the gateway then answers `/` with a page
 * saying to run `npm run build`, and the API works as usual.
 */
async function ensureWebUiBuilt(env: NodeJS.ProcessEnv, logDir: string, log: (line: string) => void): Promise<void> {
  const off = ["0", "false", "no"].includes((env["TAPEFLEET_WEB_UI"] ?? "").toLowerCase());
  if (off || nonEmpty(env["TAPEFLEET_WEB_UI_DIR"]) !== undefined || existsSync(WEB_UI_INDEX)) return;
  const logFile = join(logDir, "web-ui-build.log");
  log(`web UI: not built yet, running 'npm run build -w @tapefleet/web-ui' (output in ${logFile})`);
  let output = "";
  const code = await new Promise<number | null>((done) => {
    const child = spawn("npm", ["run", "build", "-w", "@tapefleet/web-ui"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", (err) => {
      output += String(err);
      done(null);
    });
    child.once("close", done);
  });
  writeFileSync(logFile, output);
  log(code === 0 && existsSync(WEB_UI_INDEX) ? "web UI: built" : `web UI: the build failed (exit ${String(code)}); see ${logFile}`);
}

/**
 * Starts the whole stack on this host as separate processes: backing servers
 * (PostgreSQL, NATS, Redis: configured, already local, or started here), then
 * inventory, catalog, keyvault, scheduler and device-agent, then the API
 * gateway, each waited for on `/readyz`. Writes `<varDir>/stack.json`.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const varDir = resolve(options.varDir ?? "var");
  const logDir = join(varDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const stackFile = join(varDir, "stack.json");
  if (existsSync(stackFile)) {
    let prev: Partial<StackFile> | undefined;
    try {
      prev = JSON.parse(readFileSync(stackFile, "utf8")) as Partial<StackFile>;
    } catch {
      prev = undefined;
    }
    if (prev !== undefined) {
      if (typeof prev.pid === "number" && prev.pid !== process.pid && pidAlive(prev.pid)) {
        throw new StackError(`a stack is already running from ${varDir} (launcher pid ${prev.pid}, ${prev.gatewayUrl ?? "?"})`);
      }
      await reapStaleStack(prev, varDir, log, options.stopGraceMs);
    }
    rmSync(stackFile, { force: true });
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const graceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;

  const envPort = nonEmpty(env["TAPEFLEET_HTTP_PORT"]);
  if (envPort !== undefined && !PORT_RE.test(envPort)) throw new StackError(`TAPEFLEET_HTTP_PORT: '${envPort}' is not a port number`);
  let gatewayPort = options.gatewayPort ?? (envPort !== undefined ? Number(envPort) : DEFAULT_GATEWAY_PORT);
  // A port picked here (0: any free one) may be picked again when another process takes it first.
  const gatewayPortPicked = gatewayPort === 0;
  if (gatewayPortPicked) gatewayPort = await freePort();
  let grpcAddress = options.grpcAddress ?? nonEmpty(env["TAPEFLEET_GRPC_ADDRESS"]) ?? DEFAULT_AGENT_GRPC_ADDRESS;
  // The agent's gRPC port likewise: port 0 is picked here (and again when taken), so the stack knows it.
  const grpcHost = hostPortOf(`tcp://${grpcAddress}`, 0).host;
  const grpcPortPicked = /:0$/.test(grpcAddress);
  const pickGrpcAddress = async () => `${grpcHost.includes(":") ? `[${grpcHost}]` : grpcHost}:${await freePort()}`;
  if (grpcPortPicked) grpcAddress = await pickGrpcAddress();
  const natsPrefix = nonEmpty(env["TAPEFLEET_NATS_PREFIX"]) ?? "tf";
  const queuePrefix = nonEmpty(env["TAPEFLEET_QUEUE_PREFIX"]) ?? natsPrefix;
  const adminTokenFile = resolve(nonEmpty(env["TAPEFLEET_ADMIN_TOKEN_FILE"]) ?? join(varDir, "admin-token"));
  const tlsOn = options.tls ?? ["1", "true", "yes"].includes((env["TAPEFLEET_TLS"] ?? "").toLowerCase());
  if (tlsOn && nonEmpty(env["TAPEFLEET_NATS_URL"]) !== undefined) {
    throw new StackError("TAPEFLEET_TLS=1 starts a NATS server of its own: unset TAPEFLEET_NATS_URL (for a NATS server of yours, leave TAPEFLEET_TLS unset and set TAPEFLEET_NATS_TLS_* and the credentials)");
  }
  let tls: StackTls | undefined;

  const infra: InfraServer[] = [];
  let embedded: EmbeddedPostgres | undefined;
  const started: ServiceProcess[] = [];
  let stopping = false;
  let failWith: (err: Error) => void = () => {};
  const failed = new Promise<Error>((res) => (failWith = res));

  const stopAll = async (): Promise<void> => {
    stopping = true;
    const levels = [...new Set(STACK_SERVICES.map((s) => s.level))].sort((a, b) => b - a);
    for (const level of levels) {
      const names = new Set(STACK_SERVICES.filter((s) => s.level === level).map((s) => s.name));
      await Promise.all(started.filter((s) => names.has(s.name)).map((s) => s.stop(graceMs)));
    }
    for (const server of [...infra].reverse()) await server.child?.stop(graceMs);
    await embedded?.stop();
    try {
      const cur = JSON.parse(readFileSync(stackFile, "utf8")) as Partial<StackFile>;
      if (cur.pid === process.pid) rmSync(stackFile, { force: true });
    } catch {
      /* no stack file */
    }
  };

  try {
    // PostgreSQL
    let databaseUrl = nonEmpty(env["TAPEFLEET_DATABASE_URL"]) ?? nonEmpty(env["DATABASE_URL"]);
    let database: "configured" | "embedded" = "configured";
    if (databaseUrl !== undefined) {
      const { host, port } = hostPortOf(databaseUrl, 5432);
      if (!(await probePostgres(host, port))) throw new StackError(`PostgreSQL does not answer at ${host}:${port} (DATABASE_URL)`);
      log(`postgres: using the configured server at ${host}:${port}`);
    } else {
      log(`postgres: starting the embedded server (data in ${join(varDir, "postgres")})`);
      embedded = await startEmbeddedPostgres({ dataDir: join(varDir, "postgres") });
      databaseUrl = embedded.url;
      database = "embedded";
      log(`postgres: embedded server on 127.0.0.1:${embedded.port} (running as ${embedded.runAs})`);
      const pg = embedded;
      void pg.exited.then(({ code, signal }) => {
        if (!stopping) failWith(new StackError(`embedded PostgreSQL exited (${signal ?? `code ${code}`})`));
      });
    }
    // TLS mode: certificates, and the configuration of the launcher's own NATS server.
    let natsKind = NATS_KIND;
    if (tlsOn) {
      tls = createStackTls(join(varDir, "tls"), { services: STACK_SERVICES.map((s) => s.name), agentHost: hostPortOf(`tcp://${grpcAddress}`, 0).host, log });
      log(`tls: certificates in ${tls.dir} (CA ${tls.caFile})`);
      const natsConf = join(varDir, "nats-tls.conf");
      writeFileSync(natsConf, natsTlsConfig(tls, join(varDir, "nats")), { mode: 0o600 });
      chmodSync(natsConf, 0o600);
      natsKind = { ...NATS_KIND, args: (port) => ["-c", natsConf, "-a", "127.0.0.1", "-p", String(port)] };
    }
    // NATS and Redis
    for (const [kind, configured] of [
      [natsKind, nonEmpty(env["TAPEFLEET_NATS_URL"])],
      [REDIS_KIND, nonEmpty(env["TAPEFLEET_REDIS_URL"])],
    ] as const) {
      const server = await ensureServer(kind, {
        configuredUrl: configured,
        dataDir: join(varDir, kind.name),
        logFile: join(logDir, `${kind.name}.log`),
        log,
        ...(tlsOn && kind.name === "nats" ? { ownServer: true } : {}),
        ...(tlsOn && kind.name === "redis" ? { password: randomBytes(18).toString("base64url") } : {}),
      });
      infra.push(server);
      log(`${kind.name}: ${server.origin === "started" ? `started ${kind.command} at` : server.origin === "local" ? "using the local server at" : "using"} ${redactPassword(server.url)}${tlsOn && kind.name === "nats" ? " (TLS, client certificates, a user per service)" : ""}`);
      void server.child?.exited.then(({ code, signal }) => {
        if (!stopping) failWith(new StackError(`${kind.command} exited (${signal ?? `code ${code}`}); see ${join(logDir, `${kind.name}.log`)}`));
      });
    }
    const natsUrl = infra[0]!.url;
    const redisUrl = infra[1]!.url;

    // State that survives restarts.
    const vtlDir = join(varDir, "vtl");
    mkdirSync(vtlDir, { recursive: true });
    const keyFromEnv = nonEmpty(env["TAPEFLEET_MASTER_KEY"]) !== undefined || nonEmpty(env["TAPEFLEET_MASTER_KEY_FILE"]) !== undefined;
    const masterKeyFile = join(varDir, "master-key");
    if (!keyFromEnv && ensureMasterKeyFile(masterKeyFile)) log(`keyvault: generated a master key in ${masterKeyFile} (mode 0600; back it up)`);

    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) base[k] = v;
    for (const k of ["TAPEFLEET_HTTP_PORT", "TAPEFLEET_INSTANCE_ID", "TAPEFLEET_GRPC_ADDRESS", "DATABASE_URL", "TAPEFLEET_TLS"]) delete base[k];
    if (tls !== undefined) for (const k of Object.keys(base)) if (/^TAPEFLEET_(NATS_(USER|PASSWORD|TOKEN|CREDS_FILE|TLS_\w+)|GRPC_(TLS_\w+|INSECURE))$/.test(k)) delete base[k];
    Object.assign(base, {
      TAPEFLEET_DATABASE_URL: databaseUrl,
      TAPEFLEET_NATS_URL: natsUrl,
      TAPEFLEET_NATS_PREFIX: natsPrefix,
      TAPEFLEET_REDIS_URL: redisUrl,
      TAPEFLEET_QUEUE_PREFIX: queuePrefix,
      TAPEFLEET_ADMIN_TOKEN_FILE: adminTokenFile,
      TAPEFLEET_VTL_DIR: vtlDir,
      ...(keyFromEnv ? {} : { TAPEFLEET_MASTER_KEY_FILE: masterKeyFile }),
    });

    // The gateway serves the web UI: build it while the first level starts.
    const webUiBuilt = ensureWebUiBuilt(env, logDir, log);
    /**
     * Starts one service on a port picked for it and waits until it is ready.
     * Another process can take a picked port between the pick and the
     * service's listen: then the service exits with EADDRINUSE and is started
     * again on another port (a port the user configured is never changed).
     */
    const startOne = async (def: (typeof STACK_SERVICES)[number]): Promise<ServiceProcess> => {
      const main = join(REPO_ROOT, "services", def.name, "src", "main.ts");
      if (!existsSync(main)) throw new StackError(`${def.name}: ${main} does not exist`);
      const isGateway = def.name === "api-gateway";
      for (let attempt = 1; ; attempt++) {
        const port = isGateway ? gatewayPort : await freePort();
        const childEnv: Record<string, string> = { ...base, TAPEFLEET_HTTP_PORT: String(port) };
        if (def.name === "device-agent") childEnv["TAPEFLEET_GRPC_ADDRESS"] = grpcAddress;
        if (tls !== undefined) Object.assign(childEnv, tlsEnvOf(tls, def.name));
        const svc = spawnService({
          name: def.name,
          main,
          cwd: REPO_ROOT,
          env: childEnv,
          healthUrl: `http://127.0.0.1:${port}`,
          logFile: join(logDir, `${def.name}.log`),
        });
        started.push(svc);
        try {
          await waitReady(svc, readyTimeoutMs);
        } catch (err) {
          const tail = svc.running ? "" : logTail(svc.logFile);
          const portTaken = tail.includes(`EADDRINUSE: address already in use 127.0.0.1:${port}`);
          const grpcTaken = def.name === "device-agent" && grpcPortPicked && tail.includes(`EADDRINUSE: address already in use ${grpcAddress}`);
          if ((portTaken || grpcTaken) && attempt < PORT_ATTEMPTS && (!isGateway || gatewayPortPicked)) {
            started.splice(started.indexOf(svc), 1);
            log(`${def.name}: ${grpcTaken ? `gRPC address ${grpcAddress}` : `port ${port}`} was taken by another process; starting it on another one`);
            if (isGateway) gatewayPort = await freePort();
            if (grpcTaken) grpcAddress = await pickGrpcAddress();
            continue;
          }
          throw err;
        }
        void svc.exited.then(({ code, signal }) => {
          if (!stopping) failWith(new StackError(`${svc.name} exited (${signal ?? `code ${code}`}); last lines of ${svc.logFile}:\n${logTail(svc.logFile)}`));
        });
        log(`${svc.name}: ready (pid ${svc.pid})`);
        return svc;
      }
    };
    const levels = [...new Set(STACK_SERVICES.map((s) => s.level))].sort((a, b) => a - b);
    for (const level of levels) {
      if (STACK_SERVICES.some((s) => s.level === level && s.name === "api-gateway")) await webUiBuilt;
      await Promise.all(STACK_SERVICES.filter((s) => s.level === level).map((def) => startOne(def)));
    }

    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    if (!["0", "false", "no"].includes((env["TAPEFLEET_WEB_UI"] ?? "").toLowerCase())) log(`web UI:           ${gatewayUrl}/ (served by the gateway)`);
    const services: StackServiceInfo[] = started.map((s) => ({ name: s.name, pid: s.pid, healthUrl: s.healthUrl, logFile: s.logFile }));
    const file: StackFile = {
      gatewayUrl,
      adminTokenFile,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      database,
      natsPrefix,
      services,
      ...(embedded !== undefined ? { postgresPid: embedded.pid } : {}),
      ...(tls !== undefined ? { tls: { caFile: tls.caFile } } : {}),
    };
    writeFileSync(stackFile, JSON.stringify(file, null, 2) + "\n");

    let stopped: Promise<void> | undefined;
    const stop = () => (stopped ??= stopAll());
    void failed.then(() => stop());
    return {
      gatewayUrl,
      adminTokenFile,
      stackFile,
      varDir,
      databaseUrl,
      database,
      natsUrl,
      redisUrl,
      natsPrefix,
      queuePrefix,
      services,
      ...(tls !== undefined ? { tls: { dir: tls.dir, caFile: tls.caFile } } : {}),
      agentGrpcAddress: grpcAddress,
      failed,
      stop,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}
