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

/** How long the metrics leadership lasts without a renewal (ms); the leader renews it every third of that. */
export const METRICS_LEADER_TTL_MS = 15_000;

/** Takes the key when it is free, keeps it when this instance holds it: 1 when this instance leads afterwards. */
const LEAD_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;
/** Frees the key only when this instance holds it. */
const RESIGN_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * Which scheduler replica exports the series computed from shared state (the
 * task table, the BullMQ queue, the tape request hash): one Redis key holding
 * the leader's instance id with a time to live, taken when free and renewed by
 * its holder. Every replica would otherwise report the same totals, and a sum
 * over the replicas (what dashboards and alerts do) would count each task once
 * per replica. A stopped leader frees the key; a dead one loses it after
 * {@link METRICS_LEADER_TTL_MS}, then another replica takes it.
 */
export class MetricsLeader {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private failed = false;

  constructor(
    private readonly redis: Pick<Redis, "eval">,
    readonly key: string,
    readonly instance: string,
    private readonly ttlMs: number = METRICS_LEADER_TTL_MS,
  ) {}

  /** Takes or renews the leadership; false (not leading) when Redis does not answer. */
  async renew(): Promise<boolean> {
    try {
      this.leading = Number(await this.redis.eval(LEAD_SCRIPT, 1, this.key, this.instance, String(this.ttlMs))) === 1;
      this.failed = false;
    } catch {
      this.leading = false;
      this.failed = true;
    }
    return this.leading;
  }

  /** Whether the last renewal failed (Redis did not answer): nobody may know who leads. */
  get unreachable(): boolean {
    return this.failed;
  }

  /** Whether this instance led at the last renewal. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Renews in the background every third of the time to live. */
  start(): void {
    if (this.timer !== undefined) return;
    void this.renew();
    this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /** Stops renewing and frees the key when this instance holds it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.leading) return;
    this.leading = false;
    await this.redis.eval(RESIGN_SCRIPT, 1, this.key, this.instance).catch(() => undefined);
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
  /**
   * Decides which replica exports the shared-state series; absent: this
   * instance always does (one replica).
   */
  leader?: MetricsLeader;
}

/**
 * Register the scheduler's series on the service registry, all collected on scrape
 * from state the scheduler keeps anyway: `tapefleet_jobs_total{kind,outcome}` and
 * `tapefleet_job_duration_seconds{kind,outcome}` from the finished rows of the task
 * table (every task: device operations and queued jobs), `tapefleet_queue_depth{queue,
 * state}` from BullMQ's job counts, `tapefleet_tape_requests_waiting` from the tape
 * request hash in Redis. These are the same for every replica, so with a
 * {@link MetricsLeader} only the leading replica exports them (the others leave
 * them out; the unlabelled tape request gauge reads 0 there);
 * `tapefleet_metrics_leader` says which replica leads.
 */
export function registerSchedulerMetrics(registry: Registry, src: SchedulerMetricsSources): void {
  // One leadership check and one table read serve every shared series of a scrape.
  let leading: Promise<boolean> | undefined;
  const leads = (): Promise<boolean> => {
    if (src.leader === undefined) return Promise.resolve(true);
    leading ??= src.leader.renew().finally(() => {
      leading = undefined;
    });
    return leading;
  };
  let pending: Promise<FinishedTasks[]> | undefined;
  const finished = (): Promise<FinishedTasks[]> => {
    pending ??= leads()
      .then((yes) => (yes ? readFinishedTasks(src.sql) : []))
      .finally(() => {
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
      const counts = (await leads()) ? await src.queue.getJobCounts(...QUEUE_DEPTH_STATES).catch(() => undefined) : undefined;
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
      // Not leading: 0, which adds nothing to a sum over the replicas; Redis unreachable: NaN (unknown).
      if (await leads()) this.set(await src.redis.hlen(src.tapeRequestKey).catch(() => Number.NaN));
      else this.set(src.leader?.unreachable === true ? Number.NaN : 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}metrics_leader`,
    help: "1 when this scheduler replica exports the series computed from shared state (jobs, job durations, queue depth, tape requests), else 0",
    registers: [registry],
    async collect() {
      this.set((await leads()) ? 1 : 0);
    },
  });
}
