import {
  DatastoreError,
  parseSnapshotPath,
  restoreSnapshot,
  snapshotPath,
  targetNamespaces,
  type Datastore,
  type NamespaceMapping,
  type RestoreEntry,
} from "@tapefleet/datastore";
import { MediaCatalog, formatUuid, readLabels, readTapeFile, type MediaLabel, type MediaSetLabel, type OpenedTapeFile } from "@tapefleet/tape-format";
import type { CommitRecord } from "./commit-record.ts";
import { sharedBlobPool, sharedDigestPool, type DigestPool, type SharedBlobPool } from "./digest-pool.ts";
import type { ScsiTape } from "./scsi-tape.ts";
import { SessionError, toSessionError } from "./session-error.ts";

/** One item of a tape file, as read back. */
export type TapeEntry =
  | { kind: "media-label"; label: MediaLabel }
  | { kind: "media-set-label"; label: MediaSetLabel }
  | { kind: "chunk-archive"; store: string; archiveUuid: string }
  | { kind: "chunk"; digest: string; blob: Uint8Array; digestChecked: boolean }
  | { kind: "snapshot-archive"; store: string; snapshot: string; archiveUuid: string }
  /** A piece of a snapshot file (`offset` within the file); `last` on the final piece. */
  | { kind: "snapshot-file"; name: string; offset: number; data: Uint8Array; last: boolean }
  | { kind: "catalog-archive"; mediaUuid: string; mediaSetUuid: string; seqNr: number; archiveUuid: string }
  | { kind: "catalog-data"; data: Uint8Array }
  /** The end of the file: whether it had its end marker and whether it was marked INCOMPLETE. */
  | { kind: "end"; hasEndMarker: boolean; incomplete: boolean; bytes: number };

export interface ReadArchiveOptions {
  /** Verify the SHA-256 digest of every chunk (CRC is always checked). */
  verifyDigests?: boolean;
  /** Where digests are verified (default: the shared worker pool). */
  digestPool?: DigestPool;
  /**
   * Read chunk blobs into reused shared-memory buffers: a chunk entry's blob is
   * then only valid until the next entry is asked for (copy it to keep it).
   * Spares the agent a buffer allocation (and its collection) per chunk.
   */
  recycleBlobs?: boolean;
}

/**
 * Positions at tape file `fileNumber` (LOCATE) and streams it back as typed
 * entries. Digests of chunks are verified when `verifyDigests` (CRC always),
 * in the worker threads of a `DigestPool` while the next chunks are read, so
 * up to two chunks per worker are in flight; entries keep tape order.
 * A medium error is a `SessionError` naming the file and block.
 */
