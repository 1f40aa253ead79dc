/**
 * The stack in TLS mode (`startStack({ tls: true })`, `TAPEFLEET_TLS=1 npm
 * start`): its own NATS server with TLS, client certificates and a user per
 * service; mutual TLS between the scheduler and the device agent. Driven by
 * tapectl through the gateway, then the refusals: plaintext and unknown NATS
 * clients, gRPC clients without a client certificate.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect as http2Connect, constants as h2 } from "node:http2";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connect as natsConnect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureServer, provisionTestEnv, REDIS_KIND, REPO_ROOT, startStack, type RunningStack, type StackFile, type TestEnv } from "../src/index.ts";
import { natsTlsConfig, subjectAltNames } from "../src/stack-tls.ts";

const TAPECTL = join(REPO_ROOT, "packages", "cli", "bin", "tapectl.mjs");
/** A small library with quick loads: one changer, one LTO-9 drive, two data cartridges. */
const SITE = {
  libraries: [
    {
      name: "lib1",
      slots: 4,
      importExportSlots: 1,
      serial: "TFLIB00001",
      drives: [{ generation: 9, serial: "TFD9000001" }],
      cartridges: [
        { barcode: "TF0001L9", slot: 1 },
        { barcode: "TF0002L9", slot: 2 },
      ],
    },
  ],
  defaults: { capacityBytes: 64 * 1024 ** 2 },
  timing: { loadMs: 0, cleaningMs: 0, calibrationMs: 0, powerOnUnitAttention: false },
};

let env: TestEnv;
let stack: RunningStack;
let root: string;
let varDir: string;
let grpcPort: number;

beforeAll(async () => {
  env = await provisionTestEnv("tls");
  root = mkdtempSync(join(tmpdir(), "tf-stack-tls-"));
  varDir = join(root, "var");
  const spec = join(root, "site.json");
  writeFileSync(spec, JSON.stringify(SITE));
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith("TAPEFLEET_") || k === "DATABASE_URL") delete e[k];

  stack = await startStack({
    varDir,
    tls: true,
    gatewayPort: 0,
    grpcAddress: "127.0.0.1:0",
    env: {
      ...e,
      DATABASE_URL: env.databaseUrl,
      TAPEFLEET_REDIS_URL: env.redisUrl,
      TAPEFLEET_QUEUE_PREFIX: env.queuePrefix,
      TAPEFLEET_NATS_PREFIX: env.natsPrefix,
      TAPEFLEET_VTL_SPEC: spec,
      TAPEFLEET_WEB_UI: "0",
    },
  });
  grpcPort = Number(/:(\d+)$/.exec(stack.agentGrpcAddress)![1]);
}, 150_000);

afterAll(async () => {
  await stack?.stop();
  await env?.cleanup();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
}, 60_000);

