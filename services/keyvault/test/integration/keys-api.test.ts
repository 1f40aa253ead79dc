import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { createLogger } from "@tapefleet/common";
import { gatewayConfigSchema, startGateway, type RunningGateway } from "@tapefleet/api-gateway";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "@tapefleet/inventory";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { decryptKeyConfig, keyFingerprint, loadKeyvaultConfig, parseKeyImport, PAPERKEY_BEGIN, startKeyvault, unwrapKey, type RunningKeyvault } from "../../src/index.ts";

/**
 * The key operations end to end: HTTP through the real gateway, and the real
 * tapectl process, to the keyvault and the inventory; every log line of the
 * keyvault and the gateway is captured and searched for key material and
 * passwords.
 */

const REPO = resolve(fileURLToPath(new URL("../../../../", import.meta.url)));
const TAPECTL = join(REPO, "packages/cli/bin/tapectl.mjs");
const PASSWORD = "Tr0ub4dor&3 key pass";
const NEW_PASSWORD = "second secret pass";
const PASSWORDS = [PASSWORD, NEW_PASSWORD];

let env: TestEnv;
let inv: RunningInventory;
let kv: RunningKeyvault;
let gw: RunningGateway;
let sql: postgres.Sql;
let dir: string;
let adminToken: string;
const masterKey = randomBytes(32);
let logText = "";

