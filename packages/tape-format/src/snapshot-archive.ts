import { BlockedWriter } from "./blocked-writer.ts";
import type { ByteReader } from "./byte-reader.ts";
import { TapeFormatError } from "./errors.ts";
import { parseJsonObject, prettyJson, requireString, utf8 } from "./json.ts";
import { SNAPSHOT_ARCHIVE_MAGIC_1_1, SNAPSHOT_ARCHIVE_MAGIC_1_2 } from "./magics.ts";
import type { MediaContentHeader } from "./media-content-header.ts";
import { PxarDecoder, PxarWriter, type PxarStat } from "./pxar.ts";
import { readContentHeader, writeContentHeader, type ContentHeaderRead, type HeaderOptions } from "./tape-file.ts";
import type { BlockSink } from "./tape-io.ts";

export interface SnapshotArchiveHeader {
  /** `[ns/a/ns/b/]type/id/YYYY-MM-DDTHH:MM:SSZ` */
  snapshot: string;
  store: string;
}

/** One file of a snapshot (a raw datastore file: index.json.blob, *.fidx, *.didx, *.blob). */
export interface SnapshotFile {
  name: string;
  /** st_mode (with S_IFREG), uid, gid, mtime of the datastore file; flags 0. */
  stat: PxarStat;
  size: number;
  /** Exactly `size` bytes, streamed. */
  content: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;
}

/** v1.2 when the snapshot lives in a non-root namespace (`ns/` prefix), v1.1 otherwise. @see reference §2.3 */
export function snapshotArchiveMagic(snapshot: string): Uint8Array {
  return snapshot.startsWith("ns/") ? SNAPSHOT_ARCHIVE_MAGIC_1_2 : SNAPSHOT_ARCHIVE_MAGIC_1_1;
}

/** `{"snapshot", "store"}` pretty-printed (struct order). */
export function encodeSnapshotArchiveHeaderJson(h: SnapshotArchiveHeader): Uint8Array {
  return utf8.encode(prettyJson({ snapshot: h.snapshot, store: h.store }, false));
}

export function decodeSnapshotArchiveHeaderJson(bytes: Uint8Array): SnapshotArchiveHeader {
  const o = parseJsonObject(bytes, "snapshot archive header");
  return { snapshot: requireString(o, "snapshot", "snapshot archive header"), store: requireString(o, "store", "snapshot archive header") };
}

export type SnapshotArchiveOutcome =
  | { kind: "complete"; uuid: Uint8Array; leom: boolean; bytesWritten: number }
  /**
   * LEOM was reached: the file was finished with END_OF_STREAM | INCOMPLETE,
   * must not be registered, and the whole archive must be written again on
   * the next tape (the tape is full).
   */
  | { kind: "incomplete"; uuid: Uint8Array; leom: true; bytesWritten: number; action: "rewrite-on-next-tape" };

class LeomSignal extends Error {}

/**
 * Writes one snapshot archive as a tape file: header, JSON, pxar of `files`.
 * Any write that reports LEOM ends the archive as INCOMPLETE. Other errors
 * (for example a file changing size) end the tape file without end marker and
 * are rethrown. @see reference §1.3, §4.2
 */
export async function writeSnapshotArchive(
  sink: BlockSink,
  header: SnapshotArchiveHeader,
  files: Iterable<SnapshotFile> | AsyncIterable<SnapshotFile>,
  options: HeaderOptions = {},
): Promise<SnapshotArchiveOutcome> {
  const writer = new BlockedWriter(sink);
  let uuid: Uint8Array = new Uint8Array(16);
  try {
    const h = await writeContentHeader(writer, snapshotArchiveMagic(header.snapshot), encodeSnapshotArchiveHeaderJson(header), options);
    uuid = h.uuid;
    if (h.leom) throw new LeomSignal();
    const pxar = new PxarWriter(async (bytes) => {
      if (await writer.write(bytes)) throw new LeomSignal();
    });
    await pxar.begin();
    for await (const f of files as AsyncIterable<SnapshotFile>) {
      const content = f.content instanceof Uint8Array ? [f.content] : f.content;
      await pxar.addFile(f.name, f.stat, f.size, content);
    }
    await pxar.finish();
  } catch (err) {
    if (err instanceof LeomSignal) {
      await writer.finish(true);
      return { kind: "incomplete", uuid, leom: true, bytesWritten: writer.bytesWritten, action: "rewrite-on-next-tape" };
    }
    if (!writer.finished) await writer.abort();
    throw err;
  }
  const leom = await writer.finish(false);
  return { kind: "complete", uuid, leom, bytesWritten: writer.bytesWritten };
}

export interface OpenedSnapshotArchive {
  header: MediaContentHeader;
  /** "1.1" (root namespace) or "1.2" (namespaced). */
  version: string;
  snapshot: string;
  store: string;
  /** Entries: the root directory first, then the files. */
  entries: PxarDecoder;
}

export async function openSnapshotArchive(input: ByteReader): Promise<OpenedSnapshotArchive> {
  return snapshotArchiveFromHeader(await readContentHeader(input), input);
}

/** Like `openSnapshotArchive` when the content header was already read. */
export function snapshotArchiveFromHeader(read: ContentHeaderRead, input: ByteReader): OpenedSnapshotArchive {
  const { header, type, data } = read;
  if (type.kind !== "snapshot-archive") throw new TapeFormatError("bad-magic", `snapshot archive: content magic is a ${type.kind}`, { field: "content_magic" });
  if (!type.supported) throw new TapeFormatError("unsupported-version", `snapshot archive: version ${type.version} is not supported`, { field: "content_magic" });
  const h = decodeSnapshotArchiveHeaderJson(data);
  return { header, version: type.version, snapshot: h.snapshot, store: h.store, entries: new PxarDecoder(input) };
}
