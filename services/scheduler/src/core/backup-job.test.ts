import type { BackupStartRequest, MediaEntry, PoolAllocateReply, PoolAllocateRequest } from "@tapefleet/api-types";
import { TapefleetError } from "@tapefleet/common";
import { describe, expect, it } from "vitest";
import type { WriteSessionInput, WriteSessionOutcome } from "./agent-port.ts";
import { BackupJob, type BackupDeps } from "./backup-job.ts";
import type { Lease } from "./lease-manager.ts";
import type { ProgressFields } from "./progress.ts";
import { TapeRequestBoard } from "./tape-requests.ts";
import type { TaskContext } from "./task-registry.ts";

const SET = "5e7c1f0a-0000-4000-8000-000000000001";
/** `media:<uuid>` shortened to `media:<last two digits>`. */
const short = (r: string) => (r.startsWith("media:") ? `media:${r.slice(-2)}` : r);
const uuidOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function medium(n: number): MediaEntry {
  return { uuid: uuidOf(n), "label-text": `TAPE0${n}L9`, ctime: 1, status: "unknown", location: "online-lib1", worm: false };
}

/** A world of fakes: a library with tapes, an agent whose tapes hold `capacity` snapshots each. */
function world(opts: { tapes: number; capacity: number; snapshots: number; failWrite?: TapefleetError }) {
  const events: string[] = [];
  const online = new Set(Array.from({ length: opts.tapes }, (_, i) => i + 1));
  /** Cartridges in the changer's import/export slots (element numbers 9…). */
  const ie: { slot: number; label: string }[] = [];
  let seq = 0;
  const leaseLog: string[] = [];
  const inventory = {
    drive: async (name: string) => ({ name, path: `/dev/${name}`, changer: "lib1", "changer-drivenum": 0 }),
    changer: async (name: string) => ({ name, path: "/dev/lib1" }),
    pool: async (name: string) => ({ name, drive: "d1" }),
    drives: async () => [
      { name: "d1", path: "/dev/d1", changer: "lib1" },
      { name: "d2", path: "/dev/d2", changer: "lib1" },
    ],
    locations: async (kind: string) =>
      kind === "drive"
        ? [1, 2].map((i) => ({ kind: "drive", path: `/dev/d${i}`, serial: `D${i}`, "host-id": "h1", "grpc-address": "a:1", online: true, vendor: "", model: "", "last-seen": "" }))
        : [{ kind: "changer", path: "/dev/lib1", serial: "L1", "host-id": "h1", "grpc-address": "a:1", online: true, vendor: "", model: "", "last-seen": "" }],
    datastore: async (name: string) => ({ name, path: "/srv/ds", host: "h1" }),
    agentOf: async (hostId: string) => ({ hostId, grpcAddress: "a:1" }),
    allocate: async (req: PoolAllocateRequest): Promise<PoolAllocateReply> => {
      const free = [...online].filter((n) => !(req.exclude ?? []).includes(uuidOf(n))).sort();
      if (free.length === 0) throw new TapefleetError("CONFLICT", `no writable tape of pool '${req.pool}' online in changer lib1`, { reason: "NO_USABLE_MEDIA" });
      const n = free[0]!;
      events.push(`allocate TAPE0${n}L9${req.mediaSetUuid ? " (same set)" : ""}`);
      return { medium: medium(n), setLabel: { pool: req.pool, uuid: SET, seqNr: seq++, ctime: 100 }, source: "empty", newSet: req.mediaSetUuid === undefined, mediaSetName: "daily 1", newSetReason: "first" };
    },
    markFull: async (uuid: string) => {
      events.push(`full ${uuid.slice(-1)}`);
      online.delete(Number(uuid.slice(-12)));
      return medium(1);
    },
    setBytesUsed: async (uuid: string, b: number) => {
      events.push(`bytes ${uuid.slice(-1)}=${b}`);
      return medium(1);
    },
    mediaSet: async () => ({ uuid: SET, pool: "daily", name: "daily 1", ctime: 1, complete: true, members: [{ seqNr: 0, uuid: uuidOf(1), labelText: "TAPE01L9", location: "online-lib1", status: "full" }] }),
    digests: async () => [new Uint8Array(32)],
    findMedia: async (_sel: { "label-text"?: string }): Promise<MediaEntry | undefined> => medium(1),
    setOnline: async (changer: string, tags: readonly string[]) => {
      events.push(`online ${changer}: ${tags.join(",")}`);
      return [];
    },
    updateMedia: async () => medium(1),
  };
  const agent = {
    listSnapshots: async () => Array.from({ length: opts.snapshots }, (_, i) => ({ snapshot: `vm/${100 + i}/2024-01-01T00:00:00Z`, ns: "", type: "vm", id: String(100 + i), time: 1 })),
    load: async (_cd: unknown, src: { labelText: string }) => {
      events.push(`load ${src.labelText}`);
      return { fromSlot: 1, alreadyLoaded: false, labelText: src.labelText };
    },
    unload: async () => {
      events.push("unload");
      return { slot: 1, labelText: "x" };
    },
    eject: async () => void events.push("eject"),
    exportMedia: async (_c: unknown, label: string) => {
      events.push(`export ${label}`);
      return 9;
    },
    readLabel: async () => undefined,
    // Storage slots 1–4 (TAPE01L9 in slot 1), then the import/export slots.
    changerStatus: async () => ({
      entries: [
        { "entry-kind": "slot", "entry-id": 1, "label-text": "TAPE01L9" },
        ...[2, 3, 4].map((n) => ({ "entry-kind": "slot", "entry-id": n })),
        ...ie.map((e) => ({ "entry-kind": "import-export", "entry-id": e.slot, "label-text": e.label })),
      ],
      online: [],
    }),
    transfer: async (_c: unknown, from: number, to: number) => {
      events.push(`transfer ${from}->${to}`);
      const i = ie.findIndex((e) => e.slot === from);
      online.add(Number(/^TAPE0(\d+)L9$/.exec(ie[i]!.label)![1]));
      ie.splice(i, 1);
      return undefined;
    },
    onlineLabels: async () => [...online].map((n) => `TAPE0${n}L9`).sort(),
    writeSession: async (_h: unknown, input: WriteSessionInput, ctx?: { onProgress?: (p: { bytesWritten: number; snapshotsWritten: number }) => void }): Promise<WriteSessionOutcome> => {
      if (opts.failWrite) throw opts.failWrite;
      const now = input.snapshots.slice(0, opts.capacity);
      const rest = input.snapshots.slice(opts.capacity);
      events.push(`write seq ${input.mediaSet.seqNr}: ${now.length} (known ${input.knownDigests.length})`);
      ctx?.onProgress?.({ bytesWritten: now.length * 1000, snapshotsWritten: now.length });
      return { status: rest.length > 0 ? "tape-full" : "complete", mediaUuid: "", labelText: "", committed: now.length, snapshotsWritten: now, remaining: rest, bytesWritten: now.length * 1000 };
    },
  };
  const held = new Map<string, string>();
  const leases = {
    acquireAnyDrive: async (job: string, drives: readonly string[]) => {
      const d = drives.find((x) => !held.has(`drive:${x}`))!;
      held.set(`drive:${d}`, job);
      leaseLog.push(`+drive:${d}`);
      return { lease: { holderJob: job, holderWorker: "w", resources: [`drive:${d}`] }, drive: d };
    },
    extend: async (l: Lease, r: readonly string[]) => {
      for (const x of r) leaseLog.push(`+${short(x)}`);
      return { ...l, resources: [...l.resources, ...r] };
    },
    release: async (l: Lease, r: readonly string[] = l.resources) => {
      for (const x of r) {
        held.delete(x);
        leaseLog.push(`-${short(x)}`);
      }
    },
    keepAlive: () => () => {},
  };
  const mails: string[] = [];
  const created: string[] = [];
  const board = new TapeRequestBoard({ created: (e) => void created.push(e.message) });
  const deps = { inventory, agent, leases, tapeRequests: board, recheckMs: 3_600_000, notify: async (u: string, s: string) => void mails.push(`${u}: ${s}`) } as unknown as BackupDeps;
  return { deps, events, leaseLog, online, ie, mails, created, board, inventory };
}

