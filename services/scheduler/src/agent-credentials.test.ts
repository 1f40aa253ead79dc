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

  it("check the agents' certificates for TAPEFLEET_GRPC_TLS_SERVER_NAME instead of the address dialled", async () => {
    const { Client, Server, ServerCredentials, status } = await import("@grpc/grpc-js");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const ssl = (...args: string[]) => expect(spawnSync("openssl", args, { stdio: "ignore" }).status, args.join(" ")).toBe(0);
    const p = (f: string) => join(dir, f);
    ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=test CA");
    writeFileSync(p("agent.ext"), "subjectAltName=DNS:device-agent.tapefleet.svc\nextendedKeyUsage=serverAuth\n");
    ssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", p("agent.key"), "-out", p("agent.csr"), "-subj", "/CN=device-agent");
    ssl("x509", "-req", "-in", p("agent.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", p("agent.ext"), "-out", p("agent.crt"));
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createSsl(readFileSync(p("ca.crt")), [{ private_key: readFileSync(p("agent.key")), cert_chain: readFileSync(p("agent.crt")) }], false), (err, n) => (err ? reject(err) : resolve(n))),
    );
    /** One call of a method the server lacks: UNIMPLEMENTED once TLS is up, UNAVAILABLE when the handshake fails. */
    const call = (creds: ReturnType<typeof agentChannelCredentials>) =>
      new Promise<number>((resolve) => {
        const client = new Client(`127.0.0.1:${port}`, creds);
        client.makeUnaryRequest("/t.T/M", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 20_000 }, (err) => {
          client.close();
          resolve(err?.code ?? status.OK);
        });
      });
    try {
      const base = { grpcTlsCa: p("ca.crt"), grpcTlsCert: undefined, grpcTlsKey: undefined };
      // The certificate does not name 127.0.0.1: refused, unless the configured name is checked instead.
      expect(await call(agentChannelCredentials(base))).toBe(status.UNAVAILABLE);
      expect(await call(agentChannelCredentials({ ...base, grpcTlsServerName: "device-agent.tapefleet.svc" }))).toBe(status.UNIMPLEMENTED);
      expect(await call(agentChannelCredentials({ ...base, grpcTlsServerName: "other.tapefleet.svc" }))).toBe(status.UNAVAILABLE);
      expect(loadSchedulerConfig({ env: { ...DB, TAPEFLEET_GRPC_TLS_SERVER_NAME: "device-agent.tapefleet.svc" } }).grpcTlsServerName).toBe("device-agent.tapefleet.svc");
    } finally {
      server.forceShutdown();
    }
  }, 60_000);
});
