import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TapeBackupJobConfig } from "@tapefleet/api-types";
import { createLogger } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { loadSchedulerConfig, schema, ScheduleRunner, startScheduler, type RunningScheduler, type SchedulerSchema } from "../../src/index.ts";

const logger = createLogger({ service: "sched-schedules-test", level: "silent" });
let env: TestEnv;
let sched: RunningScheduler;
const clients: postgres.Sql[] = [];

function db(): PostgresJsDatabase<SchedulerSchema> {
  const client = postgres(env.databaseUrl, { max: 2, onnotice: () => {} });
  clients.push(client);
  return drizzle(client, { schema }) as PostgresJsDatabase<SchedulerSchema>;
}

beforeAll(async () => {
  env = await provisionTestEnv("schedcal");
  sched = await startScheduler(loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_SCHEDULE_TICK_MS: "0", TAPEFLEET_WORKER_CONCURRENCY: "0" } }), {
    installSignalHandlers: false,
  });
});
afterAll(async () => {
  for (const c of clients) await c.end({ timeout: 1 });
  await sched?.stop();
  await env?.cleanup();
});

const JOBS: TapeBackupJobConfig[] = [
  { id: "hourly", store: "store1", pool: "p1", drive: "d1", schedule: "hourly" },
  { id: "nightly", store: "store1", pool: "p1", drive: "d1", schedule: "*-*-* 02:30" },
  { id: "manual", store: "store1", pool: "p1", drive: "d1" },
];

describe("schedules", () => {
  it("two scheduler instances ticking at the same times fire each occurrence exactly once", async () => {
    const fired: string[] = [];
    const runner = (name: string) =>
      new ScheduleRunner(db(), {
        instance: name,
        jobs: async () => JOBS,
        fire: async (job, occurrence) => {
          fired.push(`${job.id}@${new Date(occurrence * 1000).toISOString()} by ${name}`);
          return `UPID:${name}:${job.id}:${occurrence}`;
        },
        logger,
        timeZone: "UTC",
      });
    const a = runner("a");
    const b = runner("b");
    const start = Date.parse("2026-03-01T00:00:30Z");
    // Tick both every 10 minutes for a day, concurrently.
    for (let t = start; t < start + 24 * 3600_000; t += 600_000) {
      const now = new Date(t);
      await Promise.all([a.tick(now), b.tick(now)]);
    }
    const byOccurrence = new Map<string, number>();
    for (const f of fired) {
      const key = f.split(" by ")[0]!;
      byOccurrence.set(key, (byOccurrence.get(key) ?? 0) + 1);
    }
    expect([...byOccurrence.values()].every((n) => n === 1)).toBe(true);
    const hourly = [...byOccurrence.keys()].filter((k) => k.startsWith("hourly@"));
    // The first tick is after 00:00 by 30 s (inside the catch-up window): 00:00 … 23:00.
    expect(hourly.length).toBe(24);
    expect(hourly[0]).toBe("hourly@2026-03-01T00:00:00.000Z");
    expect([...byOccurrence.keys()].filter((k) => k.startsWith("nightly@"))).toEqual(["nightly@2026-03-01T02:30:00.000Z"]);
    expect(fired.some((f) => f.startsWith("manual"))).toBe(false);
    const rows = await db().select().from(schema.scheduleRuns);
    expect(rows.length).toBe(25);
    expect(rows.every((r) => r.upid !== null && r.upid.endsWith(`${r.jobId}:${r.occurrence}`))).toBe(true);
  });

  it("missed occurrences collapse into one run; a job that never ran does not replay occurrences older than the catch-up window", async () => {
    const fired: number[] = [];
    const r = new ScheduleRunner(db(), {
      instance: "c",
      jobs: async () => [
        { id: "missed", store: "s", pool: "p", drive: "d", schedule: "*:0/15" },
        { id: "fresh", store: "s", pool: "p", drive: "d", schedule: "*-*-* 10:00" },
      ],
      fire: async (_job, o) => {
        fired.push(o);
        return "UPID:x";
      },
      logger,
      timeZone: "UTC",
      catchupMs: 120_000,
    });
    await r.tick(new Date("2026-04-01T10:01:00Z"));
    // Both due at 10:00; "fresh" is taken out of the way by a run at 10:01, then only "missed" goes on.
    expect(fired.map((o) => new Date(o * 1000).toISOString())).toEqual(["2026-04-01T10:00:00.000Z", "2026-04-01T10:00:00.000Z"]);
    fired.length = 1;
    // Down for an hour: the four missed occurrences run once, as the latest.
    await r.tick(new Date("2026-04-01T11:07:00Z"));
    expect(fired.map((o) => new Date(o * 1000).toISOString())).toEqual(["2026-04-01T10:00:00.000Z", "2026-04-01T11:00:00.000Z"]);
    await r.tick(new Date("2026-04-01T11:08:00Z"));
    expect(fired.length).toBe(2);
    const late = new ScheduleRunner(db(), {
      instance: "d",
      jobs: async () => [{ id: "late", store: "s", pool: "p", drive: "d", schedule: "*-*-* 10:00" }],
      fire: async (_job, o) => {
        fired.push(o);
        return "UPID:y";
      },
      logger,
      timeZone: "UTC",
      catchupMs: 120_000,
    });
    // First look at 10:05: 10:00 is older than the 2 min window.
    expect(await late.tick(new Date("2026-04-01T10:05:00Z"))).toEqual([]);
    expect((await late.tick(new Date("2026-04-02T10:00:30Z"))).map((f) => new Date(f.occurrence * 1000).toISOString())).toEqual(["2026-04-02T10:00:00.000Z"]);
  });
});