export async function* readArchive(tape: ScsiTape, fileNumber: number, options: ReadArchiveOptions = {}): AsyncGenerator<TapeEntry> {
  try {
    await tape.waitReady();
    await tape.locateFile(fileNumber);
    // with verifyDigests every blob's CRC is checked in the digest pool (verifyChunk), not twice
    const blobs = options.recycleBlobs ? sharedBlobPool() : undefined;
    const r = await readTapeFile(tape, {
      verifyDigest: false,
      verifyCrc: !options.verifyDigests,
      ...(blobs === undefined ? {} : { allocBlob: (n: number, align: number) => blobs.take(n, align), releaseBlob: (b: Uint8Array) => blobs.give(b) }),
    });
    if (r.kind !== "file") throw new SessionError("position", `tape file ${fileNumber}: ${r.kind === "end-of-stream" ? "beyond the end of data" : "empty (a filemark)"}`);
    const a = r.archive;
    switch (a.kind) {
      case "media-label":
        yield { kind: "media-label", label: a.label };
        break;
      case "media-set-label":
        yield { kind: "media-set-label", label: a.label };
        break;
      case "chunk-archive":
        yield { kind: "chunk-archive", store: a.store, archiveUuid: formatUuid(a.header.uuid) };
        if (options.verifyDigests) yield* verifiedChunks(a.entries, options.digestPool ?? sharedDigestPool(), blobs);
        else
          for await (const e of a.entries) {
            yield { kind: "chunk", digest: Buffer.from(e.digest).toString("hex"), blob: e.blob, digestChecked: false };
            blobs?.give(e.blob);
          }
        break;
      case "snapshot-archive": {
        yield { kind: "snapshot-archive", store: a.store, snapshot: a.snapshot, archiveUuid: formatUuid(a.header.uuid) };
        for (;;) {
          const e = await a.entries.next();
          if (e === null) break;
          if (e.kind !== "file") continue;
          let offset = 0;
          for await (const piece of e.payload) {
            const data = piece.slice();
            yield { kind: "snapshot-file", name: e.name, offset, data, last: false };
            offset += data.length;
          }
          yield { kind: "snapshot-file", name: e.name, offset, data: new Uint8Array(0), last: true };
        }
        break;
      }
      case "catalog-archive": {
        yield { kind: "catalog-archive", mediaUuid: a.catalog.uuid, mediaSetUuid: a.catalog.mediaSetUuid, seqNr: a.catalog.seqNr, archiveUuid: formatUuid(a.header.uuid) };
        for (;;) {
          const piece = await a.body.readUpTo(256 * 1024);
          if (piece.length === 0) break;
          yield { kind: "catalog-data", data: piece.slice() };
        }
        break;
      }
    }
    yield endOf(r.file);
  } catch (err) {
    throw toSessionError(err);
  }
}

/**
 * Chunks of an archive with their digests verified by `pool`, in order, with a window of
 * verifications in flight. With `blobs`, each yielded blob goes back to it when the
 * consumer asks for the next entry.
 */
async function* verifiedChunks(entries: AsyncIterable<{ digest: Uint8Array; blob: Uint8Array }>, pool: DigestPool, blobs?: SharedBlobPool): AsyncGenerator<TapeEntry> {
  const depth = Math.max(1, 2 * pool.size);
  const window: Promise<TapeEntry & { kind: "chunk" }>[] = [];
  const next = async function* () {
    const e = await window.shift()!;
    yield e;
    blobs?.give(e.blob);
  };
  for await (const e of entries) {
    const digest = e.digest;
    const p = pool.verify(e.blob, digest).then((v) => ({ kind: "chunk" as const, digest: Buffer.from(digest).toString("hex"), blob: v.blob, digestChecked: v.digestChecked }));
    p.catch(() => undefined); // awaited in order below
    window.push(p);
    if (window.length >= depth) yield* next();
  }
  while (window.length > 0) yield* next();
}

function endOf(file: OpenedTapeFile): TapeEntry {
  return { kind: "end", hasEndMarker: file.blocks.hasEndMarker, incomplete: file.blocks.isIncomplete, bytes: file.blocks.bytesRead };
}

export interface ScanResult {
  mediaLabel: MediaLabel;
  mediaSetLabel: MediaSetLabel;
  /** The archives on the tape as commit records, in file order (archives without end marker or INCOMPLETE snapshot archives left out). */
  records: CommitRecord[];
  /** The rebuilt PBS media catalog of the tape (`.log` bytes). */
  catalog: Uint8Array;
  /** Catalog archives found (`media uuid → bytes`, the last one of each member wins). */
  memberCatalogs: Map<string, Uint8Array>;
  /** File numbers skipped: aborted or incomplete archives. */
  skippedFiles: number[];
}

/**
 * Reads a whole tape from file 0 to end of data and rebuilds what is on it:
 * commit records and a PBS media catalog (A C* E for chunk archives, S for
 * complete snapshot archives), for catalog restore. @see reference §5.5, §12.4
 */
