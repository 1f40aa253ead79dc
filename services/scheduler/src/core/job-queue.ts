import { createHash } from "node:crypto";
import type { Logger } from "@tapefleet/common";
import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { TaskContext, TaskRegistry, TaskSpec } from "./task-registry.ts";

/** Job kinds the scheduler runs from its BullMQ queue. */
export const JOB_KINDS = ["backup", "restore", "catalog", "datastore-sample", "datastore-ingest"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** What a queued job carries: its task and parameters. */
export interface QueuedJob {
  kind: JobKind;
  upid: string;
  workerType: string;
  workerId?: string;
  params: unknown;
}

/** Runs one job kind inside its task (log, stop signal). */
export type JobHandler = (params: unknown, ctx: TaskContext) => Promise<void>;

/** How long a worker holds a job before BullMQ counts it stalled (its worker died) and hands it to another worker (ms). */
export const JOB_LOCK_MS = 30_000;

/** BullMQ job id of a task (custom ids may not contain ':'). */
export function jobIdOf(upid: string): string {
  return `task-${createHash("sha256").update(upid).digest("hex").slice(0, 32)}`;
}

/**
 * The scheduler's jobs on BullMQ: `submit` creates the task (UPID, running,
 * holding its lock) and puts the job on the queue; a worker of any scheduler
 * instance runs it inside that task. The queue does not retry (attempts: 1):
 * the retry decision is the job's own (transient steps retry with backoff in
 * the same task; permanent failures end it). A job whose worker died is
 * stalled: BullMQ hands it to another worker, which continues the same task.
 */
export class JobQueue {
  private worker: Worker<QueuedJob> | undefined;
  private workerRedis: Redis | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly tasks: TaskRegistry,
    private readonly handlers: Partial<Record<JobKind, JobHandler>>,
    private readonly logger: Logger,
  ) {}

  /** Create the task and queue its job; resolves to the UPID. */
  async submit(kind: JobKind, spec: TaskSpec, params: unknown): Promise<string> {
    const upid = await this.tasks.create(spec);
    const data: QueuedJob = { kind, upid, workerType: spec.workerType, params, ...(spec.workerId !== undefined ? { workerId: spec.workerId } : {}) };
    try {
      await this.queue.add(kind, data, { jobId: jobIdOf(upid), attempts: 1, removeOnComplete: 1000, removeOnFail: 1000 });
    } catch (err) {
      await this.tasks.fail(upid, `cannot queue the job: ${(err as Error).message}`).catch(() => undefined);
      throw err;
    }
    return upid;
  }

  /**
   * Whether the task's job is still on the queue (waiting, delayed or taken by
   * a worker); false once it completed or failed, or when it is gone.
   */
  async isQueued(upid: string): Promise<boolean> {
    const job = await this.queue.getJob(jobIdOf(upid));
    if (!job) return false;
    const state = await job.getState();
    return state !== "completed" && state !== "failed" && state !== "unknown";
  }

  /** Start consuming the queue in this process. */
  startWorker(options: { redisUrl: string; prefix: string; concurrency: number; queueName: string }): void {
    if (this.worker) return;
    this.workerRedis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.workerRedis.on("error", () => {
      /* reported by the readiness check */
    });
    this.worker = new Worker<QueuedJob>(options.queueName, (job) => this.process(job), {
      connection: this.workerRedis,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: JOB_LOCK_MS,
    });
    this.worker.on("error", (err) => this.logger.warn({ err }, "job worker error"));
  }

  private async process(job: Job<QueuedJob>): Promise<void> {
    const d = job.data;
    const handler = this.handlers[d.kind];
    if (!handler) {
      await this.tasks.fail(d.upid, `no handler for job kind '${d.kind}'`);
      return;
    }
    await this.tasks.runExisting(d.upid, { workerType: d.workerType, ...(d.workerId !== undefined ? { workerId: d.workerId } : {}) }, (ctx) => handler(d.params, ctx));
  }

  /** Stop taking jobs; running ones are not awaited (their tasks are stopped by the task registry's shutdown). */
  async close(): Promise<void> {
    await this.worker?.close(true).catch(() => undefined);
    await this.workerRedis?.quit().catch(() => this.workerRedis?.disconnect());
    this.worker = undefined;
    this.workerRedis = undefined;
  }
}
