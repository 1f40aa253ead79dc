import { computeNextEvents, parseCalendarEvent, CalendarError } from "@tapefleet/calendar";

/** How many next runs a form previews. */
export const PREVIEW_RUNS = 5;

/** The preview of a calendar event typed into a form. */
export type SchedulePreview =
  | { readonly kind: "empty" }
  | { readonly kind: "runs"; readonly runs: readonly Date[] }
  | { readonly kind: "never" }
  | { readonly kind: "invalid"; readonly message: string };

/**
 * The next runs of `text` after `now` (as the scheduler computes them, with
 * the bundled @tapefleet/calendar), or why `text` is not a calendar event.
 * Never throws: every error of the calendar package becomes `invalid`.
 */
export function previewSchedule(text: string, now: Date, opts: { count?: number; timeZone?: string } = {}): SchedulePreview {
  if (text.trim() === "") return { kind: "empty" };
  try {
    const ev = parseCalendarEvent(text);
    const runs = computeNextEvents(ev, now, opts.count ?? PREVIEW_RUNS, opts.timeZone === undefined ? {} : { timeZone: opts.timeZone });
    return runs.length === 0 ? { kind: "never" } : { kind: "runs", runs };
  } catch (err) {
    if (err instanceof CalendarError) return { kind: "invalid", message: err.message };
    throw err;
  }
}

/** Media pool allocation policies that are keywords, not calendar events. */
export const ALLOCATION_KEYWORDS: readonly string[] = ["continue", "always"];

/**
 * A run time as `Mon 2026-11-30 02:00` in `timeZone` (default: the runtime's
 * zone), 24-hour clock, independent of the browser's locale.
 */
export function formatRun(date: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    ...(timeZone === undefined ? {} : { timeZone }),
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("weekday")} ${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

/** A moment as `2026-11-30 02:00:05` in `timeZone` (default: the runtime's zone). */
export function formatTimestamp(date: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    ...(timeZone === undefined ? {} : { timeZone }),
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}`;
}

/** A duration in seconds as `45s`, `3m 05s` or `2h 03m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
