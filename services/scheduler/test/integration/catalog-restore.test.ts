/**
 * Catalog restore from tape (`tapectl catalog`, PBS §5.5, §12.4, §13.7)
 * through real services: a device agent process with a virtual library, the
 * catalog service as a process (PostgreSQL, JetStream ingest), the scheduler
 * in-process; the inventory's side of the bus is served by the test.
 *
 * A backup spans a media set over two tapes or more; each tape joining the
 * set carries the catalogs of the members before it. The catalog then
 * forgets every tape of the set; the catalog job on the last tape alone
 * restores the whole set's `media content` from its catalog archives (fast
 * path, no scan). The first tape has no catalog archive at all (it filled
 * up): the catalog job scans it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentials } from "@grpc/grpc-js";
import {
  CATALOG_REQUESTS,
  INVENTORY_JOB_SUBJECTS,
  SCHEDULER_JOB_SUBJECTS,
  deviceLocationSubject,
  inventorySubject,
  mediaSubject,
  taskSubject,
  type CatalogMediaContentEntry,
  type DeviceLocation,
  type MediaEntry,
  type PoolAllocateRequest,
  type TaskLogPage,
} from "@tapefleet/api-types";
import { Bus, createLogger, NotFoundError, TapefleetError } from "@tapefleet/common";
import { createSampleDatastore } from "@tapefleet/datastore";
import { closeClient, createClient, DeviceAgentService, DeviceKind } from "@tapefleet/proto";
import { freePort, provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { GrpcAgentPort, loadSchedulerConfig, startScheduler, type RunningScheduler } from "../../src/index.ts";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const KiB = 1024;
const MiB = 1024 * KiB;
const logger = createLogger({ service: "sched-catalog-restore-test", level: "silent" });
const POOL = "daily";
const TAPES = ["TC0001L9", "TC0002L9", "TC0003L9", "TC0004L9"];

let env: TestEnv;
let dir: string;
let agentProc: ChildProcess | undefined;
let catalogProc: ChildProcess | undefined;
let agentAddress: string;
let sched: RunningScheduler;
let bus: Bus;
let side: Bus;
let locations: DeviceLocation[] = [];
const media = new Map<string, MediaEntry & { full?: boolean }>();

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

function startProcess(main: string, extraEnv: Record<string, string>, logName: string): ChildProcess {
  const fd = openSync(join(dir, logName), "a");
  try {
    return spawn(process.execPath, ["--import", "tsx", join(REPO, main)], { cwd: REPO, env: { ...process.env, ...env.serviceEnv(), ...extraEnv }, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
}

async function startAgent(): Promise<void> {
  const spec = {
    libraries: [
      {
        name: "lib1",
        slots: 6,
        importExportSlots: 1,
        serial: "TCLIB0001",
        drives: [{ generation: 9, serial: "TCD0000001" }],
        cartridges: TAPES.map((barcode, i) => ({ barcode, slot: i + 1 })),
      },
    ],
    // Small tapes: the set spans them. Each catalog archive takes at least one 256 KiB block.
    defaults: { capacityBytes: 4 * MiB, earlyWarningBytes: 256 * KiB },
    timing: { loadMs: 0, powerOnUnitAttention: false },
  };
  writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
  agentAddress = `127.0.0.1:${await freePort()}`;
  agentProc = startProcess(
    "services/device-agent/src/main.ts",
    {
      TAPEFLEET_HOST_ID: "host-a",
      TAPEFLEET_GRPC_ADDRESS: agentAddress,
      TAPEFLEET_HTTP_PORT: "0",
      TAPEFLEET_VTL_DIR: join(dir, "vtl"),
      TAPEFLEET_VTL_SPEC: join(dir, "spec.json"),
      TAPEFLEET_READY_POLL_MS: "20",
      TAPEFLEET_LOG_LEVEL: "info",
    },
    "agent.log",
  );
  const client = createClient(DeviceAgentService, agentAddress, credentials.createInsecure(), { defaultTimeoutMs: 30_000 });
  try {
    for (let i = 0; ; i++) {
      try {
        const devices = (await client.listDevices({ kinds: [], includeOffline: false }, { timeoutMs: 1000 })).devices;
        locations = devices.map((d) => ({
          "host-id": "host-a",
          "grpc-address": agentAddress,
          serial: d.serial,
          path: d.path,
          kind: d.kind === DeviceKind.MEDIUM_CHANGER ? "changer" : "drive",
          vendor: d.vendor,
          model: d.model,
          online: true,
          "last-seen": new Date().toISOString(),
        }));
        return;
      } catch (err) {
        if (i > 300) throw new Error(`the agent did not start: ${(err as Error).message}\n${tail(join(dir, "agent.log"))}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    closeClient(client);
  }
}

async function startCatalog(): Promise<void> {
  const port = await freePort();
  catalogProc = startProcess("services/catalog/src/main.ts", { TAPEFLEET_HTTP_HOST: "127.0.0.1", TAPEFLEET_HTTP_PORT: String(port), TAPEFLEET_LOG_LEVEL: "warn" }, "catalog.log");
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (catalogProc.exitCode !== null) throw new Error(`the catalog service exited:\n${tail(join(dir, "catalog.log"))}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the catalog service was not ready:\n${tail(join(dir, "catalog.log"))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const drivePath = () => locations.find((l) => l.kind === "drive")!.path;
const changerPath = () => locations.find((l) => l.kind === "changer")!.path;

/** The inventory's answers (pool allocation over the labelled tapes, media, media sets, devices). */
function serveInventory(): void {
  let set: { uuid: string; seq: number } | undefined;
  const drives: Record<string, unknown> = { d1: { name: "d1", path: drivePath(), changer: "lib1", "changer-drivenum": 0 } };
  const get = (table: Record<string, unknown>, kind: string) => async (p: unknown) => {
    const key = (p as { key: string }).key;
    if (!table[key]) throw new NotFoundError(kind, key);
    return table[key];
  };
  side.serve(inventorySubject("drive", "get"), get(drives, "drive"));
  side.serve(inventorySubject("drive", "list"), async () => Object.values(drives));
  side.serve(inventorySubject("changer", "get"), get({ lib1: { name: "lib1", path: changerPath() } }, "changer"));
  side.serve(inventorySubject("media-pool", "get"), get({ [POOL]: { name: POOL, drive: "d1" } }, "media-pool"));
  side.serve(inventorySubject("datastore", "get"), get({ store1: { name: "store1", path: join(dir, "store1"), host: "host-a" } }, "datastore"));
  side.serve(deviceLocationSubject("list"), async (p) => locations.filter((l) => (p as { kind?: string })?.kind === undefined || l.kind === (p as { kind: string }).kind));
  side.serve(INVENTORY_JOB_SUBJECTS.poolAllocate, async (p) => {
    const req = p as PoolAllocateRequest;
    const usable = [...media.values()].filter((x) => x.pool === req.pool && !x.full && !(req.exclude ?? []).includes(x.uuid));
    const m = usable.find((x) => set !== undefined && x["media-set-uuid"] === set.uuid) ?? usable.find((x) => x["media-set-uuid"] === undefined);
    if (!m) throw new TapefleetError("CONFLICT", `no writable tape of pool '${req.pool}' online in changer lib1`, { reason: "NO_USABLE_MEDIA" });
    set ??= { uuid: randomUUID(), seq: 0 };
    const appending = m["media-set-uuid"] === set.uuid;
    m["media-set-uuid"] = set.uuid;
    if (!appending) m["seq-nr"] = set.seq++;
    return {
      medium: m,
      setLabel: { pool: req.pool, uuid: set.uuid, seqNr: m["seq-nr"]!, ctime: 1_700_000_000 },
      source: appending ? "current-set" : "empty",
      newSet: !appending && m["seq-nr"] === 0,
      mediaSetName: `${req.pool} 1`,
    };
  });
  side.serve(INVENTORY_JOB_SUBJECTS.mediaMarkFull, async (p) => {
    const m = [...media.values()].find((x) => x.uuid === (p as { uuid: string }).uuid)!;
    m.full = true;
    return m;
  });
  side.serve(INVENTORY_JOB_SUBJECTS.mediaSetBytesUsed, async (p) => {
    const m = [...media.values()].find((x) => x.uuid === (p as { uuid: string }).uuid)!;
    m["bytes-used"] = (p as { bytesUsed: number }).bytesUsed;
    return m;
  });
  side.serve(INVENTORY_JOB_SUBJECTS.mediaSetGet, async (p) => {
    const uuid = (p as { uuid: string }).uuid;
    const members = [...media.values()]
      .filter((m) => m["media-set-uuid"] === uuid)
      .map((m) => ({ seqNr: m["seq-nr"]!, uuid: m.uuid, labelText: m["label-text"], location: m.location, status: m.full ? "full" : "writable" }))
      .sort((a, b) => a.seqNr - b.seqNr);
    if (members.length === 0) throw new NotFoundError("media set", uuid);
    return { uuid, pool: POOL, name: `${POOL} 1`, ctime: 1_700_000_000, members, complete: true };
  });
  side.serve(mediaSubject("get"), async (p) => {
    const q = p as { uuid?: string; "label-text"?: string };
    const m = [...media.values()].find((x) => x.uuid === q.uuid || x["label-text"] === q["label-text"]);
    if (!m) throw new NotFoundError("medium", q.uuid ?? q["label-text"] ?? "?");
    return m;
  });
}

