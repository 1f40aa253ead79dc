/**
 * When a tape may be overwritten (§6.7, PBS `media_expire_time` / `media_is_expired`).
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6.7, §6.8
 */
import { type InventoryIndex, assignedSetLabel, currentSetOf, indexInventory, nextSetStartAfter } from "./inventory-index.ts";
import { statusIn } from "./media-status.ts";
import { type PoolPolicy, type TimeZoneOptions, checkTime, nextEventAfter, poolPolicy } from "./pool-policy.ts";
import type { MediaSetRef, Medium, PoolConfig } from "./types.ts";

/**
 * The time from which `medium` may be overwritten under `pool`'s policy, or null when
 * never (§6.7). For a medium of set S:
 * - `retention keep`, no set label, or a WORM medium (§6.8): never;
 * - `start` = the start time of S (ctime of its `seqNr 0` member), or the medium's own
 *   set label ctime when that member is unknown;
 * - `maxUse`: when a newer set of the same pool exists, `start` under `always`, else the
 *   ctime of the nearest newer set; otherwise `continue` never expires, `always` gives
 *   `start`, a calendar event gives its next occurrence after `start` (never when there
 *   is none);
 * - the result is `maxUse` under `overwrite`, `maxUse + seconds(span)` under a time span.
 *
 * Sets are compared by their smallest member ctime (a newer set is one that started
 * later).
 */
export function mediaExpireTime(
  pool: PoolConfig,
  medium: Medium,
  media: readonly Medium[],
  opts: TimeZoneOptions = {},
): number | null {
  return expireTimeIn(indexInventory(media), poolPolicy(pool), medium, opts.timeZone);
}

/** {@link mediaExpireTime} on an index. */
export function expireTimeIn(
  index: InventoryIndex,
  policy: PoolPolicy,
  medium: Medium,
  timeZone: string | undefined,
): number | null {
  if (policy.retention.kind === "keep" || medium.worm === true) return null;
  const label = assignedSetLabel(medium);
  if (label === undefined) return null;
  const own = index.setByUuid.get(label.pool)?.get(label.uuid);
  const start = own?.startTime ?? label.ctime;
  const nearestNewer = nextSetStartAfter(index, label.pool, own?.firstCtime ?? label.ctime);
  let maxUse: number;
  const alloc = policy.allocation;
  if (nearestNewer !== null) {
    maxUse = alloc.kind === "always" ? start : nearestNewer;
  } else if (alloc.kind === "continue") {
    return null;
  } else if (alloc.kind === "always") {
    maxUse = start;
  } else {
    const next = nextEventAfter(alloc.event, start, timeZone);
    if (next === null) return null;
    maxUse = next;
  }
  return policy.retention.kind === "overwrite" ? maxUse : maxUse + policy.retention.seconds;
}

/** Options of {@link isMediumExpired}. */
export interface ExpiryOptions extends TimeZoneOptions {
  /** The pool's current set (default: derived from the inventory); see `computeMediaStatus`. */
  readonly current?: MediaSetRef | null | undefined;
}

/**
 * Whether `medium` is expired at `now`: only media whose computed status is `full` can
 * expire, and then when `now >= mediaExpireTime(…)` (§6.7).
 */
export function isMediumExpired(
  pool: PoolConfig,
  medium: Medium,
  media: readonly Medium[],
  now: number,
  opts: ExpiryOptions = {},
): boolean {
  checkTime("now", now);
  const policy = poolPolicy(pool);
  const index = indexInventory(media);
  const current = opts.current !== undefined ? opts.current : currentSetOf(index, policy.name);
  if (statusIn(policy.name, medium, current) !== "full") return false;
  const expire = expireTimeIn(index, policy, medium, opts.timeZone);
  return expire !== null && now >= expire;
}
