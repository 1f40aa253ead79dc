import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "./errors.ts";
import { DEFAULT_REDIS_PORT, redisOptionsFromUrl } from "./redis.ts";

const dir = mkdtempSync(join(tmpdir(), "tf-redis-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("redisOptionsFromUrl", () => {
  it("takes host, port, password, user and database from the URL", () => {
    expect(redisOptionsFromUrl("redis://127.0.0.1")).toEqual({ host: "127.0.0.1", port: DEFAULT_REDIS_PORT });
    expect(redisOptionsFromUrl("redis://:s3cret@redis.example:6380/2")).toEqual({ host: "redis.example", port: 6380, password: "s3cret", db: 2 });
    expect(redisOptionsFromUrl("redis://tapefleet:p%40ss@[::1]:7000")).toEqual({ host: "::1", port: 7000, username: "tapefleet", password: "p@ss" });
  });

  it("turns TLS on for rediss://, with the server name and a private CA", () => {
    expect(redisOptionsFromUrl("rediss://:pw@redis.example")).toEqual({ host: "redis.example", port: 6379, password: "pw", tls: { servername: "redis.example" } });
    const ca = join(dir, "ca.crt");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const o = redisOptionsFromUrl("rediss://10.0.0.7:6380", { caFile: ca });
    expect(o.tls?.servername).toBeUndefined();
    expect(o.tls?.ca?.toString()).toContain("BEGIN CERTIFICATE");
  });

  it("rejects bad URLs and TLS files with a plaintext URL, naming the setting", () => {
    for (const [url, why] of [
      ["not a url", "is not a URL"],
      ["http://h:1", "scheme 'http:' is not redis: or rediss:"],
      ["redis://h/x", "database 'x' is not a number"],
    ] as const) {
      expect(() => redisOptionsFromUrl(url)).toThrow(ConfigError);
      expect(() => redisOptionsFromUrl(url)).toThrow(`redisUrl (TAPEFLEET_REDIS_URL): ${why}`);
    }
    expect(() => redisOptionsFromUrl("redis://h", { caFile: "/x" })).toThrow("use rediss:// for TLS");
    expect(() => redisOptionsFromUrl("rediss://h", { caFile: join(dir, "none") })).toThrow("TAPEFLEET_REDIS_TLS_CA: cannot read");
  });
});