export async function scanTape(tape: ScsiTape, options: { onFile?: (fileNumber: number, kind: string) => void } = {}): Promise<ScanResult> {
  try {
    await tape.waitReady();
    await tape.rewind();
    const labels = await readLabels(tape);
    if (labels.kind === "blank") throw new SessionError("wrong-medium", "the tape is blank");
    if (labels.mediaSetLabel === undefined) throw new SessionError("wrong-medium", `tape ${labels.mediaLabel.labelText} has no media set label`);
    const mediaUuid = labels.mediaLabel.uuid;
    const set = labels.mediaSetLabel;
    const catalog = MediaCatalog.createForMediaSet(mediaUuid, set.uuid, set.seqNr);
    const base = { mediaSetUuid: set.uuid, mediaUuid, seqNr: set.seqNr };
    const records: CommitRecord[] = [];
    const members = new Map<string, Uint8Array>();
    const skipped: number[] = [];
    for (let fileNumber = 2; ; fileNumber++) {
      const r = await readTapeFile(tape, { verifyDigest: false });
      if (r.kind === "end-of-stream") break;
      if (r.kind === "end-of-file") {
        skipped.push(fileNumber);
        continue;
      }
      const a = r.archive;
      const archiveUuid = formatUuid(a.header.uuid);
      options.onFile?.(fileNumber, a.kind);
      if (a.kind === "chunk-archive") {
        const digests: Uint8Array[] = [];
        for await (const e of a.entries) digests.push(e.digest);
        if (!r.file.blocks.hasEndMarker) {
          skipped.push(fileNumber);
          continue;
        }
        if (digests.length === 0) continue;
        catalog.startChunkArchive(fileNumber, archiveUuid, a.store);
        for (const d of digests) catalog.registerChunk(d);
        catalog.endChunkArchive();
        records.push({ ...base, fileNumber, archiveUuid, kind: "chunk-archive", store: a.store, chunkDigests: digests.map((d) => Buffer.from(d).toString("hex")) });
      } else if (a.kind === "snapshot-archive") {
        await r.file.blocks.skipData();
        if (!r.file.blocks.hasEndMarker || r.file.blocks.isIncomplete) {
          skipped.push(fileNumber);
          continue;
        }
        catalog.registerSnapshot(fileNumber, archiveUuid, a.store, a.snapshot);
        records.push({ ...base, fileNumber, archiveUuid, kind: "snapshot-archive", store: a.store, snapshot: a.snapshot, chunkDigests: [] });
      } else if (a.kind === "catalog-archive") {
        const parts: Uint8Array[] = [];
        for (;;) {
          const piece = await a.body.readUpTo(256 * 1024);
          if (piece.length === 0) break;
          parts.push(piece.slice());
        }
        if (!r.file.blocks.hasEndMarker || r.file.blocks.isIncomplete) {
          skipped.push(fileNumber);
          continue;
        }
        members.set(a.catalog.uuid, new Uint8Array(Buffer.concat(parts)));
        records.push({ ...base, fileNumber, archiveUuid, kind: "catalog-archive", store: "", snapshot: a.catalog.uuid, chunkDigests: [] });
      } else {
        throw new SessionError("io", `tape file ${fileNumber}: unexpected ${a.kind} after file 1`);
      }
    }
    return { mediaLabel: labels.mediaLabel, mediaSetLabel: set, records, catalog: catalog.toBytes(), memberCatalogs: members, skippedFiles: skipped };
  } catch (err) {
    throw toSessionError(err);
  }
}

export interface RestoreOptions {
  /** Tape files to restore in ascending order; all files from 2 to end of data when empty. */
  fileNumbers?: number[];
  /** Namespace mappings (§12.1); snapshots whose store has none keep their namespace. */
  namespaces?: NamespaceMapping[];
  /** Only these `[ns/…/]type/id/time` snapshots (of any store); all when empty. */
  snapshots?: string[];
  owner: string;
  signal?: AbortSignal;
  /** Where chunk digests are verified (default: the shared worker pool). */
  digestPool?: DigestPool;
}

export interface RestoreProgress {
  fileNumber: number;
  kind: "chunk-archive" | "snapshot-archive" | "catalog-archive" | "skipped";
  /** Chunks inserted (new) and already present, for chunk archives. */
  chunksInserted: number;
  chunksPresent: number;
  /** Snapshots restored (`[ns/…/]type/id/time` as restored, after namespace mapping). */
  snapshots: string[];
  /** Why a file or snapshot was skipped. */
  note?: string;
  /** Snapshots that could not be restored (`path: reason`); existing ones are not failures. */
  failedSnapshots?: string[];
  bytesRead: number;
  elapsedMs: number;
}

