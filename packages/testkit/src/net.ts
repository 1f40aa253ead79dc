import { createServer, connect } from "node:net";

/** A TCP port that was free on `host` a moment ago (the OS picks it). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ProbeOptions {
  host: string;
  port: number;
  /** Bytes to send once connected. */
  send?: string;
  /** The server's first bytes must start with this, or with one of these (e.g. `INFO ` for NATS, `+PONG` for Redis). */
  expect?: string | readonly string[];
  timeoutMs?: number;
}

/** True when something listens on host:port and (if asked) greets as expected. */
export function probe(opts: ProbeOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: opts.host, port: opts.port });
    let got = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), opts.timeoutMs ?? 1000);
    socket.once("error", () => done(false));
    socket.once("connect", () => {
      if (opts.send !== undefined) socket.write(opts.send);
      if (opts.expect === undefined) done(true);
    });
    const expected = opts.expect === undefined ? [] : typeof opts.expect === "string" ? [opts.expect] : opts.expect;
    socket.on("data", (chunk: Buffer) => {
      got += chunk.toString("latin1");
      if (expected.some((e) => got.startsWith(e))) done(true);
      else if (expected.every((e) => got.length >= e.length)) done(false);
    });
  });
}

/** NATS greets every client with an INFO line. */
export function probeNats(host: string, port: number): Promise<boolean> {
  return probe({ host, port, expect: "INFO " });
}

/** Redis answers an inline PING with +PONG (or with -NOAUTH when it requires a password). */
export function probeRedis(host: string, port: number): Promise<boolean> {
  return probe({ host, port, send: "PING\r\n", expect: ["+PONG", "-NOAUTH"] });
}

/** PostgreSQL accepts the TCP connection (the protocol starts with the client). */
export function probePostgres(host: string, port: number): Promise<boolean> {
  return probe({ host, port });
}

/** host and port of a `scheme://[user@]host:port/…` URL, with the scheme's default port. */
export function hostPortOf(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port === "" ? defaultPort : Number(u.port) };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
