import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  INVENTORY_JOB_SUBJECTS as S,
  inventorySubject,
  JOB_REASONS,
  mediaSubject,
  type DatastoreConfig,
  type MediaEntry,
  type MediaListRow,
  type MediaSetInfo,
  type PoolAllocateReply,
} from "@tapefleet/api-types";
import { Bus, createLogger, TapefleetError } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "../../src/index.ts";

const logger = createLogger({ service: "inventory-test", level: "silent" });
let env: TestEnv;
let inv: RunningInventory;
let bus: Bus;

/** Monday 2026-11-30 00:00 UTC. */
const MON = Date.parse("2026-11-30T00:00:00Z") / 1000;
const DAY = 86_400;

let uuidSeq = 0;
const nextUuid = () => `5a1e0000-0000-4000-8000-${(++uuidSeq).toString(16).padStart(12, "0")}`;

const rejected = async (p: Promise<unknown>): Promise<TapefleetError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TapefleetError);
  return err as TapefleetError;
};

async function tape(labelText: string, opts: { ctime?: number; pool?: string; location?: string; worm?: boolean } = {}): Promise<MediaEntry> {
  return bus.request<MediaEntry>(mediaSubject("register"), {
    uuid: nextUuid(),
    "label-text": labelText,
    ctime: opts.ctime ?? MON - 30 * DAY,
    ...(opts.pool ? { pool: opts.pool } : {}),
    location: opts.location ?? "offline",
    ...(opts.worm ? { worm: true } : {}),
  });
}

async function pool(name: string, cfg: Record<string, string> = {}): Promise<void> {
  await bus.request(inventorySubject("media-pool", "create"), { name, ...cfg });
}

const allocate = (req: Record<string, unknown>) => bus.request<PoolAllocateReply>(S.poolAllocate, req);

beforeAll(async () => {
  env = await provisionTestEnv("invjobs");
  const config = inventoryConfigSchema.parse({
    databaseUrl: env.databaseUrl,
    natsUrl: env.natsUrl,
    natsPrefix: env.natsPrefix,
    logLevel: "silent",
    allowClientClock: "1",
  });
  inv = await startInventory(config, { logger, installSignalHandlers: false });
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "inventory-jobs-test", logger });
});

afterAll(async () => {
  await bus?.close();
  await inv?.stop();
  await env?.cleanup();
});