function ctx(): TaskContext & { lines: string[]; progress: (f: ProgressFields, l?: string) => void; fields: ProgressFields[] } {
  const lines: string[] = [];
  const fields: ProgressFields[] = [];
  return {
    upid: "UPID:n:1:1:1:1:tape-backup:x:root@pam:",
    signal: new AbortController().signal,
    lines,
    fields,
    log: (t) => lines.push(t),
    warn: (t) => lines.push(`WARN ${t}`),
    error: (t) => lines.push(`ERR ${t}`),
    progress: (f) => void fields.push(f),
  };
}

const REQ: BackupStartRequest = { store: "store1", pool: "daily" };

describe("backup job", () => {
  it("spans three tapes of one media set: full tapes marked full and unloaded, the rest continues on the next", async () => {
    const w = world({ tapes: 4, capacity: 2, snapshots: 5 });
    const c = ctx();
    const s = await new BackupJob(w.deps).run({ ...REQ, ejectMedia: true }, c);
    expect(s).toEqual({ mediaSetUuid: SET, tapes: ["TAPE01L9", "TAPE02L9", "TAPE03L9"], snapshots: 5, bytes: 5000 });
    expect(w.events).toEqual([
      "allocate TAPE01L9",
      "load TAPE01L9",
      "write seq 0: 2 (known 1)",
      "bytes 1=2000",
      "full 1",
      "unload",
      "allocate TAPE02L9 (same set)",
      "load TAPE02L9",
      "write seq 1: 2 (known 1)",
      "bytes 2=2000",
      "full 2",
      "unload",
      "allocate TAPE03L9 (same set)",
      "load TAPE03L9",
      "write seq 2: 1 (known 1)",
      "bytes 3=1000",
      "unload",
    ]);
    // The drive is held throughout; each tape only while it is written; everything released at the end.
    expect(w.leaseLog).toEqual(["+drive:d1", "+media:01", "-media:01", "+media:02", "-media:02", "+media:03", "-drive:d1", "-media:03"]);
    expect(c.fields.at(-1)?.bytes).toBe(5000);
    expect(c.lines.at(-1)).toMatch(/^backup finished: 5 snapshot\(s\), .* on 3 tape\(s\) \(TAPE01L9, TAPE02L9, TAPE03L9\)/);
  });

  it("waits on a tape request when no usable tape is online and continues when one appears", async () => {
    const w = world({ tapes: 1, capacity: 1, snapshots: 2 });
    const c = ctx();
    const job = new BackupJob(w.deps).run({ ...REQ, notifyUser: "admin@pam", exportMediaSet: true }, c);
    // Wait until the job stands in its tape request.
    while (w.board.list().length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(w.board.list()[0]).toMatchObject({ kind: "insert", pool: "daily", changer: "lib1", drive: "d1", mediaSetUuid: SET });
    expect(w.created[0]).toContain("no writable tape of pool 'daily' online in changer lib1");
    w.online.add(7);
    w.board.poke();
    const s = await job;
    expect(s.tapes).toEqual(["TAPE01L9", "TAPE07L9"]);
    expect(w.board.list()).toEqual([]);
    expect(w.events).toContain("export TAPE01L9");
    expect(w.mails).toEqual(["admin@pam: Tape request for backup UPID:n:1:1:1:1:tape-backup:x:root@pam:", "admin@pam: Tape backup of 'store1' OK"]);
  });

  it("while waiting, imports a tape of the pool the operator put into an import/export slot; unknown cartridges, other pools' tapes and tapes there before the request stay", async () => {
    const w = world({ tapes: 1, capacity: 1, snapshots: 2 });
    w.inventory.findMedia = async (sel) => {
      if (sel["label-text"] === "TAPE07L9") return { ...medium(7), pool: "daily", location: "offline" };
      if (sel["label-text"] === "TAPE08L9") return { ...medium(8), pool: "weekly", location: "offline" };
      if (sel["label-text"] === "TAPE09L9") return { ...medium(9), pool: "daily", location: "offline" };
      return undefined;
    };
    // Exported before (it stays out of the library).
    w.ie.push({ slot: 12, label: "TAPE09L9" });
    const c = ctx();
    const job = new BackupJob(w.deps).run(REQ, c);
    while (w.board.list().length === 0) await new Promise((r) => setTimeout(r, 5));
    w.ie.push({ slot: 9, label: "NEW001L9" }, { slot: 10, label: "TAPE08L9" }, { slot: 11, label: "TAPE07L9" });
    w.board.poke();
    const s = await job;
    expect(s.tapes).toEqual(["TAPE01L9", "TAPE07L9"]);
    expect(w.events.filter((e) => /^(transfer|online) /.test(e))).toEqual(["transfer 11->2", "online lib1: TAPE07L9"]);
    expect(c.lines).toContain("imported media 'TAPE07L9' from import/export slot 11 into slot 2");
    expect(w.ie.map((e) => e.label)).toEqual(["TAPE09L9", "NEW001L9", "TAPE08L9"]);
    expect(w.board.list()).toEqual([]);
  });

  it("a changer that does not answer while the job waits is one warning, however often the job looks", async () => {
    const w = world({ tapes: 1, capacity: 1, snapshots: 2 });
    const agent = (w.deps as unknown as { agent: { changerStatus: () => Promise<unknown> } }).agent;
    let looks = 0;
    agent.changerStatus = async () => {
      looks++;
      throw new Error("changer lib1 is offline");
    };
    const c = ctx();
    const job = new BackupJob(w.deps).run(REQ, c);
    while (looks < 2) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 3; i++) {
      const seen = looks;
      w.board.poke();
      while (looks === seen) await new Promise((r) => setTimeout(r, 5));
    }
    w.online.add(7);
    w.board.poke();
    expect((await job).tapes).toEqual(["TAPE01L9", "TAPE07L9"]);
    expect(c.lines.filter((l) => l.startsWith("WARN cannot look"))).toEqual(["WARN cannot look at the import/export slots of changer 'lib1': changer lib1 is offline"]);
  });

  it("ends once the catalog lists the files it committed (media content is complete), and only warns when the catalog lags", async () => {
    const setup = (lastFiles: number[], waitMs?: number) => {
      const w = world({ tapes: 1, capacity: 5, snapshots: 2 });
      const deps = w.deps as unknown as { agent: { writeSession: BackupDeps["agent"]["writeSession"] }; inventory: { catalogLastFile?: (uuid: string) => Promise<number> }; memberCatalogWaitMs?: number };
      const write = deps.agent.writeSession.bind(deps.agent);
      deps.agent.writeSession = async (...a) => ({ ...(await write(...a)), mediaUuid: uuidOf(1), lastCommittedFile: 5 });
      deps.inventory.catalogLastFile = async (uuid) => {
        w.events.push(`catalog ${uuid.slice(-1)}?`);
        return lastFiles.length > 1 ? lastFiles.shift()! : lastFiles[0]!;
      };
      if (waitMs !== undefined) deps.memberCatalogWaitMs = waitMs;
      return w;
    };
    const w = setup([3, 4, 5]);
    const c = ctx();
    await new BackupJob(w.deps).run(REQ, c);
    expect(w.events.filter((e) => e === "catalog 1?")).toHaveLength(3);
    expect(c.lines.filter((l) => l.startsWith("WARN"))).toEqual([]);
    expect(c.lines.at(-1)).toMatch(/^backup finished/);

    const lagging = setup([2], 300);
    const c2 = ctx();
    const s = await new BackupJob(lagging.deps).run(REQ, c2);
    expect(s.snapshots).toBe(2);
    expect(c2.lines.filter((l) => l.startsWith("WARN"))).toEqual([`WARN the catalog lists media ${uuidOf(1)} up to file 2, not yet file 5: media content may not list this backup yet`]);
  });

  it("a permanent failure ends the job at once with the reason, leaves the tape in the drive, releases the leases", async () => {
    const w = world({ tapes: 2, capacity: 5, snapshots: 2, failWrite: new TapefleetError("CONFLICT", "medium error on write", { reason: "medium-error" }) });
    const c = ctx();
    const err = await new BackupJob(w.deps).run({ ...REQ, ejectMedia: true }, c).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: "medium-error", message: "medium error on write" });
    expect(w.events).not.toContain("unload");
    expect(c.lines.at(-1)).toBe("the tape stays in drive 'd1'");
    expect(w.leaseLog.at(-1)).toBe("-media:01");
    expect(w.leaseLog).toContain("-drive:d1");
  });

  it("a tape filled by its last snapshot before its catalog archive: the catalog goes to the next tape of the set (PBS §4.3)", async () => {
    const w = world({ tapes: 3, capacity: 9, snapshots: 2 });
    const sessions: Array<{ seqNr: number; snapshots: string[] }> = [];
    (w.deps.agent as { writeSession: unknown }).writeSession = async (_h: unknown, input: WriteSessionInput): Promise<WriteSessionOutcome> => {
      sessions.push({ seqNr: input.mediaSet.seqNr, snapshots: input.snapshots });
      const first = sessions.length === 1;
      return {
        status: first ? "tape-full" : "complete",
        mediaUuid: "",
        labelText: "",
        committed: input.snapshots.length,
        snapshotsWritten: input.snapshots,
        remaining: [],
        bytesWritten: 1000,
        catalogWritten: !first,
      };
    };
    const c = ctx();
    const s = await new BackupJob(w.deps).run(REQ, c);
    expect(sessions).toEqual([
      { seqNr: 0, snapshots: ["store1:vm/100/2024-01-01T00:00:00Z", "store1:vm/101/2024-01-01T00:00:00Z"] },
      { seqNr: 1, snapshots: [] },
    ]);
    expect(s.tapes).toEqual(["TAPE01L9", "TAPE02L9"]);
    expect(s.snapshots).toBe(2);
    expect(c.lines).toContain("media 'TAPE01L9' is full after 1000 B: its catalog goes to the next tape of the set");
    expect(w.events.filter((e) => e.startsWith("full "))).toEqual(["full 1"]);
  });
});
