import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { hasCommand, isRoot } from "./system-user.ts";

/**
 * The private PKI and credentials of a stack started with TLS
 * (`TAPEFLEET_TLS=1 npm start`, `startStack({ tls: true })`): a CA kept in
 * `<varDir>/tls/` across restarts, leaf certificates made fresh at every
 * start (the gRPC address may change), NATS users with random passwords.
 * Only `openssl` is used (installed from Debian when missing, as root).
 */

/** Days a stack CA is valid. */
export const STACK_CA_DAYS = 3650;
/** Days a stack leaf certificate is valid (made again at every start). */
export const STACK_CERT_DAYS = 825;
/** Subject CN of the stack CA. */
export const STACK_CA_NAME = "tapefleet stack CA";

export class StackTlsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackTlsError";
  }
}

export interface CertFiles {
  certFile: string;
  keyFile: string;
}

export interface StackTls {
  dir: string;
  /** The CA every certificate below is signed by (PEM). */
  caFile: string;
  /** Server certificate of the launcher's NATS server (localhost, 127.0.0.1, ::1). */
  natsServer: CertFiles;
  /** Server certificate of the device agent's gRPC port (its address host, localhost, 127.0.0.1, ::1). */
  agentServer: CertFiles;
  /** Client certificate per service (CN = the service name): NATS and, for the scheduler, gRPC. */
  clients: Record<string, CertFiles>;
  /** NATS password per service (the user name is the service name). */
  natsPasswords: Record<string, string>;
}

function run(args: string[]): void {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new StackTlsError(`openssl ${args[0]} failed (${r.error?.message ?? `exit ${String(r.status)}`}): ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" ")}`);
}

/** Makes sure `openssl` exists: installs Debian's package as root, else says what to install. */
export function ensureOpenssl(log: (line: string) => void): void {
  if (hasCommand("openssl")) return;
  if (isRoot() && hasCommand("apt-get")) {
    log("installing openssl (apt-get install -y openssl)");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "openssl"], { stdio: "ignore", env });
    if (r.status !== 0) {
      spawnSync("apt-get", ["update"], { stdio: "ignore", env });
      r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "openssl"], { stdio: "ignore", env });
    }
    if (r.status === 0 && hasCommand("openssl")) return;
  }
  throw new StackTlsError("openssl is not installed: install it (sudo apt-get install openssl) to start the stack with TLS");
}

/** `subjectAltName` value for a list of hosts (IP addresses as IP:, names as DNS:). */
export function subjectAltNames(hosts: readonly string[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of hosts) {
    const h = raw.replace(/^\[|\]$/g, "");
    const entry = isIP(h) !== 0 ? `IP:${h}` : `DNS:${h}`;
    if (h === "" || seen.has(entry)) continue;
    seen.add(entry);
    out.push(entry);
  }
  return out.join(",");
}

function ensureCa(dir: string): { caFile: string; caKey: string } {
  const caFile = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");
  if (existsSync(caFile) && existsSync(caKey)) return { caFile, caKey };
  // A new CA: the leaf certificates of the old one are made again below anyway.
  // prettier-ignore
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey, "-out", caFile,
    "-days", String(STACK_CA_DAYS), "-subj", `/CN=${STACK_CA_NAME}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  chmodSync(caKey, 0o600);
  return { caFile, caKey };
}

function issue(dir: string, ca: { caFile: string; caKey: string }, name: string, usage: "server" | "client", hosts: readonly string[]): CertFiles {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", `extendedKeyUsage=${usage === "server" ? "serverAuth" : "clientAuth"}`];
  if (hosts.length > 0) lines.push(`subjectAltName=${subjectAltNames(hosts)}`);
  writeFileSync(ext, lines.join("\n") + "\n");
  try {
    run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", csr, "-subj", `/CN=${name}`]);
    chmodSync(keyFile, 0o600);
    // prettier-ignore
    run(["x509", "-req", "-in", csr, "-CA", ca.caFile, "-CAkey", ca.caKey, "-set_serial", `0x${randomBytes(12).toString("hex")}`,
      "-days", String(STACK_CERT_DAYS), "-out", certFile, "-extfile", ext]);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
  return { certFile, keyFile };
}

/**
 * Creates (or reuses) the CA in `dir` (mode 0700) and issues the stack's
 * certificates: NATS server, device agent gRPC server (for `agentHost` too),
 * and one client certificate per service.
 */
export function createStackTls(dir: string, opts: { services: readonly string[]; agentHost: string; log?: (line: string) => void }): StackTls {
  const log = opts.log ?? (() => {});
  ensureOpenssl(log);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const ca = ensureCa(dir);
  const local = ["localhost", "127.0.0.1", "::1"];
  const clients: Record<string, CertFiles> = {};
  const natsPasswords: Record<string, string> = {};
  for (const s of opts.services) {
    clients[s] = issue(dir, ca, `client-${s}`, "client", []);
    natsPasswords[s] = randomBytes(18).toString("base64url");
  }
  return {
    dir,
    caFile: ca.caFile,
    natsServer: issue(dir, ca, "nats-server", "server", local),
    agentServer: issue(dir, ca, "device-agent-server", "server", [opts.agentHost, ...local]),
    clients,
    natsPasswords,
  };
}

/** A string literal of the NATS configuration language. */
function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * The NATS server configuration of a TLS stack: TLS required with client
 * certificates checked against the stack CA (`verify`), one user per service,
 * JetStream in `storeDir`. Listen address and port come from the command line.
 */
export function natsTlsConfig(tls: StackTls, storeDir: string): string {
  const users = Object.entries(tls.natsPasswords).map(([user, password]) => `    { user: ${quote(user)}, password: ${quote(password)} }`);
  return [
    "# Written by the tapefleet stack launcher at every start (TLS mode). Holds passwords: mode 0600.",
    `jetstream { store_dir: ${quote(storeDir)} }`,
    "tls {",
    `  cert_file: ${quote(tls.natsServer.certFile)}`,
    `  key_file: ${quote(tls.natsServer.keyFile)}`,
    `  ca_file: ${quote(tls.caFile)}`,
    "  verify: true",
    "  timeout: 5",
    "}",
    "authorization {",
    "  users: [",
    ...users,
    "  ]",
    "}",
    "",
  ].join("\n");
}
