/**
 * Time and id sources for the pool engine. The engine's functions take `now`; these
 * helpers produce it (and media set UUIDs) deterministically in tests and simulations.
 */
import { PoolArgumentError } from "./errors.ts";
import { checkTime } from "./pool-policy.ts";
import type { Clock, IdGenerator } from "./types.ts";

/** A clock that moves only when told to. Times are epoch seconds. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | Date) {
    this.#now = toEpochSeconds("start", start);
  }

  now(): number {
    return this.#now;
  }

  /** Moves to `t`; time never goes backwards. */
  set(t: number | Date): void {
    const next = toEpochSeconds("t", t);
    if (next < this.#now) {
      throw new PoolArgumentError("t", `clock cannot go back from ${this.#now} to ${next}`);
    }
    this.#now = next;
  }

  /** Moves forward by `seconds` (>= 0). */
  advance(seconds: number): void {
    if (!Number.isSafeInteger(seconds) || seconds < 0) {
      throw new PoolArgumentError("seconds", `must be an integer >= 0, got ${String(seconds)}`);
    }
    this.#now += seconds;
  }
}

/** The system clock (epoch seconds, rounded down). */
export const systemClock: Clock = { now: () => Math.floor(Date.now() / 1000) };

/** Epoch seconds of a `Date` or of a number of epoch seconds. */
export function toEpochSeconds(field: string, t: number | Date): number {
  if (t instanceof Date) {
    const ms = t.getTime();
    if (!Number.isFinite(ms)) throw new PoolArgumentError(field, "invalid date");
    return Math.floor(ms / 1000);
  }
  return checkTime(field, t);
}

/**
 * Deterministic UUIDs `NNNNNNNN-0000-4000-8000-CCCCCCCCCCCC` (namespace `NNNNNNNN`,
 * counter `C…` from 1), well-formed version 4 UUIDs that never repeat within a namespace.
 */
export function sequentialIds(namespace = 1): IdGenerator {
  if (!Number.isSafeInteger(namespace) || namespace < 0 || namespace > 0xffff_ffff) {
    throw new PoolArgumentError("namespace", `must be an integer from 0 to ${0xffff_ffff}, got ${String(namespace)}`);
  }
  const prefix = namespace.toString(16).padStart(8, "0");
  let counter = 0;
  return () => {
    counter++;
    return `${prefix}-0000-4000-8000-${counter.toString(16).padStart(12, "0")}`;
  };
}
