import { hostname } from "node:os";
import { checkServerIdentity } from "node:tls";
import { credentials, type ChannelCredentials } from "@grpc/grpc-js";
import { baseConfigShape, ConfigError, loadConfig, readTlsFiles, type LoadConfigOptions } from "@tapefleet/common";
import { z } from "zod";

/** Redis used when `TAPEFLEET_REDIS_URL` is not set. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
/** Key prefix of every BullMQ key when `TAPEFLEET_QUEUE_PREFIX` is not set. */
export const DEFAULT_QUEUE_PREFIX = "tf";
/** Name of the scheduler's BullMQ queue (its keys live under `<queuePrefix>:<name>:`). */
export const JOB_QUEUE_NAME = "tape-jobs";
/** How long a device operation waits for the agent's drive or changer lock (ms; PBS waits 10 s for a drive lock). */
export const DEFAULT_LOCK_WAIT_MS = 10_000;
/** Timeout of a short (unary) gRPC call to an agent (ms). */
export const DEFAULT_AGENT_TIMEOUT_MS = 120_000;
/** Timeout of requests to the inventory service (ms). */
export const DEFAULT_INVENTORY_TIMEOUT_MS = 10_000;

/** Jobs one scheduler instance runs at once. */
export const DEFAULT_WORKER_CONCURRENCY = 4;
/** How often due schedule occurrences are looked for (ms). */
export const DEFAULT_SCHEDULE_TICK_MS = 30_000;
/** How often a job waiting on a tape request looks again without an event (ms). */
export const DEFAULT_TAPE_RECHECK_MS = 60_000;
/** Lease lifetime without a heartbeat (ms). */
export const DEFAULT_LEASE_TTL_MS = 30_000;
/** SMTP port when `TAPEFLEET_SMTP_PORT` is not set. */
export const DEFAULT_SMTP_PORT = 25;
/** Sender of notification mails when `TAPEFLEET_SMTP_FROM` is not set. */
export const DEFAULT_SMTP_FROM = "tapefleet@localhost";

/** Parses `user=address,user2=address2` (notification addresses per user id). */
export function parseNotifyAddresses(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  if (text.trim() === "") return out;
  for (const item of text.split(",")) {
    const eq = item.indexOf("=");
    const user = item.slice(0, eq).trim();
    const addr = item.slice(eq + 1).trim();
    if (eq <= 0 || !/^[^\s@]+@[^\s@]+$/.test(addr)) return `'${item}' is not user=address`;
    out[user] = addr;
  }
  return out;
}

/** Node name in UPIDs: the host name's first label, safe characters only. */
export function defaultNodeName(): string {
  const name = hostname().split(".")[0]!.replace(/[^A-Za-z0-9_.-]/g, "-");
  return /^[A-Za-z0-9_]/.test(name) ? name : "localhost";
}

