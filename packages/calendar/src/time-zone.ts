/**
 * Broken-down time in a time zone: UTC offsets come from `Intl.DateTimeFormat`;
 * `mktime` converts local fields back to an instant with the same rules as the GNU C
 * library's `mktime(3)`, which is what systemd's calendar code relies on for days
 * that skip or repeat an hour (daylight saving time changes).
 */
import { CalendarArgumentError } from "./errors.ts";

/** Broken-down time, like C's `struct tm` (but `year` is the full year, `mon` is 0-based). */
export interface Tm {
  year: number;
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
  /** 1 daylight saving time, 0 standard time, -1 unknown (let `mktime` decide). */
  isdst: number;
  /** 0 = Sunday … 6 = Saturday; output only. */
  wday: number;
}

const SECONDS_PER_DAY = 86_400;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1–12; day may overflow). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Seconds since the epoch of the fields read as UTC; out-of-range fields carry over. */
export function linearSeconds(tm: Tm): number {
  const yearCarry = Math.floor(tm.mon / 12);
  const mon = tm.mon - yearCarry * 12;
  const days = daysFromCivil(tm.year + yearCarry, mon + 1, 1) + tm.mday - 1;
  return days * SECONDS_PER_DAY + tm.hour * 3600 + tm.min * 60 + tm.sec;
}

/** Broken-down fields of seconds-since-epoch read as UTC. */
export function fieldsOf(seconds: number, isdst: number): Tm {
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  let rest = seconds - days * SECONDS_PER_DAY;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const mday = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const min = Math.floor(rest / 60);
  const sec = rest - min * 60;
  const wday = (((days + 4) % 7) + 7) % 7;
  return { year, mon: month - 1, mday, hour, min, sec, isdst, wday };
}

/** A time zone: UTC offset and DST flag at an instant (seconds since the epoch). */
export interface Zone {
  readonly name: string;
  offsetAt(t: number): number;
  isDstAt(t: number): boolean;
}

export const UTC_ZONE: Zone = {
  name: "UTC",
  offsetAt: () => 0,
  isDstAt: () => false,
};

class IntlZone implements Zone {
  private readonly format: Intl.DateTimeFormat;
  private readonly standard = new Map<number, number>();
  private readonly cache = new Map<number, number>();

  constructor(readonly name: string) {
    this.format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }

  offsetAt(t: number): number {
    const cached = this.cache.get(t);
    if (cached !== undefined) return cached;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.format.formatToParts(t * 1000)) {
      switch (part.type) {
        case "year": year = Number(part.value); break;
        case "month": month = Number(part.value); break;
        case "day": day = Number(part.value); break;
        case "hour": hour = Number(part.value); break;
        case "minute": minute = Number(part.value); break;
        case "second": second = Number(part.value); break;
        case "era": bc = part.value.startsWith("B"); break;
        default: break;
      }
    }
    if (bc) year = 1 - year;
    const local = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    const offset = local - t;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(t, offset);
    return offset;
  }

  /**
   * Intl does not expose the DST flag; an offset above the smaller of the offsets on
   * 1 January and 1 July of the same year counts as daylight saving time.
   */
  isDstAt(t: number): boolean {
    const year = fieldsOf(t, 0).year;
    let standard = this.standard.get(year);
    if (standard === undefined) {
      const jan = daysFromCivil(year, 1, 1) * SECONDS_PER_DAY;
      const jul = daysFromCivil(year, 7, 1) * SECONDS_PER_DAY;
      standard = Math.min(this.offsetAt(jan), this.offsetAt(jul));
      this.standard.set(year, standard);
    }
    return this.offsetAt(t) > standard;
  }
}

const zones = new Map<string, Zone>();

/** The zone the process runs in (`TZ`), as Intl resolves it. */
export function processTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
}

/**
 * Looks up an IANA time zone name.
 * @throws {CalendarArgumentError} (`field: "timeZone"`) when the name is unknown.
 */
