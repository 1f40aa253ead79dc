import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { Bus, connectDatabase, createLogger, runMigrations, startService, TapefleetError, ValidationError, type EventEnvelope } from "../src/index.ts";

const logger = createLogger({ service: "common-test", level: "silent" });
let env: TestEnv;

beforeAll(async () => {
  env = await provisionTestEnv("common");
});
afterAll(async () => {
  await env?.cleanup();
});

describe("Bus (real NATS)", () => {
  it("carries requests, typed errors and scatter-gather replies", async () => {
    const a = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "a", logger });
    const b = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "b", logger });
    try {
      a.serve("demo.echo", async (p) => ({ echoed: p }), { queue: "demo" });
      a.serve("demo.fail", async () => {
        throw ValidationError.field("name", "too short");
      });
      a.serve("demo.crash", async () => {
        throw new Error("db password is hunter2");
      });
      a.serve("demo.scan", async () => ({ from: "a" }));
      b.serve("demo.scan", async () => ({ from: "b" }));
      await a.nc.flush();
      await b.nc.flush();
      expect(await b.request("demo.echo", { x: 1 })).toEqual({ echoed: { x: 1 } });
      const err = await b.request("demo.fail").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TapefleetError);
      expect((err as TapefleetError).code).toBe("VALIDATION");
      expect((err as TapefleetError).fields).toEqual([{ field: "name", message: "too short" }]);
      const crash = (await b.request("demo.crash").catch((e: unknown) => e)) as TapefleetError;
      expect(crash.code).toBe("INTERNAL");
      expect(crash.message).not.toContain("hunter2");
      const none = (await b.request("demo.nobody", {}, { timeoutMs: 2000 }).catch((e: unknown) => e)) as TapefleetError;
      expect(["UNAVAILABLE", "TIMEOUT"]).toContain(none.code);
      const replies = await b.gather<{ from: string }>("demo.scan", {}, 500);
      expect(replies.map((r) => r.from).sort()).toEqual(["a", "b"]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("publishes durable events and consumes them idempotently", async () => {
    const bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "ev", logger });
    try {
      await bus.ensureStream("events", ["events.>"]);
      await bus.publishEvent("demo.thing.created", "t1", { n: 1 });
      await bus.publishEvent("demo.thing.created", "t2", { n: 2 });
      const seen: EventEnvelope[] = [];
      const done = new Promise<void>((resolve) => {
        void bus.consumeEvents("events", "democonsumer", "events.demo.>", async (e) => {
          seen.push(e);
          if (seen.length === 2) resolve();
        });
      });
      await done;
      expect(seen.map((e) => e.subject)).toEqual(["t1", "t2"]);
      expect(seen[0]?.type).toBe("demo.thing.created");
      expect(seen[0]?.source).toBe("ev");
      expect(Date.parse(seen[0]!.time)).not.toBeNaN();
    } finally {
      await bus.close();
    }
  });
});

describe("PostgreSQL (real server)", () => {
  it("runs migrations once into the service schema, even when started twice at once", async () => {
    const one = await connectDatabase({ url: env.databaseUrl, schema: {}, logger });
    const two = await connectDatabase({ url: env.databaseUrl, schema: {}, logger });
    try {
      const folder = fileURLToPath(new URL("./fixtures/migrations", import.meta.url));
      await Promise.all([
        runMigrations({ url: env.databaseUrl, migrationsFolder: folder, schema: "commontest", logger }),
        runMigrations({ url: env.databaseUrl, migrationsFolder: folder, schema: "commontest", logger }),
      ]);
      await one.sql`insert into commontest.thing (name) values ('x')`;
      const rows = await one.sql`select count(*)::int as n from commontest.__migrations`;
      expect(rows[0]?.["n"]).toBe(1);
      expect(await one.ping()).toBe(true);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it("reports an unreachable server clearly without leaking the password", async () => {
    const err = (await connectDatabase({ url: "postgres://u:sekret@127.0.0.1:1/x", schema: {}, logger }).catch((e: unknown) => e)) as TapefleetError;
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toContain("127.0.0.1:1");
    expect(err.message).not.toContain("sekret");
  });
});

describe("startService", () => {
  it("serves /healthz and /readyz, announces itself, and drains", async () => {
    const svc = await startService({
      name: "demo",
      config: { logLevel: "silent", httpHost: "127.0.0.1", httpPort: 0, natsUrl: env.natsUrl, natsPrefix: env.natsPrefix },
      installSignalHandlers: false,
      logger,
    });
    try {
      expect((await fetch(`${svc.healthUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${svc.healthUrl}/readyz`)).status).toBe(503);
      const metrics = await fetch(`${svc.healthUrl}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toMatch(/tapefleet_process_resident_memory_bytes\{service="demo",instance="[^"]+"\} \d+/);
      svc.markReady();
      const ready = await fetch(`${svc.healthUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.headers.get("x-tapefleet-pid")).toBe(String(process.pid));
      expect(await ready.json()).toMatchObject({ status: "ready", checks: { nats: true, started: true } });
      const probe = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "probe", logger });
      const found = await probe.gather<{ service: string; ready: boolean }>("svc.ping", {}, 500);
      await probe.close();
      expect(found).toContainEqual(expect.objectContaining({ service: "demo", ready: true }));
    } finally {
      await svc.stop();
    }
  });
});