describe("inventory.pool.allocate", () => {
  it("takes the current set's writable tape, then empty pool media, then free media, and stores the set", async () => {
    await pool("src", { template: "src-%F" });
    const free = await tape("SRC001L9", { ctime: MON - 10 * DAY, location: "online-libsrc" });
    const empty = await tape("SRC002L9", { ctime: MON - 5 * DAY, pool: "src", location: "online-libsrc" });
    await tape("SRC003L9", { ctime: MON - 20 * DAY, location: "vault-safe" });
    await tape("SRC004L9", { ctime: MON - 20 * DAY, location: "offline" });

    const a = await allocate({ pool: "src", driveChanger: "libsrc", now: MON + 3600 });
    expect(a.source).toBe("empty");
    expect(a.medium["label-text"]).toBe("SRC002L9");
    expect(a.newSet).toBe(true);
    expect(a.newSetReason).toBeTruthy();
    expect(a.setLabel).toMatchObject({ pool: "src", seqNr: 0, ctime: MON + 3600 });
    expect(a.mediaSetName).toBe("src-2026-11-30");
    expect(a.medium).toMatchObject({ "media-set-uuid": a.setLabel.uuid, "seq-nr": 0, pool: "src", "bytes-used": 0, status: "unknown" });

    const b = await allocate({ pool: "src", driveChanger: "libsrc", mediaSetUuid: a.setLabel.uuid, now: MON + 3700 });
    expect(b).toMatchObject({ source: "current-set", newSet: false, mediaSetName: "src-2026-11-30" });
    expect(b.medium.uuid).toBe(empty.uuid);

    await bus.request(S.mediaSetBytesUsed, { uuid: empty.uuid, bytesUsed: 12345 });
    const full = await bus.request<MediaEntry>(S.mediaMarkFull, { uuid: empty.uuid });
    expect(full).toMatchObject({ status: "full", "bytes-used": 12345 });
    const c = await allocate({ pool: "src", driveChanger: "libsrc", mediaSetUuid: a.setLabel.uuid, now: MON + 3800 });
    expect(c.source).toBe("free");
    expect(c.medium.uuid).toBe(free.uuid);
    expect(c.setLabel).toMatchObject({ uuid: a.setLabel.uuid, seqNr: 1 });

    const set = await bus.request<MediaSetInfo>(S.mediaSetGet, { uuid: a.setLabel.uuid });
    expect(set).toMatchObject({ uuid: a.setLabel.uuid, pool: "src", name: "src-2026-11-30", ctime: MON + 3600, complete: true });
    expect(set.members.map((m) => [m.seqNr, m.labelText, m.status])).toEqual([
      [0, "SRC002L9", "full"],
      [1, "SRC001L9", "unknown"],
    ]);
    const sets = await bus.request<MediaSetInfo[]>(S.mediaSetList, { pool: "src" });
    expect(sets.map((s) => s.uuid)).toEqual([a.setLabel.uuid]);

    // Nothing left in libsrc: vault and offline tapes do not count for a changer drive.
    await bus.request(S.mediaMarkFull, { uuid: free.uuid });
    const none = await rejected(allocate({ pool: "src", driveChanger: "libsrc", mediaSetUuid: a.setLabel.uuid, now: MON + 3900 }));
    expect(none.code).toBe("CONFLICT");
    expect(none.reason).toBe(JOB_REASONS.NO_USABLE_MEDIA);
    expect(none.message).toMatch(/no writable tape of pool 'src' online in changer libsrc/);
    expect(none.message).toMatch(/in a vault/);
  });

  it("reuses expired media of the pool before free media; status set/clear; exclude skips a tape", async () => {
    await pool("exp", { allocation: "always", retention: "overwrite" });
    const e1 = await tape("EXP001L9", { ctime: MON - 9 * DAY, location: "online-libexp" });
    const e2 = await tape("EXP002L9", { ctime: MON - 8 * DAY, location: "online-libexp" });
    const first = await allocate({ pool: "exp", driveChanger: "libexp", now: MON });
    expect([first.source, first.medium.uuid]).toEqual(["free", e1.uuid]);
    await bus.request(S.mediaMarkFull, { uuid: e1.uuid });
    const second = await allocate({ pool: "exp", driveChanger: "libexp", now: MON + DAY });
    expect([second.source, second.medium.uuid, second.newSet]).toEqual(["expired", e1.uuid, true]);
    expect(second.setLabel.uuid).not.toBe(first.setLabel.uuid);
    // The excluded tape is passed over: the free one is taken.
    await bus.request(S.mediaMarkFull, { uuid: e1.uuid });
    const third = await allocate({ pool: "exp", driveChanger: "libexp", exclude: [e1.uuid], now: MON + 2 * DAY });
    expect([third.source, third.medium.uuid]).toEqual(["free", e2.uuid]);
    expect((await bus.request<MediaEntry>(S.mediaSetStatus, { uuid: e2.uuid, status: "damaged" })).status).toBe("damaged");
    expect((await bus.request<MediaEntry>(S.mediaSetStatus, { uuid: e2.uuid, status: null })).status).toBe("unknown");
    const bad = await rejected(bus.request(S.mediaSetStatus, { uuid: e2.uuid, status: "writable" }));
    expect(bad.code).toBe("VALIDATION");
    expect(bad.message).toMatch(/status/);
  });

  it("a tape in an import/export slot is offline: not usable by a changer drive", async () => {
    await pool("iex");
    const t = await tape("IEX001L9", { location: "online-libiex" });
    // The changer's tags (drives and storage slots only) no longer list it: it sits in an I/E slot.
    await bus.request(mediaSubject("set-online"), { changer: "libiex", "label-texts": [] });
    expect((await bus.request<MediaEntry>(mediaSubject("get"), { uuid: t.uuid })).location).toBe("offline");
    const err = await rejected(allocate({ pool: "iex", driveChanger: "libiex", now: MON }));
    expect(err.reason).toBe(JOB_REASONS.NO_USABLE_MEDIA);
    // A standalone drive may use an offline tape.
    expect((await allocate({ pool: "iex", driveChanger: null, exclude: [], now: MON })).medium.uuid).toBe(t.uuid);
  });

  it("10 parallel allocations never hand out one tape twice", async () => {
    await pool("conc", { allocation: "always" });
    const tapes = [];
    for (let i = 0; i < 12; i++) tapes.push(await tape(`CON${String(i).padStart(3, "0")}L9`, { ctime: MON - 40 * DAY + i, location: "online-libconc" }));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => allocate({ pool: "conc", driveChanger: "libconc", now: MON + i })));
    const uuids = results.map((r) => r.medium.uuid);
    expect(new Set(uuids).size).toBe(10);
    expect(new Set(results.map((r) => r.setLabel.uuid)).size).toBe(10);
    expect(results.every((r) => r.source === "free" && r.setLabel.seqNr === 0)).toBe(true);
    // The 10 oldest tapes went out; the stored rows agree with the replies.
    expect(new Set(uuids)).toEqual(new Set(tapes.slice(0, 10).map((t) => t.uuid)));
    const rows = await bus.request<MediaEntry[]>(mediaSubject("list"), { pool: "conc" });
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => r["media-set-uuid"])).size).toBe(10);
  });

  it("10 parallel allocations continuing one set: one free tape joins as seq 1, the others continue on it", async () => {
    await pool("cseq");
    for (let i = 0; i < 11; i++) await tape(`CSQ${String(i).padStart(3, "0")}L9`, { ctime: MON - 40 * DAY + i, location: "online-libcseq" });
    const first = await allocate({ pool: "cseq", driveChanger: "libcseq", now: MON });
    await bus.request(S.mediaMarkFull, { uuid: first.medium.uuid });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => allocate({ pool: "cseq", driveChanger: "libcseq", mediaSetUuid: first.setLabel.uuid, now: MON + 10 })),
    );
    // Serialized by the pool lock: the first takes a free tape (seq 1); the others find it writable and continue on it.
    const seq1 = results.filter((r) => r.source === "free");
    expect(seq1).toHaveLength(1);
    expect(results.every((r) => r.medium.uuid === seq1[0]!.medium.uuid && r.setLabel.seqNr === 1)).toBe(true);
    const set = await bus.request<MediaSetInfo>(S.mediaSetGet, { uuid: first.setLabel.uuid });
    expect(set.members.map((m) => m.seqNr)).toEqual([0, 1]);
  });
});

