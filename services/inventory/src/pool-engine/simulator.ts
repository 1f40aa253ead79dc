/**
 * A fake tape library driven by the pool engine, for trying policies over simulated
 * weeks and years: tapes with labels (in the changer, offline or in a vault), a
 * controlled clock, and backup jobs that act on the engine's decisions the way a tape
 * backup job does (start a set when needed, allocate, write, mark a tape full when its
 * capacity is reached, continue on the next tape). Every job leaves a journal entry.
 */
import { type CalendarEvent, CalendarError, parseCalendarEvent } from "@tapefleet/calendar";
import { type AllocSource, allocWritableMedia, applyAllocation } from "./alloc.ts";
import { ManualClock, sequentialIds, toEpochSeconds } from "./clock.ts";
import { NoUsableMediaError, PoolArgumentError } from "./errors.ts";
import { mediaSetName, formatStrftime } from "./media-set-name.ts";
import { mediaSetStartTime } from "./media-set.ts";
import { listPoolMedia } from "./pool-media-list.ts";
import { DEFAULT_TIME_ZONE, nextEventAfter, poolPolicy } from "./pool-policy.ts";
import type { IdGenerator, MediaLocation, Medium, PoolConfig, StoredMediaStatus } from "./types.ts";
import { type NewSetReasonCode, startWriteSession } from "./write-session.ts";

/** A tape of the simulated library. */
export interface SimTapeSpec {
  readonly labelText: string;
  /** Labeling time (epoch seconds). Default: one day before the simulation start. */
  readonly labelCtime?: number;
  /** Pool the tape was labeled for (absent: a free tape). */
  readonly pool?: string;
  /** Default: online in the simulator's changer (offline when the drive is standalone). */
  readonly location?: MediaLocation;
  readonly inImportExport?: boolean;
  readonly worm?: boolean;
  /** Bytes the tape holds. Default: the simulator's `capacity`. */
  readonly capacity?: number;
}

/** Options of {@link Simulator}. */
export interface SimulatorOptions {
  readonly pools: readonly PoolConfig[];
  readonly tapes: readonly SimTapeSpec[];
  /** Simulation start. */
  readonly start: number | Date;
  /** Default capacity of a tape in bytes (> 0). */
  readonly capacity: number;
  /** Changer of the jobs' drive; null for a standalone drive. Default `lib1`. */
  readonly changer?: string | null;
  /** Zone of calendar events, set names and journal days. Default `UTC`. */
  readonly timeZone?: string;
  /** Media set UUIDs. Default: `sequentialIds(1)`. */
  readonly ids?: IdGenerator;
}

/** One tape written by a job. */
export interface TapeWrite {
  readonly labelText: string;
  readonly seqNr: number;
  readonly bytes: number;
  readonly source: AllocSource;
  /** The tape reached its capacity and was marked full. */
  readonly full: boolean;
  /** For a reused tape: when it had expired. */
  readonly expiredAt?: number;
}

/** What one job did. */
export interface JournalEntry {
  /** Job start, epoch seconds. */
  readonly time: number;
  /** Local day `YYYY-MM-DD` and weekday (`Mon`…) in the simulator's zone. */
  readonly day: string;
  readonly weekday: string;
  readonly pool: string;
  /** The set written (for a failed job: the set it would have written). */
  readonly setUuid: string;
  readonly setName: string;
  readonly newSet: boolean;
  readonly newSetReason: NewSetReasonCode | null;
  readonly writes: readonly TapeWrite[];
  /**
   * Labels of the pool's tapes that were expired when the job started. A tape can also
   * expire during the job: once the job's new set has its first tape, the previous set
   * has a newer set (§6.7), which can make its tapes reusable by the same job.
   */
  readonly expired: readonly string[];
  /** Labels of expired tapes the job overwrote. */
  readonly reused: readonly string[];
  readonly outcome: "ok" | "failed";
  readonly error?: { readonly code: string; readonly message: string };
}

/** A job of {@link Simulator.runSchedule}. */
export interface SimJob {
  readonly pool: string;
  /** Calendar event of the job runs (evaluated in the simulator's zone). */
  readonly schedule: string;
  /** Bytes written per run, or a function of the run time. */
  readonly bytes: number | ((time: number) => number);
  readonly forceMediaSet?: boolean;
}

