import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { baseConfigShape, envNameOf, loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";

const schema = z.object({ ...baseConfigShape, databaseUrl: z.string().min(1), maxJobs: z.coerce.number().int().positive().default(2) });

describe("loadConfig", () => {
  it("maps keys to TAPEFLEET_ env names", () => {
    expect(envNameOf("natsUrl")).toBe("TAPEFLEET_NATS_URL");
    expect(envNameOf("databaseUrl")).toBe("TAPEFLEET_DATABASE_URL");
  });

  it("reads env over file and applies defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ databaseUrl: "postgres://file", maxJobs: 5, natsPrefix: "fromfile" }));
    const cfg = loadConfig(schema, { env: { TAPEFLEET_CONFIG_FILE: file, TAPEFLEET_NATS_PREFIX: "envwins" } });
    expect(cfg.databaseUrl).toBe("postgres://file");
    expect(cfg.maxJobs).toBe(5);
    expect(cfg.natsPrefix).toBe("envwins");
    expect(cfg.natsUrl).toBe("nats://127.0.0.1:4222");
    expect(cfg.httpPort).toBe(0);
  });

  it("rejects bad values naming the env variable", () => {
    let err: unknown;
    try {
      loadConfig(schema, { env: { TAPEFLEET_DATABASE_URL: "x", TAPEFLEET_HTTP_PORT: "99999" } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("TAPEFLEET_HTTP_PORT");
    expect((err as ConfigError).fields?.[0]?.field).toContain("httpPort");
  });

  it("rejects a missing required value", () => {
    expect(() => loadConfig(schema, { env: {} })).toThrow(/databaseUrl \(TAPEFLEET_DATABASE_URL\)/);
  });

  it("rejects an unreadable config file", () => {
    expect(() => loadConfig(schema, { env: { TAPEFLEET_CONFIG_FILE: "/nonexistent/x.json" } })).toThrow(/TAPEFLEET_CONFIG_FILE/);
  });
});
