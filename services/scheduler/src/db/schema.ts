import { sql } from "drizzle-orm";
import { bigint, bigserial, index, integer, pgSchema, text, uniqueIndex } from "drizzle-orm/pg-core";

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
  },
  (t) => [uniqueIndex("task_log_upid_n_uq").on(t.upid, t.n)],
);

export const schema = { tasks, taskLog };
export type SchedulerSchema = typeof schema;
