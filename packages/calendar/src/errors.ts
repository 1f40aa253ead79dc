/**
 * Typed errors of @tapefleet/calendar. Every error thrown by this package is a
 * {@link CalendarError} with a stable `code`; callers map codes, never messages.
 */

/** Stable error codes of this package. */
export type CalendarErrorCode = "CALENDAR_SYNTAX" | "TIMESPAN_SYNTAX" | "CALENDAR_ARGUMENT";

/** Base class of every error thrown by @tapefleet/calendar. */
export class CalendarError extends Error {
  readonly code: CalendarErrorCode;

  constructor(code: CalendarErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A calendar event expression could not be parsed.
 * `position` is the 0-based index into `input` where the problem starts.
 */
export class CalendarSyntaxError extends CalendarError {
  declare readonly code: "CALENDAR_SYNTAX";
  readonly input: string;
  readonly position: number;
  /** The reason alone, without the position (the message is `${reason} at ${position}`). */
  readonly reason: string;

  constructor(input: string, position: number, reason: string) {
    super("CALENDAR_SYNTAX", `${reason} at ${position}`);
    this.input = input;
    this.position = position;
    this.reason = reason;
  }
}

/**
 * A time span could not be parsed.
 * `position` is the 0-based index into `input` where the problem starts.
 */
export class TimeSpanSyntaxError extends CalendarError {
  declare readonly code: "TIMESPAN_SYNTAX";
  readonly input: string;
  readonly position: number;
  readonly reason: string;

  constructor(input: string, position: number, reason: string) {
    super("TIMESPAN_SYNTAX", `${reason} at ${position}`);
    this.input = input;
    this.position = position;
    this.reason = reason;
  }
}

/** A function argument other than the expression text is invalid (time zone, count, date). */
export class CalendarArgumentError extends CalendarError {
  declare readonly code: "CALENDAR_ARGUMENT";
  /** Name of the offending argument, e.g. `timeZone` or `iterations`. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super("CALENDAR_ARGUMENT", `${field}: ${message}`, options);
    this.field = field;
  }
}
