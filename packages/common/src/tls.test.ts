import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "./errors.ts";
import { isLoopbackHost, readTlsFiles } from "./tls.ts";

const dir = mkdtempSync(join(tmpdir(), "tf-tls-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pem = (name: string, label: string) => {
  const f = join(dir, name);
  writeFileSync(f, `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`);
  return f;
};

describe("readTlsFiles", () => {
  it("reads the CA, certificate and key named by their settings", () => {
    const m = readTlsFiles({
      ca: { file: pem("ca.crt", "CERTIFICATE"), setting: "X_CA" },
      cert: { file: pem("c.crt", "CERTIFICATE"), setting: "X_CERT" },
      key: { file: pem("c.key", "PRIVATE KEY"), setting: "X_KEY" },
    });
    expect(m.ca?.toString()).toContain("BEGIN CERTIFICATE");
    expect(m.key?.toString()).toContain("BEGIN PRIVATE KEY");
    expect(readTlsFiles({})).toEqual({});
  });

  it("rejects a certificate without its key, and the reverse, naming the setting", () => {
    const cert = { file: pem("c2.crt", "CERTIFICATE"), setting: "X_CERT" };
    const key = { file: pem("c2.key", "PRIVATE KEY"), setting: "X_KEY" };
    expect(() => readTlsFiles({ cert })).toThrow(ConfigError);
    expect(() => readTlsFiles({ cert })).toThrow("X_CERT: is set without its private key");
    expect(() => readTlsFiles({ key })).toThrow("X_KEY: is set without its certificate");
  });

  it("names a missing or non-PEM file by its setting", () => {
    expect(() => readTlsFiles({ ca: { file: join(dir, "none.crt"), setting: "X_CA" } })).toThrow(/X_CA: cannot read .*none\.crt: ENOENT/);
    const junk = join(dir, "junk.crt");
    writeFileSync(junk, "not a certificate");
    expect(() => readTlsFiles({ ca: { file: junk, setting: "X_CA" } })).toThrow("X_CA: " + junk + " is not a PEM file");
    try {
      readTlsFiles({ ca: { file: junk, setting: "X_CA" } });
    } catch (err) {
      expect((err as ConfigError).code).toBe("CONFIG");
    }
  });
});

describe("isLoopbackHost", () => {
  it("accepts only addresses this host alone can reach", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "a.localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["0.0.0.0", "::", "[::]", "10.0.0.5", "192.168.1.1", "device-agent", "tape1.example.com", "128.0.0.1", "::2"]) expect(isLoopbackHost(h), h).toBe(false);
  });
});
