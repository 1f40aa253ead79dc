import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { ConfigError } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { JOB_QUEUE_NAME, loadSchedulerConfig, startScheduler } from "../../src/index.ts";

let env: TestEnv;

beforeAll(async () => {
  env = await provisionTestEnv("sched");
});
afterAll(async () => {
  await env?.cleanup();
});

describe("scheduler", () => {
  it("rejects a bad Redis URL and queue prefix at boot, naming the variables", () => {
    const err = (() => {
      try {
        loadSchedulerConfig({ env: { TAPEFLEET_REDIS_URL: "http://x", TAPEFLEET_QUEUE_PREFIX: "bad prefix" } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const fields = (err as ConfigError).fields?.map((f) => f.field).join(" ");
    expect(fields).toContain("TAPEFLEET_REDIS_URL");
    expect(fields).toContain("TAPEFLEET_QUEUE_PREFIX");
  });

  it("creates its queue under the prefix, reports ready, and stops cleanly", async () => {
    const config = loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent" } });
    const scheduler = await startScheduler(config, { installSignalHandlers: false });
    try {
      expect(scheduler.queue.name).toBe(JOB_QUEUE_NAME);
      expect(await scheduler.redisReady()).toBe(true);
      const res = await fetch(`${scheduler.service.healthUrl}/readyz`);
      const body = (await res.json()) as { status: string; checks: Record<string, boolean> };
      expect(res.status).toBe(200);
      expect(body.checks).toMatchObject({ redis: true, nats: true, started: true });
      const job = await scheduler.queue.add("probe", { n: 1 });
      const redis = new Redis(env.redisUrl);
      try {
        const keys = await redis.keys(`${env.queuePrefix}:${JOB_QUEUE_NAME}:*`);
        expect(keys).toContain(`${env.queuePrefix}:${JOB_QUEUE_NAME}:${job.id}`);
      } finally {
        redis.disconnect();
      }
      await job.remove();
    } finally {
      await scheduler.stop();
    }
  });

  it("fails fast with a clear error when Redis does not answer", async () => {
    const config = loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_REDIS_URL: "redis://127.0.0.1:1", TAPEFLEET_LOG_LEVEL: "silent" } });
    await expect(startScheduler(config, { installSignalHandlers: false })).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });
});
