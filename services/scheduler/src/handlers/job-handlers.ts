import {
  backupJobRunRequest,
  backupStartRequest,
  datastoreIngestRequest,
  datastoreSampleRequest,
  parseInput,
  restoreStartRequest,
  catalogStartRequest,
  SCHEDULER_JOB_SUBJECTS,
  SCHEDULER_QUEUE,
  type BackupStartRequest,
  type TapeBackupJobConfig,
  type TapeRequestEntry,
} from "@tapefleet/api-types";
import { TapefleetError, type Bus, type Logger } from "@tapefleet/common";
import { BACKUP_WORKER_TYPE } from "../core/backup-job.ts";
import { DATASTORE_WORKER_TYPES } from "../core/datastore-jobs.ts";
import { RESTORE_WORKER_TYPE, restoreOwnerOf } from "../core/restore-job.ts";
import { CATALOG_WORKER_TYPE } from "../core/catalog-job.ts";
import type { JobKind } from "../core/job-queue.ts";
import type { TaskSpec } from "../core/task-registry.ts";
import { splitUser } from "./device-handlers.ts";

/** A tape backup job's configuration as the request of a backup. */
export function backupRequestOf(job: TapeBackupJobConfig): BackupStartRequest {
  return {
    store: job.store,
    pool: job.pool,
    drive: job.drive,
    ...(job.ns !== undefined ? { ns: job.ns } : {}),
    ...(job["max-depth"] !== undefined ? { maxDepth: job["max-depth"] } : {}),
    ...(job["latest-only"] !== undefined ? { latestOnly: job["latest-only"] } : {}),
    ...(job["eject-media"] !== undefined ? { ejectMedia: job["eject-media"] } : {}),
    ...(job["export-media-set"] !== undefined ? { exportMediaSet: job["export-media-set"] } : {}),
    ...(job["notify-user"] !== undefined ? { notifyUser: job["notify-user"] } : {}),
    ...(job["group-filter"] !== undefined ? { groupFilter: job["group-filter"] } : {}),
  };
}

/** Task of a backup: PBS names it `tape-backup` with `store:pool:drive` as worker id. */
export function backupTaskSpec(req: BackupStartRequest, user: string, jobId?: string): TaskSpec {
  return { workerType: jobId !== undefined ? "tape-backup-job" : BACKUP_WORKER_TYPE, workerId: jobId ?? `${req.store}:${req.pool}:${req.drive ?? "any"}`, user };
}

export interface JobHandlerDeps {
  submit(kind: JobKind, spec: TaskSpec, params: unknown): Promise<string>;
  backupJob(id: string): Promise<TapeBackupJobConfig>;
  tapeRequests(): Promise<TapeRequestEntry[]>;
}

function serve(bus: Bus, logger: Logger, subject: string, handler: (payload: unknown) => Promise<unknown>): void {
  bus.serve(
    subject,
    async (payload, meta) => {
      const started = performance.now();
      let outcome = "ok";
      try {
        return await handler(payload);
      } catch (err) {
        outcome = err instanceof TapefleetError ? err.code : "INTERNAL";
        throw err;
      } finally {
        logger.info({ subject, requestId: meta.requestId, outcome, durationMs: Math.round(performance.now() - started) }, "request");
      }
    },
    { queue: SCHEDULER_QUEUE },
  );
}

/**
 * The job requests of the scheduler (queue group `scheduler`): each validates
 * its payload (plus `user`, set by the gateway), queues the job and answers
 * `{ upid }` at once.
 */
export function registerJobHandlers(bus: Bus, deps: JobHandlerDeps, logger: Logger): void {
  serve(bus, logger, SCHEDULER_JOB_SUBJECTS.backupStart, async (p) => {
    const { user, params } = splitUser(p);
    const req = parseInput(backupStartRequest, params);
    return { upid: await deps.submit("backup", backupTaskSpec(req, user), req) };
  });
  serve(bus, logger, SCHEDULER_JOB_SUBJECTS.backupJobRun, async (p) => {
    const { user, params } = splitUser(p);
    const { id } = parseInput(backupJobRunRequest, params);
    const req = backupRequestOf(await deps.backupJob(id));
    return { upid: await deps.submit("backup", backupTaskSpec(req, user, id), req) };
  });
  serve(bus, logger, SCHEDULER_JOB_SUBJECTS.restoreStart, async (p) => {
    const { user, params } = splitUser(p);
    const req = parseInput(restoreStartRequest, params);
    // Restored groups belong to the user who restores (PBS), as an auth id.
    const owner = restoreOwnerOf(user);
    return { upid: await deps.submit("restore", { workerType: RESTORE_WORKER_TYPE, workerId: req.mediaSet, user }, { ...req, owner }) };
  });
  serve(bus, logger, SCHEDULER_JOB_SUBJECTS.catalogStart, async (p) => {
    const { user, params } = splitUser(p);
    const req = parseInput(catalogStartRequest, params);
    return { upid: await deps.submit("catalog", { workerType: CATALOG_WORKER_TYPE, workerId: req.drive, user }, req) };
  });
  serve(bus, logger, SCHEDULER_JOB_SUBJECTS.datastoreSample, async (p) => {
    const { user, params } = splitUser(p);
    const req = parseInput(datastoreSampleRequest, params);
    return { upid: await deps.submit("datastore-sample", { workerType: DATASTORE_WORKER_TYPES.sample, workerId: req.store, user }, req) };
  });
  serve(bus, logger, SCHEDULER_JOB_SUBJECTS.datastoreIngest, async (p) => {
    const { user, params } = splitUser(p);
    const req = parseInput(datastoreIngestRequest, params);
    return { upid: await deps.submit("datastore-ingest", { workerType: DATASTORE_WORKER_TYPES.ingest, workerId: req.store, user }, req) };
  });
  serve(bus, logger, SCHEDULER_JOB_SUBJECTS.tapeRequestList, async () => deps.tapeRequests());
}
