import { hostname } from "node:os";
import { baseConfigShape, loadConfig, type LoadConfigOptions } from "@tapefleet/common";
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
});

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

/** Reads the scheduler configuration from `TAPEFLEET_*` variables (and `TAPEFLEET_CONFIG_FILE`). */
export function loadSchedulerConfig(options?: LoadConfigOptions): SchedulerConfig {
  return loadConfig(schedulerConfigSchema, options);
}
