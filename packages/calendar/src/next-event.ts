/**
 * Next occurrence of a calendar event.
 *
 * The search walks the fields coarse to fine (year, month, day, weekday, hour, minute,
 * second); a mismatch jumps to the next candidate and resets the finer fields
 * (§10.1). It follows systemd's `find_next()` step for step, including how it
 * re-normalizes local times through `mktime(3)`, so that days on which the clock
 * skips or repeats an hour give the same results as `systemd-analyze calendar`:
 * - a local time that does not exist (spring forward) is skipped: `02:30` on such a day
 *   never fires, and `*:0/20` continues at `03:00` of the new offset;
 * - a local time that occurs twice (fall back) fires once, in the offset the search is
 *   in: a search that starts before the change fires in the first (summer-time) pass
 *   and skips the repeated hour, one that starts inside the repeated hour fires there.
 *
 * @see ../../../../shared/reference/pbs-tape-format.md §10.1
 */
import { type CalendarEvent, type CalendarValue, ALL_WEEKDAYS, MAX_YEAR } from "./calendar-event.ts";
import { CalendarArgumentError } from "./errors.ts";
import { Clock, type Tm, UTC_ZONE, getZone, processTimeZone } from "./time-zone.ts";

/** Options of {@link computeNextEvent}. */
export interface NextEventOptions {
  /**
   * IANA zone name used when the event does not say `UTC`.
   * Default: the process time zone (`TZ`).
   */
  readonly timeZone?: string;
}

/** The search gives up ("never") after this many steps (PBS and systemd both use 1000). */
export const MAX_SEARCH_ITERATIONS = 1000;

const USEC_PER_SEC = 1_000_000;

interface Chain {
  readonly start: number;
  readonly stop: number;
  readonly repeat: number;
}

/** Compiled form of an event: value lists as chains (null = any). */
interface Compiled {
  readonly years: readonly Chain[] | null;
  readonly months: readonly Chain[] | null;
  readonly days: readonly Chain[] | null;
  readonly hours: readonly Chain[] | null;
  readonly minutes: readonly Chain[] | null;
  /** In microseconds, like systemd; never null (`*` is 0 repeated every second). */
  readonly seconds: readonly Chain[];
  /** Weekday bits or -1 for any. */
  readonly weekdays: number;
}

function chain(values: readonly CalendarValue[], scale = 1): Chain[] | null {
  if (values.length === 0) return null;
  return values.map((v) => ({
    start: v.start * scale,
    stop: v.end === undefined ? -1 : v.end * scale,
    repeat: v.repeat !== undefined ? v.repeat * scale : v.end !== undefined ? scale : 0,
  }));
}

const compiledCache = new WeakMap<CalendarEvent, Compiled>();

function compile(ev: CalendarEvent): Compiled {
  const known = compiledCache.get(ev);
  if (known !== undefined) return known;
  const compiled: Compiled = {
    years: chain(ev.years),
    months: chain(ev.months),
    days: chain(ev.days),
    hours: chain(ev.hours),
    minutes: chain(ev.minutes),
    seconds: chain(ev.seconds, USEC_PER_SEC) ?? [{ start: 0, stop: -1, repeat: USEC_PER_SEC }],
    weekdays: ev.weekdays <= 0 || ev.weekdays >= ALL_WEEKDAYS ? -1 : ev.weekdays,
  };
  compiledCache.set(ev, compiled);
  return compiled;
}

/** Smallest value ≥ `value` in the chain; `undefined` when there is none (null chain: `value`). */
function findMatching(items: readonly Chain[] | null, value: number): number | undefined {
  if (items === null) return value;
  let best: number | undefined;
  for (const c of items) {
    if (c.start >= value) {
      if (best === undefined || c.start < best) best = c.start;
    } else if (c.repeat > 0) {
      const k = c.start + c.repeat * Math.ceil((value - c.start) / c.repeat);
      if ((best === undefined || k < best) && (c.stop < 0 || k <= c.stop)) best = k;
    }
  }
  return best;
}

const WITHIN = 1;
const NORMALIZED = 0;
const OUT_OF_BOUNDS = -1;

/**
 * Did `mktime` change the fields? If so, continue from the normalized time with the
 * fields finer than the first changed one reset; refuse to go backward.
 */
