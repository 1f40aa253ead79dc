import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "@tapefleet/common";
import { grpcServerCredentials } from "./agent.ts";
import { grpcExposureProblem, loadDeviceAgentConfig } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "tf-agent-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate and its key (openssl from Debian, installed when missing). */
function selfSigned(): { cert: string; key: string } {
  if (spawnSync("sh", ["-c", "command -v openssl"]).status !== 0) spawnSync("apt-get", ["install", "-y", "openssl"], { stdio: "ignore" });
  const cert = join(dir, "s.crt");
  const key = join(dir, "s.key");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=agent", "-addext", "subjectAltName=IP:127.0.0.1"]);
  expect(r.status).toBe(0);
  return { cert, key };
}

describe("gRPC TLS settings of the device agent", () => {
  it("are off by default: plaintext on the loopback default address", () => {
    const c = loadDeviceAgentConfig({ env: {} });
    expect(c).toMatchObject({ grpcAddress: "127.0.0.1:8008", grpcInsecure: false });
    expect(c.grpcTlsCert).toBeUndefined();
    expect(grpcExposureProblem(c)).toBeUndefined();
    expect(grpcServerCredentials(c)._isSecure()).toBe(false);
  });

  it("refuse plaintext on an address other hosts can reach, unless TAPEFLEET_GRPC_INSECURE=1 or TLS is set", () => {
    for (const a of ["0.0.0.0:8008", "[::]:8008", "10.1.2.3:8008", "device-agent:8008"]) {
      const c = loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_ADDRESS: a } });
      expect(grpcExposureProblem(c), a).toContain(`refusing plaintext gRPC on ${a}`);
      expect(() => grpcServerCredentials(c)).toThrow(ConfigError);
      expect(() => grpcServerCredentials(c)).toThrow("TAPEFLEET_GRPC_INSECURE=1");
      expect(grpcExposureProblem(loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_ADDRESS: a, TAPEFLEET_GRPC_INSECURE: "1" } }))).toBeUndefined();
      expect(grpcExposureProblem({ grpcAddress: a, grpcTlsCert: "/c", grpcInsecure: false })).toBeUndefined();
    }
    for (const a of ["127.0.0.1:0", "localhost:8008", "[::1]:8008"]) expect(grpcExposureProblem(loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_ADDRESS: a } })), a).toBeUndefined();
  });

  it("reject contradictions at boot, naming the setting", () => {
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_TLS_CERT: "/c" } })).toThrow(/grpcTlsCert.*set both TAPEFLEET_GRPC_TLS_CERT and TAPEFLEET_GRPC_TLS_KEY/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_TLS_KEY: "/k" } })).toThrow(/grpcTlsKey/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_TLS_CA: "/ca" } })).toThrow(/grpcTlsCa.*needs the server's TAPEFLEET_GRPC_TLS_CERT/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_TLS_CERT: "/c", TAPEFLEET_GRPC_TLS_KEY: "/k", TAPEFLEET_GRPC_INSECURE: "1" } })).toThrow(/grpcInsecure.*contradicts/);
  });

  it("build TLS server credentials from the files, and name a file that cannot be read", () => {
    const { cert, key } = selfSigned();
    const c = loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_ADDRESS: "0.0.0.0:8008", TAPEFLEET_GRPC_TLS_CERT: cert, TAPEFLEET_GRPC_TLS_KEY: key, TAPEFLEET_GRPC_TLS_CA: cert } });
    expect(grpcServerCredentials(c)._isSecure()).toBe(true);
    const missing = loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_TLS_CERT: join(dir, "none.crt"), TAPEFLEET_GRPC_TLS_KEY: key } });
    expect(() => grpcServerCredentials(missing)).toThrow(/TAPEFLEET_GRPC_TLS_CERT: cannot read .*none\.crt/);
    const junk = join(dir, "junk.key");
    writeFileSync(junk, "junk");
    expect(() => grpcServerCredentials({ ...c, grpcTlsKey: junk })).toThrow("TAPEFLEET_GRPC_TLS_KEY: " + junk + " is not a PEM file");
  });
});
