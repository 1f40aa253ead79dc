import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "@tapefleet/common";
import { agentChannelCredentials, loadSchedulerConfig } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "tf-sched-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DB = { TAPEFLEET_DATABASE_URL: "postgres://x@127.0.0.1/db" };

describe("gRPC credentials of the scheduler's agent channels", () => {
  it("are plaintext by default", () => {
    const c = loadSchedulerConfig({ env: DB });
    expect(c.grpcTlsCa).toBeUndefined();
    expect(agentChannelCredentials(c)._isSecure()).toBe(false);
  });

  it("use TLS with the CA and the client certificate from TAPEFLEET_GRPC_TLS_*", () => {
    if (spawnSync("sh", ["-c", "command -v openssl"]).status !== 0) spawnSync("apt-get", ["install", "-y", "openssl"], { stdio: "ignore" });
    const cert = join(dir, "c.crt");
    const key = join(dir, "c.key");
    const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=scheduler"]);
    expect(r.status).toBe(0);
    const c = loadSchedulerConfig({ env: { ...DB, TAPEFLEET_GRPC_TLS_CA: cert, TAPEFLEET_GRPC_TLS_CERT: cert, TAPEFLEET_GRPC_TLS_KEY: key } });
    expect(agentChannelCredentials(c)._isSecure()).toBe(true);
    expect(agentChannelCredentials({ grpcTlsCa: cert, grpcTlsCert: undefined, grpcTlsKey: undefined })._isSecure()).toBe(true);
  });

  it("reject a client certificate without a CA or key, and unreadable files, naming the setting", () => {
    expect(() => agentChannelCredentials({ grpcTlsCa: undefined, grpcTlsCert: join(dir, "c.crt"), grpcTlsKey: join(dir, "c.key") })).toThrow(ConfigError);
    expect(() => agentChannelCredentials({ grpcTlsCa: undefined, grpcTlsCert: join(dir, "c.crt"), grpcTlsKey: join(dir, "c.key") })).toThrow("TAPEFLEET_GRPC_TLS_CERT: needs TAPEFLEET_GRPC_TLS_CA");
    expect(() => agentChannelCredentials({ grpcTlsCa: join(dir, "c.crt"), grpcTlsCert: join(dir, "c.crt"), grpcTlsKey: undefined })).toThrow("TAPEFLEET_GRPC_TLS_CERT: is set without its private key");
    expect(() => agentChannelCredentials({ grpcTlsCa: join(dir, "none.crt"), grpcTlsCert: undefined, grpcTlsKey: undefined })).toThrow(/TAPEFLEET_GRPC_TLS_CA: cannot read/);
  });
});
