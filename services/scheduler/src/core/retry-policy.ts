import { TapefleetError } from "@tapefleet/common";

/**
 * The retry decision of a job step (house habit 7): transient conditions
 * retry with backoff, permanent ones fail the job at once with the reason,
 * `operator` ones wait for a person (tape request, a delayed state).
 */
export type RetryClass = "transient" | "permanent" | "operator";

/**
 * Agent reasons (`ErrorInfo.reason` of the device agent: device operation
 * codes and session codes) that clear by themselves: another operation holds
 * the drive, the drive is becoming ready, a UNIT ATTENTION was reported.
 */
export const TRANSIENT_REASONS: ReadonlySet<string> = new Set([
  "DRIVE_BUSY",
  "CHANGER_BUSY",
  "NOT_READY",
  "UNIT_ATTENTION",
  "drive-busy",
  "LEASE_BUSY",
]);

/**
 * Reasons no retry can fix: the medium or the drive is bad, or the request
 * can never succeed (PBS fails the job at once with the message).
 */
export const PERMANENT_REASONS: ReadonlySet<string> = new Set([
  "MEDIUM_ERROR",
  "medium-error",
  "WRITE_PROTECTED",
  "CRITICAL_TAPE_ALERT",
  "WORM_NOT_EMPTY",
  "MEDIUM_NOT_EMPTY",
  "LABEL_VERIFY_FAILED",
  "archive-too-large",
  "wrong-medium",
  "invalid-request",
  "LEASE_LOST",
]);

/** Reasons that need an operator: no usable tape online. */
export const OPERATOR_REASONS: ReadonlySet<string> = new Set(["NO_USABLE_MEDIA"]);

/** Error codes (`TapefleetError.code`) that are transient when no reason says otherwise. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(["UNAVAILABLE", "TIMEOUT"]);

/** Classify a failure once, by its stable reason first, then by its code; anything else is permanent. */
export function classifyError(err: unknown): RetryClass {
  const reason = (err as { reason?: unknown })?.reason;
  if (typeof reason === "string") {
    if (OPERATOR_REASONS.has(reason)) return "operator";
    if (TRANSIENT_REASONS.has(reason)) return "transient";
    if (PERMANENT_REASONS.has(reason)) return "permanent";
  }
  const scsi = (err as { scsi?: unknown })?.scsi;
  if (scsi === "NOT_READY" || scsi === "UNIT_ATTENTION") return "transient";
  if (scsi === "MEDIUM_ERROR" || scsi === "DATA_PROTECT" || scsi === "HARDWARE_ERROR") return "permanent";
  if (err instanceof TapefleetError && TRANSIENT_CODES.has(err.code)) return "transient";
  return "permanent";
}

/** Backoff of the retries of a transient failure. */
export interface BackoffPolicy {
  /** Attempts in all (the first one included). */
  attempts: number;
  /** Delay before the first retry (ms). */
  initialMs: number;
  /** Growth factor per retry. */
  factor: number;
  /** Longest delay (ms). */
  maxMs: number;
}

/** Default: 6 attempts, 2 s, 4 s, 8 s, 16 s, 30 s between them. */
export const DEFAULT_BACKOFF: BackoffPolicy = { attempts: 6, initialMs: 2000, factor: 2, maxMs: 30_000 };

/** Delay before retry number `retry` (1 = the first retry). */
export function backoffDelay(policy: BackoffPolicy, retry: number): number {
  return Math.min(policy.maxMs, Math.round(policy.initialMs * policy.factor ** Math.max(0, retry - 1)));
}

/** Sleeps `ms`, ending early with the signal's reason when it aborts. */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `step`, retrying transient failures with backoff (each retry is
 * reported through `onRetry`); permanent and operator failures, and the
 * last transient one, are thrown as they are.
 */
export async function withRetry<T>(
  what: string,
  step: (attempt: number) => Promise<T>,
  options: { policy?: BackoffPolicy; signal?: AbortSignal; onRetry?: (text: string, delayMs: number) => void; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_BACKOFF;
  const sleep = options.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (err) {
      if (options.signal?.aborted || classifyError(err) !== "transient" || attempt >= policy.attempts) throw err;
      const delay = backoffDelay(policy, attempt);
      options.onRetry?.(`${what}: ${(err as Error).message} (transient; retry ${attempt}/${policy.attempts - 1} in ${Math.round(delay / 100) / 10} s)`, delay);
      await sleep(delay, options.signal);
    }
  }
}
