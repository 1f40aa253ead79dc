/**
 * Tape encryption end to end through the stack (processes started by
 * `startStack`, driven by the real tapectl): a key, a pool with `--encrypt`,
 * a backup whose set label carries the fingerprint and key config and whose
 * data the virtual library stores encrypted with the set's drive key (the
 * cartridge file holds no chunk in clear), a restore with identical data; the
 * key removed, a restore fails with "key FP needed" and a notification, and
 * restores nothing; `key restore` from the tape with the password brings the
 * key back and the restore succeeds. Last, every service log line, every
 * event and every message on the bus of the run, and every task log, are
 * searched for the raw key, the set's drive key and the password (hex,
 * base64, raw): none has them.
 */
import { createDecipheriv, pbkdf2Sync, scryptSync } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { connect, type NatsConnection } from "nats";
import { Datastore } from "@tapefleet/datastore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTestEnv, REPO_ROOT, startStack, type RunningStack, type TestEnv } from "../src/index.ts";

const TAPECTL = join(REPO_ROOT, "packages", "cli", "bin", "tapectl.mjs");
const HOST_ID = "tape-host-1";
const DRIVE_PATH = "/dev/tape/by-id/scsi-TFD9000001-sg";
const PASSWORD = "Tape-Secret-Pa55word!";
/** One changer, one LTO-9 drive, one small data cartridge, quick loads. */
const SITE = {
  libraries: [
    {
      name: "lib1",
      slots: 4,
      importExportSlots: 1,
      serial: "TFLIB00001",
      drives: [{ generation: 9, serial: "TFD9000001" }],
      cartridges: [{ barcode: "TF0001L9", slot: 1 }],
    },
  ],
  defaults: { capacityBytes: 64 * 1024 ** 2 },
  timing: { loadMs: 0, cleaningMs: 0, calibrationMs: 0, powerOnUnitAttention: false },
};

let env: TestEnv;
let stack: RunningStack;
let nc: NatsConnection;
let root: string;
let varDir: string;
let storeDir: string;
/** Every message seen on the bus during the run (the stack's subjects and request replies). */
const messages: Array<{ subject: string; data: Buffer }> = [];
let captured = 0;
/** Capture limit: the run's traffic is a few MiB; replies of other tests on the same server are skipped past it. */
const CAPTURE_LIMIT = 256 * 1024 ** 2;

beforeAll(async () => {
  env = await provisionTestEnv("encrypt");
  root = mkdtempSync(join(tmpdir(), "tf-stack-encrypt-"));
  varDir = join(root, "var");
  storeDir = join(root, "datastores", "store1");
  const spec = join(root, "site.json");
  writeFileSync(spec, JSON.stringify(SITE));
  nc = await connect({ servers: env.natsUrl, name: "encryption-test-listener" });
  for (const subject of [`${env.natsPrefix}.>`, "_INBOX.>"]) {
    const sub = nc.subscribe(subject);
    void (async () => {
      for await (const m of sub) {
        if (captured + m.data.length > CAPTURE_LIMIT) continue;
        captured += m.data.length;
        messages.push({ subject: m.subject, data: Buffer.from(m.data) });
      }
    })();
  }
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith("TAPEFLEET_") || k === "DATABASE_URL") delete e[k];
  stack = await startStack({
    varDir,
    gatewayPort: 0,
    grpcAddress: "127.0.0.1:0",
    env: {
      ...e,
      DATABASE_URL: env.databaseUrl,
      TAPEFLEET_REDIS_URL: env.redisUrl,
      TAPEFLEET_QUEUE_PREFIX: env.queuePrefix,
      TAPEFLEET_NATS_PREFIX: env.natsPrefix,
      TAPEFLEET_VTL_SPEC: spec,
      TAPEFLEET_HOST_ID: HOST_ID,
      TAPEFLEET_WEB_UI: "0",
    },
  });
}, 150_000);

afterAll(async () => {
  await stack?.stop();
  await nc?.close();
  await env?.cleanup();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
}, 60_000);

/** tapectl as a child process (gateway and token from ./var/stack.json); `stdin` is written to its standard input. */
function tapectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith("TAPEFLEET_")) delete base[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TAPECTL, ...args], { cwd: dirname(varDir), env: { ...base, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(stdin ?? "");
  });
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await tapectl(args, stdin);
  expect(r.stderr, `tapectl ${args.join(" ")}`).toBe("");
  expect(r.code, `tapectl ${args.join(" ")}\n${r.stdout}`).toBe(0);
  return r.stdout;
}

