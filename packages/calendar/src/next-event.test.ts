import { afterEach, describe, expect, it } from "vitest";
import { parseCalendarEvent } from "./calendar-event.ts";
import { CalendarArgumentError } from "./errors.ts";
import { computeNextEvent, computeNextEvents } from "./next-event.ts";

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString().replace(".000Z", "Z"));

/** Next `count` occurrences as ISO strings (second resolution). */
function next(expr: string, from: string, count: number, timeZone = "UTC"): string[] {
  return computeNextEvents(parseCalendarEvent(expr), new Date(from), count, { timeZone }).map((d) => iso(d) as string);
}

describe("computeNextEvent: §10.1 examples (UTC, from epoch 0, a Thursday)", () => {
  const epoch = "1970-01-01T00:00:00Z";

  it("mon..fri 8..17,22:0/15 fires every 15 minutes in those hours on weekdays", () => {
    expect(next("mon..fri 8..17,22:0/15", epoch, 3)).toEqual(["1970-01-01T08:00:00Z", "1970-01-01T08:15:00Z", "1970-01-01T08:30:00Z"]);
    // The last slot of Friday is 22:45; Saturday and Sunday are skipped.
    expect(next("mon..fri 8..17,22:0/15", "1970-01-02T22:45:00Z", 1)).toEqual(["1970-01-05T08:00:00Z"]);
    expect(next("mon..fri 8..17,22:0/15", "1970-01-01T17:45:00Z", 1)).toEqual(["1970-01-01T22:00:00Z"]);
  });

  it("*:00/5 equals 0/1:0/5 (every 5 minutes)", () => {
    const a = next("*:00/5", epoch, 30);
    expect(a.slice(0, 3)).toEqual(["1970-01-01T00:05:00Z", "1970-01-01T00:10:00Z", "1970-01-01T00:15:00Z"]);
    expect(next("0/1:0/5", epoch, 30)).toEqual(a);
  });

  it("12,14,16,18,20,22:5 equals 12/2:5", () => {
    const a = next("12,14,16,18,20,22:5", epoch, 12);
    expect(a.slice(0, 7)).toEqual([
      "1970-01-01T12:05:00Z", "1970-01-01T14:05:00Z", "1970-01-01T16:05:00Z", "1970-01-01T18:05:00Z",
      "1970-01-01T20:05:00Z", "1970-01-01T22:05:00Z", "1970-01-02T12:05:00Z",
    ]);
    expect(next("12/2:5", epoch, 12)).toEqual(a);
  });

  it("sat *-1..7 15:00 is the first Saturday of each month", () => {
    expect(next("sat *-1..7 15:00", epoch, 4)).toEqual([
      "1970-01-03T15:00:00Z", "1970-02-07T15:00:00Z", "1970-03-07T15:00:00Z", "1970-04-04T15:00:00Z",
    ]);
  });

  it("2020-07..9-2/2 is every second day from the 2nd, July to September 2020, then never", () => {
    const all = next("2020-07..9-2/2", epoch, 100);
    expect(all).toHaveLength(45);
    expect(all.slice(0, 3)).toEqual(["2020-07-02T00:00:00Z", "2020-07-04T00:00:00Z", "2020-07-06T00:00:00Z"]);
    expect(all.slice(14, 16)).toEqual(["2020-07-30T00:00:00Z", "2020-08-02T00:00:00Z"]);
    expect(all.at(-1)).toBe("2020-09-30T00:00:00Z");
  });

  it("2020,2021-12-31 fires twice", () => {
    expect(next("2020,2021-12-31", epoch, 5)).toEqual(["2020-12-31T00:00:00Z", "2021-12-31T00:00:00Z"]);
  });

  it("5,10:4,8 fires at 05:04, 05:08, 10:04, 10:08", () => {
    expect(next("5,10:4,8", epoch, 4)).toEqual(["1970-01-01T05:04:00Z", "1970-01-01T05:08:00Z", "1970-01-01T10:04:00Z", "1970-01-01T10:08:00Z"]);
    expect(next("10,5:8,4", epoch, 4)).toEqual(next("5,10:4,8", epoch, 4));
  });

  it("4..10/2:0 at 00:00 gives 04:00 next, and stops at 10:00", () => {
    expect(next("4..10/2:0", epoch, 5)).toEqual([
      "1970-01-01T04:00:00Z", "1970-01-01T06:00:00Z", "1970-01-01T08:00:00Z", "1970-01-01T10:00:00Z", "1970-01-02T04:00:00Z",
    ]);
  });

  it("daily UTC ignores the time zone option", () => {
    expect(next("daily UTC", epoch, 2, "Europe/Berlin")).toEqual(["1970-01-02T00:00:00Z", "1970-01-03T00:00:00Z"]);
    expect(next("daily", epoch, 1, "Europe/Berlin")).toEqual(["1970-01-01T23:00:00Z"]);
  });
});

