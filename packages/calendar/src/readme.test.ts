import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { normalizeCalendarEvent, parseCalendarEvent } from "./calendar-event.ts";
import { formatCalendarReport } from "./calendar-report.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  const rows = [...readme.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|$/gm)].map((m) => [m[1] as string, m[2] as string] as const);

  it("has the example table", () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it.each(rows)("normalizes %s to %s", (expression, normalized) => {
    expect(normalizeCalendarEvent(parseCalendarEvent(expression))).toBe(normalized);
  });

  it("shows a real text report", () => {
    const section = readme.slice(readme.indexOf("## Report"));
    const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(formatCalendarReport("mon..fri 17:00 UTC", { from: new Date("2026-12-20T12:00:00Z"), iterations: 2 }));
  });
});
