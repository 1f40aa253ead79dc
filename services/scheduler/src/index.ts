export { DEFAULT_QUEUE_PREFIX, DEFAULT_REDIS_URL, JOB_QUEUE_NAME, loadSchedulerConfig, schedulerConfigSchema } from "./config.ts";
export type { SchedulerConfig } from "./config.ts";
export { REDIS_PING_TIMEOUT_MS, startScheduler } from "./scheduler.ts";
export type { RunningScheduler } from "./scheduler.ts";