/** Configuration of the scheduler, parsed once at boot. */
export const schedulerConfigSchema = z.object({
  ...baseConfigShape,
  /** PostgreSQL URL; the scheduler owns the schema `scheduler` (tasks and task logs). */
  databaseUrl: z.string({ error: "is required (postgres://user@host:5432/db)" }).min(1, "is required (postgres://user@host:5432/db)"),
  redisUrl: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").default(DEFAULT_REDIS_URL),
  queuePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,64}$/, "letters, digits, '_', ':' and '-' only, at most 64")
    .default(DEFAULT_QUEUE_PREFIX),
  nodeName: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$/, "letters, digits, '_', '.', '-' (not first), at most 63")
    .default(defaultNodeName),
  lockWaitMs: z.coerce.number().int().min(0).max(600_000).default(DEFAULT_LOCK_WAIT_MS),
  agentTimeoutMs: z.coerce.number().int().min(1000).max(3_600_000).default(DEFAULT_AGENT_TIMEOUT_MS),
  inventoryTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_INVENTORY_TIMEOUT_MS),
  workerConcurrency: z.coerce.number().int().min(0).max(64).default(DEFAULT_WORKER_CONCURRENCY),
  scheduleTickMs: z.coerce.number().int().min(0).max(3_600_000).default(DEFAULT_SCHEDULE_TICK_MS),
  tapeRecheckMs: z.coerce.number().int().min(10).max(3_600_000).default(DEFAULT_TAPE_RECHECK_MS),
  leaseTtlMs: z.coerce.number().int().min(1000).max(3_600_000).default(DEFAULT_LEASE_TTL_MS),
  commitBytes: z.coerce.number().int().min(0).default(0),
  smtpHost: z.string().min(1).optional(),
  smtpPort: z.coerce.number().int().min(1).max(65535).default(DEFAULT_SMTP_PORT),
  smtpFrom: z.string().regex(/^[^\s@]+@[^\s@]+$/, "must be a mail address").default(DEFAULT_SMTP_FROM),
  smtpTls: z
    .union([z.boolean(), z.enum(["true", "false", "1", "0"])])
    .transform((v) => v === true || v === "true" || v === "1")
    .default(false),
  notifyAddresses: z
    .string()
    .default("")
    .superRefine((v, ctx) => {
      const r = parseNotifyAddresses(v);
      if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
    }),
  /** CA bundle (PEM) the device agents' server certificates are checked against; setting it turns TLS on for gRPC. */
  grpcTlsCa: z.string().min(1).optional(),
  /** Client certificate (PEM) presented to agents that require one; needs `grpcTlsKey` and `grpcTlsCa`. */
  grpcTlsCert: z.string().min(1).optional(),
  /** Private key (PEM) of `grpcTlsCert`. */
  grpcTlsKey: z.string().min(1).optional(),
  /**
   * Name the agents' server certificates are checked for instead of the
   * address dialled (agents announce pod IPs, which a certificate issued ahead
   * cannot name): e.g. `device-agent.tapefleet.svc` of a certificate all agents share.
   */
  grpcTlsServerName: z.string().min(1).max(253).optional(),
});

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

/** Reads the scheduler configuration from `TAPEFLEET_*` variables (and `TAPEFLEET_CONFIG_FILE`). */
export function loadSchedulerConfig(options?: LoadConfigOptions): SchedulerConfig {
  return loadConfig(schedulerConfigSchema, options);
}

/**
 * Credentials of the gRPC channels to the device agents: plaintext when no
 * `grpcTlsCa` is set, else TLS checked against that CA, with the client
 * certificate when one is set (agents with a CA of their own require it);
 * with `grpcTlsServerName` the agents' certificates must name that host
 * instead of the address dialled.
 * Reads the files at boot; throws `ConfigError` naming the setting.
 */
export function agentChannelCredentials(config: Pick<SchedulerConfig, "grpcTlsCa" | "grpcTlsCert" | "grpcTlsKey"> & { grpcTlsServerName?: string | undefined }): ChannelCredentials {
  const file = (f: string | undefined, setting: string) => (f === undefined ? undefined : { file: f, setting });
  const tls = readTlsFiles({
    ca: file(config.grpcTlsCa, "TAPEFLEET_GRPC_TLS_CA"),
    cert: file(config.grpcTlsCert, "TAPEFLEET_GRPC_TLS_CERT"),
    key: file(config.grpcTlsKey, "TAPEFLEET_GRPC_TLS_KEY"),
  });
  if (tls.ca === undefined) {
    if (tls.cert !== undefined) throw new ConfigError([{ field: "TAPEFLEET_GRPC_TLS_CERT", message: "needs TAPEFLEET_GRPC_TLS_CA (the CA of the agents' server certificates)" }]);
    return credentials.createInsecure();
  }
  const name = config.grpcTlsServerName;
  if (name === undefined) return credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
  // The chain is still checked against the CA; only the name checked is the configured one.
  return credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null, { checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert) });
}
