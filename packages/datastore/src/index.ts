export { DatastoreError, isDatastoreError, type DatastoreErrorCode } from "./errors.ts";
export {
  ARCHIVE_NAME_REGEX,
  AUTHID_REGEX,
  BACKUP_TYPES,
  CHUNKS_DIR,
  CLIENT_LOG_BLOB_NAME,
  DIGEST_HEX_REGEX,
  GROUP_NOTES_FILE,
  MANIFEST_BLOB_NAME,
  MAX_NAMESPACE_DEPTH,
  MAX_NAMESPACE_LENGTH,
  OWNER_FILE,
  PROTECTED_MARKER,
  SAFE_ID_REGEX,
  SNAPSHOT_TIME_REGEX,
  checkArchiveName,
  checkAuthid,
  checkBackupId,
  checkBackupType,
  checkDigestHex,
  checkNamespace,
  compareGroups,
  formatNamespace,
  formatSnapshotTime,
  groupPath,
  isBackupType,
  isNamespaceWithin,
  namespacePath,
  parseNamespace,
  parseNamespacePath,
  parseSnapshotPath,
  parseSnapshotTime,
  snapshotPath,
  type BackupGroupRef,
  type BackupType,
  type Namespace,
  type SnapshotRef,
} from "./names.ts";
export {
  DEFAULT_FIXED_CHUNK_SIZE,
  DIGEST_SIZE,
  FIXED_INDEX_MAGIC,
  INDEX_HEADER_SIZE,
  decodeFixedIndex,
  encodeFixedIndex,
  fixedChunkRange,
  fixedDigest,
  type EncodeFixedIndexInput,
  type FixedIndex,
} from "./fixed-index.ts";
export {
  DYNAMIC_ENTRY_SIZE,
  DYNAMIC_INDEX_MAGIC,
  decodeDynamicIndex,
  dynamicChunkRange,
  dynamicDigest,
  encodeDynamicIndex,
  type DynamicEntry,
  type DynamicIndex,
  type EncodeDynamicIndexInput,
} from "./dynamic-index.ts";
export {
  BLOB_HEADER_SIZE,
  ENCRYPTED_BLOB_HEADER_SIZE,
  MAX_BLOB_SIZE,
  decodeBlob,
  encodeBlob,
  parseBlob,
  verifyChunkBlob,
  type ChunkCheck,
  type DataBlobKind,
  type ParsedDataBlob,
} from "./blob.ts";
export {
  CRYPT_MODES,
  canonicalManifestJson,
  decodeManifestBlob,
  decodeManifestJson,
  encodeManifestBlob,
  encodeManifestJson,
  manifestSignature,
  manifestToJsonValue,
  reencodeManifestForRestore,
  type BackupManifest,
  type CryptMode,
  type ManifestFile,
} from "./manifest.ts";
export { ChunkStore, digestHex, type ChunkStat, type DigestInput, type InsertChunkOptions, type InsertChunkResult } from "./chunk-store.ts";
export { applyGroupFilters, formatGroupFilter, groupMatches, parseGroupFilter, type GroupFilter } from "./group-filter.ts";
export { Datastore, openDatastore, type SelectOptions, type SnapshotIndex, type SnapshotInfo } from "./datastore.ts";
export {
  SnapshotWriter,
  createGroup,
  createNamespace,
  restoreSnapshot,
  tmpNameFor,
  type RestoreEntry,
  type WriteStep,
  type WriterOptions,
} from "./snapshot-writer.ts";
export { GearChunker, chunkStream, type ChunkerParams } from "./chunker.ts";
export { DEFAULT_BLOB_LIMIT, archiveNameFor, ingestFiles, type IngestFile, type IngestOptions, type IngestResult } from "./ingest.ts";
export { createSampleDatastore, type SampleOptions, type SampleReport } from "./sample.ts";
export { formatByteSize, parseByteSize } from "./size.ts";
export { verifyDatastore, type VerifyReport } from "./verify.ts";
