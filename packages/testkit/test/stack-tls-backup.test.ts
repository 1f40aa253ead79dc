/**
 * Backup and restore through the stack in TLS mode (`startStack({ tls: true })`:
 * NATS with TLS, client certificates and a user per service, mutual TLS between
 * the scheduler and the device agent), driven by the real tapectl: pool,
 * barcode-label, a datastore with sample backups, a backup job run followed to
 * OK, the catalog's media content, a restore of the media set into a new
 * datastore with identical data. Then every service's `/metrics`, scraped over
 * HTTP, shows the drive and job series the backup and restore imply.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { Datastore, decodeManifestBlob, MANIFEST_BLOB_NAME, openDatastore, verifyDatastore } from "@tapefleet/datastore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTestEnv, REPO_ROOT, startStack, type RunningStack, type TestEnv } from "../src/index.ts";

const TAPECTL = join(REPO_ROOT, "packages", "cli", "bin", "tapectl.mjs");
const HOST_ID = "tape-host-1";
const DRIVE_PATH = "/dev/tape/by-id/scsi-TFD9000001-sg";
/** Block size of the PBS tape format (one media set label is one block). */
const TAPE_BLOCK_SIZE = 256 * 1024;
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
let storeDir: string;
let restoredDir: string;

beforeAll(async () => {
  env = await provisionTestEnv("tlsbackup");
  root = mkdtempSync(join(tmpdir(), "tf-stack-tls-backup-"));
  varDir = join(root, "var");
  storeDir = join(root, "datastores", "store1");
  restoredDir = join(root, "datastores", "restored");
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
      TAPEFLEET_HOST_ID: HOST_ID,
      TAPEFLEET_WEB_UI: "0",
    },
  });
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
    execFile(process.execPath, [TAPECTL, ...args], { cwd: dirname(varDir), env: { ...base, NO_COLOR: "1" }, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await tapectl(...args);
  expect(r.stderr, `tapectl ${args.join(" ")}`).toBe("");
  expect(r.code, `tapectl ${args.join(" ")}\n${r.stdout}`).toBe(0);
  return r.stdout;
}

async function json<T>(...args: string[]): Promise<T> {
  return JSON.parse(await ok("--output-format", "json", ...args)) as T;
}

/** Every file below `dir` (relative path → contents), dot files included. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Value of the series `name{…}` whose labels contain `labels`, or undefined. */
function sample(text: string, name: string, labels = ""): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    if (line.slice(name.length + 1, close).includes(labels)) return Number(line.slice(close + 2));
  }
  return undefined;
}

