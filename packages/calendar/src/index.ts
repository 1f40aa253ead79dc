/**
 * @tapefleet/calendar: PBS calendar events (schedules) and time spans (retention).
 * Pure TypeScript; time zones through `Intl`.
 *
 * @see ../../../../shared/reference/pbs-tape-format.md §10
 */
export {
  type CalendarEvent,
  type CalendarValue,
  ALL_WEEKDAYS,
  CALENDAR_KEYWORDS,
  MAX_YEAR,
  WEEKDAY_BITS,
  isCalendarEvent,
  normalizeCalendarEvent,
  parseCalendarEvent,
  validateCalendarEvent,
} from "./calendar-event.ts";
export { type NextEventOptions, MAX_SEARCH_ITERATIONS, computeNextEvent, computeNextEvents } from "./next-event.ts";
export {
  type TimeSpan,
  type TimeSpanComponents,
  SECONDS_PER_UNIT,
  TIME_SPAN_UNITS,
  formatTimeSpan,
  parseTimeSpan,
  timeSpanToSeconds,
} from "./time-span.ts";
export {
  type CalendarReportOptions,
  DEFAULT_REPORT_ITERATIONS,
  formatCalendarReport,
  formatIsoSeconds,
} from "./calendar-report.ts";
export {
  type CalendarErrorCode,
  CalendarArgumentError,
  CalendarError,
  CalendarSyntaxError,
  TimeSpanSyntaxError,
} from "./errors.ts";
