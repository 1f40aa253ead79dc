import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CALENDAR_KEYWORDS,
  type CalendarEvent,
  isCalendarEvent,
  normalizeCalendarEvent,
  parseCalendarEvent,
  validateCalendarEvent,
} from "./calendar-event.ts";
import { CalendarError, CalendarSyntaxError } from "./errors.ts";

const norm = (text: string): string => normalizeCalendarEvent(parseCalendarEvent(text));

function syntaxError(text: string): CalendarSyntaxError {
  try {
    parseCalendarEvent(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CalendarSyntaxError);
    return err as CalendarSyntaxError;
  }
  throw new Error(`"${text}" parsed`);
}

describe("parseCalendarEvent: keywords", () => {
  it.each([
    ["minutely", "*-*-* *:*:00"],
    ["hourly", "*-*-* *:00:00"],
    ["daily", "*-*-* 00:00:00"],
    ["weekly", "Mon *-*-* 00:00:00"],
    ["monthly", "*-*-01 00:00:00"],
    ["yearly", "*-01-01 00:00:00"],
    ["annually", "*-01-01 00:00:00"],
    ["quarterly", "*-01,04,07,10-01 00:00:00"],
    ["semiannually", "*-01,07-01 00:00:00"],
    ["semi-annually", "*-01,07-01 00:00:00"],
  ])("%s expands to %s", (keyword, expanded) => {
    expect(norm(keyword)).toBe(expanded);
    expect(norm(`${keyword} UTC`)).toBe(`${expanded} UTC`);
  });

  it("lists every keyword", () => {
    expect(CALENDAR_KEYWORDS).toHaveLength(10);
  });

  it("needs the keyword to be the whole expression", () => {
    expect(syntaxError("daily 12:00").message).toBe('invalid weekday "daily" at 0');
    expect(syntaxError("Daily").message).toBe('invalid weekday "Daily" at 0');
  });
});

describe("parseCalendarEvent: weekdays", () => {
  it("parses short and long names in any case", () => {
    expect(parseCalendarEvent("mon").weekdays).toBe(1);
    expect(parseCalendarEvent("Tuesday").weekdays).toBe(2);
    expect(parseCalendarEvent("WED,thursday").weekdays).toBe(4 | 8);
    expect(parseCalendarEvent("sun").weekdays).toBe(64);
  });

  it("parses ranges, lists of ranges and ranges that wrap past Sunday", () => {
    expect(parseCalendarEvent("mon..fri").weekdays).toBe(31);
    expect(parseCalendarEvent("fri..mon").weekdays).toBe(16 | 32 | 64 | 1);
    expect(parseCalendarEvent("sat..tue,thu").weekdays).toBe(32 | 64 | 1 | 2 | 8);
    expect(parseCalendarEvent("wed..wed").weekdays).toBe(4);
    expect(norm("fri..mon 1:00")).toBe("Mon,Fri..Sun *-*-* 01:00:00");
  });

  it("means midnight of those days when no time is given", () => {
    expect(norm("mon..fri")).toBe("Mon..Fri *-*-* 00:00:00");
    expect(norm("mon..sun")).toBe("*-*-* 00:00:00");
  });

  it("rejects unknown names with their position", () => {
    const err = syntaxError("mox");
    expect(err.message).toBe('invalid weekday "mox" at 0');
    expect(err.code).toBe("CALENDAR_SYNTAX");
    expect(err.input).toBe("mox");
    expect(err.position).toBe(0);
    expect(err).toBeInstanceOf(CalendarError);
    expect(syntaxError("mon,frx 12:00").message).toBe('invalid weekday "frx" at 4');
    expect(syntaxError("mon.. 12:00").message).toBe("expected a weekday but the input ends at 5");
    expect(syntaxError("mon,").message).toBe("expected a weekday but the input ends at 4");
    expect(syntaxError("mon;tue").message).toBe('unexpected ";tue" in weekdays at 3');
    expect(syntaxError("mon,1").message).toBe('expected a weekday but found "1" at 4');
  });
});

