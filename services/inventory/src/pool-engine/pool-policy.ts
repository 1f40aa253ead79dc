/**
 * A pool's allocation and retention settings, parsed once (§6.1): `allocation` is
 * `continue`, `always` or a calendar event; `retention` is `keep`, `overwrite` or a
 * time span.
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6.1, §10
 */
import {
  type CalendarEvent,
  CalendarError,
  computeNextEvent,
  parseCalendarEvent,
  parseTimeSpan,
  timeSpanToSeconds,
} from "@tapefleet/calendar";
import { DEFAULT_ALLOCATION, DEFAULT_RETENTION, DEFAULT_TEMPLATE } from "@tapefleet/api-types";
import { PoolArgumentError, PoolConfigError } from "./errors.ts";
import type { PoolConfig } from "./types.ts";

/** Parsed `allocation` (PBS `MediaSetPolicy`). */
export type AllocationPolicy =
  | { readonly kind: "continue" }
  | { readonly kind: "always" }
  | { readonly kind: "event"; readonly text: string; readonly event: CalendarEvent };

/** Parsed `retention` (PBS `RetentionPolicy`). `seconds` is whole seconds (fractions truncated). */
export type RetentionPolicy =
  | { readonly kind: "keep" }
  | { readonly kind: "overwrite" }
  | { readonly kind: "span"; readonly text: string; readonly seconds: number };

/** A pool's settings in parsed form. */
export interface PoolPolicy {
  readonly name: string;
  readonly allocation: AllocationPolicy;
  readonly retention: RetentionPolicy;
  readonly template: string;
  /** Pool encryption key fingerprint, lower case; null when the pool does not encrypt. */
  readonly encrypt: string | null;
}

const cache = new WeakMap<PoolConfig, PoolPolicy>();

/**
 * Parses a pool's settings, applying PBS's defaults (`continue`, `keep`, `%c`).
 *
 * @throws {PoolConfigError} naming `allocation` or `retention` with the parser's reason.
 */
export function poolPolicy(pool: PoolConfig): PoolPolicy {
  const known = cache.get(pool);
  if (known !== undefined) return known;
  if (typeof pool?.name !== "string" || pool.name.length === 0) {
    throw new PoolArgumentError("pool.name", "must be a non-empty string");
  }
  const policy: PoolPolicy = {
    name: pool.name,
    allocation: parseAllocation(pool.name, pool.allocation ?? DEFAULT_ALLOCATION),
    retention: parseRetention(pool.name, pool.retention ?? DEFAULT_RETENTION),
    template: pool.template ?? DEFAULT_TEMPLATE,
    encrypt: pool.encrypt === undefined ? null : normalizeFingerprint(pool.encrypt),
  };
  cache.set(pool, policy);
  return policy;
}

function parseAllocation(pool: string, text: string): AllocationPolicy {
  if (text === "continue") return { kind: "continue" };
  if (text === "always") return { kind: "always" };
  try {
    return { kind: "event", text, event: parseCalendarEvent(text) };
  } catch (err) {
    if (err instanceof CalendarError) {
      throw new PoolConfigError(pool, "allocation", `must be 'continue', 'always' or a calendar event: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function parseRetention(pool: string, text: string): RetentionPolicy {
  if (text === "keep") return { kind: "keep" };
  if (text === "overwrite") return { kind: "overwrite" };
  try {
    const span = parseTimeSpan(text);
    return { kind: "span", text, seconds: Math.trunc(timeSpanToSeconds(span)) };
  } catch (err) {
    if (err instanceof CalendarError) {
      throw new PoolConfigError(pool, "retention", `must be 'keep', 'overwrite' or a time span: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** Fingerprints compare case-insensitively. */
export function normalizeFingerprint(fp: string | undefined | null): string | null {
  return fp === undefined || fp === null ? null : fp.toLowerCase();
}

/** Options shared by the functions that evaluate calendar events. */
export interface TimeZoneOptions {
  /**
   * IANA zone in which calendar events without `UTC` are evaluated (PBS uses the
   * server's local zone). Default `UTC`, so that results never depend on the host.
   */
  readonly timeZone?: string | undefined;
}

/** Default zone of the engine (see {@link TimeZoneOptions}). */
export const DEFAULT_TIME_ZONE = "UTC";

/**
 * Next occurrence of `event` strictly after `after` (epoch seconds), or null when it
 * never occurs again.
 *
 * @throws {PoolArgumentError} for an unknown time zone.
 */
export function nextEventAfter(event: CalendarEvent, after: number, timeZone: string | undefined): number | null {
  let next: Date | null;
  try {
    next = computeNextEvent(event, new Date(after * 1000), { timeZone: timeZone ?? DEFAULT_TIME_ZONE });
  } catch (err) {
    if (err instanceof CalendarError) throw new PoolArgumentError("timeZone", err.message, { cause: err });
    throw err;
  }
  return next === null ? null : Math.floor(next.getTime() / 1000);
}

/** Largest time the engine accepts, in epoch seconds (the range of a JavaScript `Date`). */
export const MAX_EPOCH_SECONDS = 8_640_000_000_000;

/** @throws {PoolArgumentError} unless `value` is an integer number of epoch seconds within the `Date` range. */
export function checkTime(field: string, value: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new PoolArgumentError(field, `must be an integer number of epoch seconds, got ${String(value)}`);
  }
  if (Math.abs(value) > MAX_EPOCH_SECONDS) {
    throw new PoolArgumentError(field, `must be within ±${MAX_EPOCH_SECONDS} epoch seconds, got ${value}`);
  }
  return value;
}
