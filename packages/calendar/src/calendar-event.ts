/**
 * Calendar event expressions as Proxmox Backup Server accepts them for schedules
 * (a dialect of systemd.time calendar events).
 *
 * @see ../../../../shared/reference/pbs-tape-format.md §10.1
 */
import { CalendarSyntaxError } from "./errors.ts";

/**
 * One item of a value list:
 * - `{ start }`: a single value,
 * - `{ start, end }`: the range `start..end`,
 * - `{ start, repeat }`: `start/repeat`, i.e. start, start+repeat, … up to the field maximum,
 * - `{ start, end, repeat }`: `start..end/repeat`, the same bounded by `end`.
 */
export interface CalendarValue {
  readonly start: number;
  readonly end?: number;
  readonly repeat?: number;
}

/** A parsed calendar event. An empty value list means "any" (`*`). */
export interface CalendarEvent {
  /** True when the expression ends in `UTC`; otherwise it is evaluated in a local time zone. */
  readonly utc: boolean;
  /** Weekday bit mask, Mon = 1, Tue = 2, … Sun = 64; 0 means every day. */
  readonly weekdays: number;
  readonly years: readonly CalendarValue[];
  readonly months: readonly CalendarValue[];
  readonly days: readonly CalendarValue[];
  readonly hours: readonly CalendarValue[];
  readonly minutes: readonly CalendarValue[];
  readonly seconds: readonly CalendarValue[];
}

/** Weekday bits, PBS `WeekDays` order. */
export const WEEKDAY_BITS = {
  mon: 1,
  tue: 2,
  wed: 4,
  thu: 8,
  fri: 16,
  sat: 32,
  sun: 64,
} as const;

/** All seven weekday bits. */
export const ALL_WEEKDAYS = 127;

const WEEKDAY_NAMES: ReadonlyMap<string, number> = new Map([
  ["mon", 0], ["monday", 0],
  ["tue", 1], ["tuesday", 1],
  ["wed", 2], ["wednesday", 2],
  ["thu", 3], ["thursday", 3],
  ["fri", 4], ["friday", 4],
  ["sat", 5], ["saturday", 5],
  ["sun", 6], ["sunday", 6],
]);

const WEEKDAY_LABELS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

/** Field descriptions: name for messages, allowed range, start of `*∕r`, print width. */
interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly starStart: number;
  readonly width: number;
}

/** Years are limited like systemd's (and PBS's) upper bound: year < 2200. */
export const MAX_YEAR = 2199;

const YEAR: FieldSpec = { name: "year", min: 0, max: MAX_YEAR, starStart: 0, width: 4 };
const MONTH: FieldSpec = { name: "month", min: 1, max: 12, starStart: 1, width: 2 };
const DAY: FieldSpec = { name: "day", min: 1, max: 31, starStart: 1, width: 2 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23, starStart: 0, width: 2 };
const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59, starStart: 0, width: 2 };
const SECOND: FieldSpec = { name: "second", min: 0, max: 59, starStart: 0, width: 2 };

const ZERO: readonly CalendarValue[] = [{ start: 0 }];
const ONE: readonly CalendarValue[] = [{ start: 1 }];

function event(parts: Partial<CalendarEvent>): CalendarEvent {
  return {
    utc: false,
    weekdays: 0,
    years: [],
    months: [],
    days: [],
    hours: ZERO,
    minutes: ZERO,
    seconds: ZERO,
    ...parts,
  };
}

