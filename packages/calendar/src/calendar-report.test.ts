import { describe, expect, it } from "vitest";
import { DEFAULT_REPORT_ITERATIONS, formatCalendarReport, formatIsoSeconds } from "./calendar-report.ts";
import { CalendarArgumentError, CalendarSyntaxError } from "./errors.ts";

const from = new Date("2026-12-20T12:00:00Z");

describe("formatCalendarReport", () => {
  it("prints the normalized form and the next occurrences as text", () => {
    expect(formatCalendarReport("mon..fri 17:00 UTC", { from, iterations: 3 })).toBe(
      "normalized: Mon..Fri *-*-* 17:00:00 UTC\n2026-12-21T17:00:00Z\n2026-12-22T17:00:00Z\n2026-12-23T17:00:00Z\n",
    );
  });

  it("prints JSON on one line or indented", () => {
    expect(formatCalendarReport("12-24 17:00", { from, iterations: 2, outputFormat: "json", timeZone: "UTC" })).toBe(
      '{"normalized":"*-12-24 17:00:00","next":["2026-12-24T17:00:00Z","2027-12-24T17:00:00Z"]}',
    );
    const pretty = formatCalendarReport("12-24 17:00", { from, iterations: 1, outputFormat: "json-pretty", timeZone: "Europe/Berlin" });
    expect(pretty).toBe('{\n  "normalized": "*-12-24 17:00:00",\n  "next": [\n    "2026-12-24T16:00:00Z"\n  ]\n}');
  });

  it("lists fewer occurrences when the event stops, none when it never fires", () => {
    expect(formatCalendarReport("2026-12-24 UTC", { from, iterations: 3 })).toBe("normalized: 2026-12-24 00:00:00 UTC\n2026-12-24T00:00:00Z\n");
    expect(JSON.parse(formatCalendarReport("02-30", { from, outputFormat: "json", timeZone: "UTC" }))).toEqual({
      normalized: "*-02-30 00:00:00",
      next: [],
    });
  });

  it("defaults to now and to DEFAULT_REPORT_ITERATIONS occurrences", () => {
    const before = Date.now();
    const report = JSON.parse(formatCalendarReport("*:*:* UTC", { outputFormat: "json" })) as { next: string[] };
    expect(report.next).toHaveLength(DEFAULT_REPORT_ITERATIONS);
    expect(Date.parse(report.next[0] as string)).toBeGreaterThan(before - 1000);
  });

  it("passes syntax errors through and rejects bad options", () => {
    expect(() => formatCalendarReport("mox", { from })).toThrow(CalendarSyntaxError);
    expect(() => formatCalendarReport("daily", { from, iterations: 0 })).toThrow("iterations: must be a positive integer, got 0");
    expect(() => formatCalendarReport("daily", { from, outputFormat: "xml" as "json" })).toThrow(CalendarArgumentError);
    expect(() => formatCalendarReport("daily", { from, timeZone: "No/Such_Zone" })).toThrow('timeZone: unknown time zone "No/Such_Zone"');
  });

  it("formats instants without milliseconds", () => {
    expect(formatIsoSeconds(new Date("2026-12-24T17:00:00.000Z"))).toBe("2026-12-24T17:00:00Z");
  });
});