describe("parseCalendarEvent: dates", () => {
  it("parses [year-]month-day", () => {
    const ev = parseCalendarEvent("2020-07-02");
    expect(ev.years).toEqual([{ start: 2020 }]);
    expect(ev.months).toEqual([{ start: 7 }]);
    expect(ev.days).toEqual([{ start: 2 }]);
    expect(ev.hours).toEqual([{ start: 0 }]);
    expect(parseCalendarEvent("12-24").years).toEqual([]);
    expect(norm("12-24")).toBe("*-12-24 00:00:00");
  });

  it("parses lists, ranges and repetitions in every position", () => {
    expect(norm("2020-07..9-2/2")).toBe("2020-07..09-02/2 00:00:00");
    expect(norm("2020,2021-12-31")).toBe("2020,2021-12-31 00:00:00");
    expect(norm("*-1..7")).toBe("*-*-01..07 00:00:00");
    expect(parseCalendarEvent("2020..2030/5-1-1").years).toEqual([{ start: 2020, end: 2030, repeat: 5 }]);
  });

  it("starts */r at 1 for months and days and at 0 for years", () => {
    const ev = parseCalendarEvent("*/4-*/2-*/10");
    expect(ev.years).toEqual([{ start: 0, repeat: 4 }]);
    expect(ev.months).toEqual([{ start: 1, repeat: 2 }]);
    expect(ev.days).toEqual([{ start: 1, repeat: 10 }]);
    expect(normalizeCalendarEvent(ev)).toBe("0000/4-01/2-01/10 00:00:00");
  });

  it("combines weekdays and dates", () => {
    expect(norm("sat *-1..7 15:00")).toBe("Sat *-*-01..07 15:00:00");
  });

  it("rejects bad dates with the field and position", () => {
    expect(syntaxError("2020-13-01").message).toBe("month 13 out of range 1..12 at 5");
    expect(syntaxError("2020-0-01").message).toBe("month 0 out of range 1..12 at 5");
    expect(syntaxError("*-02-32").message).toBe("day 32 out of range 1..31 at 5");
    expect(syntaxError("2200-01-01").message).toBe("year 2200 out of range 0..2199 at 0");
    expect(syntaxError("1-2-3-4").message).toBe('too many "-" in date "1-2-3-4" (expected [year-]month-day) at 5');
    expect(syntaxError("5-").message).toBe("missing day at 2");
    expect(syntaxError("-5").message).toBe("missing month at 0");
    expect(syntaxError("9..3-1").message).toBe("month range start 9 is bigger than end 3 at 0");
    expect(syntaxError("*-*/0-1").message).toBe("month repetition 0 out of range 1..12 at 4");
    expect(syntaxError("*-1/13-1").message).toBe("month repetition 13 out of range 1..12 at 4");
    expect(syntaxError("*-1x-1").message).toBe('unexpected "x" in month at 3');
    expect(syntaxError("*-1,,2-1").message).toBe('expected a number (month) but found "," at 4');
    expect(syntaxError("*-**-1").message).toBe('unexpected "*" after "*" in month at 3');
    expect(syntaxError("12:00 2020-01-01").message).toBe('unexpected date "2020-01-01" (the date must come before the time) at 6');
  });
});

describe("parseCalendarEvent: times", () => {
  it("reads a lone number as the minute", () => {
    const ev = parseCalendarEvent("0");
    expect(ev.hours).toEqual([]);
    expect(ev.minutes).toEqual([{ start: 0 }]);
    expect(ev.seconds).toEqual([{ start: 0 }]);
    expect(norm("0")).toBe("*-*-* *:00:00");
    expect(norm("*")).toBe("*-*-* *:*:00");
    expect(norm("5,10")).toBe("*-*-* *:05,10:00");
  });

  it("reads two components as hour:minute and three as hour:minute:second", () => {
    expect(norm("12:30")).toBe("*-*-* 12:30:00");
    expect(norm("12:30:15")).toBe("*-*-* 12:30:15");
    expect(norm("*:*:*")).toBe("*-*-* *:*:*");
    expect(norm("*:00/5")).toBe("*-*-* *:00/5:00");
    expect(norm("*:*/5")).toBe("*-*-* *:00/5:00");
    expect(norm("0/1:0/5")).toBe("*-*-* 00/1:00/5:00");
  });

  it("parses the §10.1 examples", () => {
    expect(norm("mon..fri 8..17,22:0/15")).toBe("Mon..Fri *-*-* 08..17,22:00/15:00");
    expect(norm("12,14,16,18,20,22:5")).toBe("*-*-* 12,14,16,18,20,22:05:00");
    expect(norm("12/2:5")).toBe("*-*-* 12/2:05:00");
    expect(norm("5,10:4,8")).toBe("*-*-* 05,10:04,08:00");
    expect(norm("4..10/2:0")).toBe("*-*-* 04..10/2:00:00");
    expect(norm("daily UTC")).toBe("*-*-* 00:00:00 UTC");
  });

  it("rejects bad times with the field and position", () => {
    expect(syntaxError("24:00").message).toBe("hour 24 out of range 0..23 at 0");
    expect(syntaxError("12:60").message).toBe("minute 60 out of range 0..59 at 3");
    expect(syntaxError("12:00:60").message).toBe("second 60 out of range 0..59 at 6");
    expect(syntaxError("1:2:3:4").message).toBe('too many ":" in time "1:2:3:4" (expected [hour:]minute[:second]) at 5');
    expect(syntaxError("12:").message).toBe("missing minute at 3");
    expect(syntaxError("12:00 13:00").message).toBe('unexpected "13:00" after the time at 6');
    expect(syntaxError("12:00 mon").message).toBe('unexpected "mon" (weekdays must come first and appear once) at 6');
    expect(syntaxError("1.5:00").message).toBe('unexpected ".5" in hour at 1');
    expect(syntaxError("12:0/0").message).toBe("minute repetition 0 out of range 1..59 at 5");
    expect(syntaxError("99999999999:00").message).toBe("hour Infinity out of range 0..23 at 0");
  });
});