describe("weekday scheme over two simulated weeks (PBS documentation example)", () => {
  it("each weekday pool starts a set on its day and reuses its tape a week later", async () => {
    const days = ["mon", "tue", "wed", "thu", "fri"] as const;
    for (const d of days) await pool(`wk-${d}`, { allocation: d, retention: "overwrite", template: "%A-%F" });
    const tapes: MediaEntry[] = [];
    for (let i = 1; i <= 6; i++) tapes.push(await tape(`WK${String(i).padStart(4, "0")}L9`, { ctime: MON - 50 * DAY + i, location: "online-libwk" }));
    const label = (uuid: string) => tapes.find((t) => t.uuid === uuid)!["label-text"];
    const log: string[] = [];
    for (let week = 0; week < 2; week++) {
      for (let i = 0; i < 5; i++) {
        const now = MON + (week * 7 + i) * DAY + 21 * 3600;
        const a = await allocate({ pool: `wk-${days[i]}`, driveChanger: "libwk", now });
        await bus.request(S.mediaSetBytesUsed, { uuid: a.medium.uuid, bytesUsed: 300 });
        log.push(`${a.mediaSetName} ${label(a.medium.uuid)} ${a.source}${a.newSet ? " new" : ""}`);
      }
    }
    expect(log).toEqual([
      "Monday-2026-11-30 WK0001L9 free new",
      "Tuesday-2026-12-01 WK0002L9 free new",
      "Wednesday-2026-12-02 WK0003L9 free new",
      "Thursday-2026-12-03 WK0004L9 free new",
      "Friday-2026-12-04 WK0005L9 free new",
      "Monday-2026-12-07 WK0001L9 expired new",
      "Tuesday-2026-12-08 WK0002L9 expired new",
      "Wednesday-2026-12-09 WK0003L9 expired new",
      "Thursday-2026-12-10 WK0004L9 expired new",
      "Friday-2026-12-11 WK0005L9 expired new",
    ]);
    // Saturday of week 2: the media list shows each weekday tape writable in its set, WK0006 still free.
    const table = await bus.request<MediaListRow[]>(S.mediaTable, { now: MON + 12 * DAY });
    const wk = table.filter((r) => r["label-text"].startsWith("WK"));
    expect(wk.map((r) => [r["label-text"], r.pool ?? "-", r["media-set-name"] ?? "-", r["seq-nr"] ?? "-", r.status, r["bytes-used"] ?? "-"])).toEqual([
      ["WK0001L9", "wk-mon", "Monday-2026-12-07", 0, "writable", 300],
      ["WK0002L9", "wk-tue", "Tuesday-2026-12-08", 0, "writable", 300],
      ["WK0003L9", "wk-wed", "Wednesday-2026-12-09", 0, "writable", 300],
      ["WK0004L9", "wk-thu", "Thursday-2026-12-10", 0, "writable", 300],
      ["WK0005L9", "wk-fri", "Friday-2026-12-11", 0, "writable", 300],
      ["WK0006L9", "-", "-", "-", "writable", "-"],
    ]);
    // The Monday set may be overwritten from next Monday 00:00 on.
    expect(wk[0]!["expire-time"]).toBe(MON + 14 * DAY);
    const monSets = await bus.request<MediaSetInfo[]>(S.mediaSetList, { pool: "wk-mon" });
    expect(monSets.map((s) => s.name)).toEqual(["Monday-2026-12-07", "Monday-2026-11-30"]);
    expect(monSets[1]!.members).toEqual([]);
  });
});

