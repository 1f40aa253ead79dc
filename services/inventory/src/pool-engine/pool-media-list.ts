/**
 * The media of a pool as an operator's list shows them (PBS `proxmox-tape media list`):
 * status, expiry and location, computed as a job starting now would see them.
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6.3, §6.5, §6.7
 */
import { expireTimeIn } from "./expiry.ts";
import { assignedSetLabel, indexInventory, mediumPool } from "./inventory-index.ts";
import { mediaSetName } from "./media-set-name.ts";
import { statusIn } from "./media-status.ts";
import { type TimeZoneOptions, checkTime, poolPolicy } from "./pool-policy.ts";
import type { MediaSetRef, MediaStatus, Medium, PoolConfig } from "./types.ts";
import { mustStartNewSet } from "./write-session.ts";

/** One medium of {@link listPoolMedia}. */
export interface PoolMediumView {
  readonly medium: Medium;
  readonly status: MediaStatus;
  /** When the medium may be overwritten (epoch seconds); null = never or not applicable. */
  readonly expireTime: number | null;
  /** `status` is `full` and `expireTime` has passed. */
  readonly expired: boolean;
  /** UUID and rendered name of the medium's set (absent for empty media). */
  readonly mediaSet?: { readonly uuid: string; readonly seqNr: number; readonly name: string };
}

/** Options of {@link listPoolMedia}. */
export interface ListPoolMediaOptions extends TimeZoneOptions {
  /** The set to compute statuses against; default: the set a job starting `now` would write. */
  readonly current?: MediaSetRef | null | undefined;
}

/**
 * The media of `pool` (label pool or set label pool), ordered by label text, with their
 * status and expiry at `now`. Like PBS's list, statuses are computed against the set a
 * job starting now would write: when that job would start a new set, the last member
 * of the current set already shows as `full` (and may show as expired).
 */
export function listPoolMedia(
  pool: PoolConfig,
  media: readonly Medium[],
  now: number,
  opts: ListPoolMediaOptions = {},
): PoolMediumView[] {
  const policy = poolPolicy(pool);
  const index = indexInventory(media);
  checkTime("now", now);
  let current: MediaSetRef | null;
  if (opts.current !== undefined) current = opts.current;
  else {
    const decision = mustStartNewSet(pool, media, now, { timeZone: opts.timeZone });
    current = decision.required ? null : decision.current;
  }
  const out: PoolMediumView[] = [];
  for (const m of media) {
    if (mediumPool(m) !== policy.name) continue;
    const status = statusIn(policy.name, m, current);
    const expireTime = expireTimeIn(index, policy, m, opts.timeZone);
    const set = assignedSetLabel(m);
    const view: PoolMediumView = {
      medium: m,
      status,
      expireTime,
      expired: status === "full" && expireTime !== null && now >= expireTime,
      ...(set === undefined
        ? {}
        : {
            mediaSet: {
              uuid: set.uuid,
              seqNr: set.seqNr,
              name: mediaSetName(pool, index.setByUuid.get(set.pool)?.get(set.uuid)?.startTime ?? null, set.uuid, opts),
            },
          }),
    };
    out.push(view);
  }
  return out.sort((a, b) => (a.medium.label.labelText < b.medium.label.labelText ? -1 : a.medium.label.labelText > b.medium.label.labelText ? 1 : 0));
}