function capture(service: string) {
  const stream = new PassThrough();
  stream.on("data", (c: Buffer) => (logText += c.toString("utf8")));
  return createLogger({ service, level: "debug", destination: stream });
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${gw.url}/api2/json${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** The real tapectl process; `stdin` is written to it (for --password-stdin). */
function tapectl(args: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [TAPECTL, ...args], {
      cwd: dir,
      env: { ...process.env, TAPEFLEET_URL: gw.url, TAPEFLEET_TOKEN: adminToken },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/**
 * tapectl on a terminal (util-linux `script` gives it a pty): each time a
 * prompt appears, the next answer is typed. Returns what the terminal showed.
 */
function tapectlOnTerminal(args: string[], answers: [prompt: string, typed: string][]): Promise<{ code: number; screen: string }> {
  return new Promise((done, fail) => {
    const command = [process.execPath, TAPECTL, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: dir,
      env: { ...process.env, TAPEFLEET_URL: gw.url, TAPEFLEET_TOKEN: adminToken },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    let seen = 0;
    const pending = [...answers];
    child.stdout.on("data", (c: Buffer) => {
      screen += c.toString("utf8");
      while (pending.length > 0) {
        const at = screen.indexOf(pending[0]![0], seen);
        if (at < 0) break;
        seen = at + pending[0]![0].length;
        child.stdin.write(`${pending.shift()![1]}\r`);
      }
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, screen }));
  });
}

async function rawKeyOf(fingerprint: string): Promise<Buffer> {
  const [row] = await sql<{ wrapped_key: Buffer }[]>`select wrapped_key from keyvault.encryption_keys where fingerprint = ${fingerprint}`;
  return unwrapKey(masterKey, row!.wrapped_key, fingerprint);
}

beforeAll(async () => {
  env = await provisionTestEnv("keys-api");
  dir = mkdtempSync(join(tmpdir(), "tapefleet-keys-"));
  const base = { natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, databaseUrl: env.databaseUrl };
  inv = await startInventory(inventoryConfigSchema.parse({ ...base, logLevel: "silent" }), { logger: createLogger({ service: "inventory", level: "silent" }), installSignalHandlers: false });
  kv = await startKeyvault(loadKeyvaultConfig({ env: { ...env.serviceEnv(), TAPEFLEET_MASTER_KEY: masterKey.toString("base64") } }), {
    installSignalHandlers: false,
    logger: capture("keyvault"),
    leaseCheck: async () => false,
  });
  gw = await startGateway(gatewayConfigSchema.parse({ ...base, logLevel: "debug", httpPort: 0, webUi: false, adminTokenFile: join(dir, "var/admin-token") }), {
    logger: capture("api-gateway"),
    installSignalHandlers: false,
  });
  adminToken = readFileSync(join(dir, "var/admin-token"), "utf8").trim();
  sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await gw?.stop();
  await kv?.stop();
  await inv?.stop();
  await sql?.end({ timeout: 5 });
  await env?.cleanup();
});

describe("tape encryption keys through the gateway and tapectl", () => {
  const rawKeys: Buffer[] = [];

  it("HTTP: create, list, show, update, paper key; remove refused while a media pool uses the key", async () => {
    const created = await api("POST", "/config/tape-encryption-keys", { hint: "offsite", password: PASSWORD });
    expect(created.status).toBe(200);
    const fp = created.body.data as string;
    expect(fp).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    const raw = await rawKeyOf(fp);
    rawKeys.push(raw);
    expect(keyFingerprint(raw)).toBe(fp);

    const list = await api("GET", "/config/tape-encryption-keys");
    expect(list.body.data).toEqual([{ fingerprint: fp, hint: "offsite", created: expect.any(Number) }]);
    const show = await api("GET", `/config/tape-encryption-keys/${fp}`);
    expect(show.body.data).toMatchObject({ fingerprint: fp, hint: "offsite", kdf: "scrypt" });

    const short = await api("POST", "/config/tape-encryption-keys", { password: "abc" });
    expect(short.status).toBe(400);
    expect(short.body.errors).toEqual({ password: "must be at least 5 bytes" });

    const changed = await api("PUT", `/config/tape-encryption-keys/${fp}`, { password: PASSWORD, "new-password": NEW_PASSWORD, hint: "offsite 2" });
    expect(changed.status).toBe(200);
    const wrong = await api("PUT", `/config/tape-encryption-keys/${fp}`, { password: PASSWORD, "new-password": "third password" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toHaveProperty("password");

    const paper = await api("GET", `/config/tape-encryption-keys/${fp}/paperkey?output-format=text`);
    expect(paper.body.data.startsWith(`${PAPERKEY_BEGIN}\n`)).toBe(true);
    const config = parseKeyImport(paper.body.data);
    expect((await decryptKeyConfig(config, NEW_PASSWORD)).key.equals(raw)).toBe(true);
    const html = await api("GET", `/config/tape-encryption-keys/${fp}/paperkey?output-format=html`);
    expect(html.body.data).toContain("data:image/svg+xml;base64,");

    expect((await api("POST", "/config/media-pool", { name: "secure", encrypt: fp })).status).toBe(200);
    const refused = await api("DELETE", `/config/tape-encryption-keys/${fp}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain("media pool secure");
    expect((await api("GET", "/config/tape-encryption-keys")).body.data).toHaveLength(1);
    expect((await api("DELETE", "/config/media-pool/secure")).status).toBe(200);
    expect((await api("DELETE", `/config/tape-encryption-keys/${fp}`)).status).toBe(200);
    expect((await api("GET", "/config/tape-encryption-keys")).body.data).toEqual([]);

    // an audit token may read keys, not change them
    const audit = await api("POST", "/access/token", { role: "audit" });
    const res = await fetch(`${gw.url}/api2/json/config/tape-encryption-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${audit.body.data.token}`, "content-type": "application/json" },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect(res.status).toBe(403);
  });

  it("tapectl: create, list, show, paper key, remove refused while a pool uses the key, import of the paper key restores it", async () => {
    const created = await tapectl(["key", "create", "--hint", "cli key", "--password-stdin"], `${PASSWORD}\n`);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const fp = created.stdout.trim();
    expect(fp).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    const raw = await rawKeyOf(fp);
    rawKeys.push(raw);

    const list = await tapectl(["key", "list"]);
    expect(list.stdout).toMatch(/│ fingerprint\s+│ hint\s+│/);
    expect(list.stdout).toContain(`│ ${fp} │ cli key │`);
    const show = await tapectl(["key", "show", fp]);
    expect(show.stdout).toMatch(/│ kdf\s+│ scrypt\s+│/);
    expect(show.stdout).toContain(`│ fingerprint │ ${fp} │`);

    const paper = await tapectl(["key", "paperkey", fp]);
    expect(paper.code).toBe(0);
    expect(paper.stdout.split("\n")[0]).toBe(PAPERKEY_BEGIN);
    const paperFile = join(dir, "paperkey.txt");
    writeFileSync(paperFile, paper.stdout);

    expect((await api("POST", "/config/media-pool", { name: "cli-pool", encrypt: fp })).status).toBe(200);
    const refused = await tapectl(["key", "remove", fp]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("is used by media pool cli-pool");
    expect((await tapectl(["key", "remove", fp, "--force"])).code).toBe(0);
    expect((await tapectl(["key", "list"])).stdout).not.toContain(fp);
    await api("DELETE", "/config/media-pool/cli-pool");

    const wrong = await tapectl(["key", "import", "paperkey.txt", "--password-stdin"], "not the password\n");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("does not open the key");
    const imported = await tapectl(["key", "import", "paperkey.txt", "--password-stdin"], `${PASSWORD}\n`);
    expect(imported.code).toBe(0);
    expect(imported.stdout.trim()).toBe(fp);
    expect((await rawKeyOf(fp)).equals(raw)).toBe(true);
    expect((await tapectl(["key", "show", fp])).stdout).toContain("cli key");
  });

  it("tapectl on a terminal asks the password twice without echo, and refuses two different ones", async () => {
    const ok = await tapectlOnTerminal(["key", "create", "--hint", "tty key"], [
      ["Encryption Key Password: ", PASSWORD],
      ["Verify Password: ", PASSWORD],
    ]);
    expect(ok.code).toBe(0);
    expect(ok.screen).not.toContain(PASSWORD);
    const fp = /([0-9a-f]{2}(?::[0-9a-f]{2}){31})/.exec(ok.screen)?.[1];
    expect(fp).toBeDefined();
    const raw = await rawKeyOf(fp!);
    rawKeys.push(raw);
    const [row] = await sql<{ key_config: Record<string, unknown> }[]>`select key_config from keyvault.encryption_keys where fingerprint = ${fp!}`;
    expect((await decryptKeyConfig(parseKeyImport(JSON.stringify(row!.key_config)), PASSWORD)).key.equals(raw)).toBe(true);

    const mismatch = await tapectlOnTerminal(["key", "create"], [
      ["Encryption Key Password: ", PASSWORD],
      ["Verify Password: ", NEW_PASSWORD],
    ]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.screen).toContain("Error: passwords do not match");
    expect(mismatch.screen).not.toContain(NEW_PASSWORD);
  });

  it("no log line of the keyvault or the gateway holds a key or a password (hex, base64, raw)", () => {
    expect(rawKeys).toHaveLength(3);
    expect(logText).toContain('"op":"create"');
    expect(logText).toContain('"msg":"request"');
    const lines = logText.split("\n").filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(20);
    const forbidden: [string, string][] = [];
    for (const key of rawKeys) {
      forbidden.push(["key hex", key.toString("hex")], ["key base64", key.toString("base64")], ["key base64url", key.toString("base64url")], ["key raw", key.toString("latin1")]);
    }
    for (const pw of PASSWORDS) {
      const b = Buffer.from(pw, "utf8");
      forbidden.push(["password", pw], ["password json", JSON.stringify(pw).slice(1, -1)], ["password hex", b.toString("hex")], ["password base64", b.toString("base64")]);
    }
    for (const line of lines) {
      for (const [what, needle] of forbidden) expect(line.includes(needle), `${what} in log line: ${line.slice(0, 200)}`).toBe(false);
    }
  });
});