describe("WORM, destroy and move", () => {
  it("WORM tapes only join keep pools and are never erased once written", async () => {
    await pool("worm-ow", { retention: "overwrite" });
    await pool("worm-keep");
    const w = await tape("WRM001L9", { location: "online-libworm", worm: true });
    const empty = await tape("WRM002L9", { location: "offline", worm: true });
    const refused = await rejected(allocate({ pool: "worm-ow", driveChanger: "libworm", now: MON }));
    expect(refused.reason).toBe(JOB_REASONS.NO_USABLE_MEDIA);
    expect(refused.message).toMatch(/WORM media refused \(pool retention is not 'keep'\)/);
    const a = await allocate({ pool: "worm-keep", driveChanger: "libworm", now: MON });
    expect(a.medium.uuid).toBe(w.uuid);
    for (const req of [bus.request(S.mediaDestroy, { uuid: w.uuid }), bus.request(mediaSubject("remove"), { uuid: w.uuid })]) {
      const err = await rejected(req);
      expect(err.code).toBe("CONFLICT");
      expect(err.reason).toBe(JOB_REASONS.WORM_MEDIA_WITH_DATA);
      expect(err.message).toMatch(/'WRM001L9' is a WORM cartridge with data/);
    }
    expect((await bus.request<MediaEntry>(mediaSubject("get"), { uuid: w.uuid })).uuid).toBe(w.uuid);
    // An unwritten WORM tape may be forgotten.
    expect((await bus.request<MediaEntry>(S.mediaDestroy, { labelText: "WRM002L9" })).uuid).toBe(empty.uuid);
  });

  it("moves media to a vault and back, destroys by uuid or label, refuses duplicate labels", async () => {
    const t = await tape("MOV001L9");
    const t2 = await tape("MOV002L9");
    expect((await bus.request<MediaEntry>(S.mediaMove, { uuid: t.uuid, vault: "offsite" })).location).toBe("vault-offsite");
    expect((await bus.request<MediaEntry>(S.mediaMove, { labelText: "MOV001L9" })).location).toBe("offline");
    const badVault = await rejected(bus.request(S.mediaMove, { uuid: t.uuid, vault: "x" }));
    expect(badVault.code).toBe("VALIDATION");
    expect(badVault.message).toMatch(/vault/);
    const dup = await rejected(tape("MOV001L9"));
    expect(dup.code).toBe("CONFLICT");
    expect((await bus.request<MediaEntry>(S.mediaDestroy, { uuid: t.uuid }))["label-text"]).toBe("MOV001L9");
    expect((await bus.request<MediaEntry>(S.mediaDestroy, { labelText: "MOV002L9" })).uuid).toBe(t2.uuid);
    expect((await rejected(bus.request(S.mediaDestroy, { uuid: t.uuid }))).code).toBe("NOT_FOUND");
    expect((await rejected(bus.request(S.mediaDestroy, {}))).code).toBe("VALIDATION");
  });
});

describe("datastore config kind", () => {
  it("creates, lists, updates and removes datastores", async () => {
    const ds = await bus.request<DatastoreConfig>(inventorySubject("datastore", "create"), { name: "store1", path: "/srv/pbs/store1", host: "agent-1" });
    expect(ds).toEqual({ name: "store1", path: "/srv/pbs/store1", host: "agent-1" });
    const dup = await rejected(bus.request(inventorySubject("datastore", "create"), { name: "store1", path: "/x", host: "agent-1" }));
    expect(dup.code).toBe("CONFLICT");
    const bad = await rejected(bus.request(inventorySubject("datastore", "create"), { name: "store2", path: "rel", host: "agent-1" }));
    expect(bad.message).toMatch(/path: must be an absolute path/);
    const up = await bus.request<DatastoreConfig>(inventorySubject("datastore", "update"), { key: "store1", patch: { comment: "main" } });
    expect(up.comment).toBe("main");
    expect(await bus.request(inventorySubject("datastore", "list"), {})).toEqual([{ name: "store1", path: "/srv/pbs/store1", host: "agent-1", comment: "main" }]);
    await bus.request(inventorySubject("datastore", "remove"), { key: "store1" });
    expect(await bus.request(inventorySubject("datastore", "list"), {})).toEqual([]);
  });
});
