import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCHEDULER_LEASE_CHECK_SUBJECT } from "@tapefleet/api-types";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { driveResource, LEASE_BUSY, LEASE_LOST, LeaseManager, loadSchedulerConfig, mediaResource, schema, startScheduler, type RunningScheduler, type SchedulerSchema } from "../../src/index.ts";

let env: TestEnv;
let sched: RunningScheduler;
const clients: postgres.Sql[] = [];

/** A further scheduler instance: its own connection pool and worker id. */
function instance(worker: string): LeaseManager {
  const client = postgres(env.databaseUrl, { max: 4, onnotice: () => {} });
  clients.push(client);
  return new LeaseManager(drizzle(client, { schema }) as PostgresJsDatabase<SchedulerSchema>, { worker });
}

beforeAll(async () => {
  env = await provisionTestEnv("schedlease");
  // The scheduler runs the migrations.
  sched = await startScheduler(loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_NODE_NAME: "node1" } }), { installSignalHandlers: false });
});
afterAll(async () => {
  for (const c of clients) await c.end({ timeout: 1 });
  await sched?.stop();
  await env?.cleanup();
});

describe("scheduler.lease.check", () => {
  const check = (payload: unknown) => sched.service.bus.request<{ held: boolean }>(SCHEDULER_LEASE_CHECK_SUBJECT, payload);

  it("says held only for a live lease of the drive by that job: other job, expired lease, unknown drive are not held", async () => {
    const a = instance("w-check");
    const lease = await a.acquire("UPID:node1:job-k1", [driveResource("kd1"), mediaResource("km1")]);
    await a.acquire("UPID:node1:job-old", [driveResource("kd2")], -1000);
    expect(await check({ job: "UPID:node1:job-k1", drive: "kd1" })).toEqual({ held: true });
    // Another job, even one holding another drive.
    expect(await check({ job: "UPID:node1:job-old", drive: "kd1" })).toEqual({ held: false });
    expect(await check({ job: "UPID:node1:job-nobody", drive: "kd1" })).toEqual({ held: false });
    // The row is still there, but expired by the database clock.
    expect((await a.holders([driveResource("kd2")]))[0]).toMatchObject({ holderJob: "UPID:node1:job-old" });
    expect(await check({ job: "UPID:node1:job-old", drive: "kd2" })).toEqual({ held: false });
    // A drive nobody leased; a medium resource is not a drive.
    expect(await check({ job: "UPID:node1:job-k1", drive: "nodrive" })).toEqual({ held: false });
    expect(await check({ job: "UPID:node1:job-k1", drive: "km1" })).toEqual({ held: false });
    // Released: no longer held.
    await a.release(lease);
    expect(await check({ job: "UPID:node1:job-k1", drive: "kd1" })).toEqual({ held: false });
    await a.release({ holderJob: "UPID:node1:job-old", holderWorker: "w-check", resources: [driveResource("kd2")] });
  });

  it("refuses a malformed request naming the field", async () => {
    await expect(check({ drive: "kd1" })).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/job/) });
    await expect(check({ job: "j", drive: "" })).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/drive/) });
  });
});