/** A GET of the gateway's API with the admin token (for the checks after the flow, without a tapectl process each). */
async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${stack.gatewayUrl}/api2/json${path}`, { headers: { authorization: `Bearer ${readFileSync(stack.adminTokenFile, "utf8").trim()}` } });
  expect(res.status, path).toBe(200);
  return ((await res.json()) as { data: T }).data;
}

async function scrape(service: string): Promise<string> {
  const svc = stack.services.find((s) => s.name === service);
  if (svc === undefined) throw new Error(`no service ${service}`);
  const url = service === "api-gateway" ? `${stack.gatewayUrl}/metrics` : `${svc.healthUrl}/metrics`;
  const res = await fetch(url);
  expect(res.status, `${service} /metrics`).toBe(200);
  return res.text();
}

let setUuid: string;
let backupUpid: string;
let snapshots: string[];

describe("backup and restore through the stack with TLS and NATS credentials", () => {
  it("labels the tapes into a pool over mutual TLS to the agent", async () => {
    await ok("changer", "create", "lib1", "--path", "/dev/tape/by-id/scsi-TFLIB00001");
    await ok("drive", "create", "d1", "--path", DRIVE_PATH, "--changer", "lib1");
    await ok("pool", "create", "daily", "--drive", "d1");
    const log = await ok("barcode-label", "--pool", "daily", "--drive", "d1");
    expect(log).toContain("barcode-label: 2 labeled, 0 skipped");
    expect(log).toMatch(/TASK OK\n$/);
  }, 90_000);

  it("creates a datastore on the agent host with sample backups", async () => {
    await ok("datastore", "create", "store1", "--path", storeDir, "--host", HOST_ID);
    const log = await ok("datastore", "sample", "store1", "--size", "2M", "--seed", "7");
    expect(log).toMatch(/TASK OK\n$/);
    const m = /(\d+) snapshots in/.exec(log);
    expect(m, log).not.toBeNull();
    snapshots = [...tree(storeDir).keys()].filter((f) => f.endsWith("index.json.blob")).map((f) => dirname(f)).sort();
    expect(snapshots.length).toBe(Number(m![1]));
    expect(snapshots.length).toBeGreaterThan(3);
  }, 90_000);

  it("runs a backup job and follows its task to OK", async () => {
    await ok("backup-job", "create", "nightly", "--store", "store1", "--pool", "daily", "--drive", "d1");
    const started = await json<{ upid: string }>("backup-job", "run", "nightly");
    expect(started.upid).toMatch(/^UPID:[^:]+:.*:tape-backup-job:nightly:/);
    backupUpid = started.upid;
    const log = await ok("task", "log", started.upid, "--follow");
    expect(log).toContain(`${snapshots.length} snapshot(s) selected`);
    expect(log).toMatch(/backup finished: \d+ snapshot\(s\), .* on 1 tape\(s\) \(TF0001L9\)/);
    expect(log).toMatch(/TASK OK\n$/);
    const tasks = await json<{ upid: string; status?: string }[]>("task", "list");
    expect(tasks.find((t) => t.upid === started.upid)?.status).toBe("OK");
  }, 150_000);

  it("media content lists every snapshot of the backup, from the catalog", async () => {
    const sets = await json<{ "media-set-uuid": string; complete: boolean; members: { "label-text": string }[] }[]>("media", "sets", "--pool", "daily");
    expect(sets.length).toBe(1);
    expect(sets[0]!.complete).toBe(true);
    expect(sets[0]!.members.map((m) => m["label-text"])).toEqual(["TF0001L9"]);
    setUuid = sets[0]!["media-set-uuid"];
    // The catalog ingests the backup's records from JetStream: wait until all are in.
    let content: { snapshot: string; store: string; "label-text": string; "media-set-uuid": string }[] = [];
    for (let i = 0; i < 200 && content.length < snapshots.length; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 300));
      content = await json("media", "content", "--pool", "daily");
    }
    expect(content.map((c) => c.snapshot).sort()).toEqual(snapshots);
    for (const c of content) expect([c.store, c["label-text"], c["media-set-uuid"]]).toEqual(["store1", "TF0001L9", setUuid]);
    // The media-set-name column shows the set's name (the pool's name template), not its uuid.
    expect(await ok("media", "content", "--pool", "daily")).toMatch(/│ TF0001L9\s+│ daily\s+│ [^│]+│\s+0 │ vm\/100\/\S+\s+│ store1 │/);
  }, 90_000);

  it("restores the media set into a new datastore: data identical", async () => {
    // The target datastore exists on the agent host, as PBS requires (made as an administrator would).
    await new Datastore(restoredDir, "restored").chunks.create();
    await ok("datastore", "create", "restored", "--path", restoredDir, "--host", HOST_ID);
    const log = await ok("restore", setUuid, "store1=restored", "--drive", "d1");
    expect(log).toMatch(new RegExp(`media 'TF0001L9': \\d+ file\\(s\\), \\d+ chunk\\(s\\) inserted, ${snapshots.length} snapshot\\(s\\)`));
    expect(log).toMatch(/TASK OK\n$/);
    const source = tree(storeDir);
    const restored = tree(restoredDir);
    // Every snapshot of the backup is back, file for file (group notes, protection marks and
    // unfinished snapshots are not on tape, as in PBS).
    const snapshotOf = (f: string) => snapshots.find((snap) => f.startsWith(`${snap}/`));
    const snapshotFiles = (t: Map<string, Buffer>) => [...t.keys()].filter((f) => snapshotOf(f) !== undefined && !f.slice(snapshotOf(f)!.length + 1).startsWith(".")).sort();
    expect(snapshotFiles(restored)).toEqual(snapshotFiles(source));
    expect([...restored.keys()].filter((f) => f.endsWith("index.json.blob")).map((f) => dirname(f)).sort()).toEqual(snapshots);
    for (const f of snapshotFiles(source)) {
      if (!f.endsWith(`/${MANIFEST_BLOB_NAME}`)) {
        expect(restored.get(f)!.equals(source.get(f)!), f).toBe(true);
        continue;
      }
      // The manifest is re-encoded by a restore without its verify state (reference §4.2); the rest is the source's.
      const { verify_state: _dropped, ...unprotected } = (await decodeManifestBlob(source.get(f)!)).unprotected;
      expect(await decodeManifestBlob(restored.get(f)!), f).toEqual({ ...(await decodeManifestBlob(source.get(f)!)), unprotected });
    }
    // Chunks: each restored chunk is the source's, and every chunk a restored snapshot references is there.
    const chunks = [...restored.keys()].filter((f) => f.startsWith(".chunks/"));
    expect(chunks.length).toBeGreaterThan(0);
    for (const f of chunks) expect(restored.get(f)!.equals(source.get(f) ?? Buffer.alloc(0)), f).toBe(true);
    const verify = await verifyDatastore(await openDatastore(restoredDir, { name: "restored" }));
    expect({ bad: verify.bad, missing: verify.missing, snapshots: verify.snapshots }).toEqual({ bad: [], missing: [], snapshots: snapshots.length });
    // Groups restored belong to the user who restored: the admin token, as an auth id.
    const owners = [...restored].filter(([f]) => f.endsWith("/owner"));
    expect(owners.length).toBeGreaterThan(0);
    for (const [f, data] of owners) expect(data.toString().trim(), f).toBe("root@pam!admin");
  }, 150_000);

  it("every service serves /metrics; the agent's drive and the scheduler's job series show the backup and the restore", async () => {
    const texts = new Map<string, string>();
    for (const s of stack.services) {
      const text = await scrape(s.name);
      expect(text, s.name).toMatch(new RegExp(`^tapefleet_process_cpu_seconds_total\\{service="${s.name}",instance="[^"]+"\\} `, "m"));
      texts.set(s.name, text);
    }
    const media = await api<{ "label-text": string; "bytes-used"?: number }[]>("/tape/media/list");
    const used = media.find((m) => m["label-text"] === "TF0001L9")?.["bytes-used"] ?? 0;
    expect(used).toBeGreaterThan(1024 ** 2);
    const agent = texts.get("device-agent")!;
    const drive = `drive="vtl:lib1/drive0"`;
    // The write session wrote the media set label (one block) and then the archives the inventory counts as used.
    expect(sample(agent, "tapefleet_drive_bytes_written_total", drive)).toBe(used + TAPE_BLOCK_SIZE);
    // The restore read every archive back.
    expect(sample(agent, "tapefleet_drive_bytes_read_total", drive)).toBeGreaterThanOrEqual(used);
    expect(sample(agent, "tapefleet_drive_state", `${drive},serial="TFD9000001",state="idle"`)).toBe(1);
    expect(sample(agent, "tapefleet_drive_state", `${drive},serial="TFD9000001",state="writing"`)).toBe(0);
    const sched = texts.get("scheduler")!;
    for (const kind of ["barcode-label-media", "datastore-sample", "tape-backup-job", "tape-restore"]) {
      expect(sample(sched, "tapefleet_jobs_total", `kind="${kind}",outcome="ok"`), kind).toBe(1);
      expect(sample(sched, "tapefleet_job_duration_seconds_count", `kind="${kind}",outcome="ok"`), kind).toBe(1);
      expect(sample(sched, "tapefleet_jobs_total", `kind="${kind}",outcome="failed"`), kind).toBeUndefined();
    }
    const tasks = await api<{ upid: string; starttime: number; endtime?: number }[]>("/nodes/localhost/tasks");
    const backup = tasks.find((t) => t.upid === backupUpid)!;
    expect(sample(sched, "tapefleet_job_duration_seconds_sum", `kind="tape-backup-job",outcome="ok"`)).toBe(backup.endtime! - backup.starttime);
    expect(sample(sched, "tapefleet_queue_depth", `state="active"`)).toBe(0);
    expect(sample(sched, "tapefleet_metrics_leader")).toBe(1);
    // The inventory's tapes by status and location, the catalog's ingest of the backup's records.
    const inventory = texts.get("inventory")!;
    expect(sample(inventory, "tapefleet_media", 'location="online",pool="daily"')).toBe(2);
    const catalog = texts.get("catalog")!;
    expect(sample(catalog, "tapefleet_catalog_records_total", 'result="applied"')).toBeGreaterThanOrEqual(snapshots.length);
    expect(sample(catalog, "tapefleet_catalog_ingest_lag_seconds")).toBe(0);
    // The gateway counted the API calls tapectl made, by route.
    expect(sample(texts.get("api-gateway")!, "tapefleet_http_requests_total", 'method="POST",route="/api2/json/tape/restore",status="200"')).toBe(1);
  });
});
