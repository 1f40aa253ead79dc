/**
 * The media pool engine: PBS's media pool policy as pure functions. Which set a job
 * writes, which tape it takes, when a tape expires, how sets are named. No I/O; time
 * (`now`, epoch seconds) and set UUIDs are passed in.
 *
 * @see ../../../../../shared/reference/pbs-tape-format.md §6
 */
export {
  type Clock,
  type IdGenerator,
  type MediaLabel,
  type MediaLocation,
  type MediaSetInfo,
  type MediaSetLabel,
  type MediaSetRef,
  type MediaStatus,
  type Medium,
  type PoolConfig,
  type StoredMediaStatus,
  ZERO_UUID,
} from "./types.ts";
export {
  type PoolEngineErrorCode,
  type Rejection,
  type RejectionReason,
  type WormRule,
  InvalidMediumError,
  MediaSetInconsistentError,
  NoUsableMediaError,
  PoolArgumentError,
  PoolConfigError,
  PoolEngineError,
  WormPolicyError,
} from "./errors.ts";
export {
  type AllocationPolicy,
  type PoolPolicy,
  type RetentionPolicy,
  type TimeZoneOptions,
  DEFAULT_TIME_ZONE,
  poolPolicy,
} from "./pool-policy.ts";
export { MAX_SEQ_NR, assignedSetLabel, mediumPool } from "./inventory-index.ts";
export { type MediaStatusOptions, computeMediaStatus, isLocationAvailable, locationRejection } from "./media-status.ts";
export {
  type InconsistencyCode,
  type SetCheck,
  type SetCheckOptions,
  type SetInconsistency,
  checkMediaSetConsistency,
  currentMediaSet,
  listMediaSets,
  mediaSetStartTime,
} from "./media-set.ts";
export {
  type NewSetDecision,
  type NewSetOptions,
  type NewSetReason,
  type NewSetReasonCode,
  type WriteSession,
  type WriteSessionOptions,
  mustStartNewSet,
  startWriteSession,
} from "./write-session.ts";
export { type ExpiryOptions, isMediumExpired, mediaExpireTime } from "./expiry.ts";
export { type ListPoolMediaOptions, type PoolMediumView, listPoolMedia } from "./pool-media-list.ts";
export {
  type AllocOptions,
  type AllocSource,
  type Allocation,
  LARGE_MEDIA_SET_SEQ_NR,
  allocWritableMedia,
  applyAllocation,
} from "./alloc.ts";
export { type PoolMediaKind, assertErasable, checkPoolWorm, isErasable, poolMediaKind } from "./worm.ts";
export { type MediaSetNameOptions, formatStrftime, mediaSetName } from "./media-set-name.ts";
export { ManualClock, sequentialIds, systemClock, toEpochSeconds } from "./clock.ts";
export {
  type JournalEntry,
  type RunJobOptions,
  type SimJob,
  type SimTapeSpec,
  type SimulatorOptions,
  type TapeWrite,
  Simulator,
} from "./simulator.ts";
