import { Counter, Gauge, METRIC_PREFIX, type Registry, type Sql } from "@tapefleet/common";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";

/** `outcome` label of a finished task, from its PBS exit status. */
export type JobOutcome = "ok" | "warnings" | "failed";

/**
 * Outcome of a task's exit status: `OK` → ok, `WARNINGS: n` → warnings, anything
 * else (an error, `task aborted`, `unknown` after a scheduler died) → failed.
 */
export function jobOutcomeOf(status: string): JobOutcome {
  if (status === "OK") return "ok";
  if (status.startsWith("WARNINGS")) return "warnings";
  return "failed";
}

/**
 * Upper bounds (seconds) of the `tapefleet_job_duration_seconds` buckets: tape jobs
 * take from seconds (a rewind) to days (a backup across many tapes); 12 h is the
 * slow-job alert's threshold.
 */
export const JOB_DURATION_BUCKETS = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 172_800, 345_600] as const;

/**
 * BullMQ states counted by `tapefleet_queue_depth`: jobs not finished. Completed and
 * failed jobs (kept for inspection) are left out, so any state's count is a backlog.
 */
export const QUEUE_DEPTH_STATES = ["waiting", "prioritized", "delayed", "waiting-children", "active"] as const;

/** One (kind, outcome) group of finished tasks. */
export interface FinishedTasks {
  kind: string;
  outcome: JobOutcome;
  count: number;
  /** Sum of the run times, seconds. */
  sum: number;
  /** Cumulative counts per {@link JOB_DURATION_BUCKETS} bound, same order. */
  buckets: number[];
}

/** The outcome of a status as SQL (same rule as {@link jobOutcomeOf}). */
const OUTCOME_SQL = `case when status = 'OK' then 'ok' when status like 'WARNINGS%' then 'warnings' else 'failed' end`;

/** Finished tasks grouped by worker type and outcome, with their run time buckets: one aggregate query. */
export async function readFinishedTasks(sql: Sql): Promise<FinishedTasks[]> {
  const bucketCols = JOB_DURATION_BUCKETS.map((b, i) => `count(*) filter (where endtime - starttime <= ${b})::int as b${i}`).join(", ");
  const rows = await sql.unsafe(
    `select worker_type as kind, ${OUTCOME_SQL} as outcome, count(*)::int as count, coalesce(sum(greatest(endtime - starttime, 0)), 0)::float8 as sum, ${bucketCols}
       from scheduler.task where endtime is not null and status is not null group by 1, 2 order by 1, 2`,
  );
  return rows.map((r) => ({
    kind: String(r["kind"]),
    outcome: r["outcome"] as JobOutcome,
    count: Number(r["count"]),
    sum: Number(r["sum"]),
    buckets: JOB_DURATION_BUCKETS.map((_, i) => Number(r[`b${i}`])),
  }));
}

interface SampleValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * `tapefleet_job_duration_seconds{kind,outcome}`: a histogram computed on each scrape
 * from the task table (prom-client's Histogram only takes single observations).
 */
class TaskDurationHistogram {
  readonly name = `${METRIC_PREFIX}job_duration_seconds`;
  readonly help = "Run time of finished scheduler tasks (end − start, whole seconds) by kind (worker type) and outcome";
  readonly type = "histogram";
  readonly aggregator = "sum";
  constructor(private readonly read: () => Promise<FinishedTasks[]>) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: SampleValue[] }> {
    const values: SampleValue[] = [];
    // PostgreSQL unreachable: no series rather than a failed scrape.
    for (const g of await this.read().catch(() => [])) {
      const labels = { kind: g.kind, outcome: g.outcome };
      JOB_DURATION_BUCKETS.forEach((le, i) => values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: g.buckets[i] ?? 0 }));
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: "+Inf" }, value: g.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: g.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: g.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    // Nothing held: every scrape reads the table.
  }
}

export interface SchedulerMetricsSources {
  /** PostgreSQL client of the scheduler (table `scheduler.task`). */
  sql: Sql;
  /** The BullMQ job queue. */
  queue: Queue;
  /** Redis client and the hash holding the open tape requests of every instance. */
  redis: Redis;
  tapeRequestKey: string;
}

/**
 * Register the scheduler's series on the service registry, all collected on scrape
 * from state the scheduler keeps anyway: `tapefleet_jobs_total{kind,outcome}` and
 * `tapefleet_job_duration_seconds{kind,outcome}` from the finished rows of the task
 * table (every task: device operations and queued jobs), `tapefleet_queue_depth{queue,
 * state}` from BullMQ's job counts, `tapefleet_tape_requests_waiting` from the tape
 * request hash in Redis.
 */
export function registerSchedulerMetrics(registry: Registry, src: SchedulerMetricsSources): void {
  // One table read serves both task series of a scrape.
  let pending: Promise<FinishedTasks[]> | undefined;
  const finished = (): Promise<FinishedTasks[]> => {
    pending ??= readFinishedTasks(src.sql).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  new Counter({
    name: `${METRIC_PREFIX}jobs_total`,
    help: "Finished scheduler tasks by kind (worker type) and outcome (ok, warnings, failed)",
    labelNames: ["kind", "outcome"] as const,
    registers: [registry],
    async collect() {
      const groups = await finished().catch(() => []);
      this.reset();
      for (const g of groups) this.inc({ kind: g.kind, outcome: g.outcome }, g.count);
    },
  });
  registry.registerMetric(new TaskDurationHistogram(finished) as unknown as Parameters<Registry["registerMetric"]>[0]);
  new Gauge({
    name: `${METRIC_PREFIX}queue_depth`,
    help: "Jobs of the scheduler's BullMQ queue not finished, by state (waiting, prioritized, delayed, waiting-children, active)",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      // Redis unreachable: no series rather than a failed scrape.
      const counts = await src.queue.getJobCounts(...QUEUE_DEPTH_STATES).catch(() => undefined);
      this.reset();
      if (counts === undefined) return;
      for (const state of QUEUE_DEPTH_STATES) this.set({ queue: src.queue.name, state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}tape_requests_waiting`,
    help: "Open tape requests: jobs waiting for an operator to bring a tape",
    registers: [registry],
    async collect() {
      this.set(await src.redis.hlen(src.tapeRequestKey).catch(() => Number.NaN));
    },
  });
}
