/**
 * Choosing the tape a job writes next (§6.6, PBS `alloc_writable_media`).
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6.6
 */
import { MediaSetInconsistentError, NoUsableMediaError, PoolArgumentError, type Rejection } from "./errors.ts";
import { assignedSetLabel, compareText, indexInventory, mediumPool } from "./inventory-index.ts";
import { expireTimeIn } from "./expiry.ts";
import { checkSetIn } from "./media-set.ts";
import { locationRejection, statusIn } from "./media-status.ts";
import { type TimeZoneOptions, checkTime, poolPolicy } from "./pool-policy.ts";
import type { IdGenerator, MediaSetLabel, Medium, PoolConfig } from "./types.ts";
import { type WriteSession, startWriteSession } from "./write-session.ts";
import { checkWormIn, poolMediaKind } from "./worm.ts";

/** Where the chosen tape came from (the step of §6.6). */
export type AllocSource = "current-set" | "empty" | "expired" | "free";

/** From this sequence number on, an allocation carries a warning (PBS logs one, §6.5). */
export const LARGE_MEDIA_SET_SEQ_NR = 20;

/** Result of {@link allocWritableMedia}. */
export interface Allocation {
  /** The chosen medium, as it is in the inventory passed in. */
  readonly medium: Medium;
  /**
   * The medium's set label from now on. For `current-set` it is the label it already
   * has; otherwise a new label `{pool, uuid: session set, seqNr: member count, ctime:
   * now, encryptionKeyFingerprint: pool.encrypt}` to write at file 1.
   */
  readonly setLabel: MediaSetLabel;
  readonly source: AllocSource;
  /** The medium joins the set now (false for `current-set`). */
  readonly assigned: boolean;
  /** For `expired`: the time the medium expired (epoch seconds, <= now). */
  readonly expiredAt?: number;
  /** Set when the medium's sequence number is {@link LARGE_MEDIA_SET_SEQ_NR} or more. */
  readonly warning?: string;
  /** The job's session including this allocation; pass it to the next call. */
  readonly session: WriteSession;
}

/** Options of {@link allocWritableMedia}. */
export interface AllocOptions extends TimeZoneOptions {
  /** Changer of the job's drive; null or absent for a standalone drive (§6.4). */
  readonly driveChanger?: string | null | undefined;
  /**
   * The job's write session. Absent on a job's first allocation: the session is then
   * started here (`startWriteSession`), which may start a new set.
   */
  readonly session?: WriteSession | undefined;
  /** Passed to `startWriteSession` when no session is given. */
  readonly forceMediaSet?: boolean | undefined;
  /** Source of a new set's UUID when no session is given. Default: random UUIDs. */
  readonly newSetId?: IdGenerator | undefined;
  /** Media sets that cannot be modified now (a restore holds their lock): their media are not reused. */
  readonly lockedSets?: Iterable<string> | undefined;
}

/**
 * Picks the medium a job writes next, in this order (§6.6):
 * 1. the last member of the session's set, if it is writable and available;
 * 2. empty media of the pool (no set label, writable, available): oldest label ctime,
 *    ties to the smallest label text;
 * 3. expired media of the pool in other sets (available, not in a locked set): oldest
 *    set label ctime, ties to the smallest label text;
 * 4. free media (no pool), writable and available: oldest label ctime, ties to the
 *    smallest label text; WORM media only for a pool with `retention keep`, and never
 *    mixed with the pool's other kind of media;
 * 5. otherwise {@link NoUsableMediaError}, listing why each candidate was refused.
 *
 * Pure: the inventory is not changed; apply the result with {@link applyAllocation}
 * before the next call.
 *
 * @throws {NoUsableMediaError} when no medium can be used.
 * @throws {MediaSetInconsistentError} when the session's set no longer matches `media`.
 * @throws {WormPolicyError} when the pool's media break a WORM rule (§6.8).
 */
