import { formatUpid, parseUpid, type TaskInfo, type TaskLogLevel, type TaskLogPage, type TaskStatus } from "@tapefleet/api-types";
import { ConflictError, NotFoundError, ValidationError, type Logger } from "@tapefleet/common";
import { and, asc, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { taskLog, tasks, type SchedulerSchema } from "../db/schema.ts";
import { isProcessLive, ownProcessIdentity } from "./process-identity.ts";
import { formatProgress, type ProgressFields } from "./progress.ts";

type Db = PostgresJsDatabase<SchedulerSchema>;
type TaskRow = typeof tasks.$inferSelect;

/** Status text of a task that was stopped on request (as PBS). */
export const TASK_ABORTED = "task aborted";
/** Status of a task whose process died before it ended. */
export const TASK_UNKNOWN = "unknown";
/** Most log lines one page returns. */
export const MAX_LOG_PAGE = 5000;

/** What a running task sees: its UPID, a stop signal, and its log. */
export interface TaskContext {
  readonly upid: string;
  /** Aborted by `task stop`: pass it to every call that can be cancelled. */
  readonly signal: AbortSignal;
  log(text: string): void;
  warn(text: string): void;
  error(text: string): void;
  /** A progress line: the human text (`label: 42.0% (…), rate, ETA`) plus the structured fields in `data`. */
  progress(fields: ProgressFields, label?: string): void;
}

export interface TaskSpec {
  /** PBS worker type, e.g. `label-media`. */
  workerType: string;
  /** The object worked on, e.g. the drive name. */
  workerId?: string;
  user: string;
  /** Exclusive lock held while the task runs (e.g. `drive:d1`); a second task with it is refused (409). */
  lock?: string;
  /** Shown in the conflict message, e.g. `drive 'd1'`. */
  lockTitle?: string;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

function pgCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof c === "string" ? c : undefined;
}

/** PBS exit status text: `OK`, `WARNINGS: n`, or the error. */
export function exitStatusOf(error: unknown, warnings: number, aborted: boolean): string {
  if (aborted) return TASK_ABORTED;
  if (error !== undefined) return (error as Error)?.message || String(error);
  return warnings > 0 ? `WARNINGS: ${warnings}` : "OK";
}

function infoOf(r: TaskRow): TaskInfo {
  const info: TaskInfo = { upid: r.upid, node: r.node, pid: r.pid, pstart: r.pstart, starttime: r.starttime, "worker-type": r.workerType, user: r.user };
  if (r.workerId !== null) info["worker-id"] = r.workerId;
  if (r.endtime !== null) info.endtime = r.endtime;
  if (r.status !== null) info.status = r.status;
  return info;
}

/** What `recover` may ask about tasks whose job waits in the queue. */
export interface RecoverOptions {
  /** Whether the task's job is still queued (waiting, delayed or being taken); a task whose job is gone is ended. Without it, queued tasks are left alone. */
  queued?: (upid: string) => Promise<boolean>;
}

/**
 * The task registry: every long operation runs as a task with a PBS-like
 * UPID, a row in `scheduler.task` and a log in `scheduler.task_log`. Log lines
 * are written in order; the last line is `TASK OK`, `TASK WARNINGS: n` or
 * `TASK ERROR: …` as in PBS.
 *
 * A running task is owned by the process that runs it: node name, pid and
 * pstart (the process start time), as PBS UPIDs carry. The node name must be
 * unique per scheduler replica and stable across its restarts (the pod name of
 * a StatefulSet): a starting scheduler ends what its node left running.
 */
export class TaskRegistry {
  private readonly running = new Map<string, Running>();
  /** Queued tasks this process is taking (between the claim and the run): a stop aborts them before they run. */
  private readonly claiming = new Map<string, AbortController>();
  private counter = 0;
  private readonly pid: number;
  private readonly pstart: number;

  constructor(
    private readonly db: Db,
    private readonly opts: { node: string; logger: Logger; pid?: number; pstart?: number },
  ) {
    const own = ownProcessIdentity();
    this.pid = opts.pid ?? own.pid;
    this.pstart = opts.pstart ?? own.pstart;
  }

  private ownerIs(r: Pick<TaskRow, "ownerNode" | "ownerPid" | "ownerPstart">) {
    return r.ownerNode === null || r.ownerPid === null || r.ownerPstart === null
      ? and(isNull(tasks.ownerNode), isNull(tasks.endtime))
      : and(eq(tasks.ownerNode, r.ownerNode), eq(tasks.ownerPid, r.ownerPid), eq(tasks.ownerPstart, r.ownerPstart), isNull(tasks.endtime));
  }

  /**
   * Tasks of this node left running by a process that is gone end with status
   * `unknown` and release their locks: those whose owner is this node but not
   * this process, and whose (pid, pstart) is no live process of this host (a
   * recycled pid started at another time). This process's own running tasks
   * are kept. A task created here whose job waits in the queue is kept while
   * `opts.queued` says its job is still there. Returns how many ended.
   */
  async recover(opts: RecoverOptions = {}): Promise<number> {
    const node = this.opts.node;
    const rows = await this.db
      .select()
      .from(tasks)
      .where(and(isNull(tasks.endtime), or(eq(tasks.ownerNode, node), and(isNull(tasks.ownerNode), eq(tasks.node, node)))));
    let n = 0;
    for (const r of rows) {
      if (r.ownerNode === null || r.ownerPid === null || r.ownerPstart === null) {
        if (!opts.queued || (await opts.queued(r.upid))) continue;
      } else if (r.ownerPid === this.pid && r.ownerPstart === this.pstart) {
        if (this.running.has(r.upid) || this.claiming.has(r.upid)) continue;
      } else if (isProcessLive({ pid: r.ownerPid, pstart: r.ownerPstart })) {
        continue;
      }
      // Only if the owner is still the one seen (a worker may have just taken a queued task).
      const ended = await this.db
        .update(tasks)
        .set({ endtime: Math.floor(Date.now() / 1000), status: TASK_UNKNOWN, lock: null })
        .where(and(eq(tasks.upid, r.upid), this.ownerIs(r)))
        .returning({ upid: tasks.upid });
      if (ended.length > 0) {
        this.opts.logger.warn({ upid: r.upid, ownerNode: r.ownerNode, ownerPid: r.ownerPid, ownerPstart: r.ownerPstart }, "task left running by a stopped process ended with status unknown");
        n++;
      }
    }
    return n;
  }

  /**
   * Create the task and start `run` in the background; resolves to the UPID
   * once the task row exists (so its log can be followed at once).
   */
  async start(spec: TaskSpec, run: (ctx: TaskContext) => Promise<void>): Promise<string> {
    const upid = await this.insert(spec, true);
    this.attach(upid, spec, run, 0, new AbortController());
    return upid;
  }

  /**
   * Create the task row (running, holding its lock) without running it here:
   * a queued job's UPID, handed to the worker that runs it (`attach`).
   */
  async create(spec: TaskSpec): Promise<string> {
    return this.insert(spec, false);
  }

  private async insert(spec: TaskSpec, owned: boolean): Promise<string> {
    const starttime = Math.floor(Date.now() / 1000);
    const upid = formatUpid({
      node: this.opts.node,
      pid: this.pid,
      pstart: this.pstart,
      taskId: ++this.counter,
      starttime,
      workerType: spec.workerType,
      ...(spec.workerId !== undefined ? { workerId: spec.workerId } : {}),
      user: spec.user,
    });
    try {
      await this.db.insert(tasks).values({
        upid,
        node: this.opts.node,
        pid: this.pid,
        pstart: this.pstart,
        workerType: spec.workerType,
        workerId: spec.workerId ?? null,
        user: spec.user,
        starttime,
        lock: spec.lock ?? null,
        ...(owned ? { ownerNode: this.opts.node, ownerPid: this.pid, ownerPstart: this.pstart } : {}),
      });
    } catch (err) {
      if (pgCode(err) === "23505" && spec.lock) {
        const holder = (await this.db.select({ upid: tasks.upid }).from(tasks).where(and(eq(tasks.lock, spec.lock), isNull(tasks.endtime))))[0];
        throw new ConflictError(`${spec.lockTitle ?? spec.lock} is busy: task ${holder?.upid ?? "(unknown)"} is running on it`);
      }
      throw err;
    }
    return upid;
  }

  /**
   * Run an existing task here (a queued job picked up by this worker): its
   * log continues after the lines it has; it ends with the usual last line.
   * Returns when the task has ended.
   */
  async runExisting(upid: string, spec: Pick<TaskSpec, "workerType" | "workerId">, run: (ctx: TaskContext) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    this.claiming.set(upid, controller);
    try {
      // Take the task over: this process owns it from now on (a stalled job's task continues under its new worker).
      const claimed = await this.db
        .update(tasks)
        .set({ ownerNode: this.opts.node, ownerPid: this.pid, ownerPstart: this.pstart })
        .where(and(eq(tasks.upid, upid), isNull(tasks.endtime)))
        .returning({ upid: tasks.upid });
      if (claimed.length === 0) {
        const r = await this.row(upid);
        throw new ConflictError(`task ${upid} has already ended (${r.status ?? "stopped"})`);
      }
      const last = (await this.db.select({ n: sql<number>`coalesce(max(${taskLog.n}), 0)::int` }).from(taskLog).where(eq(taskLog.upid, upid)))[0]?.n ?? 0;
      this.attach(upid, spec, run, last, controller);
    } finally {
      this.claiming.delete(upid);
    }
    await this.waitFor(upid);
  }

  /**
   * Stop a task whose job waits in the queue (no process runs it yet): it
   * ends `task aborted` and its job, when a worker takes it, does not run.
   * False when a process owns the task (or it has ended).
   */
  async stopQueued(upid: string): Promise<boolean> {
    const ended = await this.db
      .update(tasks)
      .set({ endtime: Math.floor(Date.now() / 1000), status: TASK_ABORTED, lock: null })
      .where(and(eq(tasks.upid, upid), isNull(tasks.endtime), isNull(tasks.ownerNode)))
      .returning({ upid: tasks.upid });
    if (ended.length === 0) return false;
    const last = (await this.db.select({ n: sql<number>`coalesce(max(${taskLog.n}), 0)::int` }).from(taskLog).where(eq(taskLog.upid, upid)))[0]?.n ?? 0;
    await this.db.insert(taskLog).values({ upid, n: last + 1, time: Date.now(), level: "error", text: `TASK ERROR: ${TASK_ABORTED}` });
    return true;
  }

  /** End a task that never ran (e.g. its job could not be queued). */
  async fail(upid: string, message: string): Promise<void> {
    const last = (await this.db.select({ n: sql<number>`coalesce(max(${taskLog.n}), 0)::int` }).from(taskLog).where(eq(taskLog.upid, upid)))[0]?.n ?? 0;
    await this.db.insert(taskLog).values({ upid, n: last + 1, time: Date.now(), level: "error", text: `TASK ERROR: ${message}` });
    await this.db.update(tasks).set({ endtime: Math.floor(Date.now() / 1000), status: message, lock: null }).where(eq(tasks.upid, upid));
  }

  private attach(upid: string, spec: Pick<TaskSpec, "workerType" | "workerId">, run: (ctx: TaskContext) => Promise<void>, firstLine: number, controller: AbortController): void {
    let n = firstLine;
    let warnings = 0;
    let chain: Promise<void> = Promise.resolve();
    const write = (level: TaskLogLevel, text: string, data?: ProgressFields) => {
      if (level === "warn") warnings++;
      for (const line of text.split("\n")) {
        const row = { upid, n: ++n, time: Date.now(), level, text: line, ...(data !== undefined ? { data } : {}) };
        chain = chain.then(() => this.db.insert(taskLog).values(row).then(() => undefined)).catch((err: unknown) => this.opts.logger.error({ err, upid }, "writing a task log line failed"));
      }
    };
    const ctx: TaskContext = {
      upid,
      signal: controller.signal,
      log: (t) => write("info", t),
      warn: (t) => write("warn", t),
      error: (t) => write("error", t),
      progress: (fields, label) => write("info", label ? `${label}: ${formatProgress(fields)}` : formatProgress(fields), fields),
    };
    const done = (async () => {
      let error: unknown;
      try {
        // Stopped while it was being taken: it does not run.
        if (!controller.signal.aborted) await run(ctx);
      } catch (err) {
        error = err;
      }
      const aborted = controller.signal.aborted;
      const status = exitStatusOf(error, warnings, aborted);
      if (status === "OK") write("info", "TASK OK");
      else if (status.startsWith("WARNINGS")) write("info", `TASK ${status}`);
      else write("error", `TASK ERROR: ${status}`);
      await chain;
      await this.db
        .update(tasks)
        .set({ endtime: Math.floor(Date.now() / 1000), status, lock: null })
        .where(eq(tasks.upid, upid))
        .catch((err: unknown) => this.opts.logger.error({ err, upid }, "ending a task failed"));
      this.running.delete(upid);
      this.opts.logger.info({ upid, workerType: spec.workerType, workerId: spec.workerId, status }, "task ended");
    })();
    this.running.set(upid, { controller, done });
    this.opts.logger.info({ upid, workerType: spec.workerType, workerId: spec.workerId, node: this.opts.node, pid: this.pid, pstart: this.pstart }, "task started");
  }

  /** Stop a task running (or being taken) in this process; false when it does not run here. */
  abortLocal(upid: string): boolean {
    const controller = this.running.get(upid)?.controller ?? this.claiming.get(upid);
    if (!controller) return false;
    controller.abort(new Error(TASK_ABORTED));
    return true;
  }

  /** Stop every task running (or being taken) in this process (shutdown); returns how many. */
  abortAllLocal(): number {
    const controllers = [...[...this.running.values()].map((r) => r.controller), ...this.claiming.values()];
    for (const c of controllers) c.abort(new Error(TASK_ABORTED));
    return controllers.length;
  }

  /** Resolves when the task (if running here) has ended. */
  async waitFor(upid: string): Promise<void> {
    await this.running.get(upid)?.done;
  }

  /** Wait for every task of this process (shutdown). */
  async waitAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private static checkUpid(upid: unknown): string {
    if (typeof upid !== "string" || !parseUpid(upid)) throw ValidationError.field("upid", "is not a valid UPID");
    return upid;
  }

  private async row(upid: unknown): Promise<TaskRow> {
    const id = TaskRegistry.checkUpid(upid);
    const r = (await this.db.select().from(tasks).where(eq(tasks.upid, id)))[0];
    if (!r) throw new NotFoundError("task", id);
    return r;
  }

  /** Newest first; `running` lists only running tasks. */
  async list(opts: { running?: boolean; limit?: number; start?: number } = {}): Promise<TaskInfo[]> {
    const rows = await this.db
      .select()
      .from(tasks)
      .where(opts.running ? isNull(tasks.endtime) : undefined)
      .orderBy(desc(tasks.starttime), desc(tasks.upid))
      .limit(Math.min(Math.max(opts.limit ?? 50, 1), 1000))
      .offset(Math.max(opts.start ?? 0, 0));
    return rows.map(infoOf);
  }

  async status(upid: unknown): Promise<TaskStatus> {
    const r = await this.row(upid);
    const s: TaskStatus = { upid: r.upid, status: r.endtime === null ? "running" : "stopped", "worker-type": r.workerType, starttime: r.starttime, user: r.user };
    if (r.workerId !== null) s["worker-id"] = r.workerId;
    if (r.endtime !== null) s.endtime = r.endtime;
    if (r.status !== null) s.exitstatus = r.status;
    return s;
  }

  /** Log lines after line `start` (0-based offset), at most `limit`. */
  async log(upid: unknown, start = 0, limit = 500): Promise<TaskLogPage> {
    const r = await this.row(upid);
    const lim = Math.min(Math.max(limit, 1), MAX_LOG_PAGE);
    const lines = await this.db
      .select()
      .from(taskLog)
      .where(and(eq(taskLog.upid, r.upid), gt(taskLog.n, Math.max(start, 0))))
      .orderBy(asc(taskLog.n))
      .limit(lim);
    const total = (await this.db.select({ n: sql<number>`count(*)::int` }).from(taskLog).where(eq(taskLog.upid, r.upid)))[0]?.n ?? 0;
    return {
      lines: lines.map((l) => ({ n: l.n, t: l.text, time: l.time, level: l.level as TaskLogLevel, ...(l.data !== null ? { data: l.data } : {}) })),
      total,
      active: r.endtime === null,
    };
  }

  /** Check a task exists and is running (for stop). */
  async requireRunning(upid: unknown): Promise<string> {
    const r = await this.row(upid);
    if (r.endtime !== null) throw new ConflictError(`task ${r.upid} is not running (${r.status ?? "stopped"})`);
    return r.upid;
  }
}