describe("leases", () => {
  it("takes a drive and tapes all or none; a held tape makes the whole acquisition fail naming its holder", async () => {
    const a = instance("w-a");
    const b = instance("w-b");
    const la = await a.acquire("job-1", [driveResource("d1"), mediaResource("m1"), mediaResource("m2")]);
    expect(la.resources).toEqual(["drive:d1", "media:m1", "media:m2"]);
    const err = await b.acquire("job-2", [driveResource("d2"), mediaResource("m2")]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CONFLICT", reason: LEASE_BUSY });
    expect((err as Error).message).toContain("media:m2 (held by job-1)");
    // Nothing of job-2 was left behind: d2 is free.
    expect((await b.holders([driveResource("d2")])).length).toBe(0);
    const any = await b.acquireAnyDrive("job-2", ["d1", "d2"], ["m3"]);
    expect(any.drive).toBe("d2");
    expect(b.conflicts).toBe(2);
    await a.release(la);
    await b.release(any.lease);
    expect(await a.holders()).toEqual([]);
  });

  it("a lease whose worker stopped renewing expires: the next job takes it over, the old holder learns it lost it", async () => {
    const dead = instance("w-dead");
    const live = instance("w-live");
    // Already expired: the worker died before its first heartbeat.
    const old = await dead.acquire("job-dead", [driveResource("d9"), mediaResource("m9")], -1000);
    const taken = await live.acquire("job-new", [driveResource("d9")]);
    expect((await live.holders([driveResource("d9")]))[0]).toMatchObject({ holderJob: "job-new", holderWorker: "w-live" });
    expect(await dead.renew(old)).toBe(false);
    const lost = await new Promise<Error>((resolve) => {
      const stop = dead.keepAlive(() => old, resolve, 150);
      void stop;
    });
    expect(lost).toMatchObject({ reason: LEASE_LOST });
    expect(await live.renew(taken)).toBe(true);
    await live.release(taken);
    await dead.release(old);
  });

  it("race: many concurrent jobs on several scheduler instances never hold one drive or one tape twice", async () => {
    const managers = [instance("w1"), instance("w2"), instance("w3")];
    const drives = ["r1", "r2", "r3"];
    const tapes = ["t1", "t2", "t3", "t4", "t5", "t6"];
    type Ev = { resource: string; job: string; kind: "take" | "give"; seq: number };
    const log: Ev[] = [];
    let seq = 0;
    const overlaps: string[] = [];
    const holding = new Map<string, string>();
    const jobs = Array.from({ length: 24 }, (_, i) => i);
    let done = 0;
    await Promise.all(
      jobs.map(async (i) => {
        const m = managers[i % managers.length]!;
        const job = `race-${i}`;
        const wanted = [tapes[i % tapes.length]!, tapes[(i * 5 + 1) % tapes.length]!];
        for (let attempt = 0; attempt < 500; attempt++) {
          let got: { lease: { resources: string[]; holderJob: string; holderWorker: string }; drive: string };
          try {
            got = await m.acquireAnyDrive(job, i % 4 === 0 ? [drives[i % 3]!] : drives, wanted);
          } catch (err) {
            if ((err as { reason?: string }).reason !== LEASE_BUSY) throw err;
            await new Promise((r) => setTimeout(r, 2 + (i % 5)));
            continue;
          }
          for (const r of got.lease.resources) {
            if (holding.has(r)) overlaps.push(`${r}: ${holding.get(r)} and ${job}`);
            holding.set(r, job);
            log.push({ resource: r, job, kind: "take", seq: seq++ });
          }
          // The database agrees: this job is the only holder of each resource.
          const rows = await m.holders(got.lease.resources);
          expect(rows.map((h) => h.holderJob)).toEqual(got.lease.resources.map(() => job));
          await new Promise((r) => setTimeout(r, 3));
          for (const r of got.lease.resources) {
            holding.delete(r);
            log.push({ resource: r, job, kind: "give", seq: seq++ });
          }
          await m.release(got.lease);
          done++;
          return;
        }
        throw new Error(`${job} never got its lease`);
      }),
    );
    expect(done).toBe(jobs.length);
    expect(overlaps).toEqual([]);
    // Per resource, takes and gives alternate in the holders' log.
    const byResource = new Map<string, Ev[]>();
    for (const e of log) byResource.set(e.resource, [...(byResource.get(e.resource) ?? []), e]);
    for (const evs of byResource.values()) {
      evs.forEach((e, k) => expect(e.kind).toBe(k % 2 === 0 ? "take" : "give"));
    }
    // The contention was real: acquisitions lost races on the unique constraint.
    expect(managers.reduce((s, m) => s + m.conflicts, 0)).toBeGreaterThan(0);
    expect(await managers[0]!.holders()).toEqual([]);
  });
});
