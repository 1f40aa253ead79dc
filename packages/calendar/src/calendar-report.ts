/**
 * The report printed by `tapectl calendar EXPR [--from ISO] [--iterations N]`.
 */
import { normalizeCalendarEvent, parseCalendarEvent } from "./calendar-event.ts";
import { CalendarArgumentError } from "./errors.ts";
import { computeNextEvents } from "./next-event.ts";

/** Occurrences listed when `iterations` is not given. */
export const DEFAULT_REPORT_ITERATIONS = 5;

/** Options of {@link formatCalendarReport}. */
export interface CalendarReportOptions {
  /** List occurrences strictly after this instant. Default: now. */
  readonly from?: Date;
  /** How many occurrences to list (fewer if the event stops occurring). Default 5. */
  readonly iterations?: number;
  /** `text` (default), `json` (one line) or `json-pretty` (indented by 2). */
  readonly outputFormat?: "text" | "json" | "json-pretty";
  /** IANA zone for events without `UTC`. Default: the process time zone. */
  readonly timeZone?: string;
}

/** An instant as ISO-8601 UTC with second resolution: `2026-12-24T17:00:00Z`. */
export function formatIsoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * Parses `exprText` and reports its normalized form and next occurrences.
 *
 * text:
 * ```
 * normalized: Mon..Fri *-*-* 02:00:00
 * 2026-12-24T01:00:00Z
 * …
 * ```
 * json: `{"normalized":"…","next":["2026-12-24T01:00:00Z",…]}`; json-pretty: the same, indented.
 * Text output ends with a newline; JSON output does not.
 *
 * @throws {CalendarSyntaxError} for an invalid expression.
 * @throws {CalendarArgumentError} for invalid options.
 */
export function formatCalendarReport(exprText: string, opts: CalendarReportOptions = {}): string {
  const event = parseCalendarEvent(exprText);
  const iterations = opts.iterations ?? DEFAULT_REPORT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new CalendarArgumentError("iterations", `must be a positive integer, got ${String(iterations)}`);
  }
  const format = opts.outputFormat ?? "text";
  if (format !== "text" && format !== "json" && format !== "json-pretty") {
    throw new CalendarArgumentError("outputFormat", `must be "text", "json" or "json-pretty", got ${JSON.stringify(format)}`);
  }
  const from = opts.from ?? new Date();
  const next = computeNextEvents(event, from, iterations, opts.timeZone !== undefined ? { timeZone: opts.timeZone } : {}).map(formatIsoSeconds);
  const normalized = normalizeCalendarEvent(event);
  if (format === "text") return [`normalized: ${normalized}`, ...next].join("\n") + "\n";
  return JSON.stringify({ normalized, next }, null, format === "json-pretty" ? 2 : undefined);
}