function withinBounds(clock: Clock, c: Tm, forgetDst: boolean): number {
  if (c.year > MAX_YEAR) return OUT_OF_BOUNDS;
  const r = clock.mktime({ ...c });
  if (r === undefined) return OUT_OF_BOUNDS;
  const t = { ...r.tm };
  let cmp: number;
  if ((cmp = Math.sign(t.year - c.year)) !== 0) t.mon = 0;
  else if ((cmp = Math.sign(t.mon - c.mon)) !== 0) t.mday = 1;
  else if ((cmp = Math.sign(t.mday - c.mday)) !== 0) t.hour = 0;
  else if ((cmp = Math.sign(t.hour - c.hour)) !== 0) t.min = 0;
  else if ((cmp = Math.sign(t.min - c.min)) !== 0) t.sec = 0;
  else cmp = Math.sign(t.sec - c.sec);
  if (cmp < 0) return OUT_OF_BOUNDS;
  if (cmp > 0) {
    Object.assign(c, t);
    if (forgetDst) c.isdst = -1;
  }
  return cmp === 0 ? WITHIN : NORMALIZED;
}

function matchesWeekday(clock: Clock, bits: number, c: Tm): boolean {
  if (bits < 0) return true;
  const r = clock.mktime({ ...c });
  if (r === undefined) return false;
  const k = r.tm.wday === 0 ? 6 : r.tm.wday - 1;
  return (bits & (1 << k)) !== 0;
}

/** Normalizes `c` in place; returns the instant, or `undefined` when mktime fails. */
function normalize(clock: Clock, c: Tm): number | undefined {
  const r = clock.mktime({ ...c });
  if (r === undefined) return undefined;
  Object.assign(c, r.tm);
  return r.t;
}

/** Steps after which the search starts looking for a cycle. */
const CYCLE_CHECK_AFTER = 64;

/** Outcome of {@link findNext} when nothing was found. */
const NEVER = "never";
const STUCK = "stuck";

/**
 * The field search; `c` is the start time (broken down) and is updated to the result.
 * Returns the microseconds of the result, {@link NEVER} when no later date matches, or
 * {@link STUCK} after {@link MAX_SEARCH_ITERATIONS} steps (or as soon as the search is
 * seen to cycle, which would end there too).
 *
 * `forgetDst = false` is systemd's search exactly. There, when `mktime` normalizes an
 * overflowing field (a repetition such as month `4/6` reaching 16) and the finer
 * fields are reset, the reset time keeps the DST flag of the normalized one (April,
 * summer time, flag kept for 1 January); `mktime` then maps it an hour back into the
 * previous year and the search loops until the iteration limit (systemd reports
 * "Infinite loop in calendar calculation"). With `forgetDst = true` the reset time is
 * re-resolved without that flag, which finds the intended occurrence.
 */
function findNext(spec: Compiled, clock: Clock, c: Tm, startUsec: number, forgetDst: boolean): number | typeof NEVER | typeof STUCK {
  let usec = startUsec;
  const LEVELS = ["mon", "mday", "hour", "min", "sec"] as const;
  /** Resets `level` and every finer field to its first value (month 0, day 1, else 0). */
  const resetFrom = (level: (typeof LEVELS)[number]): void => {
    for (let k = LEVELS.indexOf(level); k < LEVELS.length; k++) {
      const field = LEVELS[k] as (typeof LEVELS)[number];
      c[field] = field === "mday" ? 1 : 0;
    }
    usec = 0;
  };
  // The search is deterministic in (instant, microseconds, mktime guess) at the top of
  // the loop: when that state comes back, it cycles and can only end at the limit.
  // Ordinary searches end within a few dozen steps, so states are only recorded after that.
  const seen = new Set<string>();
  for (let iteration = 0; iteration < MAX_SEARCH_ITERATIONS; iteration++) {
    const t = normalize(clock, c);
    c.isdst = -1;
    if (t !== undefined && iteration >= CYCLE_CHECK_AFTER) {
      const state = `${t}:${usec}:${clock.offsetGuess}`;
      if (seen.has(state)) return STUCK;
      seen.add(state);
    }

    let v = findMatching(spec.years, c.year);
    if (v === undefined) return NEVER;
    if (v !== c.year) {
      c.year = v;
      resetFrom("mon");
    }
    if (withinBounds(clock, c, forgetDst) <= 0) return NEVER;

    v = findMatching(spec.months, c.mon + 1);
    let r: number;
    if (v !== undefined && v !== c.mon + 1) {
      c.mon = v - 1;
      resetFrom("mday");
    }
    if (v === undefined || (r = withinBounds(clock, c, forgetDst)) < 0) {
      c.year++;
      resetFrom("mon");
      continue;
    }
    if (r === NORMALIZED) continue;

    v = findMatching(spec.days, c.mday);
    if (v !== undefined && v !== c.mday) {
      c.mday = v;
      resetFrom("hour");
    }
    if (v === undefined || (r = withinBounds(clock, c, forgetDst)) < 0) {
      c.mon++;
      resetFrom("mday");
      continue;
    }
    if (r === NORMALIZED) continue;

    if (!matchesWeekday(clock, spec.weekdays, c)) {
      c.mday++;
      resetFrom("hour");
      continue;
    }

    v = findMatching(spec.hours, c.hour);
    if (v !== undefined && v !== c.hour) {
      c.hour = v;
      resetFrom("min");
    }
    if (v === undefined || (r = withinBounds(clock, c, forgetDst)) < 0) {
      c.mday++;
      resetFrom("hour");
      continue;
    }
    if (r === NORMALIZED) continue;

    v = findMatching(spec.minutes, c.min);
    if (v !== undefined && v !== c.min) {
      c.min = v;
      resetFrom("sec");
    }
    if (v === undefined || (r = withinBounds(clock, c, forgetDst)) < 0) {
      c.hour++;
      resetFrom("min");
      continue;
    }
    if (r === NORMALIZED) continue;

    v = findMatching(spec.seconds, c.sec * USEC_PER_SEC + usec);
    if (v !== undefined) {
      usec = v % USEC_PER_SEC;
      c.sec = Math.floor(v / USEC_PER_SEC);
    }
    if (v === undefined || (r = withinBounds(clock, c, forgetDst)) < 0) {
      c.min++;
      resetFrom("sec");
      continue;
    }
    if (r === NORMALIZED) continue;

    return usec;
  }
  return STUCK;
}

