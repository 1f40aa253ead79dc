import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { baseConfigShape, loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { natsConnectionOptions, natsSecurityOf } from "./nats.ts";

const dir = mkdtempSync(join(tmpdir(), "tf-nats-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const PEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

describe("NATS security settings", () => {
  it("are read from TAPEFLEET_NATS_* and default to none (plaintext, no authentication)", () => {
    const schema = z.object(baseConfigShape);
    const none = loadConfig(schema, { env: {} });
    expect(natsConnectionOptions(natsSecurityOf(none))).toEqual({});
    const cfg = loadConfig(schema, {
      env: { TAPEFLEET_NATS_TOKEN: "t0k", TAPEFLEET_NATS_CREDS_FILE: "/c", TAPEFLEET_NATS_TLS_CA: "/ca", TAPEFLEET_NATS_TLS_CERT: "/crt", TAPEFLEET_NATS_TLS_KEY: "/key" },
    });
    expect(natsSecurityOf(cfg)).toMatchObject({ token: "t0k", credsFile: "/c", tlsCaFile: "/ca", tlsCertFile: "/crt", tlsKeyFile: "/key" });
  });

  it("map user/password, token and TLS files to connection options", () => {
    expect(natsConnectionOptions({ user: "inventory", password: "pw" })).toEqual({ user: "inventory", pass: "pw" });
    expect(natsConnectionOptions({ token: "t0k" })).toEqual({ token: "t0k" });
    const ca = file("ca.crt", PEM);
    expect(natsConnectionOptions({ tlsCaFile: ca })).toEqual({ tls: { ca: PEM } });
    const o = natsConnectionOptions({ user: "u", password: "p", tlsCaFile: ca, tlsCertFile: file("c.crt", PEM), tlsKeyFile: file("c.key", "-----BEGIN PRIVATE KEY-----\nBB\n-----END PRIVATE KEY-----\n") });
    expect(o.tls).toMatchObject({ ca: PEM, cert: PEM });
    expect(o.tls?.key).toContain("PRIVATE KEY");
  });

  it("read a creds file into an authenticator, and refuse a file that is not one", () => {
    const creds = file(
      "u.creds",
      "-----BEGIN NATS USER JWT-----\neyJhbGciOiJlZDI1NTE5In0.e30.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4\n------END USER NKEY SEED------\n",
    );
    expect(typeof natsConnectionOptions({ credsFile: creds }).authenticator).toBe("function");
    expect(() => natsConnectionOptions({ credsFile: file("bad.creds", "nothing") })).toThrow("TAPEFLEET_NATS_CREDS_FILE: " + join(dir, "bad.creds") + " is not a NATS creds file");
    expect(() => natsConnectionOptions({ credsFile: join(dir, "none.creds") })).toThrow(/TAPEFLEET_NATS_CREDS_FILE: cannot read .*ENOENT/);
  });

  it("reject contradictions, naming the settings", () => {
    expect(() => natsConnectionOptions({ user: "u", token: "t" })).toThrow(ConfigError);
    expect(() => natsConnectionOptions({ user: "u", token: "t" })).toThrow("TAPEFLEET_NATS_TOKEN: set only one way to authenticate to NATS (TAPEFLEET_NATS_USER, TAPEFLEET_NATS_TOKEN are set)");
    expect(() => natsConnectionOptions({ token: "t", credsFile: "/x" })).toThrow("set only one way to authenticate");
    expect(() => natsConnectionOptions({ password: "p" })).toThrow("TAPEFLEET_NATS_PASSWORD: is set without TAPEFLEET_NATS_USER");
    expect(() => natsConnectionOptions({ tlsCertFile: file("only.crt", PEM) })).toThrow("TAPEFLEET_NATS_TLS_CERT: is set without its private key");
    expect(() => natsConnectionOptions({ tlsCaFile: join(dir, "none.crt") })).toThrow(/TAPEFLEET_NATS_TLS_CA: cannot read/);
  });
});
