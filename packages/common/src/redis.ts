import { ConfigError } from "./errors.ts";
import { readTlsFiles, type TlsMaterial } from "./tls.ts";

/** Redis port when the URL names none. */
export const DEFAULT_REDIS_PORT = 6379;

/**
 * Connection options for ioredis (and BullMQ, which passes them on), built
 * from a Redis URL: the password (and ACL user name) from its user part, the
 * database from its path, TLS for `rediss://`. A plain object, so this
 * package does not depend on a Redis client.
 */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** Present for `rediss://`: Node TLS options (verified against `ca`, else the system CAs). */
  tls?: { servername?: string; ca?: Buffer; cert?: Buffer; key?: Buffer };
}

/** Files of the Redis TLS settings (the scheduler's `TAPEFLEET_REDIS_TLS_*`, when a service has them). */
export interface RedisTlsFiles {
  /** CA bundle the server certificate is checked against (default: the system CAs). */
  caFile?: string | undefined;
  /** Client certificate and key, for servers that require them (`tls-auth-clients yes`). */
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

function fail(message: string): never {
  throw new ConfigError([{ field: "redisUrl (TAPEFLEET_REDIS_URL)", message }]);
}

/**
 * Parses `redis://[[user]:password@]host[:port][/db]` or `rediss://…` into
 * client options. TLS files apply to `rediss://` only: giving them with a
 * plaintext URL is a contradiction. Throws {@link ConfigError} only.
 *
 * @example redisOptionsFromUrl("rediss://:s3cret@redis.example:6380/2", { caFile: "/etc/tapefleet/ca.crt" })
 */
export function redisOptionsFromUrl(url: string, tlsFiles: RedisTlsFiles = {}): RedisConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail("is not a URL (redis://[:password@]host[:port][/db] or rediss://…)");
  }
  const secure = u.protocol === "rediss:";
  if (!secure && u.protocol !== "redis:") fail(`scheme '${u.protocol}' is not redis: or rediss:`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (host === "") fail("names no host");
  const port = u.port === "" ? DEFAULT_REDIS_PORT : Number(u.port);
  const out: RedisConnectionOptions = { host, port };
  if (u.username !== "") out.username = decodeURIComponent(u.username);
  if (u.password !== "") out.password = decodeURIComponent(u.password);
  const path = u.pathname.replace(/^\//, "");
  if (path !== "") {
    if (!/^\d{1,2}$/.test(path)) fail(`database '${path}' is not a number`);
    out.db = Number(path);
  }
  const anyFile = tlsFiles.caFile !== undefined || tlsFiles.certFile !== undefined || tlsFiles.keyFile !== undefined;
  if (anyFile && !secure) {
    throw new ConfigError([{ field: "redisUrl (TAPEFLEET_REDIS_URL)", message: "TLS files are set but the URL is redis://: use rediss:// for TLS" }]);
  }
  if (secure) {
    const material: TlsMaterial = readTlsFiles({
      ca: tlsFiles.caFile !== undefined ? { file: tlsFiles.caFile, setting: "TAPEFLEET_REDIS_TLS_CA" } : undefined,
      cert: tlsFiles.certFile !== undefined ? { file: tlsFiles.certFile, setting: "TAPEFLEET_REDIS_TLS_CERT" } : undefined,
      key: tlsFiles.keyFile !== undefined ? { file: tlsFiles.keyFile, setting: "TAPEFLEET_REDIS_TLS_KEY" } : undefined,
    });
    out.tls = { ...(/^[0-9.:]+$/.test(host) ? {} : { servername: host }), ...material };
  }
  return out;
}
