import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, hostPortOf, probe, probeNats, probeRedis } from "./net.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A loopback server that greets each client with `greeting` or answers its first bytes with `reply`. */
async function fake(opts: { greeting?: string; reply?: string }): Promise<number> {
  const srv = createServer((socket) => {
    if (opts.greeting !== undefined) socket.write(opts.greeting);
    socket.once("data", () => {
      if (opts.reply !== undefined) socket.write(opts.reply);
    });
    socket.on("error", () => {});
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return (srv.address() as { port: number }).port;
}

describe("probes", () => {
  it("recognise NATS by its INFO greeting and Redis by +PONG", async () => {
    const nats = await fake({ greeting: 'INFO {"server_id":"x"}\r\n' });
    const redis = await fake({ reply: "+PONG\r\n" });
    expect(await probeNats("127.0.0.1", nats)).toBe(true);
    expect(await probeRedis("127.0.0.1", redis)).toBe(true);
    expect(await probeRedis("127.0.0.1", nats)).toBe(false);
    expect(await probeNats("127.0.0.1", redis)).toBe(false);
  });

  it("recognise a Redis that requires a password by its -NOAUTH answer", async () => {
    expect(await probeRedis("127.0.0.1", await fake({ reply: "-NOAUTH Authentication required.\r\n" }))).toBe(true);
    expect(await probeRedis("127.0.0.1", await fake({ reply: "-ERR unknown command\r\n" }))).toBe(false);
    const either = await fake({ reply: "B-side\r\n" });
    expect(await probe({ host: "127.0.0.1", port: either, send: "x", expect: ["A", "B-"] })).toBe(true);
    expect(await probe({ host: "127.0.0.1", port: either, send: "x", expect: ["A", "C"] })).toBe(false);
  });

  it("answer false for a closed port and for a silent server", async () => {
    const closed = await freePort();
    expect(await probe({ host: "127.0.0.1", port: closed })).toBe(false);
    const silent = await fake({});
    expect(await probe({ host: "127.0.0.1", port: silent })).toBe(true);
    expect(await probe({ host: "127.0.0.1", port: silent, expect: "INFO ", timeoutMs: 200 })).toBe(false);
  });
});

describe("hostPortOf", () => {
  it("reads host and port, with the default port when absent and IPv6 unbracketed", () => {
    expect(hostPortOf("postgres://u:p@db.example:5433/x", 5432)).toEqual({ host: "db.example", port: 5433 });
    expect(hostPortOf("redis://127.0.0.1", 6379)).toEqual({ host: "127.0.0.1", port: 6379 });
    expect(hostPortOf("nats://[::1]:4223", 4222)).toEqual({ host: "::1", port: 4223 });
  });
});
