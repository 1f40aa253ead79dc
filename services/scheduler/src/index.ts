export {
  DEFAULT_AGENT_TIMEOUT_MS,
  DEFAULT_INVENTORY_TIMEOUT_MS,
  DEFAULT_LOCK_WAIT_MS,
  DEFAULT_QUEUE_PREFIX,
  DEFAULT_REDIS_URL,
  JOB_QUEUE_NAME,
  agentChannelCredentials,
  loadSchedulerConfig,
  schedulerConfigSchema,
} from "./config.ts";
export type { SchedulerConfig } from "./config.ts";
export { MIGRATIONS_FOLDER, MIGRATIONS_SCHEMA, REDIS_PING_TIMEOUT_MS, startScheduler } from "./scheduler.ts";
export type { RunningScheduler } from "./scheduler.ts";
export { TaskRegistry, TASK_ABORTED, TASK_UNKNOWN, exitStatusOf, type RecoverOptions, type TaskContext, type TaskSpec } from "./core/task-registry.ts";
export { isProcessLive, ownProcessIdentity, parseProcStatStart, processStartTicks, type ProcessIdentity } from "./core/process-identity.ts";
export { DeviceOps, WORKER_TYPES, MEDIUM_NOT_EMPTY, type OpsEnv, type ScanRow } from "./core/device-ops.ts";
export { GrpcAgentPort, type AgentPort, type ChangerDrive, type ChangerTarget, type DeviceTarget, type CallCtx } from "./core/agent-port.ts";
export { BusInventory, pickDevice, type InventoryPort } from "./core/inventory-port.ts";
export { DeviceAgentError, fromAgentError, changerStatusToApi, driveStatusToApi, labelToApi, onlineTagsOf, volumeStatisticsToApi } from "./core/converters.ts";
export { TASK_ABORT_SUBJECT, splitUser, stopTask } from "./handlers/device-handlers.ts";
export { schema, leases, scheduleRuns, tasks, taskLog, type SchedulerSchema } from "./db/schema.ts";
export { DEFAULT_LEASE_TTL_MS, LEASE_BUSY, LEASE_LOST, LeaseManager, driveResource, mediaResource, type Lease, type LeaseHolder } from "./core/lease-manager.ts";
export { classifyError, backoffDelay, withRetry, sleepFor, DEFAULT_BACKOFF, TRANSIENT_REASONS, PERMANENT_REASONS, OPERATOR_REASONS, type RetryClass, type BackoffPolicy } from "./core/retry-policy.ts";
export { ProgressMeter, formatBytes, formatDuration, formatProgress, type ProgressFields } from "./core/progress.ts";
export { ScheduleRunner, dueOccurrence, DEFAULT_SCHEDULE_CATCHUP_MS, type FiredOccurrence } from "./core/schedules.ts";
export { JobQueue, JOB_KINDS, JOB_LOCK_MS, jobIdOf, type JobKind, type JobHandler, type QueuedJob } from "./core/job-queue.ts";
export { BackupJob, BACKUP_WORKER_TYPE, DATASTORE_NOT_ON_DRIVE_HOST, type BackupDeps, type BackupSummary } from "./core/backup-job.ts";
export { DatastoreJobs, DATASTORE_WORKER_TYPES } from "./core/datastore-jobs.ts";
export { TapeRequestBoard, TAPE_REQUEST_CREATED_EVENT, TAPE_REQUEST_CLOSED_EVENT, DEFAULT_TAPE_RECHECK_MS } from "./core/tape-requests.ts";
export { Notifier, NOTIFICATION_EVENT, type NotificationEvent, type NotifierOptions } from "./core/notifier.ts";
export { registerLeaseHandlers, checkLease, leaseCheckRequest, type LeaseCheckRequest, type LeaseCheckReply } from "./handlers/lease-handlers.ts";
export { registerJobHandlers, backupRequestOf, backupTaskSpec, type JobHandlerDeps } from "./handlers/job-handlers.ts";
export type { AgentHost, DatastoreAgentPort, SelectedSnapshot, SampleResult, WriteSessionInput, WriteSessionOutcome } from "./core/agent-port.ts";
export { pickAgent, type CatalogPort, type DatastoreResolver, type JobInventoryPort } from "./core/inventory-port.ts";
export { RestoreJob, RESTORE_WORKER_TYPE, MEDIA_NOT_ONLINE, restoreTargets, type RestoreDeps } from "./core/restore-job.ts";
export { CatalogJob, CATALOG_WORKER_TYPE, NO_MEDIA_SET, COMMIT_RECORD_ID_NAMESPACE, nameUuid, recordId, recordsOfScan, type CatalogJobDeps, type ScannedTape } from "./core/catalog-job.ts";
export type { ScannedArchive, RestoreProgressInfo } from "./core/agent-port.ts";
