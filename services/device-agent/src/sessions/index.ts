export { SessionError, isSessionError, toSessionError, type SessionErrorCode } from "./session-error.ts";
export { ScsiTape, READ_BUFFER_RING, READY_ATTEMPTS, READY_POLL_MS } from "./scsi-tape.ts";
export { BlobPool, ChunkFeeder, DEFAULT_CHUNK_READERS, DEFAULT_QUEUE_DEPTH, POOL_IDLE_MS, sharedChunkBlobPool, type BlobPoolOptions, type ChunkFeederOptions } from "./chunk-feeder.ts";
export {
  COMMIT_RECORD_ID_NAMESPACE,
  catalogRecordsOf,
  commitRecordId,
  commitRecordsFromCatalog,
  commitSubject,
  nameUuid,
  type ArchiveKind,
  type CommitEntry,
  type CommitRecord,
  type CommitTape,
} from "./commit-record.ts";
export { COMMIT_STREAM, memoryCommitPublisher, natsCommitPublisher, type CommitBus, type CommitPublisher } from "./commit-publisher.ts";
export {
  DEFAULT_COMMIT_BYTES,
  runWriteSession,
  type MemberCatalog,
  type WriteProgress,
  type WriteSessionHooks,
  type WriteSessionOptions,
  type WriteSessionResult,
  type WriteSessionStarted,
} from "./write-session.ts";
export { DEFAULT_DIGEST_WORKERS, DigestPool, SharedBlobPool, sharedBlobPool, sharedDigestPool, type VerifiedChunk } from "./digest-pool.ts";
export { readArchive, restoreFromTape, scanTape, type ReadArchiveOptions, type RestoreOptions, type RestoreProgress, type ScanResult, type TapeEntry } from "./read-session.ts";
export { sessionDrivesFrom, virtualLibraryDrives, type SessionDrive, type SessionDrives } from "./session-drives.ts";
export {
  archiveKindFromProto,
  archiveKindToProto,
  commitFromProto,
  commitToProto,
  sessionServiceImpl,
  writeStatusNumber,
  type SessionServiceImpl,
  type SessionServiceOptions,
} from "./session-service.ts";
export { busKeySource, clearDriveKey, keyNeededMessage, loadDriveKey, SessionKey, type KeyReleaseFor, type TapeKeySource } from "./drive-encryption.ts";
