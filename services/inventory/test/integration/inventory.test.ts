import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configDigest, inventorySubject, type ConfigKind, type ConfigOp } from "@tapefleet/api-types";
import { Bus, createLogger, TapefleetError, type EventEnvelope } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "../../src/index.ts";

const logger = createLogger({ service: "inventory-test", level: "silent" });
let env: TestEnv;
let inv: RunningInventory;
let bus: Bus;
const events: EventEnvelope[] = [];

const call = <T = unknown>(kind: ConfigKind, op: ConfigOp, payload?: unknown) => bus.request<T>(inventorySubject(kind, op), payload);
const fail = async (p: Promise<unknown>): Promise<TapefleetError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TapefleetError);
  return err as TapefleetError;
};

beforeAll(async () => {
  env = await provisionTestEnv("inventory");
  const config = inventoryConfigSchema.parse({ databaseUrl: env.databaseUrl, natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, logLevel: "silent" });
  inv = await startInventory(config, { logger, installSignalHandlers: false });
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "inventory-test-client", logger });
  await bus.consumeEvents("events", "inventorytest", "events.inventory.>", async (e) => {
    events.push(e);
  });
});

afterAll(async () => {
  await bus?.close();
  await inv?.stop();
  await env?.cleanup();
});

async function eventsFor(subject: string, count: number): Promise<EventEnvelope[]> {
  for (let i = 0; i < 200; i++) {
    const found = events.filter((e) => e.subject === subject);
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  return events.filter((e) => e.subject === subject);
}

describe("inventory configuration over NATS", () => {
  it("creates, reads, updates and removes entries, publishing an event for each change", async () => {
    expect(await call("changer", "create", { name: "lib1", path: "/dev/tape/by-id/scsi-LIB1", "export-slots": "10,9" })).toEqual({
      name: "lib1",
      path: "/dev/tape/by-id/scsi-LIB1",
      "export-slots": [9, 10],
    });
    await call("drive", "create", { name: "drv1", path: "/dev/sg3", changer: "lib1" });
    await call("media-pool", "create", { name: "daily", drive: "drv1", retention: "7days", allocation: "daily" });
    await call("tape-backup-job", "create", { id: "job1", store: "store1", pool: "daily", drive: "drv1", schedule: "mon..fri 02:00", "group-filter": ["type:vm"] });

    expect(await call("media-pool", "get", { key: "daily" })).toEqual({ name: "daily", drive: "drv1", retention: "7days", allocation: "daily" });
    expect(await call("media-pool", "update", { key: "daily", patch: { comment: "weekday tapes", delete: ["allocation"] } })).toEqual({
      name: "daily",
      drive: "drv1",
      retention: "7days",
      comment: "weekday tapes",
    });
    expect(await call("tape-backup-job", "list")).toEqual([
      { id: "job1", store: "store1", pool: "daily", drive: "drv1", schedule: "mon..fri 02:00", "group-filter": ["type:vm"] },
    ]);

    await call("changer", "create", { name: "temp1", path: "/dev/sg9" });
    expect(await call("changer", "remove", { key: "temp1" })).toEqual({ name: "temp1", path: "/dev/sg9" });
    expect((await fail(call("changer", "get", { key: "temp1" }))).code).toBe("NOT_FOUND");

    const poolEvents = await eventsFor("daily", 2);
    expect(poolEvents.map((e) => e.type)).toEqual(["inventory.media-pool.created", "inventory.media-pool.updated"]);
    expect(poolEvents[1]?.data).toMatchObject({ name: "daily", comment: "weekday tapes" });
    const tempEvents = await eventsFor("temp1", 2);
    expect(tempEvents.map((e) => e.type)).toEqual(["inventory.changer.created", "inventory.changer.removed"]);
    expect((await eventsFor("job1", 1))[0]?.type).toBe("inventory.tape-backup-job.created");
  });

  it("names the bad field and changes nothing on invalid input", async () => {
    const err = await fail(call("media-pool", "create", { name: "weekly", retention: "7dayz" }));
    expect(err.code).toBe("VALIDATION");
    expect(err.fields?.[0]?.field).toBe("retention");
    expect(err.fields?.[0]?.message).toMatch(/^invalid time span '7dayz': .*dayz/);
    const missing = await fail(call("media-pool", "create", { name: "weekly", drive: "nodrive" }));
    expect(missing.fields).toEqual([{ field: "drive", message: "drive 'nodrive' does not exist" }]);
    const badJob = await fail(call("tape-backup-job", "create", { id: "job2", store: "store1", pool: "nopool", drive: "nodrive" }));
    expect(badJob.fields?.map((f) => f.field)).toEqual(["pool", "drive"]);
    const badUpdate = await fail(call("drive", "update", { key: "drv1", patch: { changer: "nolib" } }));
    expect(badUpdate.fields).toEqual([{ field: "changer", message: "changer 'nolib' does not exist" }]);
    expect(await call("drive", "get", { key: "drv1" })).toEqual({ name: "drv1", path: "/dev/sg3", changer: "lib1" });
    expect((await call<unknown[]>("media-pool", "list")).length).toBe(1);
    expect((await fail(call("media-pool", "get", {}))).fields).toEqual([{ field: "key", message: "is required" }]);
  });

  it("refuses duplicates, reused drive numbers and removal of referenced entries with conflicts", async () => {
    const dup = await fail(call("changer", "create", { name: "lib1", path: "/dev/sg4" }));
    expect(dup.code).toBe("CONFLICT");
    expect(dup.message).toBe("changer 'lib1' already exists");
    const num = await fail(call("drive", "create", { name: "drv2", path: "/dev/sg5", changer: "lib1", "changer-drivenum": 0 }));
    expect(num.code).toBe("CONFLICT");
    expect(num.fields?.[0]?.field).toBe("changer-drivenum");
    await call("drive", "create", { name: "drv2", path: "/dev/sg5", changer: "lib1", "changer-drivenum": 1 });
    expect((await fail(call("drive", "update", { key: "drv2", patch: { delete: "changer-drivenum" } }))).code).toBe("CONFLICT");

    const inUse = await fail(call("changer", "remove", { key: "lib1" }));
    expect(inUse.code).toBe("CONFLICT");
    expect(inUse.message).toBe("changer 'lib1' is in use by drive 'drv1', 'drv2'");
    expect((await fail(call("drive", "remove", { key: "drv1" }))).message).toBe("drive 'drv1' is in use by media pool 'daily'");
    expect((await fail(call("media-pool", "remove", { key: "daily" }))).message).toBe("media pool 'daily' is in use by tape backup job 'job1'");

    await call("tape-backup-job", "remove", { key: "job1" });
    await call("media-pool", "remove", { key: "daily" });
    await call("drive", "remove", { key: "drv1" });
    await call("drive", "remove", { key: "drv2" });
    await call("changer", "remove", { key: "lib1" });
    expect(await call("changer", "list")).toEqual([]);
  });

  it("publishes events left in the outbox by an earlier failure, and leaves the outbox empty", async () => {
    const sql = inv.service.database!.sql;
    expect((await sql`select count(*)::int as n from inventory.event_outbox`)[0]?.["n"]).toBe(0);
    await sql`insert into inventory.event_outbox (type, subject, data) values ('inventory.changer.created', 'late1', ${JSON.stringify({ name: "late1", path: "/dev/sg8" })}::jsonb)`;
    await inv.relay.flush();
    const late = await eventsFor("late1", 1);
    expect(late[0]).toMatchObject({ type: "inventory.changer.created", data: { name: "late1", path: "/dev/sg8" } });
    expect((await sql`select count(*)::int as n from inventory.event_outbox`)[0]?.["n"]).toBe(0);
  });

  it("carries the request id as the event's correlation id", async () => {
    await bus.request(inventorySubject("changer", "create"), { name: "corr1", path: "/dev/sg6" }, { requestId: "req-corr-1" });
    expect((await eventsFor("corr1", 1))[0]?.correlationId).toBe("req-corr-1");
  });

  it("refuses an update whose digest no longer matches the entry", async () => {
    const pool = await call<Record<string, unknown>>("changer", "get", { key: "corr1" });
    const digest = configDigest(pool);
    expect(await call("changer", "update", { key: "corr1", patch: { "eject-before-unload": true, digest } })).toMatchObject({ "eject-before-unload": true });
    const stale = await fail(call("changer", "update", { key: "corr1", patch: { "export-slots": [1], digest } }));
    expect(stale.code).toBe("CONFLICT");
    expect(stale.fields?.[0]?.field).toBe("digest");
    expect(await call("changer", "get", { key: "corr1" })).toEqual({ name: "corr1", path: "/dev/sg6", "eject-before-unload": true });
  });

  it("survives concurrent creates of the same name: exactly one wins", async () => {
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => call("changer", "create", { name: "race1", path: "/dev/sg7" })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as TapefleetError).code).toBe("CONFLICT");
  });
});