export function allocWritableMedia(
  pool: PoolConfig,
  media: readonly Medium[],
  now: number,
  opts: AllocOptions = {},
): Allocation {
  const policy = poolPolicy(pool);
  const index = indexInventory(media);
  checkTime("now", now);
  checkWormIn(policy, media);
  const name = policy.name;
  const driveChanger = opts.driveChanger ?? null;
  const session =
    opts.session ??
    startWriteSession(pool, media, now, { forceMediaSet: opts.forceMediaSet, newSetId: opts.newSetId, timeZone: opts.timeZone });
  if (session.pool !== name) {
    throw new PoolArgumentError("session.pool", `session is for pool '${session.pool}', not '${name}'`);
  }
  const set = session.set;

  const check = checkSetIn(index, name, policy.encrypt, set, driveChanger);
  if (!check.ok) throw new MediaSetInconsistentError(name, set.uuid, check.inconsistency);
  if (check.lastIsWritable && check.last !== null) {
    const label = assignedSetLabel(check.last) as MediaSetLabel;
    return { medium: check.last, setLabel: label, source: "current-set", assigned: false, session, ...largeSetWarning(label) };
  }

  const rejected: Rejection[] = [];
  const reject = (m: Medium, r: Omit<Rejection, "labelText">): void => {
    rejected.push({ labelText: m.label.labelText, ...r });
  };
  const byLabelAge = (a: Medium, b: Medium): number =>
    a.label.ctime - b.label.ctime || compareText(a.label.labelText, b.label.labelText);

  const empty: Medium[] = [];
  const used: Medium[] = [];
  const expiredAt = new Map<Medium, number>();
  for (const m of media) {
    if (mediumPool(m) !== name) continue;
    const where = locationRejection(m, driveChanger);
    if (where !== null) {
      reject(m, { reason: where });
      continue;
    }
    if (assignedSetLabel(m) !== undefined) {
      used.push(m);
      continue;
    }
    const status = statusIn(name, m, set);
    if (status === "writable") empty.push(m);
    else reject(m, { reason: "not-writable", status });
  }

  // 2. empty media of the pool
  empty.sort(byLabelAge);
  const firstEmpty = empty[0];
  if (firstEmpty !== undefined) return assign(firstEmpty, "empty");

  // 3. expired media of the pool
  const locked = new Set(opts.lockedSets ?? []);
  let nextExpiry: number | null = null;
  const expired: Medium[] = [];
  for (const m of used) {
    const label = assignedSetLabel(m) as MediaSetLabel;
    if (label.uuid === set.uuid) {
      reject(m, { reason: "current-set" });
      continue;
    }
    const status = statusIn(name, m, set);
    if (status !== "full") {
      reject(m, { reason: "not-writable", status });
      continue;
    }
    const expire = expireTimeIn(index, policy, m, opts.timeZone);
    if (expire === null) {
      reject(m, { reason: "never-expires" });
    } else if (now < expire) {
      reject(m, { reason: "not-expired", expiresAt: expire });
      if (nextExpiry === null || expire < nextExpiry) nextExpiry = expire;
    } else if (locked.has(label.uuid)) {
      reject(m, { reason: "set-locked" });
    } else {
      expired.push(m);
      expiredAt.set(m, expire);
    }
  }
  expired.sort(
    (a, b) =>
      (assignedSetLabel(a) as MediaSetLabel).ctime - (assignedSetLabel(b) as MediaSetLabel).ctime ||
      compareText(a.label.labelText, b.label.labelText),
  );
  const firstExpired = expired[0];
  if (firstExpired !== undefined) return assign(firstExpired, "expired");

  // 4. free media
  const kind = poolMediaKind(name, media);
  const free: Medium[] = [];
  for (const m of media) {
    if (mediumPool(m) !== null) continue;
    const where = locationRejection(m, driveChanger);
    if (where !== null) {
      reject(m, { reason: where });
      continue;
    }
    const status = statusIn(name, m, set);
    if (status !== "writable") {
      reject(m, { reason: "not-writable", status });
      continue;
    }
    const worm = m.worm === true;
    if (worm && policy.retention.kind !== "keep") {
      reject(m, { reason: "worm-retention" });
      continue;
    }
    if ((worm && kind === "normal") || (!worm && kind === "worm")) {
      reject(m, { reason: "worm-mixed" });
      continue;
    }
    free.push(m);
  }
  free.sort(byLabelAge);
  const firstFree = free[0];
  if (firstFree !== undefined) return assign(firstFree, "free");

  throw new NoUsableMediaError(name, rejected, nextExpiry);

  function assign(medium: Medium, source: AllocSource): Allocation {
    const when = expiredAt.get(medium);
    const setLabel: MediaSetLabel = {
      pool: name,
      uuid: set.uuid,
      seqNr: set.members.length,
      ctime: now,
      ...(pool.encrypt === undefined ? {} : { encryptionKeyFingerprint: pool.encrypt }),
    };
    return {
      medium,
      setLabel,
      source,
      assigned: true,
      ...(when === undefined ? {} : { expiredAt: when }),
      ...largeSetWarning(setLabel),
      session: { ...session, set: { uuid: set.uuid, members: [...set.members, medium.label.uuid] } },
    };
  }
}

function largeSetWarning(label: MediaSetLabel): { warning?: string } {
  return label.seqNr < LARGE_MEDIA_SET_SEQ_NR
    ? {}
    : { warning: `media set ${label.uuid} of pool '${label.pool}' is large: this is its tape number ${label.seqNr + 1} (seq_nr ${label.seqNr})` };
}

/**
 * The inventory after an allocation, as PBS stores it: the medium gets its new set
 * label, its stored status is cleared and its byte count restarts at 0 (writing file 1
 * discards the old content). A `current-set` allocation changes nothing.
 */
export function applyAllocation(media: readonly Medium[], alloc: Allocation): Medium[] {
  if (!alloc.assigned) return [...media];
  const uuid = alloc.medium.label.uuid;
  let found = false;
  const out = media.map((m) => {
    if (m.label.uuid !== uuid) return m;
    found = true;
    const { storedStatus: _status, ...rest } = m;
    return { ...rest, setLabel: alloc.setLabel, bytesUsed: 0 };
  });
  if (!found) throw new PoolArgumentError("alloc.medium", `medium ${uuid} is not in the inventory`);
  return out;
}