/** Latest instant systemd formats (9999-12-31 23:59:59 UTC); later starts find nothing. */
const LATEST_START_MS = 253_402_300_799_000;

function zoneFor(ev: CalendarEvent, opts: NextEventOptions | undefined): ReturnType<typeof getZone> {
  if (ev.utc) return UTC_ZONE;
  const name = opts?.timeZone ?? processTimeZone();
  return getZone(name);
}

function checkDate(after: Date): number {
  const ms = after instanceof Date ? after.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new CalendarArgumentError("after", "must be a valid Date");
  return ms;
}

function nextFrom(spec: Compiled, clock: Clock, afterMs: number): number | null {
  if (afterMs > LATEST_START_MS) return null;
  // Strictly after: one microsecond later, in whole seconds plus a sub-second part.
  const t = Math.floor(afterMs / 1000);
  const startUsec = (afterMs - t * 1000) * 1000 + 1;
  let c = clock.localTime(t);
  let usec = findNext(spec, clock, c, startUsec, false);
  if (usec === STUCK) {
    // Where systemd gives up ("infinite loop"), search again without its DST-flag carry-over.
    clock.reset(clock.zone.offsetAt(t));
    c = clock.localTime(t);
    usec = findNext(spec, clock, c, startUsec, true);
  }
  if (usec === NEVER || usec === STUCK) return null;
  c.isdst = -1;
  const result = clock.mktime(c);
  if (result === undefined) return null;
  return result.t * 1000 + Math.floor(usec / 1000);
}

/**
 * The first occurrence of `ev` strictly after `after`, with second resolution, in the
 * event's zone: UTC when the event says `UTC`, else `opts.timeZone`, else the process
 * time zone. Returns `null` when the event never occurs again (impossible dates such as
 * `02-30`, years in the past, or more than {@link MAX_SEARCH_ITERATIONS} search steps).
 *
 * @throws {CalendarArgumentError} for an invalid `after` or an unknown `timeZone`.
 */
export function computeNextEvent(ev: CalendarEvent, after: Date, opts?: NextEventOptions): Date | null {
  const ms = checkDate(after);
  const zone = zoneFor(ev, opts);
  const clock = new Clock(zone, zone.offsetAt(Math.floor(ms / 1000)));
  const next = nextFrom(compile(ev), clock, ms);
  return next === null ? null : new Date(next);
}

/**
 * The next `count` occurrences of `ev` strictly after `after` (fewer when the event
 * stops occurring). Each one is searched strictly after the previous one.
 *
 * @throws {CalendarArgumentError} for an invalid `after`, `count` or `timeZone`.
 */
export function computeNextEvents(ev: CalendarEvent, after: Date, count: number, opts?: NextEventOptions): Date[] {
  let ms = checkDate(after);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new CalendarArgumentError("count", `must be a non-negative integer, got ${String(count)}`);
  }
  const zone = zoneFor(ev, opts);
  const spec = compile(ev);
  const clock = new Clock(zone, zone.offsetAt(Math.floor(ms / 1000)));
  const out: Date[] = [];
  while (out.length < count) {
    const next = nextFrom(spec, clock, ms);
    if (next === null) break;
    out.push(new Date(next));
    ms = next;
  }
  return out;
}
