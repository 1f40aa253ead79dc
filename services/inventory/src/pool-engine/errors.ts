/**
 * Typed errors of the pool engine. Every error it throws is a {@link PoolEngineError}
 * with a stable `code`; callers map codes, never messages. Suggested mapping at the
 * service edge: `NO_USABLE_MEDIA` → UNAVAILABLE (an operator must provide a tape),
 * `MEDIA_SET_INCONSISTENT` and `WORM_POLICY` → CONFLICT, `INVALID_POOL_CONFIG`,
 * `INVALID_MEDIUM` and `INVALID_ARGUMENT` → VALIDATION.
 */
import type { SetInconsistency } from "./media-set.ts";

/** Stable error codes of the pool engine. */
export type PoolEngineErrorCode =
  | "NO_USABLE_MEDIA"
  | "MEDIA_SET_INCONSISTENT"
  | "WORM_POLICY"
  | "INVALID_POOL_CONFIG"
  | "INVALID_MEDIUM"
  | "INVALID_ARGUMENT";

/** Base class of every error thrown by the pool engine. */
export class PoolEngineError extends Error {
  readonly code: PoolEngineErrorCode;

  constructor(code: PoolEngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** Why one medium could not be allocated. */
export interface Rejection {
  readonly labelText: string;
  /** Stable reason id, e.g. `vault`, `offline`, `other-changer`, `not-expired`, `worm-mixed`. */
  readonly reason: RejectionReason;
  /** For `not-expired`: when the medium expires (epoch seconds). */
  readonly expiresAt?: number;
  /** For statuses: the computed status. */
  readonly status?: string;
}

/** Stable reasons a medium was not chosen by `allocWritableMedia`. */
export type RejectionReason =
  | "vault"
  | "offline"
  | "import-export"
  | "other-changer"
  | "in-changer-standalone-drive"
  | "not-writable"
  | "current-set"
  | "never-expires"
  | "not-expired"
  | "set-locked"
  | "worm-retention"
  | "worm-mixed";

const REASON_TEXT: Record<RejectionReason, string> = {
  vault: "in a vault",
  offline: "offline (the drive is in a changer)",
  "import-export": "in an import/export slot",
  "other-changer": "online in another changer",
  "in-changer-standalone-drive": "inside a changer (the drive is standalone)",
  "not-writable": "not writable",
  "current-set": "already in the current set",
  "never-expires": "never expire under the pool's policy",
  "not-expired": "not expired yet",
  "set-locked": "in a media set that is locked (restore running)",
  "worm-retention": "WORM media refused (pool retention is not 'keep')",
  "worm-mixed": "refused to mix WORM and normal media in the pool",
};

/**
 * No medium can be written: the set cannot continue and there is no empty, expired
 * or free medium available (§6.6 step 5). `rejected` says why each candidate failed.
 */
export class NoUsableMediaError extends PoolEngineError {
  declare readonly code: "NO_USABLE_MEDIA";
  readonly pool: string;
  readonly rejected: readonly Rejection[];
  /** Earliest time a pool medium expires (epoch seconds), when one will. */
  readonly nextExpiry: number | null;

  constructor(pool: string, rejected: readonly Rejection[], nextExpiry: number | null) {
    super("NO_USABLE_MEDIA", NoUsableMediaError.describe(pool, rejected, nextExpiry));
    this.pool = pool;
    this.rejected = rejected;
    this.nextExpiry = nextExpiry;
  }

  private static describe(pool: string, rejected: readonly Rejection[], nextExpiry: number | null): string {
    let msg = `alloc writable media in pool '${pool}' failed: no usable media found`;
    if (rejected.length === 0) return `${msg} (the pool has no media and there are no free media)`;
    const counts = new Map<RejectionReason, number>();
    for (const r of rejected) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
    const parts = [...counts].map(([reason, n]) => `${n} ${n === 1 ? "medium" : "media"} ${REASON_TEXT[reason]}`);
    msg += ` (${parts.join("; ")})`;
    if (nextExpiry !== null) msg += `; next expiry at ${new Date(nextExpiry * 1000).toISOString()}`;
    return msg;
  }
}

/** The set a write session holds no longer matches the inventory (§6.5 consistency check). */
export class MediaSetInconsistentError extends PoolEngineError {
  declare readonly code: "MEDIA_SET_INCONSISTENT";
  readonly pool: string;
  readonly setUuid: string;
  readonly inconsistency: SetInconsistency;

  constructor(pool: string, setUuid: string, inconsistency: SetInconsistency) {
    super("MEDIA_SET_INCONSISTENT", `media set ${setUuid} of pool '${pool}' is unusable: ${inconsistency.message}`);
    this.pool = pool;
    this.setUuid = setUuid;
    this.inconsistency = inconsistency;
  }
}

/** Which WORM rule was broken (§6.8). */
export type WormRule = "retention" | "mixed" | "erase";

/** A WORM rule is broken: WORM media in a pool without `retention keep`, mixed media, or an erase. */
export class WormPolicyError extends PoolEngineError {
  declare readonly code: "WORM_POLICY";
  readonly rule: WormRule;
  readonly pool: string | null;
  /** Label texts of the media concerned. */
  readonly media: readonly string[];

  constructor(rule: WormRule, pool: string | null, media: readonly string[], message: string) {
    super("WORM_POLICY", message);
    this.rule = rule;
    this.pool = pool;
    this.media = media;
  }
}

/** A pool's configuration cannot be used (bad allocation, retention or template). */
export class PoolConfigError extends PoolEngineError {
  declare readonly code: "INVALID_POOL_CONFIG";
  readonly pool: string;
  readonly field: string;
  readonly reason: string;

  constructor(pool: string, field: string, reason: string, options?: { cause?: unknown }) {
    super("INVALID_POOL_CONFIG", `pool '${pool}': ${field}: ${reason}`, options);
    this.pool = pool;
    this.field = field;
    this.reason = reason;
  }
}

/** A medium of the inventory is malformed; `field` is its path, e.g. `media[3].setLabel.seqNr`. */
export class InvalidMediumError extends PoolEngineError {
  declare readonly code: "INVALID_MEDIUM";
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super("INVALID_MEDIUM", `${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/** Any other argument is invalid (`now`, `timeZone`, a generated UUID, …). */
export class PoolArgumentError extends PoolEngineError {
  declare readonly code: "INVALID_ARGUMENT";
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", `${field}: ${reason}`, options);
    this.field = field;
    this.reason = reason;
  }
}