/** Options of {@link Simulator.runJob}. */
export interface RunJobOptions {
  /** Bytes to write (default 0: the job only takes a tape). */
  readonly bytes?: number;
  readonly forceMediaSet?: boolean;
  /** Changer of the drive for this job (default: the simulator's). */
  readonly driveChanger?: string | null;
}

const DAY = 86_400;

/** A fake library and its backup jobs, driven by the pool engine. */
export class Simulator {
  readonly clock: ManualClock;
  readonly timeZone: string;
  readonly changer: string | null;
  readonly #pools = new Map<string, PoolConfig>();
  readonly #capacity = new Map<string, number>();
  readonly #defaultCapacity: number;
  readonly #ids: IdGenerator;
  readonly #mediaIds = sequentialIds(0);
  #media: Medium[] = [];
  readonly #journal: JournalEntry[] = [];

  constructor(opts: SimulatorOptions) {
    this.clock = new ManualClock(opts.start);
    this.timeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;
    this.changer = opts.changer === undefined ? "lib1" : opts.changer;
    this.#defaultCapacity = checkCapacity("capacity", opts.capacity);
    this.#ids = opts.ids ?? sequentialIds(1);
    for (const pool of opts.pools) {
      this.#pools.set(poolPolicy(pool).name, pool);
    }
    for (const tape of opts.tapes) this.addTape(tape);
  }

  /** The inventory now. */
  get media(): readonly Medium[] {
    return this.#media;
  }

  /** Every job run so far, in order. */
  get journal(): readonly JournalEntry[] {
    return this.#journal;
  }

  /** The tape with label `labelText`. */
  tape(labelText: string): Medium {
    const m = this.#media.find((x) => x.label.labelText === labelText);
    if (m === undefined) throw new PoolArgumentError("labelText", `no tape '${labelText}' in the simulation`);
    return m;
  }

  /** Labels a new tape into the library. */
  addTape(spec: SimTapeSpec): Medium {
    if (this.#media.some((m) => m.label.labelText === spec.labelText)) {
      throw new PoolArgumentError("labelText", `tape '${spec.labelText}' exists already`);
    }
    const uuid = this.#mediaIds();
    const location: MediaLocation =
      spec.location ?? (this.changer === null ? { kind: "offline" } : { kind: "online", changer: this.changer });
    const medium: Medium = {
      label: {
        uuid,
        labelText: spec.labelText,
        ctime: spec.labelCtime ?? this.clock.now() - DAY,
        ...(spec.pool === undefined ? {} : { pool: spec.pool }),
      },
      location,
      ...(spec.inImportExport === undefined ? {} : { inImportExport: spec.inImportExport }),
      ...(spec.worm === undefined ? {} : { worm: spec.worm }),
      bytesUsed: 0,
    };
    this.#capacity.set(uuid, spec.capacity === undefined ? this.#defaultCapacity : checkCapacity("capacity", spec.capacity));
    this.#media = [...this.#media, medium];
    return medium;
  }

  /** Moves a tape (an operator exporting it to a vault, taking it offline, …). */
  moveTape(labelText: string, location: MediaLocation, inImportExport = false): void {
    this.#update(labelText, (m) => ({ ...m, location, inImportExport }));
  }

