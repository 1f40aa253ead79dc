import { baseConfigShape, loadConfig, type LoadConfigOptions } from "@tapefleet/common";
import { z } from "zod";

/** Redis used when `TAPEFLEET_REDIS_URL` is not set. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
/** Key prefix of every BullMQ key when `TAPEFLEET_QUEUE_PREFIX` is not set. */
export const DEFAULT_QUEUE_PREFIX = "tf";
/** Name of the scheduler's BullMQ queue (its keys live under `<queuePrefix>:<name>:`). */
export const JOB_QUEUE_NAME = "tape-jobs";

/** Configuration of the scheduler, parsed once at boot. */
export const schedulerConfigSchema = z.object({
  ...baseConfigShape,
  redisUrl: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").default(DEFAULT_REDIS_URL),
  queuePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{1,64}$/, "letters, digits, '_', ':' and '-' only, at most 64")
    .default(DEFAULT_QUEUE_PREFIX),
});

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

/** Reads the scheduler configuration from `TAPEFLEET_*` variables (and `TAPEFLEET_CONFIG_FILE`). */
export function loadSchedulerConfig(options?: LoadConfigOptions): SchedulerConfig {
  return loadConfig(schedulerConfigSchema, options);
}
