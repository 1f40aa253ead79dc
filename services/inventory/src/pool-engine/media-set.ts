/**
 * Media sets of a pool: the current set (§6.5), set start times (§3.2) and the
 * consistency check that decides whether the current set can still be written.
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §3.2, §6.5
 */
import { type InventoryIndex, assignedSetLabel, currentSetOf, indexInventory, mediumPool } from "./inventory-index.ts";
import { locationRejection, statusIn } from "./media-status.ts";
import { normalizeFingerprint, poolPolicy } from "./pool-policy.ts";
import type { MediaSetInfo, MediaSetRef, Medium, PoolConfig } from "./types.ts";

/** Every non-zero media set of `pool`, oldest first (by the smallest member ctime). */
export function listMediaSets(pool: PoolConfig, media: readonly Medium[]): MediaSetInfo[] {
  return [...(indexInventory(media).setsByPool.get(poolPolicy(pool).name) ?? [])];
}

/**
 * The pool's current media set (§6.5): the non-zero set of the pool with the greatest
 * set label ctime over all media. When two sets share that greatest ctime, there is
 * none (and the next job starts a new set).
 */
export function currentMediaSet(pool: PoolConfig, media: readonly Medium[]): MediaSetInfo | null {
  return currentSetOf(indexInventory(media), poolPolicy(pool).name);
}

/**
 * Start time of media set `setUuid`: the set label ctime of its `seqNr 0` member, or
 * null when no known medium is that member (§3.2).
 */
export function mediaSetStartTime(media: readonly Medium[], setUuid: string): number | null {
  for (const m of media) {
    const set = assignedSetLabel(m);
    if (set !== undefined && set.uuid === setUuid && set.seqNr === 0) return set.ctime;
  }
  return null;
}

/** Stable codes of the consistency failures of a media set (§6.5). */
export type InconsistencyCode =
  | "duplicate-seq-nr"
  | "member-missing"
  | "member-unknown"
  | "member-other-pool"
  | "seq-nr-mismatch"
  | "owner-mismatch"
  | "encryption-key-inconsistent"
  | "encryption-key-changed"
  | "member-not-full"
  | "last-member-unusable"
  | "last-member-in-vault";

/** Why a media set cannot be written any more. `message` is the human reason. */
export interface SetInconsistency {
  readonly code: InconsistencyCode;
  readonly message: string;
  /** The member position concerned. */
  readonly seqNr: number;
  /** The medium concerned, when there is one. */
  readonly mediumUuid?: string;
}

/** Result of {@link checkMediaSetConsistency}. */
export type SetCheck =
  | {
      readonly ok: true;
      /** The last member is writable and available to the drive: the set continues on it. */
      readonly lastIsWritable: boolean;
      /** The last member (null for a set without members). */
      readonly last: Medium | null;
    }
  | { readonly ok: false; readonly inconsistency: SetInconsistency };

/** Options of {@link checkMediaSetConsistency}. */
export interface SetCheckOptions {
  /** Changer of the job's drive (null/undefined: standalone drive), for `lastIsWritable`. */
  readonly driveChanger?: string | null | undefined;
}

/**
 * Consistency check of a pool's current set (§6.5). In member order, it fails when:
 * two media claim one sequence number (`duplicate-seq-nr`); a member is missing
 * (`member-missing`) or not in the inventory (`member-unknown`); a member belongs to
 * another pool (`member-other-pool`); a member's seq_nr (`seq-nr-mismatch`) or set UUID
 * (`owner-mismatch`) is wrong; a member's key fingerprint differs from the first
 * member's (`encryption-key-inconsistent`) or from the pool's
 * (`encryption-key-changed`); a member before the last is not `full`
 * (`member-not-full`); the last member is neither `full` nor `writable`
 * (`last-member-unusable`); the last member is writable but in a vault
 * (`last-member-in-vault`).
 *
 * A full last member, or a writable one that is offline or in another changer, is
 * consistent: the set continues on another tape (`lastIsWritable: false`).
 *
 * `set` may be a set derived from the inventory ({@link currentMediaSet}) or the set a
 * write session holds, checked against a newer inventory.
 */
export function checkMediaSetConsistency(
  pool: PoolConfig,
  set: MediaSetRef,
  media: readonly Medium[],
  opts: SetCheckOptions = {},
): SetCheck {
  return checkSetIn(indexInventory(media), poolPolicy(pool).name, poolPolicy(pool).encrypt, set, opts.driveChanger);
}

/** {@link checkMediaSetConsistency} on an index. */
export function checkSetIn(
  index: InventoryIndex,
  pool: string,
  poolKey: string | null,
  set: MediaSetRef,
  driveChanger: string | null | undefined,
): SetCheck {
  const bad = (code: InconsistencyCode, seqNr: number, message: string, mediumUuid?: string): SetCheck => ({
    ok: false,
    inconsistency: mediumUuid === undefined ? { code, seqNr, message } : { code, seqNr, message, mediumUuid },
  });
  const dups = (set as Partial<MediaSetInfo>).duplicates;
  const dup = dups?.[0];
  if (dup !== undefined) {
    return bad("duplicate-seq-nr", dup.seqNr, `found duplicate sequence number in media set '${set.uuid}/${dup.seqNr}' (media ${dup.media.join(", ")})`);
  }
  const count = set.members.length;
  if (count === 0) return { ok: true, lastIsWritable: false, last: null };
  let firstKey: string | null = null;
  let lastIsWritable = false;
  let last: Medium | null = null;
  for (let seq = 0; seq < count; seq++) {
    const uuid = set.members[seq];
    if (uuid === null || uuid === undefined) {
      return bad("member-missing", seq, `media set is incomplete (missing media information for seq_nr ${seq})`);
    }
    const medium = index.byUuid.get(uuid);
    if (medium === undefined) return bad("member-unknown", seq, `unable to lookup media ${uuid}`, uuid);
    const owner = mediumPool(medium);
    if (owner !== null && owner !== pool) {
      return bad("member-other-pool", seq, `media does not belong to pool (${owner} != ${pool})`, uuid);
    }
    const label = assignedSetLabel(medium);
    if (label !== undefined && label.uuid === set.uuid && label.seqNr !== seq) {
      return bad("seq-nr-mismatch", seq, `media sequence error (${label.seqNr} != ${seq})`, uuid);
    }
    if (label === undefined || label.uuid !== set.uuid) {
      const found = label === undefined ? "no owner" : `${label.uuid} != ${set.uuid}`;
      return bad("owner-mismatch", seq, `media owner error (${found})`, uuid);
    }
    const key = normalizeFingerprint(label.encryptionKeyFingerprint);
    if (seq === 0) firstKey = key;
    else if (key !== firstKey) return bad("encryption-key-inconsistent", seq, "inconsistent media encryption key", uuid);
    if (key !== poolKey) return bad("encryption-key-changed", seq, "pool encryption key changed", uuid);
    const status = statusIn(pool, medium, set);
    const isLast = seq + 1 === count;
    if (status === "full") {
      // fine: a full last member means the set continues on another tape
    } else if (status === "writable" && isLast) {
      const where = locationRejection(medium, driveChanger);
      if (where === null) lastIsWritable = true;
      else if (medium.location.kind === "vault") {
        return bad("last-member-in-vault", seq, `writable media offsite in vault '${medium.location.name}'`, uuid);
      }
    } else {
      return bad(
        isLast ? "last-member-unusable" : "member-not-full",
        seq,
        `unable to use media set - wrong media status ${status} (seq_nr ${seq})`,
        uuid,
      );
    }
    if (isLast) last = medium;
  }
  return { ok: true, lastIsWritable, last };
}