  /** Sets or clears (undefined) a tape's stored status. */
  setStatus(labelText: string, status: StoredMediaStatus | undefined): void {
    this.#update(labelText, (m) => {
      const { storedStatus: _old, ...rest } = m;
      return status === undefined ? rest : { ...rest, storedStatus: status };
    });
  }

  #update(labelText: string, f: (m: Medium) => Medium): void {
    const uuid = this.tape(labelText).label.uuid;
    this.#media = this.#media.map((m) => (m.label.uuid === uuid ? f(m) : m));
  }

  #pool(name: string): PoolConfig {
    const pool = this.#pools.get(name);
    if (pool === undefined) throw new PoolArgumentError("pool", `no pool '${name}' in the simulation`);
    return pool;
  }

  /**
   * Runs one backup job of `poolName` at `now` (default: the clock; the clock moves to
   * `now`): start a session, take tapes from the engine and write `bytes`, marking each
   * tape full when it reaches its capacity. A job that finds no usable tape is recorded
   * as failed (what it wrote before stays written).
   */
  runJob(poolName: string, now: number = this.clock.now(), opts: RunJobOptions = {}): JournalEntry {
    const pool = this.#pool(poolName);
    this.clock.set(now);
    const bytes = opts.bytes ?? 0;
    if (!Number.isFinite(bytes) || bytes < 0) throw new PoolArgumentError("bytes", `must be a number >= 0, got ${String(bytes)}`);
    const driveChanger = opts.driveChanger === undefined ? this.changer : opts.driveChanger;
    const tz = { timeZone: this.timeZone };
    let session = startWriteSession(pool, this.#media, now, { forceMediaSet: opts.forceMediaSet, newSetId: this.#ids, ...tz });
    const expired = listPoolMedia(pool, this.#media, now, { current: session.set, ...tz })
      .filter((v) => v.expired)
      .map((v) => v.medium.label.labelText);
    const writes: TapeWrite[] = [];
    const reused: string[] = [];
    let remaining = bytes;
    let error: { code: string; message: string } | undefined;
    try {
      do {
        const alloc = allocWritableMedia(pool, this.#media, now, { driveChanger, session, ...tz });
        session = alloc.session;
        this.#media = applyAllocation(this.#media, alloc);
        if (alloc.source === "expired") reused.push(alloc.medium.label.labelText);
        const uuid = alloc.medium.label.uuid;
        const medium = this.#media.find((m) => m.label.uuid === uuid) as Medium;
        const capacity = this.#capacity.get(uuid) as number;
        const used = medium.bytesUsed ?? 0;
        const n = Math.min(remaining, capacity - used);
        remaining -= n;
        const full = used + n >= capacity;
        this.#media = this.#media.map((m) =>
          m.label.uuid === uuid ? { ...m, bytesUsed: used + n, ...(full ? { storedStatus: "full" as const } : {}) } : m,
        );
        writes.push({
          labelText: medium.label.labelText,
          seqNr: alloc.setLabel.seqNr,
          bytes: n,
          source: alloc.source,
          full,
          ...(alloc.expiredAt === undefined ? {} : { expiredAt: alloc.expiredAt }),
        });
      } while (remaining > 0);
    } catch (err) {
      if (!(err instanceof NoUsableMediaError)) throw err;
      error = { code: err.code, message: err.message };
    }
    const setUuid = session.set.uuid;
    const entry: JournalEntry = {
      time: now,
      day: formatStrftime("%F", now, tz),
      weekday: formatStrftime("%a", now, tz),
      pool: poolName,
      setUuid,
      setName: mediaSetName(pool, mediaSetStartTime(this.#media, setUuid), setUuid, tz),
      newSet: session.newSet,
      newSetReason: session.reason?.code ?? null,
      writes,
      expired,
      reused,
      outcome: error === undefined ? "ok" : "failed",
      ...(error === undefined ? {} : { error }),
    };
    this.#journal.push(entry);
    return entry;
  }

  /**
   * Runs `jobs` at every occurrence of their schedules from the clock's time up to and
   * including `until`, in time order (jobs due at the same second in list order), and
   * leaves the clock at `until`. Returns the new journal entries.
   */
  runSchedule(jobs: readonly SimJob[], until: number | Date): JournalEntry[] {
    const end = toEpochSeconds("until", until);
    const events: CalendarEvent[] = jobs.map((job, i) => {
      this.#pool(job.pool);
      try {
        return parseCalendarEvent(job.schedule);
      } catch (err) {
        if (err instanceof CalendarError) throw new PoolArgumentError(`jobs[${i}].schedule`, err.message, { cause: err });
        throw err;
      }
    });
    const next = events.map((ev) => nextEventAfter(ev, this.clock.now() - 1, this.timeZone));
    const out: JournalEntry[] = [];
    for (;;) {
      let pick = -1;
      next.forEach((t, i) => {
        const best = pick < 0 ? null : next[pick];
        if (t !== null && t !== undefined && t <= end && (best === null || best === undefined || t < best)) pick = i;
      });
      if (pick < 0) break;
      const job = jobs[pick] as SimJob;
      const t = next[pick] as number;
      const bytes = typeof job.bytes === "function" ? job.bytes(t) : job.bytes;
      out.push(this.runJob(job.pool, t, { bytes, ...(job.forceMediaSet === undefined ? {} : { forceMediaSet: job.forceMediaSet }) }));
      next[pick] = nextEventAfter(events[pick] as CalendarEvent, t, this.timeZone);
    }
    if (end > this.clock.now()) this.clock.set(end);
    return out;
  }
}

function checkCapacity(field: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new PoolArgumentError(field, `must be a number > 0, got ${String(v)}`);
  }
  return v;
}