/** The gateway's API with the admin token (reads without a tapectl process). */
async function api<T>(path: string): Promise<T> {
  const token = readFileSync(stack.adminTokenFile, "utf8").trim();
  const res = await fetch(`${stack.gatewayUrl}/api2/json${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  return ((await res.json()) as { data: T }).data;
}

async function json<T>(...args: string[]): Promise<T> {
  return JSON.parse(await ok(["--output-format", "json", ...args])) as T;
}

/** Every regular file below `dir` (relative path → contents; sockets left out). */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** The raw key of a PBS KeyConfig (scrypt KDF; data = IV ‖ TAG ‖ ciphertext), opened independently of the keyvault. */
function openKeyConfig(config: { kdf: { Scrypt: { n: number; r: number; p: number; salt: string } }; data: string }, password: string): Buffer {
  const { n, r, p, salt } = config.kdf.Scrypt;
  const derived = scryptSync(password, Buffer.from(salt, "base64"), 32, { N: n, r, p, maxmem: 1025 * 1024 ** 2 });
  const data = Buffer.from(config.data, "base64");
  const d = createDecipheriv("aes-256-gcm", derived, data.subarray(0, 16));
  d.setAuthTag(data.subarray(16, 32));
  return Buffer.concat([d.update(data.subarray(32)), d.final()]);
}

/** Snapshot directories (those with a manifest) and their files, and the chunks, of a datastore: what a restore brings back. */
function dataOf(dir: string): { snapshots: string[]; files: Map<string, Buffer>; chunks: Map<string, Buffer> } {
  const t = tree(dir);
  const snapshots = [...t.keys()].filter((f) => f.endsWith("/index.json.blob")).map((f) => dirname(f)).sort();
  // The manifest is re-encoded by a restore (no verify state, reference §4.2): the index and blob files are compared byte for byte.
  const files = new Map([...t].filter(([f]) => snapshots.includes(dirname(f)) && /\.(?:fidx|didx|blob)$/.test(f) && !f.endsWith("/index.json.blob")));
  const chunks = new Map([...t].filter(([f]) => f.startsWith(".chunks/")));
  return { snapshots, files, chunks };
}

let fingerprint: string;
let rawKey: Buffer;
let driveKey: Buffer;
let setUuid: string;
const upids: string[] = [];

function expectRestored(dir: string) {
  const source = dataOf(storeDir);
  const restored = dataOf(dir);
  expect(restored.snapshots).toEqual(source.snapshots);
  expect(source.snapshots.length).toBeGreaterThan(3);
  expect([...restored.files.keys()].sort()).toEqual([...source.files.keys()].sort());
  for (const [f, data] of source.files) expect(restored.files.get(f)!.equals(data), f).toBe(true);
  expect(restored.chunks.size).toBeGreaterThan(0);
  for (const [f, data] of restored.chunks) expect(data.equals(source.chunks.get(f) ?? Buffer.alloc(0)), f).toBe(true);
}

describe("tape encryption through the stack", () => {
  it("creates a key and an encrypted pool, labels the tapes, makes sample backups", async () => {
    fingerprint = (await ok(["key", "create", "--hint", "vault", "--password-stdin"], `${PASSWORD}\n`)).trim();
    expect(fingerprint).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){31}$/);
    const paper = await ok(["key", "paperkey", fingerprint]);
    const jsonText = paper.slice(paper.indexOf("{"), paper.indexOf("-----END PROXMOX BACKUP KEY-----"));
    rawKey = openKeyConfig(JSON.parse(jsonText), PASSWORD);
    expect(rawKey.length).toBe(32);
    await ok(["changer", "create", "lib1", "--path", "/dev/tape/by-id/scsi-TFLIB00001"]);
    await ok(["drive", "create", "d1", "--path", DRIVE_PATH, "--changer", "lib1"]);
    await ok(["pool", "create", "secure", "--drive", "d1", "--encrypt", fingerprint]);
    expect(await ok(["barcode-label", "--pool", "secure", "--drive", "d1"])).toMatch(/TASK OK\n$/);
    await ok(["datastore", "create", "store1", "--path", storeDir, "--host", HOST_ID]);
    expect(await ok(["datastore", "sample", "store1", "--size", "2M", "--seed", "5"])).toMatch(/TASK OK\n$/);
  }, 150_000);

  it("backs up to the encrypted pool: the set label carries the fingerprint and key config, the cartridge holds no chunk in clear", async () => {
    await ok(["backup-job", "create", "secret", "--store", "store1", "--pool", "secure", "--drive", "d1"]);
    const started = await json<{ upid: string }>("backup-job", "run", "secret");
    upids.push(started.upid);
    const log = await ok(["task", "log", started.upid, "--follow"]);
    expect(log).toContain(`media pool 'secure' is encrypted with key ${fingerprint}`);
    expect(log).toMatch(/backup finished: \d+ snapshot\(s\), .* on 1 tape\(s\) \(TF0001L9\)/);
    expect(log).toMatch(/TASK OK\n$/);

    const label = await json<Record<string, unknown>>("drive", "read-label", "--drive", "d1");
    expect(label["encryption-key-fingerprint"]).toBe(fingerprint);
    const keyConfig = label["key-config"] as { fingerprint: string; kdf: { Scrypt: unknown } } | undefined;
    expect(keyConfig?.fingerprint).toBe(fingerprint);
    expect(openKeyConfig(keyConfig as never, PASSWORD).equals(rawKey)).toBe(true);
    setUuid = label["media-set-uuid"] as string;
    driveKey = pbkdf2Sync(rawKey, Buffer.from(setUuid.replace(/-/g, ""), "hex"), 10, 32, "sha256");

    const cartridge = [...tree(varDir).entries()].find(([f]) => f.endsWith("TF0001L9.data"));
    expect(cartridge, "the cartridge file of TF0001L9").toBeDefined();
    const bytes = cartridge![1];
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    let chunks = 0;
    for (const [f, blob] of tree(join(storeDir, ".chunks"))) {
      // 64 bytes of every stored chunk blob (past its header) would show a clear copy
      expect(bytes.indexOf(blob.subarray(12, 76)), f).toBe(-1);
      chunks++;
    }
    expect(chunks).toBeGreaterThan(5);
    // the labels themselves are in clear (PBS: files 0 and 1 are written before the key is loaded)
    expect(bytes.indexOf(Buffer.from(fingerprint))).toBeGreaterThan(-1);
  }, 150_000);

  it("restores the encrypted set with the key loaded automatically: data identical", async () => {
    const dir = join(root, "datastores", "restored");
    await new Datastore(dir, "restored").chunks.create();
    await ok(["datastore", "create", "restored", "--path", dir, "--host", HOST_ID]);
    const log = await ok(["restore", setUuid, "store1=restored", "--drive", "d1"]);
    expect(log).toMatch(/TASK OK\n$/);
    expectRestored(dir);
  }, 150_000);

  it("without the key in the keyvault a restore fails with 'key FP needed', notifies, and restores nothing", async () => {
    await ok(["key", "remove", fingerprint, "--force"]);
    const dir = join(root, "datastores", "again");
    await new Datastore(dir, "again").chunks.create();
    await ok(["datastore", "create", "again", "--path", dir, "--host", HOST_ID]);
    const r = await tapectl(["restore", setUuid, "store1=again", "--drive", "d1"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`key ${fingerprint} needed`);
    expect(r.stdout).not.toMatch(/TASK OK/);
    expect(dataOf(dir).chunks.size).toBe(0);
    let note: string | undefined;
    for (let i = 0; i < 50 && note === undefined; i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 200));
      note = messages.map((m) => m.data.toString()).find((t) => t.includes("scheduler.notification") && t.includes(`key ${fingerprint} needed`));
    }
    expect(note, "a notification event naming the key").toBeDefined();
  }, 150_000);

  it("key restore reads the key config from the tape with the password; the restore then succeeds", async () => {
    const wrong = await tapectl(["key", "restore", "--drive", "d1", "--password-stdin"], "not the password\n");
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password/i);
    expect(await ok(["key", "restore", "--drive", "d1", "--password-stdin"], `${PASSWORD}\n`)).toBe(`${fingerprint}\n`);
    expect((await json<{ fingerprint: string }[]>("key", "list")).map((k) => k.fingerprint)).toContain(fingerprint);
    const dir = join(root, "datastores", "again");
    const log = await ok(["restore", setUuid, "store1=again", "--drive", "d1"]);
    expect(log).toMatch(/TASK OK\n$/);
    expectRestored(dir);
  }, 150_000);

  it("the catalog job (catalog archives, then a full scan) and a selective restore read the encrypted tape with its key", async () => {
    // the restore before unloaded the tape to its slot
    expect(await ok(["changer", "load-media", "TF0001L9", "--drive", "d1"])).toMatch(/TASK OK\n$/);
    const fast = await ok(["catalog", "--drive", "d1", "--force"]);
    expect(fast).toContain(`media set encrypted with key ${fingerprint}`);
    expect(fast).toMatch(/TASK OK\n$/);
    const scan = await ok(["catalog", "--drive", "d1", "--scan", "--force"]);
    expect(scan).toContain("scan media 'TF0001L9'");
    expect(scan).toMatch(/TASK OK\n$/);
    const source = dataOf(storeDir);
    const snap = source.snapshots[0]!;
    // the catalog plans the restore once it has the backup's records
    for (let i = 0; i < 100; i++) {
      const content = await api<{ snapshot: string }[]>("/tape/media/content?pool=secure");
      if (content.some((c) => c.snapshot === snap)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const dir = join(root, "datastores", "one");
    await new Datastore(dir, "one").chunks.create();
    await ok(["datastore", "create", "one", "--path", dir, "--host", HOST_ID]);
    const log = await ok(["restore", setUuid, "store1=one", "--drive", "d1", "--snapshots", `store1:${snap}`]);
    // the catalog's plan: the snapshot archive is read back first (its indexes name the chunks), then only the files needed
    expect(log).toMatch(/catalog plan: 'TF0001L9' \(\d+ file\(s\)\)/);
    expect(log).toMatch(/TASK OK\n$/);
    const restored = dataOf(dir);
    expect(restored.snapshots).toEqual([snap]);
    expect(restored.files.size).toBeGreaterThan(0);
    for (const [f, data] of restored.files) expect(data.equals(source.files.get(f)!), f).toBe(true);
  }, 150_000);

  it("no log line, event, bus message or task log of the run holds the raw key, the drive key or the password", async () => {
    const tasks = await api<{ upid: string }[]>("/nodes/localhost/tasks?limit=500");
    expect(tasks.length).toBeGreaterThanOrEqual(9);
    const taskLogs: string[] = [];
    for (const t of tasks) taskLogs.push(JSON.stringify(await api(`/nodes/localhost/tasks/${encodeURIComponent(t.upid)}/log?limit=100000`)));
    expect(taskLogs.join("\n")).toContain(`key ${fingerprint} needed`);
    const logDir = join(varDir, "logs");
    const logs = readdirSync(logDir).map((f) => ({ name: f, data: readFileSync(join(logDir, f)) }));
    expect(logs.map((l) => l.name).sort()).toEqual(expect.arrayContaining(["device-agent.log", "keyvault.log", "scheduler.log"]));
    expect(logs.find((l) => l.name === "keyvault.log")!.data.toString()).toContain('"op":"release"');
    const events = messages.filter((m) => m.subject.startsWith(`${env.natsPrefix}.events.`));
    expect(events.length).toBeGreaterThan(0);

    const forms = (secret: Buffer) => [secret, Buffer.from(secret.toString("hex")), Buffer.from(secret.toString("base64")), Buffer.from(secret.toString("base64url"))];
    const password = Buffer.from(PASSWORD);
    const secrets = { "raw key": forms(rawKey), "drive key": forms(driveKey), password: forms(password) };
    const places: Array<{ where: string; data: Buffer; keysOnly?: boolean }> = [
      ...logs.map((l) => ({ where: `log ${l.name}`, data: l.data })),
      ...events.map((m) => ({ where: `event ${m.subject}`, data: m.data })),
      ...taskLogs.map((t, i) => ({ where: `task log ${tasks[i]!.upid}`, data: Buffer.from(t) })),
      // Request payloads carry passwords by design (key create, key restore): the bus is checked for keys only.
      ...messages.map((m) => ({ where: `bus ${m.subject}`, data: m.data, keysOnly: true })),
    ];
    // The capture works: the key create request carried the password (passwords travel only in request payloads),
    // and the keyvault's release replies went by, sealed.
    expect(messages.some((m) => m.data.indexOf(password) >= 0)).toBe(true);
    expect(messages.filter((m) => m.data.includes("sealedDriveKey")).length).toBeGreaterThanOrEqual(3);
    const found: string[] = [];
    // one search over everything first; item by item only to name where a secret was found
    const everything = Buffer.concat(places.filter((p) => !p.keysOnly).map((p) => p.data));
    const bus = Buffer.concat(places.filter((p) => p.keysOnly).map((p) => p.data));
    const keyForms = [...secrets["raw key"], ...secrets["drive key"]];
    const anywhere = [...keyForms, ...secrets.password].some((x) => everything.indexOf(x) >= 0) || keyForms.some((x) => bus.indexOf(x) >= 0);
    for (const p of anywhere ? places : []) {
      for (const [name, list] of Object.entries(secrets)) {
        if (p.keysOnly && name === "password") continue;
        if (list.some((s) => p.data.indexOf(s) >= 0)) found.push(`${name} in ${p.where}`);
      }
    }
    expect(found).toEqual([]);
  }, 150_000);
});
