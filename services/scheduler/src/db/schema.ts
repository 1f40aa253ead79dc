import { sql } from "drizzle-orm";
import { bigint, bigserial, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** Tables of the scheduler, in its own PostgreSQL schema. */
export const schedulerSchema = pgSchema("scheduler");

/**
 * Tasks (PBS worker tasks): one row per job, keyed by its UPID. `lock` names
 * the drive a running task holds; a unique index over running tasks makes a
 * second task on the same drive fail, across scheduler replicas.
 */
export const tasks = schedulerSchema.table(
  "task",
  {
    upid: text("upid").primaryKey(),
    node: text("node").notNull(),
    pid: integer("pid").notNull(),
    pstart: bigint("pstart", { mode: "number" }).notNull(),
    workerType: text("worker_type").notNull(),
    workerId: text("worker_id"),
    user: text("user_id").notNull(),
    starttime: bigint("starttime", { mode: "number" }).notNull(),
    endtime: bigint("endtime", { mode: "number" }),
    /** `OK`, `WARNINGS: n`, the error, or `unknown` (the process died); null while running. */
    status: text("status"),
    /** Lock held while running (e.g. `drive:d1`). */
    lock: text("lock"),
    /**
     * The process that runs the task (node, pid, pstart), which may not be the
     * one that created it (the UPID's): a queued job is run by whichever
     * replica's worker takes it. Null while the job waits in the queue.
     */
    ownerNode: text("owner_node"),
    ownerPid: integer("owner_pid"),
    ownerPstart: bigint("owner_pstart", { mode: "number" }),
  },
  (t) => [
    uniqueIndex("task_running_lock_uq").on(t.lock).where(sql`${t.endtime} is null and ${t.lock} is not null`),
    index("task_starttime_idx").on(t.starttime),
  ],
);

/** Task log lines, numbered from 1 per task. */
export const taskLog = schedulerSchema.table(
  "task_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    upid: text("upid")
      .notNull()
      .references(() => tasks.upid, { onDelete: "cascade" }),
    n: integer("n").notNull(),
    /** Epoch milliseconds. */
    time: bigint("time", { mode: "number" }).notNull(),
    level: text("level").notNull(),
    text: text("text").notNull(),
    /** Structured fields of a progress line (percent, bytes, rate, ETA); null for plain lines. */
    data: jsonb("data"),
  },
  (t) => [uniqueIndex("task_log_upid_n_uq").on(t.upid, t.n)],
);

/**
 * Leases of devices and media, fleet-wide: one row per leased resource
 * (`drive:<name>`, `media:<uuid>`). The primary key makes a second holder of
 * a resource impossible; a job takes all its resources in one transaction.
 * A lease whose `expires_at` passed (its worker stopped renewing) may be taken
 * over by the next acquirer.
 */
export const leases = schedulerSchema.table(
  "lease",
  {
    resource: text("resource").primaryKey(),
    /** The job (UPID) holding it. */
    holderJob: text("holder_job").notNull(),
    /** The scheduler instance (worker) running that job. */
    holderWorker: text("holder_worker").notNull(),
    acquiredAt: timestamp("acquired_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("lease_holder_job_idx").on(t.holderJob)],
);

/**
 * One row per (backup job, calendar occurrence) that was started: inserted
 * once, so with several scheduler replicas an occurrence fires exactly once.
 */
export const scheduleRuns = schedulerSchema.table(
  "schedule_run",
  {
    jobId: text("job_id").notNull(),
    /** Occurrence time, epoch seconds. */
    occurrence: bigint("occurrence", { mode: "number" }).notNull(),
    /** Instance that fired it. */
    firedBy: text("fired_by").notNull(),
    firedAt: timestamp("fired_at", { withTimezone: true }).notNull().defaultNow(),
    /** The task started for it, once known. */
    upid: text("upid"),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.occurrence] })],
);

export const schema = { tasks, taskLog, leases, scheduleRuns };
export type SchedulerSchema = typeof schema;
