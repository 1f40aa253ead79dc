/**
 * Computed media status (§6.3) and location availability (§6.4).
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6.3, §6.4
 */
import type { RejectionReason } from "./errors.ts";
import { assignedSetLabel, currentSetOf, indexInventory } from "./inventory-index.ts";
import { poolPolicy } from "./pool-policy.ts";
import type { MediaSetRef, MediaStatus, Medium, PoolConfig } from "./types.ts";

/** Options of {@link computeMediaStatus}. */
export interface MediaStatusOptions {
  /**
   * The pool's current set. Default: the one derived from the inventory
   * ({@link currentMediaSet}). A write session passes its own set, which may be a new
   * set without members yet.
   */
  readonly current?: MediaSetRef | null | undefined;
}

/**
 * Status of `medium` as pool `pool` sees it (§6.3):
 * 1. a stored `full`, `damaged` or `retired` status is kept;
 * 2. no set label (or the zero label) → `writable`; set label of another pool → `unknown`;
 *    a set other than the current one → `full`; the last member of the current set →
 *    `writable`, any other member → `full`.
 *
 * `allMedia` is the inventory the current set is derived from.
 */
export function computeMediaStatus(
  pool: PoolConfig,
  medium: Medium,
  allMedia: readonly Medium[],
  opts: MediaStatusOptions = {},
): MediaStatus {
  const name = poolPolicy(pool).name;
  const index = indexInventory(allMedia);
  const current = opts.current !== undefined ? opts.current : currentSetOf(index, name);
  return statusIn(name, medium, current);
}

/** {@link computeMediaStatus} against a known current set. */
export function statusIn(pool: string, medium: Medium, current: MediaSetRef | null): MediaStatus {
  if (medium.storedStatus !== undefined) return medium.storedStatus;
  const raw = medium.setLabel;
  if (raw === undefined) return "writable";
  if (raw.pool !== pool) return "unknown";
  const set = assignedSetLabel(medium);
  if (set === undefined) return "writable";
  if (current === null || set.uuid !== current.uuid) return "full";
  const last = current.members[current.members.length - 1];
  return last === medium.label.uuid ? "writable" : "full";
}

/**
 * Whether a job whose drive is in changer `driveChanger` (null or undefined: a
 * standalone drive) can use `medium` where it is (§6.4):
 * online in changer X only with a drive of changer X; offline only with a standalone
 * drive; a vault never. A medium in an import/export slot counts as offline.
 */
export function isLocationAvailable(
  medium: Pick<Medium, "location" | "inImportExport">,
  driveChanger: string | null | undefined,
): boolean {
  return locationRejection(medium, driveChanger) === null;
}

/** Why {@link isLocationAvailable} is false, or null when it is true. */
export function locationRejection(
  medium: Pick<Medium, "location" | "inImportExport">,
  driveChanger: string | null | undefined,
): RejectionReason | null {
  const standalone = driveChanger === null || driveChanger === undefined;
  const loc = medium.location;
  if (loc.kind === "vault") return "vault";
  if (loc.kind === "online" && medium.inImportExport !== true) {
    if (standalone) return "in-changer-standalone-drive";
    return loc.changer === driveChanger ? null : "other-changer";
  }
  // offline, or in an import/export slot (counted as offline)
  if (standalone) return null;
  return loc.kind === "online" ? "import-export" : "offline";
}
