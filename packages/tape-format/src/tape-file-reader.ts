import { catalogArchiveFromHeader, type OpenedCatalogArchive } from "./catalog-archive.ts";
import { chunkArchiveFromHeader, type ChunkArchiveDecoderOptions, type OpenedChunkArchive } from "./chunk-archive.ts";
import { TapeFormatError } from "./errors.ts";
import { decodeMediaLabelJson, decodeMediaSetLabelJson, type MediaLabel, type MediaSetLabel } from "./labels.ts";
import type { MediaContentHeader } from "./media-content-header.ts";
import { snapshotArchiveFromHeader, type OpenedSnapshotArchive } from "./snapshot-archive.ts";
import { openTapeFile, readContentHeader, type OpenedTapeFile } from "./tape-file.ts";
import type { BlockSource } from "./tape-io.ts";

/** Any tape file, opened and dispatched by its content magic. */
export type OpenedArchive =
  | ({ kind: "chunk-archive" } & OpenedChunkArchive)
  | ({ kind: "snapshot-archive" } & OpenedSnapshotArchive)
  | ({ kind: "catalog-archive" } & OpenedCatalogArchive)
  | { kind: "media-label"; header: MediaContentHeader; label: MediaLabel }
  | { kind: "media-set-label"; header: MediaContentHeader; label: MediaSetLabel };

export type ReadTapeFileResult =
  | { kind: "file"; file: OpenedTapeFile; archive: OpenedArchive }
  /** A filemark where a file was expected. */
  | { kind: "end-of-file" }
  /** End of recorded data: no more files. */
  | { kind: "end-of-stream" };

/**
 * Opens the tape file at the current position and dispatches on its content
 * magic (for scans and restores). The caller reads the archive to its end,
 * then consults `file.blocks.hasEndMarker` / `isIncomplete`: an INCOMPLETE
 * chunk archive keeps the chunks seen, one without end marker is ignored
 * (reference §4.1). `requireEndMarker` defaults to false here so that a
 * missing end marker ends the stream instead of throwing.
 */
export async function readTapeFile(
  source: BlockSource,
  options: ChunkArchiveDecoderOptions & { requireEndMarker?: boolean } = {},
): Promise<ReadTapeFileResult> {
  const opened = await openTapeFile(source, { requireEndMarker: options.requireEndMarker ?? false });
  if (opened.kind !== "file") return opened;
  const { file } = opened;
  const read = await readContentHeader(file.bytes);
  let archive: OpenedArchive;
  switch (read.type.kind) {
    case "chunk-archive":
      archive = { kind: "chunk-archive", ...chunkArchiveFromHeader(read, file.bytes, options) };
      break;
    case "snapshot-archive":
      archive = { kind: "snapshot-archive", ...snapshotArchiveFromHeader(read, file.bytes) };
      break;
    case "catalog-archive":
      archive = { kind: "catalog-archive", ...catalogArchiveFromHeader(read, file.bytes) };
      break;
    case "media-label":
      archive = { kind: "media-label", header: read.header, label: decodeMediaLabelJson(read.data) };
      break;
    case "media-set-label":
      archive = { kind: "media-set-label", header: read.header, label: decodeMediaSetLabelJson(read.data) };
      break;
    default:
      throw new TapeFormatError("bad-magic", "content_magic: unknown content kind", { field: "content_magic" });
  }
  return { kind: "file", file, archive };
}