/** Keyword expansions (§10.1 table). The keyword must be the whole expression (plus optional `UTC`). */
const KEYWORDS: ReadonlyMap<string, CalendarEvent> = new Map([
  ["minutely", event({ hours: [], minutes: [] })],
  ["hourly", event({ hours: [] })],
  ["daily", event({})],
  ["weekly", event({ weekdays: WEEKDAY_BITS.mon })],
  ["monthly", event({ days: ONE })],
  ["yearly", event({ months: ONE, days: ONE })],
  ["annually", event({ months: ONE, days: ONE })],
  ["quarterly", event({ months: [{ start: 1 }, { start: 4 }, { start: 7 }, { start: 10 }], days: ONE })],
  ["semiannually", event({ months: [{ start: 1 }, { start: 7 }], days: ONE })],
  ["semi-annually", event({ months: [{ start: 1 }, { start: 7 }], days: ONE })],
]);

/** The keywords accepted as a whole expression. */
export const CALENDAR_KEYWORDS: readonly string[] = [...KEYWORDS.keys()];

const isSpace = (ch: string | undefined): boolean => ch === " " || ch === "\t";
const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= "0" && ch <= "9";
const isAlpha = (ch: string | undefined): boolean =>
  ch !== undefined && ((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z"));

/** A whitespace-free piece of the expression and where it starts. */
interface Token {
  readonly text: string;
  readonly at: number;
}

class Parser {
  constructor(private readonly input: string) {}

  fail(at: number, reason: string): never {
    throw new CalendarSyntaxError(this.input, at, reason);
  }

  /** Parses `n` (decimal digits) at `at` within `token`; returns value and end index. */
  number(token: Token, i: number, field: FieldSpec, what: string): [number, number] {
    let j = i;
    while (isDigit(token.text[j])) j++;
    if (j === i) {
      const found = token.text[i];
      this.fail(
        token.at + i,
        found === undefined ? `expected ${what} (${field.name}) but the input ends` : `expected ${what} (${field.name}) but found "${found}"`,
      );
    }
    const digits = token.text.slice(i, j);
    const value = digits.length > 9 ? Number.POSITIVE_INFINITY : Number.parseInt(digits, 10);
    return [value, j];
  }

  checkRange(value: number, field: FieldSpec, at: number): void {
    if (value < field.min || value > field.max) {
      this.fail(at, `${field.name} ${value} out of range ${field.min}..${field.max}`);
    }
  }

  repetition(token: Token, i: number, field: FieldSpec): [number, number] {
    const [repeat, j] = this.number(token, i, field, "a repetition");
    if (repeat < 1 || repeat > field.max) {
      this.fail(token.at + i, `${field.name} repetition ${repeat} out of range 1..${field.max}`);
    }
    return [repeat, j];
  }

  /** list := "*" | "*∕" rep | item ("," item)* ; the whole token piece must be consumed. */
  list(token: Token, field: FieldSpec): CalendarValue[] {
    const text = token.text;
    if (text.length === 0) this.fail(token.at, `missing ${field.name}`);
    if (text[0] === "*") {
      if (text.length === 1) return [];
      if (text[1] !== "/") this.fail(token.at + 1, `unexpected "${text.slice(1)}" after "*" in ${field.name}`);
      const [repeat, end] = this.repetition(token, 2, field);
      if (end !== text.length) this.fail(token.at + end, `unexpected "${text.slice(end)}" in ${field.name}`);
      return [{ start: field.starStart, repeat }];
    }
    const values: CalendarValue[] = [];
    let i = 0;
    for (;;) {
      const itemAt = i;
      const [start, afterStart] = this.number(token, i, field, "a number");
      this.checkRange(start, field, token.at + itemAt);
      i = afterStart;
      let end: number | undefined;
      if (text.startsWith("..", i)) {
        const endAt = i + 2;
        const [value, afterEnd] = this.number(token, endAt, field, "a range end");
        this.checkRange(value, field, token.at + endAt);
        if (start > value) this.fail(token.at + itemAt, `${field.name} range start ${start} is bigger than end ${value}`);
        end = value;
        i = afterEnd;
      }
      let repeat: number | undefined;
      if (text[i] === "/") {
        const [value, afterRepeat] = this.repetition(token, i + 1, field);
        repeat = value;
        i = afterRepeat;
      }
      values.push({ start, ...(end !== undefined ? { end } : {}), ...(repeat !== undefined ? { repeat } : {}) });
      if (i === text.length) return values;
      if (text[i] !== ",") this.fail(token.at + i, `unexpected "${text.slice(i)}" in ${field.name}`);
      i++;
    }
  }

  /** Splits a token at `sep` into pieces that keep their absolute positions. */
  split(token: Token, sep: string): Token[] {
    const out: Token[] = [];
    let from = 0;
    for (;;) {
      const k = token.text.indexOf(sep, from);
      if (k < 0) {
        out.push({ text: token.text.slice(from), at: token.at + from });
        return out;
      }
      out.push({ text: token.text.slice(from, k), at: token.at + from });
      from = k + sep.length;
    }
  }

  /** weekdays := wdrange ("," wdrange)* ; wdrange := wd [".." wd] (wrapping ranges allowed). */
  weekdays(token: Token): number {
    let bits = 0;
    let i = 0;
    const text = token.text;
    const name = (): number => {
      const from = i;
      while (isAlpha(text[i])) i++;
      const word = text.slice(from, i);
      if (word.length === 0) {
        this.fail(token.at + from, text[from] === undefined ? "expected a weekday but the input ends" : `expected a weekday but found "${text[from]}"`);
      }
      const day = WEEKDAY_NAMES.get(word.toLowerCase());
      if (day === undefined) this.fail(token.at + from, `invalid weekday "${word}"`);
      return day;
    };
    for (;;) {
      const first = name();
      if (text.startsWith("..", i)) {
        i += 2;
        const last = name();
        // A range that wraps past Sunday (fri..mon) covers fri, sat, sun, mon.
        for (let d = first; ; d = (d + 1) % 7) {
          bits |= 1 << d;
          if (d === last) break;
        }
      } else {
        bits |= 1 << first;
      }
      if (i === text.length) return bits;
      if (text[i] !== ",") this.fail(token.at + i, `unexpected "${text.slice(i)}" in weekdays`);
      i++;
    }
  }

  /** date := [Ylist "-"] Mlist "-" Dlist */
  date(token: Token): Pick<CalendarEvent, "years" | "months" | "days"> {
    const parts = this.split(token, "-");
    if (parts.length > 3) {
      const extra = parts[3] as Token;
      this.fail(extra.at - 1, `too many "-" in date "${token.text}" (expected [year-]month-day)`);
    }
    const [a, b, c] = parts as [Token, Token, Token | undefined];
    if (c === undefined) return { years: [], months: this.list(a, MONTH), days: this.list(b, DAY) };
    return { years: this.list(a, YEAR), months: this.list(b, MONTH), days: this.list(c, DAY) };
  }

  /** time := [Hlist ":"] Mlist [":" Slist]; a lone list is the minute. */
  time(token: Token): Pick<CalendarEvent, "hours" | "minutes" | "seconds"> {
    const parts = this.split(token, ":");
    if (parts.length > 3) {
      const extra = parts[3] as Token;
      this.fail(extra.at - 1, `too many ":" in time "${token.text}" (expected [hour:]minute[:second])`);
    }
    if (parts.length === 1) return { hours: [], minutes: this.list(parts[0] as Token, MINUTE), seconds: ZERO };
    const [h, m, s] = parts as [Token, Token, Token | undefined];
    return {
      hours: this.list(h, HOUR),
      minutes: this.list(m, MINUTE),
      seconds: s === undefined ? ZERO : this.list(s, SECOND),
    };
  }

  parse(): CalendarEvent {
    let text = this.input;
    let end = text.length;
    while (end > 0 && isSpace(text[end - 1])) end--;
    let utc = false;
    if (text.slice(0, end).endsWith("UTC")) {
      utc = true;
      end -= 3;
      while (end > 0 && isSpace(text[end - 1])) end--;
    }
    text = text.slice(0, end);
    let start = 0;
    while (isSpace(text[start])) start++;

    const keyword = KEYWORDS.get(text.slice(start));
    if (keyword !== undefined) return { ...keyword, utc };

    const tokens: Token[] = [];
    for (let i = start; i < text.length; ) {
      if (isSpace(text[i])) {
        i++;
        continue;
      }
      const from = i;
      while (i < text.length && !isSpace(text[i])) i++;
      tokens.push({ text: text.slice(from, i), at: from });
    }
    if (tokens.length === 0) this.fail(start, utc ? "expected a weekday, date or time before UTC" : "expected a weekday, date or time");

    let weekdays = 0;
    let k = 0;
    const first = tokens[0] as Token;
    if (isAlpha(first.text[0])) {
      weekdays = this.weekdays(first);
      k++;
    }
    let date: Pick<CalendarEvent, "years" | "months" | "days"> = { years: [], months: [], days: [] };
    let time: Pick<CalendarEvent, "hours" | "minutes" | "seconds"> = { hours: ZERO, minutes: ZERO, seconds: ZERO };
    const next = tokens[k];
    if (next !== undefined && next.text.includes("-")) {
      date = this.date(next);
      k++;
    }
    const timeToken = tokens[k];
    if (timeToken !== undefined) {
      if (isAlpha(timeToken.text[0])) {
        this.fail(timeToken.at, `unexpected "${timeToken.text}" (weekdays must come first${k > 0 ? " and appear once" : ""})`);
      }
      if (timeToken.text.includes("-")) this.fail(timeToken.at, `unexpected date "${timeToken.text}" (the date must come before the time)`);
      time = this.time(timeToken);
      k++;
    }
    const extra = tokens[k];
    if (extra !== undefined) {
      if (isAlpha(extra.text[0])) this.fail(extra.at, `unexpected "${extra.text}" (weekdays must come first and appear once)`);
      if (extra.text.includes("-")) this.fail(extra.at, `unexpected date "${extra.text}" (the date must come before the time)`);
      this.fail(extra.at, `unexpected "${extra.text}" after the time`);
    }
    return { utc, weekdays, ...date, ...time };
  }
}

/**
 * Parses a PBS calendar event expression.
 *
 * @throws {CalendarSyntaxError} with `code: "CALENDAR_SYNTAX"`, the input and the position.
 * @see ../../../../shared/reference/pbs-tape-format.md §10.1
 */
export function parseCalendarEvent(text: string): CalendarEvent {
  if (typeof text !== "string") throw new CalendarSyntaxError(String(text), 0, "calendar event must be a string");
  return new Parser(text).parse();
}

/** True when `text` is a valid calendar event expression. */
export function isCalendarEvent(text: string): boolean {
  return validateCalendarEvent(text) === undefined;
}

/** Returns the error message for an invalid expression, or `undefined` when it is valid. */
export function validateCalendarEvent(text: string): string | undefined {
  try {
    parseCalendarEvent(text);
    return undefined;
  } catch (err) {
    if (err instanceof CalendarSyntaxError) return err.message;
    throw err;
  }
}

/** A value list item in systemd's chain form: stop -1 = none, repeat 0 = none. */
export interface ChainItem {
  readonly start: number;
  readonly stop: number;
  readonly repeat: number;
}

/**
 * Canonical chain of a value list, as systemd normalizes it: a range is a repetition by 1,
 * the stop of a bounded repetition is lowered onto the last value it reaches, a bounded
 * repetition that reaches only its start becomes a single value, items are sorted by
 * (start, stop, repeat) and duplicates dropped.
 */
export function canonicalChain(values: readonly CalendarValue[]): ChainItem[] {
  const items = values.map((v): ChainItem => {
    if (v.end === undefined) return { start: v.start, stop: -1, repeat: v.repeat ?? 0 };
    const repeat = v.repeat ?? 1;
    const stop = v.end - ((v.end - v.start) % repeat);
    if (stop === v.start) return { start: v.start, stop: -1, repeat: 0 };
    return { start: v.start, stop, repeat };
  });
  items.sort((a, b) => a.start - b.start || a.stop - b.stop || a.repeat - b.repeat);
  return items.filter((item, i) => {
    const prev = items[i - 1];
    return prev === undefined || prev.start !== item.start || prev.stop !== item.stop || prev.repeat !== item.repeat;
  });
}

function formatWeekdays(bits: number): string {
  const out: string[] = [];
  let runStart = -1;
  for (let d = 0; d <= 7; d++) {
    const set = d < 7 && (bits & (1 << d)) !== 0;
    if (set && runStart < 0) runStart = d;
    if (!set && runStart >= 0) {
      const last = d - 1;
      const first = WEEKDAY_LABELS[runStart] as string;
      if (last === runStart) out.push(first);
      else if (last === runStart + 1) out.push(`${first},${WEEKDAY_LABELS[last]}`);
      else out.push(`${first}..${WEEKDAY_LABELS[last]}`);
      runStart = -1;
    }
  }
  return out.join(",");
}

function formatChain(values: readonly CalendarValue[], width: number, isSeconds: boolean): string {
  const chain = canonicalChain(values);
  const first = chain[0];
  if (first === undefined) return "*";
  if (isSeconds && chain.length === 1 && first.start === 0 && first.stop < 0 && first.repeat === 1) return "*";
  const pad = (n: number): string => String(n).padStart(width, "0");
  return chain
    .map((c) => {
      let s = pad(c.start);
      if (c.stop >= 0) s += `..${pad(c.stop)}`;
      if (c.repeat > 0 && !(c.stop >= 0 && c.repeat === 1)) s += `/${c.repeat}`;
      return s;
    })
    .join(",");
}

/**
 * The canonical text form of an event, in the layout of systemd's "Normalized form":
 * `[Weekdays ]YYYY-MM-DD HH:MM:SS[ UTC]`.
 *
 * - Weekdays are `Mon`…`Sun`; runs of three or more days print as `A..B`, two as `A,B`;
 *   an event that matches every weekday prints none. Wrapping ranges (`fri..mon`) print
 *   as their days (`Mon,Fri..Sun`).
 * - Every date and time field is printed; `*` means any. Numbers are zero-padded
 *   (4 digits for years, 2 otherwise). Lists are sorted and de-duplicated; ranges print as
 *   `a..b`, repetitions as `a/r` and `a..b/r` (with `b` lowered to the last value reached);
 *   `*∕r` prints as its start (`00/15` for minutes, `01/2` for days and months, `0000/2` for years).
 * - A missing time is `00:00:00`, missing seconds are `00`; keywords print expanded
 *   (`daily` → `*-*-* 00:00:00`, `weekly` → `Mon *-*-* 00:00:00`).
 * - ` UTC` is appended for UTC events.
 *
 * For expressions in the grammar PBS shares with systemd the result equals the
 * "Normalized form" line of `systemd-analyze calendar`. Parsing the result gives an
 * event with the same occurrences and the same normalized form.
 */
export function normalizeCalendarEvent(ev: CalendarEvent): string {
  const weekdays = ev.weekdays > 0 && ev.weekdays < ALL_WEEKDAYS ? `${formatWeekdays(ev.weekdays)} ` : "";
  const date = `${formatChain(ev.years, YEAR.width, false)}-${formatChain(ev.months, MONTH.width, false)}-${formatChain(ev.days, DAY.width, false)}`;
  const time = `${formatChain(ev.hours, HOUR.width, false)}:${formatChain(ev.minutes, MINUTE.width, false)}:${formatChain(ev.seconds, SECOND.width, true)}`;
  return `${weekdays}${date} ${time}${ev.utc ? " UTC" : ""}`;
}
