/**
 * Media set names: the pool's `template` rendered at the set start time (§6.1).
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6.1
 */
import { DEFAULT_TEMPLATE } from "@tapefleet/api-types";
import { PoolArgumentError } from "./errors.ts";
import { DEFAULT_TIME_ZONE, checkTime } from "./pool-policy.ts";
import type { PoolConfig } from "./types.ts";

/** Options of {@link mediaSetName} and {@link formatStrftime}. */
export interface MediaSetNameOptions {
  /** IANA zone of the rendered local time (PBS: the server's zone). Default `UTC`. */
  readonly timeZone?: string | undefined;
}

/**
 * Name of a media set: `pool.template` (default `%c`) with `%id%` replaced by the set
 * UUID, then strftime-rendered in local time at `setStartTime`. When the start time is
 * unknown (null), the name is the UUID.
 *
 * @throws {PoolArgumentError} for an unknown time zone or a non-integer start time.
 */
export function mediaSetName(
  pool: Pick<PoolConfig, "template">,
  setStartTime: number | null,
  uuid: string,
  opts: MediaSetNameOptions = {},
): string {
  if (setStartTime === null) return uuid;
  const template = (pool.template ?? DEFAULT_TEMPLATE).replaceAll("%id%", uuid);
  return formatStrftime(template, setStartTime, opts);
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const WEEKDAYS_LONG = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const MONTHS_LONG = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
] as const;

/** Local calendar fields of an instant. */
interface LocalTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
  yday: number; // 0-based day of the year
  offsetMinutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch (err) {
      throw new PoolArgumentError("timeZone", `unknown time zone ${JSON.stringify(timeZone)}`, { cause: err });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function daysFromCivil(y: number, m: number, d: number): number {
  return Math.floor(Date.UTC(y, m - 1, d) / 86_400_000);
}

function localTime(t: number, timeZone: string): LocalTime {
  const parts = formatterFor(timeZone).formatToParts(new Date(t * 1000));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  const year = get("year");
  const month = get("month");
  const day = get("day");
  const hour = get("hour");
  const minute = get("minute");
  const second = get("second");
  const days = daysFromCivil(year, month, day);
  const localSeconds = days * 86_400 + hour * 3600 + minute * 60 + second;
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    weekday: (((days + 4) % 7) + 7) % 7, // 1970-01-01 was a Thursday
    yday: days - daysFromCivil(year, 1, 1),
    offsetMinutes: Math.round((localSeconds - t) / 60),
  };
}

const pad = (n: number, width = 2, fill = "0"): string => String(n).padStart(width, fill);

/**
 * strftime in the C locale for the specifiers templates use: `%Y %m %d %H %M %S %a %b
 * %c %F %T %y %j %%`, plus `%A %B %e %D %R %u %w %z %s %n %t`. Other specifiers are
 * kept as written, as glibc does.
 *
 * @throws {PoolArgumentError} for an unknown time zone or a non-integer time.
 */
export function formatStrftime(format: string, t: number, opts: MediaSetNameOptions = {}): string {
  checkTime("setStartTime", t);
  const tm = localTime(t, opts.timeZone ?? DEFAULT_TIME_ZONE);
  const one = (spec: string): string | null => {
    switch (spec) {
      case "Y": return String(tm.year);
      case "y": return pad(tm.year % 100);
      case "m": return pad(tm.month);
      case "d": return pad(tm.day);
      case "e": return pad(tm.day, 2, " ");
      case "H": return pad(tm.hour);
      case "M": return pad(tm.minute);
      case "S": return pad(tm.second);
      case "j": return pad(tm.yday + 1, 3);
      case "a": return WEEKDAYS[tm.weekday] ?? "";
      case "A": return WEEKDAYS_LONG[tm.weekday] ?? "";
      case "b": return MONTHS[tm.month - 1] ?? "";
      case "B": return MONTHS_LONG[tm.month - 1] ?? "";
      case "u": return String(tm.weekday === 0 ? 7 : tm.weekday);
      case "w": return String(tm.weekday);
      case "F": return `${tm.year}-${pad(tm.month)}-${pad(tm.day)}`;
      case "T": return `${pad(tm.hour)}:${pad(tm.minute)}:${pad(tm.second)}`;
      case "R": return `${pad(tm.hour)}:${pad(tm.minute)}`;
      case "D": return `${pad(tm.month)}/${pad(tm.day)}/${pad(tm.year % 100)}`;
      case "c": return `${one("a")} ${one("b")} ${one("e")} ${one("T")} ${tm.year}`;
      case "z": {
        const abs = Math.abs(tm.offsetMinutes);
        return `${tm.offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
      }
      case "s": return String(t);
      case "n": return "\n";
      case "t": return "\t";
      case "%": return "%";
      default: return null;
    }
  };
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch !== "%" || i + 1 >= format.length) {
      out += ch;
      continue;
    }
    const spec = format[i + 1] as string;
    const text = one(spec);
    out += text ?? `%${spec}`;
    i++;
  }
  return out;
}