/** tapectl as a child process, finding the gateway and token through ./var/stack.json. */
function tapectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith("TAPEFLEET_")) delete base[k];
  return new Promise((resolve) => {
    execFile(process.execPath, [TAPECTL, ...args], { cwd: dirname(varDir), env: { ...base, NO_COLOR: "1" }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await tapectl(...args);
  expect(r.stderr, `tapectl ${args.join(" ")}`).toBe("");
  expect(r.code, `tapectl ${args.join(" ")}`).toBe(0);
  return r.stdout;
}

/** The password of a NATS user, from the server configuration the launcher wrote. */
function natsPassword(user: string): string {
  const conf = readFileSync(join(varDir, "nats-tls.conf"), "utf8");
  const m = new RegExp(`user: "${user}", password: "([^"]+)"`).exec(conf);
  if (!m) throw new Error(`no NATS user ${user}`);
  return m[1]!;
}

const pem = (name: string) => readFileSync(join(varDir, "tls", name), "utf8");

/**
 * One unary gRPC call (grpc.health.v1.Health/Check, empty request) over
 * HTTP/2 with TLS: resolves with the grpc-status, rejects when the
 * connection is refused.
 */
function grpcHealthCheck(tls: { ca: string; cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://127.0.0.1:${grpcPort}`, { ...tls, servername: "localhost" });
    session.on("error", reject);
    const req = session.request({
      [h2.HTTP2_HEADER_METHOD]: "POST",
      [h2.HTTP2_HEADER_PATH]: "/grpc.health.v1.Health/Check",
      [h2.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
      te: "trailers",
    });
    let status: string | undefined;
    req.on("response", (headers) => (status = headers["grpc-status"] as string | undefined));
    req.on("trailers", (trailers) => (status = trailers["grpc-status"] as string | undefined));
    req.on("error", reject);
    req.on("data", () => {});
    req.on("end", () => {
      session.close();
      if (status === undefined) reject(new Error("no grpc-status"));
      else resolve(status);
    });
    // Message framing: not compressed, length 0 (an empty HealthCheckRequest).
    req.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

describe("the stack with TLS and credentials", () => {
  it("writes the certificates and the NATS configuration with private modes, and no secret into stack.json", () => {
    expect(stack.tls?.caFile).toBe(join(varDir, "tls", "ca.crt"));
    expect(statSync(join(varDir, "tls")).mode & 0o777).toBe(0o700);
    for (const f of ["ca.key", "nats-server.key", "device-agent-server.key", "client-scheduler.key"]) expect(statSync(join(varDir, "tls", f)).mode & 0o777, f).toBe(0o600);
    expect(statSync(join(varDir, "nats-tls.conf")).mode & 0o777).toBe(0o600);
    const file = readFileSync(stack.stackFile, "utf8");
    expect((JSON.parse(file) as StackFile).tls).toEqual({ caFile: stack.tls!.caFile });
    expect(file).not.toContain(natsPassword("scheduler"));
    // The services' logs hold no NATS password.
    for (const s of stack.services) expect(readFileSync(s.logFile, "utf8")).not.toContain(natsPassword(s.name));
  });

  it("serves tapectl: changer scan and status, pools, barcode-label over mutual TLS to the agent, media list", async () => {
    expect(await ok("changer", "scan")).toMatch(/│ TFLIB00001 │/);
    await ok("changer", "create", "lib1", "--path", "/dev/tape/by-id/scsi-TFLIB00001");
    await ok("drive", "create", "d1", "--path", "/dev/tape/by-id/scsi-TFD9000001-sg", "--changer", "lib1");
    const status = await ok("changer", "status", "lib1");
    expect(status).toMatch(/│ slot\s+│\s+1 │ TF0001L9\s+│/);
    expect(status).toMatch(/│ slot\s+│\s+2 │ TF0002L9\s+│/);
    await ok("pool", "create", "daily", "--drive", "d1");
    expect(await ok("pool", "list")).toMatch(/│ daily\s+│ d1\s+│/);
    const log = await ok("barcode-label", "--pool", "daily", "--drive", "d1");
    expect(log).toContain("barcode-label: 2 labeled, 0 skipped");
    expect(log).toMatch(/TASK OK\n$/);
    const media = await ok("media", "list");
    expect(media).toMatch(/│ TF0001L9\s+│ daily\s+│/);
    expect(media).toMatch(/│ TF0002L9\s+│ daily\s+│/);
  }, 90_000);

  it("NATS refuses plaintext clients, clients without a certificate and unknown users, and serves a service user", async () => {
    // The server requires TLS: a client speaking plaintext gets no PONG, and the connection ends.
    const plain = await new Promise<string>((resolve) => {
      const socket = tcpConnect(Number(new URL(stack.natsUrl).port), "127.0.0.1");
      let got = "";
      socket.on("data", (c: Buffer) => {
        got += c.toString("latin1");
        if (got.includes("\r\n") && !got.includes("CONNECT-SENT")) {
          socket.write(`CONNECT {"verbose":false,"user":"inventory","pass":"${natsPassword("inventory")}"}\r\nPING\r\n`);
          got += "CONNECT-SENT";
        }
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve(got));
    });
    expect(plain).toMatch(/^INFO .*"tls_required":true/);
    expect(plain).not.toContain("PONG");
    const url = stack.natsUrl;
    const ca = pem("ca.crt");
    const client = { ca, cert: pem("client-inventory.crt"), key: pem("client-inventory.key") };
    await expect(natsConnect({ servers: url, tls: null, user: "inventory", pass: natsPassword("inventory"), reconnect: false })).rejects.toThrow();
    await expect(natsConnect({ servers: url, tls: { ca }, user: "inventory", pass: natsPassword("inventory"), reconnect: false })).rejects.toThrow();
    await expect(natsConnect({ servers: url, tls: client, user: "inventory", pass: "wrong", reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(natsConnect({ servers: url, tls: client, reconnect: false })).rejects.toThrow(/authorization/i);
    const nc = await natsConnect({ servers: url, tls: client, user: "inventory", pass: natsPassword("inventory"), reconnect: false });
    await nc.flush();
    expect(nc.info?.tls_required).toBe(true);
    await nc.close();
  });

  it("the device agent's gRPC port answers a client with a certificate of the stack CA and refuses one without", async () => {
    const ca = pem("ca.crt");
    expect(await grpcHealthCheck({ ca, cert: pem("client-scheduler.crt"), key: pem("client-scheduler.key") })).toBe("0");
    await expect(grpcHealthCheck({ ca })).rejects.toThrow();
    // A certificate of another CA is refused as well.
    const other = mkdtempSync(join(tmpdir(), "tf-other-ca-"));
    try {
      const { createStackTls } = await import("../src/stack-tls.ts");
      const foreign = createStackTls(other, { services: ["scheduler"], agentHost: "127.0.0.1" });
      await expect(grpcHealthCheck({ ca, cert: readFileSync(foreign.clients["scheduler"]!.certFile, "utf8"), key: readFileSync(foreign.clients["scheduler"]!.keyFile, "utf8") })).rejects.toThrow();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("TLS stack pieces", () => {
  it("subject alternative names: IP addresses as IP, names as DNS, brackets dropped, no duplicates", () => {
    expect(subjectAltNames(["127.0.0.1", "localhost", "[::1]", "tape1.example.com", "127.0.0.1", ""])).toBe("IP:127.0.0.1,DNS:localhost,IP:::1,DNS:tape1.example.com");
  });

  it("the NATS configuration quotes paths and passwords", () => {
    const conf = natsTlsConfig(
      { dir: "/v/tls", caFile: "/v/tls/ca.crt", natsServer: { certFile: "/v/a b.crt", keyFile: "/v/k" }, agentServer: { certFile: "", keyFile: "" }, clients: {}, natsPasswords: { inventory: 'p"w' } },
      "/v/nats",
    );
    expect(conf).toContain('cert_file: "/v/a b.crt"');
    expect(conf).toContain('{ user: "inventory", password: "p\\"w" }');
    expect(conf).toContain("verify: true");
  });

  it("a Redis the launcher starts requires its password, which the URL carries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tf-redis-pw-"));
    const server = await ensureServer(REDIS_KIND, { dataDir: dir, logFile: join(dir, "redis.log"), log: () => {}, ownServer: true, password: "s3cret-pw" });
    try {
      const u = new URL(server.url);
      expect(u.password).toBe("s3cret-pw");
      const ask = (text: string) =>
        new Promise<string>((resolve) => {
          const s = tcpConnect(Number(u.port), "127.0.0.1");
          let got = "";
          s.on("data", (c: Buffer) => {
            got += c.toString("latin1");
            if (got.split("\r\n").length > text.split("\r\n").length - 1) s.end();
          });
          s.on("close", () => resolve(got));
          s.write(text);
        });
      expect(await ask("PING\r\n")).toMatch(/^-NOAUTH/);
      expect(await ask("AUTH s3cret-pw\r\nPING\r\n")).toBe("+OK\r\n+PONG\r\n");
    } finally {
      await server.child?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
