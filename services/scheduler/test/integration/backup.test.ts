/**
 * A backup through the parts of the stack: a device agent process with a
 * virtual library (tiny cartridges), the scheduler (NATS, PostgreSQL,
 * Redis/BullMQ), and the inventory's and catalog's side of the bus contract
 * served by the test (pool allocation over the tapes the test labelled).
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
  type CatalogRestorePlanRequest,
  type CatalogRestoreTape,
  type DeviceLocation,
  type MediaEntry,
  type PoolAllocateRequest,
  type TapeRequestEntry,
  type TaskLogPage,
} from "@tapefleet/api-types";
import { Bus, createLogger, NotFoundError, TapefleetError } from "@tapefleet/common";
import { closeClient, createClient, DeviceAgentService, DeviceKind } from "@tapefleet/proto";
import { freePort, provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { Datastore } from "@tapefleet/datastore";
import { MediaCatalog } from "@tapefleet/tape-format";
import { readdirSync } from "node:fs";
import { GrpcAgentPort, loadSchedulerConfig, startScheduler, type RunningScheduler } from "../../src/index.ts";

const AGENT_MAIN = fileURLToPath(new URL("../../../device-agent/src/main.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const KiB = 1024;
const MiB = 1024 * KiB;
const logger = createLogger({ service: "sched-backup-test", level: "silent" });
const SET_POOL = "daily";
const TAPES = ["TF0001L9", "TF0002L9", "TF0003L9", "TF0004L9", "TF0005L9", "TF0006L9"];

let env: TestEnv;
let dir: string;
let agentProc: ChildProcess;
let agentAddress: string;
let sched: RunningScheduler;
let bus: Bus;
let side: Bus;
let locations: DeviceLocation[] = [];
const media = new Map<string, MediaEntry & { full?: boolean; available: boolean }>();
const calls: string[] = [];
const commits: string[] = [];
/** Chunk digests (hex) per media set, from the commit records: the catalog's `media-set.digests`. */
const setDigests = new Map<string, Set<string>>();
/** The restore plans asked of the catalog side. */
const restorePlans: CatalogRestorePlanRequest[] = [];
/** Every catalog record seen on `catalog.commit.>`, in arrival order. */
const records: { recordId: string; type: string; kind?: string; fileNumber?: number; labelText: string }[] = [];
/** Tapes whose media catalog a backup asked for (to write it as a catalog archive of a later member). */
const catalogPages: string[] = [];

