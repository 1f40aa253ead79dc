import type { TapeBackupJobConfig } from "@tapefleet/api-types";
import { computeNextEvent, parseCalendarEvent } from "@tapefleet/calendar";
import type { Logger } from "@tapefleet/common";
import { and, eq, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { scheduleRuns, type SchedulerSchema } from "../db/schema.ts";

type Db = PostgresJsDatabase<SchedulerSchema>;

/** How often the schedule runner looks for due occurrences (ms). */
export const DEFAULT_SCHEDULE_TICK_MS = 30_000;
/** How far back an occurrence may lie and still fire when the job never ran (ms): a restart does not replay old ones. */
export const DEFAULT_SCHEDULE_CATCHUP_MS = 120_000;

/** An occurrence this instance fired. */
export interface FiredOccurrence {
  jobId: string;
  /** Occurrence time, epoch seconds. */
  occurrence: number;
  upid?: string;
  error?: string;
}

/**
 * The latest occurrence of `schedule` in `(after, now]`, epoch seconds, or
 * undefined when none is due. Missed occurrences collapse into one (PBS runs
 * a missed job once).
 */
export function dueOccurrence(schedule: string, after: Date, now: Date, timeZone?: string): number | undefined {
  const ev = parseCalendarEvent(schedule);
  let due: Date | undefined;
  let from = after;
  for (let i = 0; i < 10_000; i++) {
    const next = computeNextEvent(ev, from, timeZone ? { timeZone } : undefined);
    if (next === null || next.getTime() > now.getTime()) break;
    due = next;
    from = next;
  }
  return due === undefined ? undefined : Math.floor(due.getTime() / 1000);
}

/**
 * Fires tape backup jobs on their calendar schedule, **exactly once per
 * occurrence across replicas**: each due (job id, occurrence) is inserted
 * into `scheduler.schedule_run` with `ON CONFLICT DO NOTHING`; only the
 * instance whose insert took the row starts the job. The next occurrence is
 * computed after the job's last fired occurrence (missed ones run once, as
 * PBS does), or after `now - catchup` for a job that never fired.
 */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly opts: {
      instance: string;
      jobs: () => Promise<TapeBackupJobConfig[]>;
      fire: (job: TapeBackupJobConfig, occurrence: number) => Promise<string>;
      logger: Logger;
      catchupMs?: number;
      timeZone?: string;
    },
  ) {}

  /** Look for due occurrences at `now` and fire the ones this instance wins. */
  async tick(now: Date = new Date()): Promise<FiredOccurrence[]> {
    const fired: FiredOccurrence[] = [];
    const catchup = this.opts.catchupMs ?? DEFAULT_SCHEDULE_CATCHUP_MS;
    for (const job of await this.opts.jobs()) {
      if (!job.schedule) continue;
      const last = (await this.db.select({ o: sql<number | null>`max(${scheduleRuns.occurrence})` }).from(scheduleRuns).where(eq(scheduleRuns.jobId, job.id)))[0]?.o;
      // After the last fired occurrence (missed ones then run once); a job that never fired looks back `catchup` only.
      const after = new Date(last !== null && last !== undefined ? Number(last) * 1000 : now.getTime() - catchup);
      let occurrence: number | undefined;
      try {
        occurrence = dueOccurrence(job.schedule, after, now, this.opts.timeZone);
      } catch (err) {
        this.opts.logger.warn({ err, job: job.id, schedule: job.schedule }, "bad schedule of a tape backup job");
        continue;
      }
      if (occurrence === undefined) continue;
      const won = await this.db
        .insert(scheduleRuns)
        .values({ jobId: job.id, occurrence, firedBy: this.opts.instance })
        .onConflictDoNothing()
        .returning({ jobId: scheduleRuns.jobId });
      if (won.length === 0) continue;
      const f: FiredOccurrence = { jobId: job.id, occurrence };
      try {
        f.upid = await this.opts.fire(job, occurrence);
        await this.db.update(scheduleRuns).set({ upid: f.upid }).where(and(eq(scheduleRuns.jobId, job.id), eq(scheduleRuns.occurrence, occurrence)));
        this.opts.logger.info({ job: job.id, occurrence, upid: f.upid }, "scheduled tape backup job started");
      } catch (err) {
        f.error = (err as Error).message;
        this.opts.logger.warn({ err, job: job.id, occurrence }, "scheduled tape backup job could not start");
      }
      fired.push(f);
    }
    return fired;
  }

  /** Tick every `intervalMs` until stopped. */
  start(intervalMs = DEFAULT_SCHEDULE_TICK_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick()).catch((err: unknown) => this.opts.logger.warn({ err }, "schedule tick failed"));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}