export function getZone(name: string): Zone {
  const known = zones.get(name);
  if (known !== undefined) return known;
  let zone: Zone;
  try {
    zone = new IntlZone(name);
  } catch (err) {
    throw new CalendarArgumentError("timeZone", `unknown time zone "${name}"`, { cause: err });
  }
  if (zone.offsetAt(0) === 0 && zone.offsetAt(15_778_800) === 0 && /^(Etc\/)?(UTC|GMT|Zulu|UCT|Universal)$/i.test(name)) {
    zone = UTC_ZONE;
  }
  zones.set(name, zone);
  return zone;
}

/** `localtime_r(3)`: broken-down local time of an instant. */
export function localTime(zone: Zone, t: number): Tm {
  return fieldsOf(t + zone.offsetAt(t), zone.isDstAt(t) ? 1 : 0);
}

/** Result of {@link Clock.mktime}: the instant and its normalized fields. */
export interface MkTimeResult {
  readonly t: number;
  readonly tm: Tm;
}

/** Longest DST period (tzdata), and the probe stride glibc uses to find a neighbour with the wanted DST flag. */
const DST_PROBE_STRIDE = 601_200;
const DST_DURATION_MAX = 536_454_000;

/**
 * `mktime(3)` for one zone, with the GNU C library's state: the UTC offset of the
 * previous result is the first guess of the next call. That guess decides which of
 * two instants a repeated local time (the hour a clock goes back) maps to, and a
 * local time that does not exist (the hour a clock skips) is moved by the size of
 * the gap (forward on an ordinary spring-forward day).
 */
export class Clock {
  /** Offset guess (seconds east of UTC), glibc's `localtime_offset`. */
  private guess: number;

  constructor(readonly zone: Zone, initialGuess = 0) {
    this.guess = initialGuess;
  }

  localTime(t: number): Tm {
    return localTime(this.zone, t);
  }

  /** The current offset guess (seconds east of UTC). */
  get offsetGuess(): number {
    return this.guess;
  }

  /** Sets the offset guess (as after a `mktime` that resolved to that offset). */
  reset(guess: number): void {
    this.guess = guess;
  }

  /** Returns `undefined` where glibc returns -1 (no convergence). */
  mktime(tm: Tm): MkTimeResult | undefined {
    const zone = this.zone;
    const requested = linearSeconds(tm);
    const isdst = tm.isdst;
    const t0 = requested - this.guess;
    let t = t0;
    let t1 = t0;
    let t2 = t0;
    let dst2 = 0;
    let probes = 6;
    let offset = zone.offsetAt(t);
    let dst = zone.isDstAt(t) ? 1 : 0;
    let found = false;
    for (;;) {
      const gt = requested - offset;
      if (gt === t) break;
      if (t === t1 && t !== t2 && (isdst < 0 ? dst2 <= dst : (isdst !== 0) !== (dst !== 0))) {
        // Oscillating around a gap: keep t, which is the gap's size away from the request.
        found = true;
        break;
      }
      if (--probes === 0) return undefined;
      t1 = t2;
      t2 = t;
      t = gt;
      dst2 = dst;
      offset = zone.offsetAt(t);
      dst = zone.isDstAt(t) ? 1 : 0;
    }
    if (!found && isdst >= 0 && (isdst !== 0) !== (dst !== 0)) {
      // Wrong DST flag: look for a neighbouring instant with the wanted flag and use its offset.
      const bound = DST_DURATION_MAX / 2 + DST_PROBE_STRIDE;
      search: for (let delta = DST_PROBE_STRIDE; delta < bound; delta += DST_PROBE_STRIDE) {
        for (const direction of [-1, 1]) {
          const ot = t + delta * direction;
          if ((zone.isDstAt(ot) ? 1 : 0) === (isdst !== 0 ? 1 : 0)) {
            t = requested - zone.offsetAt(ot);
            offset = zone.offsetAt(t);
            dst = zone.isDstAt(t) ? 1 : 0;
            break search;
          }
        }
      }
    }
    this.guess = requested - t;
    return { t, tm: fieldsOf(t + offset, dst) };
  }
}