describe("computeNextEvent: PBS specifics", () => {
  it("reads a lone number as the minute of every hour", () => {
    expect(next("0", "2026-05-05T10:30:00Z", 2)).toEqual(["2026-05-05T11:00:00Z", "2026-05-05T12:00:00Z"]);
    expect(next("15", "2026-05-05T10:30:00Z", 2)).toEqual(["2026-05-05T11:15:00Z", "2026-05-05T12:15:00Z"]);
  });

  it("handles wrapping weekday ranges", () => {
    // 2026-11-26 is a Thursday.
    expect(next("fri..mon 03:00", "2026-11-26T12:00:00Z", 5)).toEqual([
      "2026-11-27T03:00:00Z", "2026-11-28T03:00:00Z", "2026-11-29T03:00:00Z", "2026-11-30T03:00:00Z", "2026-12-04T03:00:00Z",
    ]);
  });

  it("starts */r at 1 for days", () => {
    expect(next("*-*/10 12:00", "2026-01-01T00:00:00Z", 4)).toEqual([
      "2026-01-01T12:00:00Z", "2026-01-11T12:00:00Z", "2026-01-21T12:00:00Z", "2026-01-31T12:00:00Z",
    ]);
  });

  it("fires every second with *:*:*", () => {
    expect(next("*:*:*", "2026-01-01T00:00:00Z", 2)).toEqual(["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"]);
  });
});