async function waitTask(upid: string, timeoutMs = 150_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await bus.request<TaskLogPage>(taskSubject("log"), { upid, limit: 5000 });
    if (!page.active) return page.lines.map((l) => l.t);
    if (Date.now() > deadline) throw new Error(`task ${upid} still running:\n${page.lines.map((l) => l.t).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const content = async (setUuid: string) =>
  (await bus.request<CatalogMediaContentEntry[]>(CATALOG_REQUESTS.mediaContent, { "media-set-uuid": setUuid }, { timeoutMs: 30_000 }))
    .map((e) => `${e["seq-nr"]} ${e["label-text"]} ${e.uuid} ${e.store}:${e.snapshot}`)
    .sort();

/** Polls `media content` of a set until it equals `want` (the catalog ingests from JetStream). */
async function contentBecomes(setUuid: string, want: string[]): Promise<string[]> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const now = await content(setUuid);
    if (JSON.stringify(now) === JSON.stringify(want) || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function runCatalogJob(req: { force?: boolean; scan?: boolean }): Promise<string[]> {
  const { upid } = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.catalogStart, { drive: "d1", ...req, user: "admin@pam" });
  const text = await waitTask(upid);
  expect(text.at(-1), text.join("\n")).toMatch(/^TASK (OK|WARNINGS: \d+)$/);
  return text;
}

let port: GrpcAgentPort;
let cd: { changer: { hostId: string; grpcAddress: string; serial: string; path: string; name: string; exportSlots: number[]; ejectBeforeUnload: boolean }; driveNumber: number; drive: { hostId: string; grpcAddress: string; serial: string; path: string } };

beforeAll(async () => {
  env = await provisionTestEnv("schedcatrest");
  dir = mkdtempSync(join(tmpdir(), "tf-sched-catalog-restore-"));
  await Promise.all([startAgent(), startCatalog(), createSampleDatastore(join(dir, "store1"), { size: 2 * MiB, seed: 3, name: "store1" })]);
  side = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "inventory-side", logger });
  serveInventory();
  await side.nc.flush();
  port = new GrpcAgentPort({ lockWaitMs: 10_000, timeoutMs: 60_000 });
  const changer = { hostId: "host-a", grpcAddress: agentAddress, serial: "TCLIB0001", path: changerPath(), name: "lib1", exportSlots: [], ejectBeforeUnload: false };
  const d = locations.find((l) => l.kind === "drive")!;
  cd = { changer, driveNumber: 0, drive: { hostId: "host-a", grpcAddress: agentAddress, serial: d.serial, path: d.path } };
  for (const label of TAPES) {
    await port.load(cd, { labelText: label });
    const uuid = randomUUID();
    await port.label(cd.drive, { labelText: label, uuid, ctime: 1_700_000_000, pool: POOL });
    media.set(label, { uuid, "label-text": label, ctime: 1_700_000_000, pool: POOL, status: "unknown", location: "online-lib1", worm: false });
  }
  await port.unload(cd, undefined);
  sched = await startScheduler(
    loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_COMMIT_BYTES: String(256 * KiB), TAPEFLEET_SCHEDULE_TICK_MS: "0" } }),
    { installSignalHandlers: false },
  );
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "sched-catalog-restore-test", logger });
}, 180_000);

afterAll(async () => {
  port?.close();
  await bus?.close();
  await sched?.stop();
  await side?.close();
  for (const p of [agentProc, catalogProc]) {
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      await exited;
    }
  }
  await env?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("catalog restore from tape", () => {
  let setUuid: string;
  let before: string[];
  let setTapes: Array<MediaEntry & { full?: boolean }>;

  it("a backup spanning the set: every tape after the first carries the catalogs of the members before it", async () => {
    const { upid } = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.backupStart, { store: "store1", pool: POOL, drive: "d1", latestOnly: true, user: "admin@pam" });
    const text = await waitTask(upid);
    expect(text.at(-1), text.join("\n")).toBe("TASK OK");
    setTapes = [...media.values()].filter((m) => m["media-set-uuid"] !== undefined).sort((a, b) => a["seq-nr"]! - b["seq-nr"]!);
    expect(setTapes.length, text.join("\n")).toBeGreaterThanOrEqual(2);
    // The last tape is not full: its own catalog is at its end. The first one filled up: no catalog archive on it.
    expect(setTapes.at(-1)!.full, text.join("\n")).not.toBe(true);
    expect(setTapes[0]!.full).toBe(true);
    expect(text.filter((t) => /catalogs of \d+ earlier member\(s\) sent with the write session/.test(t)).length).toBe(setTapes.length - 1);
    setUuid = setTapes[0]!["media-set-uuid"]!;
    const finished = Number(/backup finished: (\d+) snapshot/.exec(text.find((t) => t.startsWith("backup finished: "))!)![1]);
    // The catalog ingests the commit records from JetStream: wait until every snapshot written is listed.
    const deadline = Date.now() + 90_000;
    for (before = await content(setUuid); before.length < finished && Date.now() < deadline; before = await content(setUuid)) await new Promise((r) => setTimeout(r, 200));
    expect(before.length).toBe(finished);
    expect(new Set(before.map((l) => l.split(" ")[1])).size).toBe(setTapes.length);
  }, 170_000);

  it("the catalog forgets the set; the catalog job on the last tape alone restores media content from its catalog archives", async () => {
    for (const t of setTapes) await bus.request(CATALOG_REQUESTS.mediaForget, { mediaUuid: t.uuid }, { timeoutMs: 30_000 });
    expect(await content(setUuid)).toEqual([]);
    // The last tape is still in the drive after the backup.
    const text = await runCatalogJob({ force: true });
    for (const t of setTapes.slice(0, -1)) expect(text.some((l) => l.includes(`catalog of media '${t["label-text"]}' (member ${t["seq-nr"]})`)), text.join("\n")).toBe(true);
    const last = setTapes.at(-1)!;
    expect(text.some((l) => l.includes(`catalog of media '${last["label-text"]}' (member ${last["seq-nr"]})`)), text.join("\n")).toBe(true);
    // Fast path: no tape was scanned.
    expect(text.filter((l) => l.startsWith("scan media ")), text.join("\n")).toEqual([]);
    expect(await contentBecomes(setUuid, before)).toEqual(before);
  }, 150_000);

  it("a tape with no catalog archive (the first, which filled up) is scanned, and its content comes back", async () => {
    const first = setTapes[0]!;
    await bus.request(CATALOG_REQUESTS.mediaForget, { mediaUuid: first.uuid }, { timeoutMs: 30_000 });
    const without = before.filter((l) => l.split(" ")[1] !== first["label-text"]);
    expect(await content(setUuid)).toEqual(without);
    await port.load(cd, { labelText: first["label-text"] });
    const text = await runCatalogJob({ force: true });
    expect(text.some((l) => l.startsWith(`no catalog archive of media '${first["label-text"]}' at its end: scanning every archive`)), text.join("\n")).toBe(true);
    expect(text.some((l) => l.startsWith(`scan media '${first["label-text"]}'`))).toBe(true);
    expect(await contentBecomes(setUuid, before)).toEqual(before);
  }, 150_000);

  it("without force the job publishes the write sessions' record ids: the catalog keeps what it has", async () => {
    const text = await runCatalogJob({ scan: true });
    expect(text.some((l) => l.startsWith("scan media "))).toBe(true);
    expect(await content(setUuid)).toEqual(before);
  }, 150_000);
});