describe("parseCalendarEvent: UTC and whitespace", () => {
  it("takes a trailing UTC, with or without a space", () => {
    expect(parseCalendarEvent("12:00 UTC").utc).toBe(true);
    expect(parseCalendarEvent("12:00UTC").utc).toBe(true);
    expect(parseCalendarEvent("mon 12:00  UTC ").utc).toBe(true);
    expect(parseCalendarEvent("12:00").utc).toBe(false);
    expect(norm("mon..fri 2:00 UTC")).toBe("Mon..Fri *-*-* 02:00:00 UTC");
  });

  it("accepts extra spaces between parts", () => {
    expect(norm("  mon   2020-01-01   12:00  ")).toBe("Mon 2020-01-01 12:00:00");
  });

  it("rejects empty input and UTC alone", () => {
    expect(syntaxError("").message).toBe("expected a weekday, date or time at 0");
    expect(syntaxError("   ").message).toBe("expected a weekday, date or time at 0");
    expect(syntaxError("UTC").message).toBe("expected a weekday, date or time before UTC at 0");
    expect(syntaxError("utc").message).toBe('invalid weekday "utc" at 0');
  });

  it("rejects a non-string with a typed error", () => {
    expect(() => parseCalendarEvent(42 as unknown as string)).toThrow(CalendarSyntaxError);
  });
});

describe("isCalendarEvent / validateCalendarEvent", () => {
  it("reports validity and the message", () => {
    expect(isCalendarEvent("mon..fri 02:00")).toBe(true);
    expect(validateCalendarEvent("mon..fri 02:00")).toBeUndefined();
    expect(isCalendarEvent("mox")).toBe(false);
    expect(validateCalendarEvent("mox")).toBe('invalid weekday "mox" at 0');
  });
});

describe("normalizeCalendarEvent", () => {
  it("sorts, de-duplicates and trims bounded repetitions like systemd", () => {
    expect(norm("5,3,1..4,3:0")).toBe("*-*-* 01..04,03,05:00:00");
    expect(norm("8..16/3:0")).toBe("*-*-* 08..14/3:00:00");
    expect(norm("1..4/1:0")).toBe("*-*-* 01..04:00:00");
    expect(norm("5..6/3:0")).toBe("*-*-* 05:00:00");
    expect(norm("7..7:0")).toBe("*-*-* 07:00:00");
    expect(norm("*:*:0/1")).toBe("*-*-* *:*:*");
  });

  it("prints weekday runs as systemd does", () => {
    expect(norm("sat,sun,mon")).toBe("Mon,Sat,Sun *-*-* 00:00:00");
    expect(norm("mon,tue,wed,fri")).toBe("Mon..Wed,Fri *-*-* 00:00:00");
    expect(norm("tue,thu,sat")).toBe("Tue,Thu,Sat *-*-* 00:00:00");
  });

  const value = (max: number, min: number): fc.Arbitrary<string> =>
    fc.oneof(
      fc.integer({ min, max }).map(String),
      fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}..${Math.max(a, b)}`),
      fc.tuple(fc.integer({ min, max }), fc.integer({ min: 1, max })).map(([a, r]) => `${a}/${r}`),
      fc
        .tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min: 1, max }))
        .map(([a, b, r]) => `${Math.min(a, b)}..${Math.max(a, b)}/${r}`),
    );
  const list = (max: number, min = 0): fc.Arbitrary<string> =>
    fc.oneof(
      fc.constant("*"),
      fc.integer({ min: 1, max }).map((r) => `*/${r}`),
      fc.array(value(max, min), { minLength: 1, maxLength: 4 }).map((xs) => xs.join(",")),
    );
  const expression = fc
    .record({
      weekdays: fc.option(fc.array(fc.constantFrom("mon", "tue", "Wed", "thursday", "fri", "sat..mon", "tue..thu"), { minLength: 1, maxLength: 3 })),
      date: fc.option(fc.tuple(fc.option(list(2199)), list(12, 1), list(31, 1))),
      time: fc.option(fc.tuple(fc.option(list(23)), list(59), fc.option(list(59)))),
      utc: fc.boolean(),
    })
    .filter((r) => r.weekdays !== null || r.date !== null || r.time !== null)
    .map((r) => {
      const parts: string[] = [];
      if (r.weekdays !== null) parts.push(r.weekdays.join(","));
      if (r.date !== null) parts.push([r.date[0], r.date[1], r.date[2]].filter((x) => x !== null).join("-"));
      if (r.time !== null) {
        const [h, m, s] = r.time;
        parts.push(h === null ? m : s === null ? `${h}:${m}` : `${h}:${m}:${s}`);
      }
      return parts.join(" ") + (r.utc ? " UTC" : "");
    });

  it("gives a form that parses back to the same form (property)", () => {
    fc.assert(
      fc.property(expression, (text) => {
        const once = norm(text);
        expect(norm(once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws anything but CalendarSyntaxError on arbitrary input (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        try {
          const ev: CalendarEvent = parseCalendarEvent(text);
          expect(typeof normalizeCalendarEvent(ev)).toBe("string");
        } catch (err) {
          expect(err).toBeInstanceOf(CalendarSyntaxError);
          const e = err as CalendarSyntaxError;
          expect(e.position).toBeGreaterThanOrEqual(0);
          expect(e.position).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