describe("computeNextEvent: search rules", () => {
  const ev = parseCalendarEvent("12:00 UTC");

  it("is strictly after the given instant, with second resolution", () => {
    expect(iso(computeNextEvent(ev, new Date("2026-06-01T12:00:00Z")))).toBe("2026-06-02T12:00:00Z");
    expect(iso(computeNextEvent(ev, new Date("2026-06-01T11:59:59.999Z")))).toBe("2026-06-01T12:00:00Z");
    expect(iso(computeNextEvent(ev, new Date("2026-06-01T12:00:00.001Z")))).toBe("2026-06-02T12:00:00Z");
    expect(iso(computeNextEvent(parseCalendarEvent("*:*:*"), new Date("2026-06-01T12:00:00.500Z")))).toBe("2026-06-01T12:00:01Z");
  });

  it("returns null for impossible dates and dates in the past", () => {
    expect(computeNextEvent(parseCalendarEvent("02-30 UTC"), new Date(0))).toBeNull();
    expect(computeNextEvent(parseCalendarEvent("*-04-31"), new Date(0), { timeZone: "Europe/Berlin" })).toBeNull();
    expect(computeNextEvent(parseCalendarEvent("2019-01-01 UTC"), new Date("2020-01-01T00:00:00Z"))).toBeNull();
    expect(computeNextEvents(parseCalendarEvent("2019-01-01 UTC"), new Date(0), 3)).toHaveLength(1);
  });

  it("finds 29 February and rare weekday/date combinations", () => {
    expect(next("*-02-29", "2026-01-01T00:00:00Z", 2)).toEqual(["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]);
    const [monday] = next("mon *-02-29", "2026-01-01T00:00:00Z", 1);
    expect(monday).toBe("2044-02-29T00:00:00Z");
    expect(new Date(monday as string).getUTCDay()).toBe(1);
  });

  it("stops after the year 2199", () => {
    expect(next("*-12-31 23:59:59", "2199-12-31T00:00:00Z", 3)).toEqual(["2199-12-31T23:59:59Z"]);
    expect(computeNextEvent(parseCalendarEvent("daily UTC"), new Date("9999-12-31T00:00:00Z"))).toBeNull();
  });

  it("returns count results, or fewer when the event stops", () => {
    expect(computeNextEvents(ev, new Date(0), 0)).toEqual([]);
    expect(computeNextEvents(ev, new Date(0), 3)).toHaveLength(3);
  });

  it("rejects bad arguments with typed errors", () => {
    expect(() => computeNextEvent(parseCalendarEvent("daily"), new Date(0), { timeZone: "Mars/Olympus" })).toThrow(CalendarArgumentError);
    try {
      computeNextEvent(parseCalendarEvent("daily"), new Date(0), { timeZone: "Mars/Olympus" });
    } catch (err) {
      expect((err as CalendarArgumentError).code).toBe("CALENDAR_ARGUMENT");
      expect((err as CalendarArgumentError).field).toBe("timeZone");
      expect((err as Error).message).toBe('timeZone: unknown time zone "Mars/Olympus"');
    }
    expect(() => computeNextEvent(ev, new Date(Number.NaN))).toThrow('after: must be a valid Date');
    expect(() => computeNextEvents(ev, new Date(0), -1)).toThrow("count: must be a non-negative integer, got -1");
    expect(() => computeNextEvents(ev, new Date(0), 1.5)).toThrow(CalendarArgumentError);
  });
});

describe("computeNextEvent: time zones", () => {
  const original = process.env.TZ;
  afterEach(() => {
    if (original === undefined) delete process.env.TZ;
    else process.env.TZ = original;
  });

  it("uses opts.timeZone, else the process zone", () => {
    expect(next("daily", "2026-07-01T12:00:00Z", 1, "America/New_York")).toEqual(["2026-07-02T04:00:00Z"]);
    expect(next("daily", "2026-01-01T12:00:00Z", 1, "Asia/Kolkata")).toEqual(["2026-01-01T18:30:00Z"]);
    process.env.TZ = "Asia/Tokyo";
    expect(iso(computeNextEvent(parseCalendarEvent("daily"), new Date("2026-07-01T12:00:00Z")))).toBe("2026-07-01T15:00:00Z");
  });

  it("skips a local time that does not exist (Berlin, 2026-03-29 02:00 → 03:00)", () => {
    // 00:30Z is 01:30 CET; 02:30 does not exist that day.
    expect(next("*-*-* 02:30:00", "2026-03-29T00:30:00Z", 2, "Europe/Berlin")).toEqual(["2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]);
    // Every 20 minutes: 01:40 CET, then 03:00 CEST.
    expect(next("*:0/20", "2026-03-29T00:30:00Z", 3, "Europe/Berlin")).toEqual(["2026-03-29T00:40:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:20:00Z"]);
    expect(next("Sun *-*-* 1,2,3:15", "2026-03-29T00:00:00Z", 2, "Europe/Berlin")).toEqual(["2026-03-29T00:15:00Z", "2026-03-29T01:15:00Z"]);
  });

  it("fires a repeated local time once, in the pass the search is in (Berlin, 2026-10-25 03:00 → 02:00)", () => {
    // From 02:00 CEST (00:00Z): 02:30 CEST fires; the second 02:30 (CET) does not.
    expect(next("*-*-* 02:30:00", "2026-10-25T00:00:00Z", 2, "Europe/Berlin")).toEqual(["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]);
    // From 02:00 CET (01:00Z, the second pass) it fires in the second pass.
    expect(next("*-*-* 02:30:00", "2026-10-25T01:00:00Z", 1, "Europe/Berlin")).toEqual(["2026-10-25T01:30:00Z"]);
    // Every 20 minutes from the first pass: 02:20, 02:40 CEST, then 03:00 CET.
    expect(next("*:0/20", "2026-10-25T00:00:00Z", 3, "Europe/Berlin")).toEqual(["2026-10-25T00:20:00Z", "2026-10-25T00:40:00Z", "2026-10-25T02:00:00Z"]);
  });

  it("behaves the same way in New York (2026-03-08 and 2026-11-01)", () => {
    expect(next("*-*-* 02:30:00", "2026-03-08T06:30:00Z", 1, "America/New_York")).toEqual(["2026-03-09T06:30:00Z"]);
    expect(next("*-*-* 01:30:00", "2026-11-01T05:10:00Z", 2, "America/New_York")).toEqual(["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]);
  });

  it("keeps going where systemd's search loops (a month repetition that overflows into the next year)", () => {
    // systemd 252 reports "Infinite loop in calendar calculation" for the third one.
    expect(next("4/6-8", "2026-03-29T00:30:00Z", 4, "Europe/Berlin")).toEqual([
      "2026-04-07T22:00:00Z", "2026-10-07T22:00:00Z", "2027-04-07T22:00:00Z", "2027-10-07T22:00:00Z",
    ]);
  });
});
