export { TapeFormatError, isTapeFormatError, type TapeFormatErrorCode } from "./errors.ts";
export * from "./magics.ts";
export { crc32, crc32Update } from "./crc32.ts";
export { UUID_LENGTH, ZERO_UUID, formatUuid, isUuidText, parseUuid, randomUuidBytes } from "./uuid.ts";
export { prettyJson } from "./json.ts";
export type { BlockReadResult, BlockSink, BlockSource } from "./tape-io.ts";
export {
  BLOCK_FLAG_END_OF_STREAM,
  BLOCK_FLAG_INCOMPLETE,
  BLOCK_HEADER_SIZE,
  BLOCK_PAYLOAD_SIZE,
  TAPE_BLOCK_SIZE,
  decodeBlockHeader,
  encodeBlockHeader,
  type BlockHeader,
} from "./block-header.ts";
export { BlockedWriter } from "./blocked-writer.ts";
export { BlockedReader, type BlockedReaderOptions, type OpenTapeFileResult } from "./blocked-reader.ts";
export { ByteReader, type ByteInput } from "./byte-reader.ts";
export {
  MEDIA_CONTENT_HEADER_SIZE,
  contentTypeOf,
  decodeMediaContentHeader,
  encodeMediaContentHeader,
  type ContentType,
  type MediaContentHeader,
} from "./media-content-header.ts";
export {
  MAX_ARCHIVE_HEADER_DATA,
  MAX_LABEL_HEADER_DATA,
  openTapeFile,
  readContentHeader,
  writeContentHeader,
  type ContentHeaderRead,
  type HeaderOptions,
  type OpenedTapeFile,
} from "./tape-file.ts";
export {
  decodeMediaLabelJson,
  decodeMediaSetLabelJson,
  encodeMediaLabelJson,
  encodeMediaSetLabelJson,
  isUnassignedMediaSet,
  isValidLabelText,
  readLabels,
  writeMediaLabel,
  writeMediaSetLabel,
  type MediaLabel,
  type MediaSetLabel,
  type ReadLabelsResult,
} from "./labels.ts";
export { ensureZstd, zstdBackend, zstdCompress, zstdDecompress, zstdFrameContentSize, type ZstdBackend } from "./zstd.ts";
export {
  BLOB_HEADER_SIZE,
  BLOB_ZSTD_LEVEL,
  ENCRYPTED_BLOB_HEADER_SIZE,
  MAX_BLOB_SIZE,
  computeChunkDigest,
  decodeDataBlob,
  deriveIdKey,
  encodeDataBlob,
  parseDataBlob,
  verifyChunk,
  type DataBlobKind,
  type EncodeDataBlobOptions,
  type ParsedDataBlob,
} from "./data-blob.ts";
export {
  CHUNK_ARCHIVE_ENTRY_HEADER_SIZE,
  ChunkArchiveDecoder,
  ChunkArchiveWriter,
  MAX_CHUNK_ARCHIVE_SIZE,
  decodeChunkArchiveEntryHeader,
  decodeChunkArchiveHeaderJson,
  encodeChunkArchiveEntryHeader,
  encodeChunkArchiveHeaderJson,
  chunkArchiveFromHeader,
  openChunkArchive,
  type ChunkArchiveDecoderOptions,
  type ChunkArchiveEntry,
  type ChunkArchiveEntryHeader,
  type OpenedChunkArchive,
} from "./chunk-archive.ts";
export { sipHash24 } from "./siphash.ts";
export {
  PXAR_ENTRY,
  PXAR_FILENAME,
  PXAR_GOODBYE,
  PXAR_GOODBYE_ITEM_SIZE,
  PXAR_GOODBYE_TAIL_MARKER,
  PXAR_HASH_KEY_1,
  PXAR_HASH_KEY_2,
  PXAR_HEADER_SIZE,
  PXAR_MAX_FILENAME,
  PXAR_PAYLOAD,
  PXAR_ROOT_MODE,
  PXAR_STAT_SIZE,
  PxarDecoder,
  PxarWriter,
  S_IFDIR,
  S_IFMT,
  S_IFREG,
  arrangeGoodbyeItems,
  checkPxarFilename,
  decodePxarStat,
  encodePxarStat,
  goodbyePermutation,
  isGoodbyeBst,
  pxarFilenameHash,
  type GoodbyeItem,
  type PxarEntry,
  type PxarOutput,
  type PxarStat,
} from "./pxar.ts";
export {
  decodeSnapshotArchiveHeaderJson,
  encodeSnapshotArchiveHeaderJson,
  openSnapshotArchive,
  snapshotArchiveFromHeader,
  snapshotArchiveMagic,
  writeSnapshotArchive,
  type OpenedSnapshotArchive,
  type SnapshotArchiveHeader,
  type SnapshotArchiveOutcome,
  type SnapshotFile,
} from "./snapshot-archive.ts";
export {
  decodeCatalogArchiveHeaderJson,
  encodeCatalogArchiveHeaderJson,
  catalogArchiveFromHeader,
  openCatalogArchive,
  writeCatalogArchive,
  type CatalogArchiveHeader,
  type CatalogArchiveOutcome,
  type OpenedCatalogArchive,
} from "./catalog-archive.ts";
export {
  CATALOG_CHUNK_ARCHIVE_END_SIZE,
  CATALOG_CHUNK_ARCHIVE_START_SIZE,
  CATALOG_CHUNK_SIZE,
  CATALOG_LABEL_SIZE,
  CATALOG_SNAPSHOT_SIZE,
  CATALOG_TAG_CHUNK,
  CATALOG_TAG_CHUNK_ARCHIVE_END,
  CATALOG_TAG_CHUNK_ARCHIVE_START,
  CATALOG_TAG_LABEL,
  CATALOG_TAG_SNAPSHOT,
  MediaCatalog,
  decodeCatalogRecord,
  encodeCatalogRecord,
  type CatalogExpectations,
  type CatalogRecord,
} from "./media-catalog.ts";
export { readTapeFile, type OpenedArchive, type ReadTapeFileResult } from "./tape-file-reader.ts";
export { TapeFileWriter, type ChunkArchiveOutcome, type ChunkToWrite } from "./tape-file-writer.ts";
export { FileTape, MemoryTape, type VirtualTapeDevice, type VirtualTapeOptions } from "./virtual-tape.ts";