/**
 * Restores tape files straight into `target`: every chunk of a chunk archive
 * is verified (CRC and SHA-256 digest, by `insertChunk`) and inserted when
 * absent; snapshot archives go through `restoreSnapshot` (manifest last) into
 * each mapped namespace, skipping snapshots that exist. Incomplete archives
 * are skipped. Yields one progress item per file. @see reference §12.2
 */
/** Chunk files a restore writes at once. */
const INSERTS_IN_FLIGHT = 4;

export async function* restoreFromTape(tape: ScsiTape, target: Datastore, options: RestoreOptions): AsyncGenerator<RestoreProgress> {
  const started = performance.now();
  let bytesRead = 0;
  const wanted = options.snapshots && options.snapshots.length > 0 ? new Set(options.snapshots) : undefined;
  const pool = options.digestPool ?? sharedDigestPool();
  const depth = Math.max(2, 2 * pool.size);
  const blobs = sharedBlobPool();
  try {
    await tape.waitReady();
    const list = options.fileNumbers && options.fileNumbers.length > 0 ? [...options.fileNumbers].sort((a, b) => a - b) : undefined;
    if (list) {
      if (list[0]! < 2) throw new SessionError("invalid-request", `file_numbers: ${list[0]} is a label file (archives start at 2)`, { field: "file_numbers" });
    } else {
      await tape.locateFile(2);
    }
    for (let i = 0; ; i++) {
      if (options.signal?.aborted) throw new SessionError("cancelled", "restore cancelled by the caller");
      let fileNumber: number;
      if (list) {
        if (i >= list.length) break;
        fileNumber = list[i]!;
        if (tape.fileNumber !== fileNumber || tape.blockInFile !== 0) await tape.locateFile(fileNumber);
      } else fileNumber = 2 + i;
      // Chunks: CRC and SHA-256 digest are checked in the digest workers (verifyChunk) before
      // insertChunk writes them; blobs are read into reused shared buffers.
      const r = await readTapeFile(tape, { verifyDigest: false, verifyCrc: false, allocBlob: (n, align) => blobs.take(n, align), releaseBlob: (b) => blobs.give(b) });
      if (r.kind === "end-of-stream") {
        if (list) throw new SessionError("position", `tape file ${fileNumber}: beyond the end of data`);
        break;
      }
      const item: RestoreProgress = { fileNumber, kind: "skipped", chunksInserted: 0, chunksPresent: 0, snapshots: [], bytesRead: 0, elapsedMs: 0 };
      if (r.kind === "end-of-file") {
        item.note = "empty file";
      } else {
        const a = r.archive;
        if (a.kind === "chunk-archive") {
          item.kind = "chunk-archive";
          // a window of chunks in flight: present ones are skipped, new ones verified in the
          // workers while the next are read; inserted in tape order
          // inserts (file writes) run a few at a time too, counted as they finish
          const window: Array<Promise<{ blob: Uint8Array; digest: Uint8Array; present: boolean }>> = [];
          const inserts: Array<Promise<void>> = [];
          const settle = async () => {
            const c = await window.shift()!;
            if (c.present) {
              item.chunksPresent++;
              blobs.give(c.blob);
              return;
            }
            const p = target.chunks.insertChunk(c.digest, c.blob, { trusted: true, knownAbsent: true }).then(
              (res) => {
                if (res.inserted) item.chunksInserted++;
                else item.chunksPresent++;
                blobs.give(c.blob);
              },
            );
            p.catch(() => undefined); // awaited in order below
            inserts.push(p);
            if (inserts.length >= INSERTS_IN_FLIGHT) await inserts.shift();
          };
          try {
            for await (const e of a.entries) {
              const p = (async () => {
                if (await target.chunks.hasChunk(e.digest)) return { blob: e.blob, digest: e.digest, present: true };
                await pool.verify(e.blob, e.digest);
                return { blob: e.blob, digest: e.digest, present: false };
              })();
              p.catch(() => undefined); // awaited in order by settle()
              window.push(p);
              if (window.length >= depth) await settle();
            }
            while (window.length > 0) await settle();
            while (inserts.length > 0) await inserts.shift();
          } finally {
            // on failure: let the chunks in flight finish (their buffers are not reused)
            await Promise.allSettled([...window.splice(0), ...inserts.splice(0)]);
          }
        } else if (a.kind === "snapshot-archive") {
          item.kind = "snapshot-archive";
          const source = parseSnapshotPath(a.snapshot);
          if (wanted && !wanted.has(a.snapshot)) {
            await r.file.blocks.skipData();
            item.note = `${a.snapshot}: not selected`;
          } else {
            const mapped = options.namespaces?.some((m) => m.store === a.store) ? targetNamespaces(options.namespaces, a.store, source.ns) : [source.ns];
            if (mapped.length === 0) {
              await r.file.blocks.skipData();
              item.note = `${a.snapshot}: no namespace mapping`;
            } else {
              // The archive streams once: unpack into the first target, copy to the others from there.
              const files: Array<{ name: string; data: Uint8Array }> | undefined = mapped.length > 1 ? [] : undefined;
              const first = { ...source, ns: mapped[0]! };
              const entries = async function* (): AsyncGenerator<RestoreEntry> {
                const root = await a.entries.next();
                if (root?.kind !== "directory") throw new SessionError("io", `${a.snapshot}: the archive does not start with its root directory`);
                for (;;) {
                  const e = await a.entries.next();
                  if (e === null) return;
                  if (e.kind !== "file") continue;
                  if (files) {
                    const parts: Uint8Array[] = [];
                    for await (const p of e.payload) parts.push(p.slice());
                    const data = new Uint8Array(Buffer.concat(parts));
                    files.push({ name: e.name, data });
                    yield { name: e.name, data };
                  } else yield { name: e.name, data: e.payload };
                }
              };
              try {
                await restoreSnapshot(target, first, entries(), { owner: options.owner });
                item.snapshots.push(snapshotPath(first));
              } catch (err) {
                if (!(err instanceof DatastoreError) || err.code !== "already-exists") {
                  await r.file.blocks.skipData().catch(() => undefined);
                  if (err instanceof SessionError) throw err;
                  const cause = toSessionError(err, "datastore");
                  if (cause.code === "medium-error") throw cause;
                  item.note = `${a.snapshot}: ${cause.message}`;
                  (item.failedSnapshots ??= []).push(item.note);
                } else {
                  await r.file.blocks.skipData();
                  item.note = `${snapshotPath(first)}: exists`;
                }
              }
              for (const ns of mapped.slice(1)) {
                const ref = { ...source, ns };
                if (!files || item.snapshots.length === 0) break;
                try {
                  await restoreSnapshot(target, ref, files, { owner: options.owner });
                  item.snapshots.push(snapshotPath(ref));
                } catch (err) {
                  if (!(err instanceof DatastoreError)) throw err;
                  if (err.code !== "already-exists") (item.failedSnapshots ??= []).push(`${snapshotPath(ref)}: ${err.message}`);
                }
              }
            }
          }
          if (!r.file.blocks.hasEndMarker || r.file.blocks.isIncomplete) {
            item.kind = "skipped";
            item.note = `${a.snapshot}: incomplete archive`;
          }
        } else if (a.kind === "catalog-archive") {
          item.kind = "catalog-archive";
          await r.file.blocks.skipData();
        } else {
          throw new SessionError("io", `tape file ${fileNumber}: unexpected ${a.kind}`);
        }
        bytesRead += r.file.blocks.bytesRead;
      }
      item.bytesRead = bytesRead;
      item.elapsedMs = performance.now() - started;
      yield item;
    }
  } catch (err) {
    throw toSessionError(err);
  }
}