async function startAgent(): Promise<void> {
  const spec = {
    libraries: [
      {
        name: "lib1",
        slots: 10,
        importExportSlots: 1,
        serial: "TFLIB0001",
        drives: [
          { generation: 9, serial: "TFD0000001" },
          // Slow enough for the agent to be killed in the middle of a write.
          { generation: 9, serial: "TFD0000002", throttleBytesPerSec: 1 * MiB },
        ],
        cartridges: [
          // Each tape joining the set carries one catalog archive (at least one 256 KiB block) per earlier member.
          ...TAPES.map((barcode, i) => ({ barcode, slot: i + 1, capacityBytes: 2.5 * MiB })),
          // Large tapes of two more pools, for two backups at once.
          { barcode: "TW0001L9", slot: 7, capacityBytes: 64 * MiB },
          { barcode: "TM0001L9", slot: 8, capacityBytes: 64 * MiB },
          { barcode: "TK0001L9", slot: 9, capacityBytes: 64 * MiB },
        ],
      },
    ],
    defaults: { capacityBytes: 2 * MiB, earlyWarningBytes: 256 * KiB },
    timing: { loadMs: 0, powerOnUnitAttention: false },
  };
  const specFile = join(dir, "spec.json");
  writeFileSync(specFile, JSON.stringify(spec));
  agentAddress = `127.0.0.1:${await freePort()}`;
  const fd = openSync(join(dir, "agent.log"), "a");
  agentProc = spawn(process.execPath, ["--import", "tsx", AGENT_MAIN], {
    cwd: REPO,
    env: {
      ...process.env,
      ...env.serviceEnv(),
      TAPEFLEET_HOST_ID: "host-a",
      TAPEFLEET_GRPC_ADDRESS: agentAddress,
      TAPEFLEET_HTTP_PORT: "0",
      TAPEFLEET_VTL_DIR: join(dir, "vtl"),
      TAPEFLEET_VTL_SPEC: specFile,
      TAPEFLEET_READY_POLL_MS: "20",
      TAPEFLEET_LOG_LEVEL: "info",
    },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
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
        if (i > 300) throw new Error(`the agent did not start: ${(err as Error).message}\n${readFileSync(join(dir, "agent.log"), "utf8").slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    closeClient(client);
  }
}

const drivePath = (serial: string) => locations.find((l) => l.serial === serial)!.path;
const changerPath = () => locations.find((l) => l.kind === "changer")!.path;

/** The inventory's and the catalog's answers, as the contract describes them. */
function serveSide(): void {
  const sets = new Map<string, { uuid: string; seq: number }>();
  const drives: Record<string, unknown> = {
    d1: { name: "d1", path: drivePath("TFD0000001"), changer: "lib1", "changer-drivenum": 0 },
    d2: { name: "d2", path: drivePath("TFD0000002"), changer: "lib1", "changer-drivenum": 1 },
  };
  const get = (table: Record<string, unknown>, kind: string) => async (p: unknown) => {
    const key = (p as { key: string }).key;
    if (!table[key]) throw new NotFoundError(kind, key);
    return table[key];
  };
  side.serve(inventorySubject("drive", "get"), get(drives, "drive"));
  side.serve(inventorySubject("drive", "list"), async () => Object.values(drives));
  side.serve(inventorySubject("changer", "get"), get({ lib1: { name: "lib1", path: changerPath() } }, "changer"));
  side.serve(inventorySubject("media-pool", "get"), get({ [SET_POOL]: { name: SET_POOL, drive: "d1" }, weekly: { name: "weekly" }, monthly: { name: "monthly" }, kill: { name: "kill" } }, "media-pool"));
  side.serve(inventorySubject("datastore", "get"), get(
      {
        store1: { name: "store1", path: join(dir, "store1"), host: "host-a" },
        restored: { name: "restored", path: join(dir, "restored"), host: "host-a" },
        restored2: { name: "restored2", path: join(dir, "restored2"), host: "host-a" },
      },
      "datastore",
    ));
  side.serve(deviceLocationSubject("list"), async (p) => locations.filter((l) => (p as { kind?: string })?.kind === undefined || l.kind === (p as { kind: string }).kind));
  side.serve(INVENTORY_JOB_SUBJECTS.poolAllocate, async (p) => {
    const req = p as PoolAllocateRequest;
    calls.push(`allocate${req.mediaSetUuid ? " same-set" : ""}`);
    const current = sets.get(req.pool);
    const usable = [...media.values()].filter((x) => x.pool === req.pool && x.available && !x.full && !(req.exclude ?? []).includes(x.uuid));
    // The current set's writable tape first (appending, as PBS does), then an empty one.
    const m = usable.find((x) => current !== undefined && x["media-set-uuid"] === current.uuid) ?? usable.find((x) => x["media-set-uuid"] === undefined);
    if (!m) throw new TapefleetError("CONFLICT", `no writable tape of pool '${req.pool}' online in changer lib1`, { reason: "NO_USABLE_MEDIA" });
    const set = current ?? { uuid: randomUUID(), seq: 0 };
    sets.set(req.pool, set);
    const appending = m["media-set-uuid"] === set.uuid;
    m["media-set-uuid"] = set.uuid;
    if (!appending) m["seq-nr"] = set.seq++;
    return {
      medium: m,
      setLabel: { pool: req.pool, uuid: set.uuid, seqNr: m["seq-nr"]!, ctime: 1_700_000_000 + m["seq-nr"]! },
      source: appending ? "current-set" : "empty",
      newSet: !appending && m["seq-nr"] === 0,
      mediaSetName: `${req.pool} 1`,
    };
  });
  side.serve(INVENTORY_JOB_SUBJECTS.mediaMarkFull, async (p) => {
    const m = [...media.values()].find((x) => x.uuid === (p as { uuid: string }).uuid)!;
    m.full = true;
    calls.push(`full ${m["label-text"]}`);
    return m;
  });
  side.serve(INVENTORY_JOB_SUBJECTS.mediaSetBytesUsed, async (p) => {
    const q = p as { uuid: string; bytesUsed: number };
    const m = [...media.values()].find((x) => x.uuid === q.uuid)!;
    m["bytes-used"] = q.bytesUsed;
    return m;
  });
  side.serve(INVENTORY_JOB_SUBJECTS.mediaSetGet, async (p) => {
    const uuid = (p as { uuid: string }).uuid;
    const members = [...media.values()]
      .filter((m) => m["media-set-uuid"] === uuid)
      .map((m) => ({ seqNr: m["seq-nr"]!, uuid: m.uuid, labelText: m["label-text"], location: m.location, status: m.full ? "full" : "writable" }))
      .sort((a, b) => a.seqNr - b.seqNr);
    if (members.length === 0) throw new NotFoundError("media set", uuid);
    return { uuid, pool: media.get(members[0]!.labelText)!.pool, name: "set", ctime: 1, members, complete: members.every((m, i) => m.seqNr === i) };
  });
  side.serve(mediaSubject("get"), async (p) => {
    const m = [...media.values()].find((x) => x.uuid === (p as { uuid?: string }).uuid || x["label-text"] === (p as { "label-text"?: string })["label-text"]);
    if (!m) throw new NotFoundError("medium", "x");
    return m;
  });
  side.serve(CATALOG_REQUESTS.mediaSetDigests, async (p) => {
    const list = [...(setDigests.get((p as { mediaSetUuid: string }).mediaSetUuid) ?? [])];
    return { digests: Buffer.concat(list.map((h) => Buffer.from(h, "hex"))).toString("base64"), count: list.length };
  });
  // A tape's media catalog rendered from the records published for it (as the catalog renders its tables).
  const archivesOf = (mediaUuid: string) =>
    (records as unknown as Array<{ type: string; mediaUuid: string; mediaSetUuid: string; seqNr: number; fileNumber: number; kind: string; archiveUuid: string; store?: string; snapshot?: string; digests?: string[]; incomplete?: boolean }>)
      .filter((r) => r.type === "archive" && r.mediaUuid === mediaUuid);
  side.serve(CATALOG_REQUESTS.mediaList, async (p) =>
    (p as { mediaUuids: string[] }).mediaUuids.map((mediaUuid) => ({ mediaUuid, lastFileNumber: Math.max(-1, ...archivesOf(mediaUuid).map((r) => r.fileNumber)) })),
  );
  side.serve(CATALOG_REQUESTS.mediaCatalog, async (p) => {
    const mediaUuid = (p as { mediaUuid: string }).mediaUuid;
    const m = [...media.values()].find((x) => x.uuid === mediaUuid);
    if (!m?.["media-set-uuid"]) throw new NotFoundError("tape in the catalog", mediaUuid);
    const c = MediaCatalog.createForMediaSet(mediaUuid, m["media-set-uuid"], m["seq-nr"]!);
    const files = new Map<number, ReturnType<typeof archivesOf>>();
    for (const r of archivesOf(mediaUuid).filter((r) => r.fileNumber >= 2)) files.set(r.fileNumber, [...(files.get(r.fileNumber) ?? []), r]);
    for (const [fileNumber, parts] of [...files].sort((a, b) => a[0] - b[0])) {
      const first = parts[0]!;
      if (first.kind === "chunk-archive") {
        c.startChunkArchive(fileNumber, first.archiveUuid, first.store ?? "");
        for (const r of parts) for (const d of r.digests ?? []) c.registerChunk(Buffer.from(d, "hex"));
        c.endChunkArchive();
      } else if (first.kind === "snapshot-archive" && !first.incomplete) {
        c.registerSnapshot(fileNumber, first.archiveUuid, first.store ?? "", first.snapshot ?? "");
      }
    }
    catalogPages.push(mediaUuid);
    return { mediaUuid, mediaSetUuid: m["media-set-uuid"], seqNr: m["seq-nr"], data: Buffer.from(c.toBytes()).toString("base64") };
  });
  // Which tapes and files a restore reads (as the catalog's `restorePlan` answers it), from the published records.
  side.serve(CATALOG_REQUESTS.restorePlan, async (p) => {
    const q = p as CatalogRestorePlanRequest;
    type Rec = { type: string; mediaUuid: string; labelText: string; mediaSetUuid: string; seqNr: number; fileNumber: number; kind: string; store?: string; snapshot?: string; digests?: string[]; incomplete?: boolean };
    const archives = (records as unknown as Rec[]).filter((r) => r.type === "archive" && r.mediaSetUuid === q.mediaSetUuid && !r.incomplete && r.fileNumber >= 2);
    if (archives.length === 0) throw new NotFoundError("media set", q.mediaSetUuid);
    restorePlans.push(q);
    const tapes = new Map<string, CatalogRestoreTape>();
    const add = (r: Rec, file: CatalogRestoreTape["files"][number]) => {
      const t = tapes.get(r.mediaUuid) ?? { mediaUuid: r.mediaUuid, labelText: r.labelText, seqNr: r.seqNr, files: [] };
      tapes.set(r.mediaUuid, t);
      const have = t.files.find((f) => f.fileNumber === file.fileNumber);
      if (have) have.chunks = (have.chunks ?? 0) + (file.chunks ?? 0);
      else t.files.push(file);
    };
    const missingSnapshots: string[] = [];
    for (const spec of q.snapshots) {
      const [store, snapshot] = [spec.slice(0, spec.indexOf(":")), spec.slice(spec.indexOf(":") + 1)];
      const r = archives.find((a) => a.kind === "snapshot-archive" && a.store === store && a.snapshot === snapshot);
      if (r) add(r, { fileNumber: r.fileNumber, kind: "snapshot-archive", store, snapshot: spec });
      else missingSnapshots.push(spec);
    }
    const missingDigests: Record<string, string[]> = {};
    for (const [store, list] of Object.entries(q.digests ?? {})) {
      const chunkArchives = archives.filter((a) => a.kind === "chunk-archive" && a.store === store).sort((a, b) => a.seqNr - b.seqNr || a.fileNumber - b.fileNumber);
      for (const d of list) {
        const r = chunkArchives.find((a) => a.digests?.includes(d));
        if (r) add(r, { fileNumber: r.fileNumber, kind: "chunk-archive", store, chunks: 1 });
        else (missingDigests[store] ??= []).push(d);
      }
    }
    const ordered = [...tapes.values()].sort((a, b) => a.seqNr - b.seqNr);
    for (const t of ordered) t.files.sort((a, b) => a.fileNumber - b.fileNumber);
    return { mediaSetUuid: q.mediaSetUuid, tapes: ordered, missingSnapshots, missingDigests };
  });
  side.subscribe("catalog.commit.>", (d, subject) => {
    commits.push(subject);
    records.push(d as (typeof records)[number]);
    const r = d as { mediaSetUuid: string; digests?: string[] };
    const set = setDigests.get(r.mediaSetUuid) ?? new Set<string>();
    for (const h of r.digests ?? []) set.add(h);
    setDigests.set(r.mediaSetUuid, set);
  });
}

async function waitTask(upid: string, timeoutMs = 200_000): Promise<TaskLogPage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await bus.request<TaskLogPage>(taskSubject("log"), { upid, limit: 5000 });
    if (!page.active) return page;
    if (Date.now() > deadline) throw new Error(`task ${upid} still running:\n${page.lines.map((l) => l.t).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  env = await provisionTestEnv("schedbackup");
  dir = mkdtempSync(join(tmpdir(), "tf-sched-backup-"));
  await startAgent();
  side = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "inventory-and-catalog-side", logger });
  serveSide();
  await side.nc.flush();
  // Label the tapes (as barcode-label would) straight through the agent.
  const port = new GrpcAgentPort({ lockWaitMs: 10_000, timeoutMs: 60_000 });
  const changer = { hostId: "host-a", grpcAddress: agentAddress, serial: "TFLIB0001", path: changerPath(), name: "lib1", exportSlots: [], ejectBeforeUnload: false };
  const d1 = locations.find((l) => l.serial === "TFD0000001")!;
  const cd = { changer, driveNumber: 0, drive: { hostId: "host-a", grpcAddress: agentAddress, serial: d1.serial, path: d1.path } };
  const all: [string, string][] = [...TAPES.map((t) => [t, SET_POOL] as [string, string]), ["TW0001L9", "weekly"], ["TM0001L9", "monthly"], ["TK0001L9", "kill"]];
  for (const [i, [label, pool]] of all.entries()) {
    await port.load(cd, { labelText: label });
    const uuid = randomUUID();
    await port.label(cd.drive, { labelText: label, uuid, ctime: 1_700_000_000, pool });
    // One daily tape is online at the start; the other daily ones come in after a tape request.
    media.set(label, { uuid, "label-text": label, ctime: 1_700_000_000, pool, status: "unknown", location: "online-lib1", worm: false, available: pool !== SET_POOL || i < 1 });
  }
  await port.unload(cd, undefined);
  port.close();
  sched = await startScheduler(
    loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_TAPE_RECHECK_MS: "3600000", TAPEFLEET_COMMIT_BYTES: String(256 * KiB), TAPEFLEET_SCHEDULE_TICK_MS: "0" } }),
    { installSignalHandlers: false },
  );
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "sched-backup-test", logger });
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await sched?.stop();
  await side?.close();
  if (agentProc && agentProc.exitCode === null) {
    const exited = new Promise((r) => agentProc.once("exit", r));
    agentProc.kill("SIGTERM");
    await exited;
  }
  await env?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("jobs through the agent", () => {
  it("creates a sample datastore as a queued task with progress (percent, bytes, rate, ETA)", async () => {
    const { upid } = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.datastoreSample, { store: "store1", size: 2 * MiB, seed: 3, user: "admin@pam" });
    expect(upid).toMatch(/:datastore-sample:store1:admin@pam:$/);
    const log = await waitTask(upid);
    expect(log.lines.at(-1)?.t).toBe("TASK OK");
    const progress = log.lines.filter((l) => (l as { data?: unknown }).data !== undefined);
    expect(progress.length).toBeGreaterThan(2);
    const last = (progress.at(-1) as unknown as { data: { percent: number; bytes: number; rate: number; etaSeconds: number } }).data;
    expect(last.percent).toBeGreaterThan(50);
    expect(last.rate).toBeGreaterThan(0);
    expect(progress.at(-1)!.t).toMatch(/^sample: \d+\.\d% \(.* of 2\.00 MiB\), .*\/s, ETA /);
    expect(log.lines.some((l) => /snapshots in \d+ groups/.test(l.t))).toBe(true);
  }, 120_000);

  it("backs up the datastore across three tapes of one media set, waiting on a tape request until tapes are imported", async () => {
    const { upid } = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.backupStart, { store: "store1", pool: SET_POOL, drive: "d1", latestOnly: true, ejectMedia: true, user: "admin@pam" });
    // The online tape fills up; the job then asks for a tape.
    let requests: TapeRequestEntry[] = [];
    const deadline = Date.now() + 120_000;
    while (requests.length === 0) {
      const status = await sched.tasks.status(upid);
      if (status.status === "stopped") throw new Error(`backup ended before asking for a tape: ${status.exitstatus}\n${(await sched.tasks.log(upid, 0, 5000)).lines.map((l) => l.t).join("\n")}`);
      if (Date.now() > deadline) throw new Error("no tape request");
      await new Promise((r) => setTimeout(r, 100));
      requests = await bus.request<TapeRequestEntry[]>(SCHEDULER_JOB_SUBJECTS.tapeRequestList, {});
    }
    expect(requests[0]).toMatchObject({ upid, kind: "insert", pool: SET_POOL, changer: "lib1", drive: "d1" });
    expect(requests[0]!.message).toContain("no writable tape of pool 'daily' online in changer lib1");
    // The operator imports the other tapes; the inventory announces it.
    for (const m of media.values()) m.available = true;
    await side.publishEvent("inventory.media.online", "lib1", {});
    const log = await waitTask(upid);
    const text = log.lines.map((l) => l.t);
    expect(text.at(-1), text.join("\n")).toBe("TASK WARNINGS: 1");
    expect(text.some((t) => t.startsWith("WARN") || t.includes("tape request: "))).toBe(true);
    const finished = text.find((t) => t.startsWith("backup finished: "))!;
    const tapes = /on (\d+) tape\(s\)/.exec(finished)![1];
    expect(Number(tapes)).toBeGreaterThanOrEqual(3);
    // Every tape but the last is full; the last one too when its last archive reached early warning.
    expect(calls.filter((c) => c.startsWith("full ")).length, `${calls.join(", ")}\n${text.join("\n")}`).toBeGreaterThanOrEqual(Number(tapes) - 1);
    expect(calls.filter((c) => c.startsWith("full ")).length).toBeLessThanOrEqual(Number(tapes));
    expect(calls.filter((c) => c === "allocate same-set").length).toBeGreaterThanOrEqual(Number(tapes) - 1);
    // Each tape joining the set carries the catalogs of the members before it (files 2, 3, …), the last one its own at the end too.
    const setTapes = [...media.values()].filter((m) => m["media-set-uuid"] !== undefined && m.pool === SET_POOL).sort((a, b) => a["seq-nr"]! - b["seq-nr"]!);
    expect(setTapes.length).toBe(Number(tapes));
    for (const t of setTapes) {
      const catalogFiles = records.filter((r) => r.labelText === t["label-text"] && r.kind === "catalog-archive").map((r) => r.fileNumber);
      const leading = t["seq-nr"]!;
      expect(catalogFiles.slice(0, leading), t["label-text"]).toEqual(Array.from({ length: leading }, (_, i) => 2 + i));
      for (const earlier of setTapes.slice(0, leading)) expect(catalogPages).toContain(earlier.uuid);
    }
    // The last tape also has its own catalog at the end, unless it filled up (then a catalog restore scans it).
    const last = setTapes.at(-1)!;
    expect(records.filter((r) => r.labelText === last["label-text"] && r.kind === "catalog-archive").length).toBe(last["seq-nr"]! + (last.full ? 0 : 1));
    // Later tapes got the set's digests: chunks already on tape were not written again.
    expect(text.some((t) => /chunk\(s\) already in the set/.test(t) && !/ 0 chunk\(s\) already/.test(t))).toBe(true);
    expect(commits.length).toBeGreaterThan(0);
    expect(await bus.request<TapeRequestEntry[]>(SCHEDULER_JOB_SUBJECTS.tapeRequestList, {})).toEqual([]);
    // Every tape written has its bytes used stored; the leases are gone.
    const written = [...media.values()].filter((m) => m["media-set-uuid"] !== undefined);
    expect(written.every((m) => (m["bytes-used"] ?? 0) > 0)).toBe(true);
    expect(await sched.leases.holders()).toEqual([]);
  }, 240_000);

  it("two backups at once take the two drives of the library (no drive named: the lease picks a free one)", async () => {
    const [a, b] = await Promise.all(
      ["weekly", "monthly"].map((pool) => bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.backupStart, { store: "store1", pool, latestOnly: true, ejectMedia: true, user: "admin@pam" })),
    );
    const logs = await Promise.all([waitTask(a!.upid), waitTask(b!.upid)]);
    const drives = logs.map((l) => {
      expect(l.lines.at(-1)?.t, l.lines.map((x) => x.t).join("\n")).toBe("TASK OK");
      return /on drive '(d\d)'/.exec(l.lines.map((x) => x.t).find((t) => t.startsWith("tape backup of datastore"))!)![1];
    });
    expect(drives.sort()).toEqual(["d1", "d2"]);
    expect(media.get("TW0001L9")!["media-set-uuid"]).not.toBe(media.get("TM0001L9")!["media-set-uuid"]);
    expect(await sched.leases.holders()).toEqual([]);
  }, 240_000);

  it("the device agent killed in the middle of a backup: the job fails with the reason, a rerun on the restarted agent finishes", async () => {
    const first = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.backupStart, { store: "store1", pool: "kill", drive: "d2", latestOnly: true, user: "admin@pam" });
    // Wait until the write is under way (a progress line), then kill the agent.
    for (;;) {
      const page = await bus.request<TaskLogPage>(taskSubject("log"), { upid: first.upid, limit: 5000 });
      if (!page.active) throw new Error(`ended before the kill:\n${page.lines.map((l) => l.t).join("\n")}`);
      if (page.lines.some((l) => (l as { data?: unknown }).data !== undefined)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const exited = new Promise((r) => agentProc.once("exit", r));
    agentProc.kill("SIGKILL");
    await exited;
    const failed = await waitTask(first.upid);
    const text = failed.lines.map((l) => l.t);
    expect(text.at(-1)).toMatch(/^TASK ERROR: .*(unavailable|UNAVAILABLE|closed|ECONNREFUSED|No connection)/i);
    expect(text).toContain("the tape stays in drive 'd2'");
    expect(await sched.leases.holders()).toEqual([]);
    const committedBefore = commits.length;

    await startAgent();
    const rerun = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.backupStart, { store: "store1", pool: "kill", drive: "d2", latestOnly: true, user: "admin@pam" });
    const ok = await waitTask(rerun.upid);
    const okText = ok.lines.map((l) => l.t);
    expect(okText.at(-1), okText.join("\n")).toBe("TASK OK");
    // The rerun appends to the same tape of the same set.
    expect(okText.some((t) => t.startsWith("media 'TK0001L9'") || t.includes("already loaded"))).toBe(true);
    expect(commits.length).toBeGreaterThan(committedBefore);
  }, 240_000);

  it("restores a media set into a new datastore, and one snapshot with a namespace mapping into another: data identical", async () => {
    for (const name of ["restored", "restored2"]) await new Datastore(join(dir, name), name).chunks.create();
    const setUuid = media.get("TW0001L9")!["media-set-uuid"]!;
    const port = new GrpcAgentPort({ lockWaitMs: 10_000, timeoutMs: 60_000 });
    const host = { hostId: "host-a", grpcAddress: agentAddress };
    try {
      const { upid } = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.restoreStart, { mediaSet: setUuid, store: "store1=restored", user: "admin@pam" });
      const log = await waitTask(upid);
      expect(log.lines.at(-1)?.t, log.lines.map((l) => l.t).join("\n")).toBe("TASK OK");
      const source = await port.listSnapshots(host, { path: join(dir, "store1"), store: "store1", latestOnly: true });
      const restored = await port.listSnapshots(host, { path: join(dir, "restored"), store: "restored" });
      expect(restored.map((s) => s.snapshot)).toEqual(source.map((s) => s.snapshot));
      for (const snap of source) {
        const files = readdirSync(join(dir, "store1", snap.snapshot)).filter((f) => !f.startsWith(".")).sort();
        expect(readdirSync(join(dir, "restored", snap.snapshot)).filter((f) => !f.startsWith(".")).sort()).toEqual(files);
        for (const f of files.filter((x) => /\.(fidx|didx)$/.test(x) || x !== "index.json.blob")) {
          expect(readFileSync(join(dir, "restored", snap.snapshot, f)).equals(readFileSync(join(dir, "store1", snap.snapshot, f))), `${snap.snapshot}/${f}`).toBe(true);
        }
      }

      const inNs = source.find((s) => s.ns !== "" && !s.ns.includes("/"))!;
      const { upid: one } = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.restoreStart, {
        mediaSet: setUuid,
        store: "store1=restored2",
        snapshots: [`store1:${inNs.snapshot}`],
        namespaces: [`store=store1,source=${inNs.ns},target=mapped`],
        user: "admin@pam",
      });
      const log2 = await waitTask(one);
      expect(log2.lines.at(-1)?.t, log2.lines.map((l) => l.t).join("\n")).toBe("TASK OK");
      // Planned by the catalog: the snapshot's archive, then its chunks' archives, file by file.
      expect(restorePlans.at(-1)?.snapshots).toEqual([`store1:${inNs.snapshot}`]);
      expect(Object.values(restorePlans.at(-1)?.digests ?? {}).flat().length).toBeGreaterThan(0);
      expect(log2.lines.some((l) => l.t.startsWith("catalog plan: ")), log2.lines.map((l) => l.t).join("\n")).toBe(true);
      expect(log2.lines.some((l) => l.t.includes("reading every tape"))).toBe(false);
      const only = await port.listSnapshots(host, { path: join(dir, "restored2"), store: "restored2" });
      expect(only.map((s) => `${s.ns}|${s.type}/${s.id}/${s.time}`)).toEqual([`mapped|${inNs.type}/${inNs.id}/${inNs.time}`]);
      const mappedDir = join(dir, "restored2", only[0]!.snapshot);
      for (const f of readdirSync(join(dir, "store1", inNs.snapshot)).filter((x) => /\.(fidx|didx)$/.test(x))) {
        expect(readFileSync(join(mappedDir, f)).equals(readFileSync(join(dir, "store1", inNs.snapshot, f))), f).toBe(true);
      }
    } finally {
      port.close();
    }
  }, 240_000);

  it("catalog --scan of the tape in a drive publishes every record the write sessions published (same record ids)", async () => {
    const before = records.length;
    const fromSessions = new Set(records.filter((r) => r.labelText === "TK0001L9" && r.type === "archive" && (r.fileNumber ?? 0) >= 2).map((r) => r.recordId));
    const { upid } = await bus.request<{ upid: string }>(SCHEDULER_JOB_SUBJECTS.catalogStart, { drive: "d2", scan: true, user: "admin@pam" });
    const log = await waitTask(upid);
    const text = log.lines.map((l) => l.t);
    expect(text.at(-1), text.join("\n")).toMatch(/^TASK (OK|WARNINGS: \d+)$/);
    const deadline = Date.now() + 10_000;
    const published = () => records.slice(before);
    const count = Number(/published (\d+) catalog record/.exec(text.find((t) => t.startsWith("published "))!)![1]);
    while (published().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const scanned = published();
    expect(scanned.length).toBe(count);
    expect(scanned[0]!.type).toBe("media-set-joined");
    const archives = scanned.filter((r) => r.type === "archive" && (r.fileNumber ?? 0) >= 2);
    expect(archives.some((r) => r.kind === "snapshot-archive")).toBe(true);
    // Every archive record the write sessions published comes again from the scan, with the same id
    // (the scan may find more: an archive synced before the agent was killed, whose record was not sent).
    const scannedIds = new Set(archives.map((r) => r.recordId));
    expect(fromSessions.size).toBeGreaterThan(0);
    expect([...fromSessions].filter((id) => !scannedIds.has(id))).toEqual([]);
  }, 120_000);
});
