/**
 * Data model of the media pool engine: media as the inventory knows them, their
 * labels, locations and statuses, and the pool configuration the engine reads.
 *
 * Times are epoch seconds (integers), as in PBS's labels and inventory.
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §3.1, §3.2, §6.1, §6.2
 */
import type { MediaPoolConfig } from "@tapefleet/api-types";

/** The all-zero media set UUID: a legacy "reserved for a pool, still empty" label (§3.4). */
export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

/** Media label (tape file 0). @see §3.1 */
export interface MediaLabel {
  /** UUID of the medium (new at every labeling). */
  readonly uuid: string;
  /** Label or barcode text. */
  readonly labelText: string;
  /** Labeling time, epoch seconds. */
  readonly ctime: number;
  /** Pool the medium is reserved for; absent for free media. */
  readonly pool?: string | undefined;
}

/** Media set label (tape file 1). @see §3.2 */
export interface MediaSetLabel {
  readonly pool: string;
  /** Media set UUID; {@link ZERO_UUID} means "unassigned" (§3.4). */
  readonly uuid: string;
  /** Position of the medium in its set, 0-based. */
  readonly seqNr: number;
  /** Time the medium was added to the set, epoch seconds. */
  readonly ctime: number;
  /** Hardware encryption key fingerprint (`xx:xx:…`), when the set is encrypted. */
  readonly encryptionKeyFingerprint?: string | undefined;
}

/** Status a user or a job stored explicitly (§6.2). Absent reads as `unknown`. */
export type StoredMediaStatus = "full" | "damaged" | "retired";

/** Status of a medium as a pool sees it (§6.3). */
export type MediaStatus = "writable" | "full" | "unknown" | "damaged" | "retired";

/** Where a medium is (§6.2 `location`). */
export type MediaLocation =
  | { readonly kind: "online"; readonly changer: string }
  | { readonly kind: "offline" }
  | { readonly kind: "vault"; readonly name: string };

/** One medium of the inventory. */
export interface Medium {
  readonly label: MediaLabel;
  /** Absent when the medium has never been written to a set. */
  readonly setLabel?: MediaSetLabel | undefined;
  readonly storedStatus?: StoredMediaStatus | undefined;
  readonly location: MediaLocation;
  /**
   * The medium sits in an import/export slot of its changer: it counts as offline
   * (§6.4: online status comes from drive and storage slots only).
   */
  readonly inImportExport?: boolean | undefined;
  /** Write-once medium (§6.8). */
  readonly worm?: boolean | undefined;
  /** Bytes written to the medium in its current set. */
  readonly bytesUsed?: number | undefined;
}

/**
 * The fields of a media pool the engine reads. A `MediaPoolConfig` of
 * `@tapefleet/api-types` is one (extra fields such as `drive` or `comment` are ignored).
 * Absent fields take PBS's defaults: allocation `continue`, retention `keep`, template `%c`.
 */
export type PoolConfig = Pick<MediaPoolConfig, "name"> &
  Partial<Pick<MediaPoolConfig, "allocation" | "retention" | "template" | "encrypt">>;

/** A media set as a member list: medium UUIDs by sequence number (`null` = missing). */
export interface MediaSetRef {
  readonly uuid: string;
  readonly members: readonly (string | null)[];
}

/** A media set of a pool as derived from the inventory. */
export interface MediaSetInfo extends MediaSetRef {
  readonly pool: string;
  /** Set start time: the set label ctime of the `seqNr 0` member, or null when that member is unknown. */
  readonly startTime: number | null;
  /** Greatest set label ctime over the members (what picks the current set, §6.5). */
  readonly ctime: number;
  /** Smallest set label ctime over the members (the set's time when compared with other sets, §6.7). */
  readonly firstCtime: number;
  /** Sequence numbers claimed by more than one medium, with those media. */
  readonly duplicates: readonly { readonly seqNr: number; readonly media: readonly string[] }[];
}

/** Time source. `now()` is epoch seconds. */
export interface Clock {
  now(): number;
}

/** Source of fresh media set UUIDs. */
export type IdGenerator = () => string;
