/** What kind of tape file an archive commit record describes. */
export type ArchiveKind = "chunk-archive" | "snapshot-archive" | "catalog-archive";

/**
 * One archive on tape, reported only after the drive was synced (WRITE
 * FILEMARKS 0), so the record never names data that could still be lost.
 * `chunkDigests` (hex) are the chunks completely inside a chunk archive.
 */
export interface CommitRecord {
  mediaSetUuid: string;
  /** UUID of the tape (its media label). */
  mediaUuid: string;
  /** The tape's position in the media set. */
  seqNr: number;
  fileNumber: number;
  /** Content UUID of the archive (MediaContentHeader uuid). */
  archiveUuid: string;
  kind: ArchiveKind;
  /** Datastore name (chunk and snapshot archives); for catalog archives, empty. */
  store: string;
  /** `[ns/a/ns/b/]type/id/time` of a snapshot archive; for a catalog archive, the media UUID it describes. */
  snapshot?: string;
  chunkDigests: string[];
}

/** NATS subject (relative to the bus prefix) on which commit records of a media set are published. */
export function commitSubject(mediaSetUuid: string): string {
  return `catalog.commit.${mediaSetUuid}`;
}
