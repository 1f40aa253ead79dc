/**
 * The start of a write session: continue the pool's current set or start a new one
 * (§6.5, PBS `start_write_session`).
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6.5
 */
import { PoolArgumentError } from "./errors.ts";
import { type InventoryIndex, currentSetChoice, indexInventory } from "./inventory-index.ts";
import { type SetInconsistency, checkSetIn } from "./media-set.ts";
import { type PoolPolicy, type TimeZoneOptions, checkTime, nextEventAfter, poolPolicy } from "./pool-policy.ts";
import { type IdGenerator, type MediaSetInfo, type MediaSetRef, type Medium, type PoolConfig, ZERO_UUID } from "./types.ts";

/** Stable codes of the reasons for a new media set. */
export type NewSetReasonCode =
  | "forced"
  | "no-current-set"
  | "ambiguous-current-set"
  | "inconsistent"
  | "policy-always"
  | "allocation-event";

/** Why a new media set starts. `message` is the human reason. */
export interface NewSetReason {
  readonly code: NewSetReasonCode;
  readonly message: string;
  /** For `inconsistent`: what failed. */
  readonly inconsistency?: SetInconsistency;
  /** For `allocation-event`: the event occurrence (epoch seconds) that triggered it. */
  readonly eventTime?: number;
}

/** Result of {@link mustStartNewSet}. */
export interface NewSetDecision {
  readonly required: boolean;
  /** Null when the current set continues. */
  readonly reason: NewSetReason | null;
  /** The pool's current set as derived from the inventory (null when there is none). */
  readonly current: MediaSetInfo | null;
}

/** Options of {@link mustStartNewSet}. */
export interface NewSetOptions extends TimeZoneOptions {
  /** The job asks for a new set (PBS `force-media-set`). */
  readonly forceMediaSet?: boolean | undefined;
}

/**
 * Whether a job at `now` must start a new media set in `pool` (§6.5), and why:
 * `forced`; `no-current-set` / `ambiguous-current-set` (two sets share the latest
 * ctime); `inconsistent` (the consistency check failed, see
 * `checkMediaSetConsistency`); `policy-always`; `allocation-event` (the next occurrence
 * of the allocation event after the set start time is ≤ now). `continue` never starts a
 * new set apart from these failures. With a calendar event and an unknown set start
 * time (no `seqNr 0` member), or an event that never occurs again, the set continues.
 */
export function mustStartNewSet(
  pool: PoolConfig,
  media: readonly Medium[],
  now: number,
  opts: NewSetOptions = {},
): NewSetDecision {
  return decideIn(indexInventory(media), poolPolicy(pool), checkTime("now", now), opts);
}

function decideIn(index: InventoryIndex, policy: PoolPolicy, now: number, opts: NewSetOptions): NewSetDecision {
  const { current, tied } = currentSetChoice(index, policy.name);
  const decision = (reason: NewSetReason | null): NewSetDecision => ({ required: reason !== null, reason, current });
  if (opts.forceMediaSet === true) return decision({ code: "forced", message: "forced" });
  if (current === null) {
    if (tied.length > 0) {
      return decision({
        code: "ambiguous-current-set",
        message: `media sets ${tied.map((s) => s.uuid).join(", ")} share the latest ctime ${tied[0]?.ctime}`,
      });
    }
    return decision({ code: "no-current-set", message: `pool '${policy.name}' has no media set yet` });
  }
  const check = checkSetIn(index, policy.name, policy.encrypt, current, undefined);
  if (!check.ok) {
    return decision({ code: "inconsistent", message: check.inconsistency.message, inconsistency: check.inconsistency });
  }
  const alloc = policy.allocation;
  if (alloc.kind === "always") return decision({ code: "policy-always", message: "policy is AlwaysCreate" });
  if (alloc.kind === "event" && current.startTime !== null) {
    const next = nextEventAfter(alloc.event, current.startTime, opts.timeZone);
    if (next !== null && now >= next) {
      return decision({
        code: "allocation-event",
        message: `policy CreateAt event triggered ('${alloc.text}' at ${new Date(next * 1000).toISOString()})`,
        eventTime: next,
      });
    }
  }
  return decision(null);
}

/**
 * A job's hold on a pool: the set it writes and its members as the job knows them
 * (PBS keeps this in its `MediaPool` object). Pass it to every `allocWritableMedia`
 * call of the job; each allocation returns the updated session.
 */
export interface WriteSession {
  readonly pool: string;
  /** The set written; a new set has no members until its first allocation. */
  readonly set: MediaSetRef;
  /** The session started a new set. */
  readonly newSet: boolean;
  readonly reason: NewSetReason | null;
  /** Session start, epoch seconds. */
  readonly startedAt: number;
}

/** Options of {@link startWriteSession}. */
export interface WriteSessionOptions extends NewSetOptions {
  /** Source of the new set's UUID. Default: random UUIDs (`crypto.randomUUID`). */
  readonly newSetId?: IdGenerator | undefined;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Starts a write session at `now`: continues the current set, or starts a new one
 * (fresh UUID from `newSetId`, no members) when {@link mustStartNewSet} says so.
 *
 * @throws {PoolArgumentError} when the generated UUID is malformed, all-zero or already
 * used by a set in the inventory.
 */
export function startWriteSession(
  pool: PoolConfig,
  media: readonly Medium[],
  now: number,
  opts: WriteSessionOptions = {},
): WriteSession {
  const policy = poolPolicy(pool);
  const index = indexInventory(media);
  const decision = decideIn(index, policy, checkTime("now", now), opts);
  if (!decision.required && decision.current !== null) {
    const { uuid, members } = decision.current;
    return { pool: policy.name, set: { uuid, members }, newSet: false, reason: null, startedAt: now };
  }
  const uuid = (opts.newSetId ?? randomId)();
  if (typeof uuid !== "string" || !UUID_RE.test(uuid) || uuid === ZERO_UUID) {
    throw new PoolArgumentError("newSetId", `must return a lower-case UUID other than the zero UUID, got ${JSON.stringify(uuid)}`);
  }
  for (const sets of index.setsByPool.values()) {
    if (sets.some((s) => s.uuid === uuid)) {
      throw new PoolArgumentError("newSetId", `returned ${uuid}, which is already a media set in the inventory`);
    }
  }
  return { pool: policy.name, set: { uuid, members: [] }, newSet: true, reason: decision.reason, startedAt: now };
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}
