/**
 * Time spans as PBS accepts them for retention and similar settings:
 * `2 weeks`, `7days`, `1d 2h 3m`, `1y`, `6M`.
 *
 * @see ../../../../shared/reference/pbs-tape-format.md §10.2
 */
import { TimeSpanSyntaxError } from "./errors.ts";

/** The components of a span (each the sum of the numbers given with that unit). */
export interface TimeSpanComponents {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  /** The seconds component (`s`, `sec`, or a number without a unit). */
  readonly sec: number;
  readonly msec: number;
  readonly usec: number;
  readonly nsec: number;
}

/** A parsed span: its components and `seconds`, the total length in seconds. */
export interface TimeSpan extends TimeSpanComponents {
  /** Total length in seconds (fractional when sub-second units are used). */
  readonly seconds: number;
}

/** Seconds per unit. A month is 30.44 days, a year 365.25 days (§10.2). */
export const SECONDS_PER_UNIT = {
  years: 31_557_600,
  months: 2_630_016,
  weeks: 604_800,
  days: 86_400,
  hours: 3_600,
  minutes: 60,
  sec: 1,
  msec: 1e-3,
  usec: 1e-6,
  nsec: 1e-9,
} as const satisfies Record<keyof TimeSpanComponents, number>;

type Component = keyof TimeSpanComponents;

/** Unit names (case-sensitive: `M` is months, `m` is minutes). */
const UNITS: ReadonlyMap<string, Component> = new Map<string, Component>([
  ["s", "sec"], ["sec", "sec"], ["second", "sec"], ["seconds", "sec"],
  ["ms", "msec"], ["msec", "msec"],
  ["us", "usec"], ["usec", "usec"], ["µs", "usec"], ["μs", "usec"],
  ["ns", "nsec"], ["nsec", "nsec"],
  ["m", "minutes"], ["min", "minutes"], ["minute", "minutes"], ["minutes", "minutes"],
  ["h", "hours"], ["hr", "hours"], ["hour", "hours"], ["hours", "hours"],
  ["d", "days"], ["day", "days"], ["days", "days"],
  ["w", "weeks"], ["week", "weeks"], ["weeks", "weeks"],
  ["M", "months"], ["month", "months"], ["months", "months"],
  ["y", "years"], ["year", "years"], ["years", "years"],
]);

/** The unit names {@link parseTimeSpan} accepts. */
export const TIME_SPAN_UNITS: readonly string[] = [...UNITS.keys()];

const ORDER: readonly Component[] = ["years", "months", "weeks", "days", "hours", "minutes", "sec", "msec", "usec", "nsec"];

/** Short unit printed by {@link formatTimeSpan} for each component. */
const SHORT: Record<Component, string> = {
  years: "y",
  months: "M",
  weeks: "w",
  days: "d",
  hours: "h",
  minutes: "m",
  sec: "s",
  msec: "ms",
  usec: "us",
  nsec: "ns",
};

const isSpace = (ch: string | undefined): boolean => ch === " " || ch === "\t" || ch === "\n" || ch === "\r";
const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= "0" && ch <= "9";
const isUnitChar = (ch: string | undefined): boolean =>
  ch !== undefined && ((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || ch === "µ" || ch === "μ");

/** Total seconds of the components. */
export function timeSpanToSeconds(span: TimeSpanComponents): number {
  let total = 0;
  for (const key of ORDER) total += span[key] * SECONDS_PER_UNIT[key];
  return total;
}

/**
 * Parses a time span: one or more `number [unit]` parts, spaces optional, in any order;
 * a number without a unit is seconds; repeated units add up. Numbers are non-negative
 * integers.
 *
 * @throws {TimeSpanSyntaxError} (`code: "TIMESPAN_SYNTAX"`), also for empty input.
 */
export function parseTimeSpan(text: string): TimeSpan {
  const input = String(text);
  const fail = (at: number, reason: string): never => {
    throw new TimeSpanSyntaxError(input, at, reason);
  };
  const acc: Record<Component, number> = {
    years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, sec: 0, msec: 0, usec: 0, nsec: 0,
  };
  let i = 0;
  let parts = 0;
  for (;;) {
    while (isSpace(input[i])) i++;
    if (i >= input.length) break;
    const numberAt = i;
    while (isDigit(input[i])) i++;
    if (i === numberAt) {
      fail(numberAt, `expected a number but found "${input.slice(numberAt, numberAt + 12)}"`);
    }
    const value = Number(input.slice(numberAt, i));
    if (!Number.isSafeInteger(value)) fail(numberAt, `number ${input.slice(numberAt, i)} is too large`);
    while (isSpace(input[i])) i++;
    const unitAt = i;
    while (isUnitChar(input[i])) i++;
    const unit = input.slice(unitAt, i);
    let component: Component = "sec";
    if (unit.length > 0) {
      const known = UNITS.get(unit);
      if (known === undefined) fail(unitAt, `invalid time span unit "${unit}"`);
      component = known as Component;
    } else if (i < input.length && !isSpace(input[i]) && !isDigit(input[i])) {
      fail(i, `unexpected "${input[i]}" in time span`);
    }
    acc[component] += value;
    parts++;
  }
  if (parts === 0) fail(0, "empty time span");
  return { ...acc, seconds: timeSpanToSeconds(acc) };
}

/**
 * Formats a span as `1y 6M 2w 3d 4h 5m 6s 7ms 8us 9ns`, leaving out zero components
 * (`0s` when all are zero). The result parses back to the same components.
 */
export function formatTimeSpan(span: TimeSpanComponents): string {
  const parts: string[] = [];
  for (const key of ORDER) {
    const value = span[key];
    if (value !== 0) parts.push(`${value}${SHORT[key]}`);
  }
  return parts.length === 0 ? "0s" : parts.join(" ");
}
