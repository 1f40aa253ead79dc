import { describe, expect, it } from "vitest";
import { formatDuration, formatRun, formatTimestamp, previewSchedule, PREVIEW_RUNS } from "./schedule-preview.ts";

const NOW = new Date("2026-11-26T10:00:00Z"); // a Thursday

describe("previewSchedule", () => {
  it("lists the next runs of a calendar event", () => {
    const p = previewSchedule("mon..fri 02:00", NOW, { timeZone: "UTC" });
    expect(p.kind).toBe("runs");
    if (p.kind !== "runs") return;
    expect(p.runs).toHaveLength(PREVIEW_RUNS);
    expect(p.runs.map((d) => d.toISOString())).toEqual([
      "2026-11-27T02:00:00.000Z",
      "2026-11-30T02:00:00.000Z",
      "2026-12-01T02:00:00.000Z",
      "2026-12-02T02:00:00.000Z",
      "2026-12-03T02:00:00.000Z",
    ]);
  });

  it("honours the count and the time zone", () => {
    const p = previewSchedule("daily", NOW, { count: 2, timeZone: "Europe/Berlin" });
    expect(p).toEqual({ kind: "runs", runs: [new Date("2026-11-26T23:00:00Z"), new Date("2026-11-27T23:00:00Z")] });
  });

  it("says why text is not a calendar event, and never throws for bad input", () => {
    for (const text of ["mon..fri 25:00", "7dayz", "every tuesday", "*-*-* 1:2:3:4"]) {
      const p = previewSchedule(text, NOW, { timeZone: "UTC" });
      expect(p.kind, text).toBe("invalid");
      if (p.kind === "invalid") expect(p.message.length).toBeGreaterThan(0);
    }
  });

  it("is empty for blank text and 'never' for an event in the past", () => {
    expect(previewSchedule("  ", NOW)).toEqual({ kind: "empty" });
    expect(previewSchedule("2020-01-01 00:00", NOW, { timeZone: "UTC" })).toEqual({ kind: "never" });
  });
});

describe("formatRun", () => {
  it("shows weekday, ISO date and 24-hour time in the given zone", () => {
    expect(formatRun(new Date("2026-11-27T02:00:00Z"), "UTC")).toBe("Fri 2026-11-27 02:00");
    expect(formatRun(new Date("2026-11-27T23:30:00Z"), "UTC")).toBe("Fri 2026-11-27 23:30");
    expect(formatRun(new Date("2026-11-27T23:30:00Z"), "Europe/Berlin")).toBe("Sat 2026-11-28 00:30");
    expect(formatRun(new Date("2026-01-01T00:05:00Z"), "UTC")).toBe("Thu 2026-01-01 00:05");
  });
});

describe("formatTimestamp and formatDuration", () => {
  it("shows a moment with seconds in the given zone", () => {
    expect(formatTimestamp(new Date("2026-11-27T02:00:05Z"), "UTC")).toBe("2026-11-27 02:00:05");
    expect(formatTimestamp(new Date("2026-11-27T23:59:59Z"), "Europe/Berlin")).toBe("2026-11-28 00:59:59");
  });

  it("shows durations in the largest useful units", () => {
    expect([0, 45, 59.6, 185, 3599, 3600, 7380, -3].map(formatDuration)).toEqual(["0s", "45s", "1m 00s", "3m 05s", "59m 59s", "1h 00m", "2h 03m", "0s"]);
  });
});
