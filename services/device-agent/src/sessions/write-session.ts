import { parseRestoreSnapshot, snapshotPath, type Datastore, type SnapshotRef } from "@tapefleet/datastore";
import {
  MediaCatalog,
  TapeFileWriter,
  formatUuid,
  isUnassignedMediaSet,
  isUuidText,
  readLabels,
  writeMediaSetLabel,
  type MediaSetLabel,
} from "@tapefleet/tape-format";
import { ChunkFeeder, DEFAULT_CHUNK_READERS, DEFAULT_QUEUE_DEPTH, sharedChunkBlobPool } from "./chunk-feeder.ts";
import type { CommitRecord } from "./commit-record.ts";
import { clearDriveKey, SessionKey, type KeyReleaseFor, type TapeKeySource } from "./drive-encryption.ts";
import { memberCatalogBytes, memberCatalogPieces, memberCatalogSize, memberCatalogSnapshots } from "./member-catalog-spool.ts";
import { scanTape } from "./read-session.ts";
import type { ScsiTape } from "./scsi-tape.ts";
import { SessionError, toSessionError } from "./session-error.ts";

/**
 * Archive bytes written since the last sync after which the drive is synced
 * and the archives are committed, checked after every archive, even inside a
 * snapshot (PBS commits every 128 GiB; smaller here so a crash loses less work).
 */
export const DEFAULT_COMMIT_BYTES = 1024 * 1024 * 1024;

export interface MemberCatalog {
  mediaUuid: string;
  seqNr: number;
  /** The member's media catalog (`.log` bytes) in memory, or … */
  bytes?: Uint8Array;
  /** … in a file (spooled by the session service as the pieces arrived: memory stays bounded). */
  file?: { path: string; size: number };
}

export interface WriteSessionOptions {
  /** The datastore the snapshots are read from (opened locally by the agent). */
  datastore: Datastore;
  mediaSet: { uuid: string; pool: string; seqNr: number; ctime: number };
  /**
   * Catalogs of the other members (seq_nr < this one: written as catalog
   * archives when this tape joins the set), and optionally of this tape when
   * appending (otherwise the agent rebuilds it by scanning the tape).
   */
  memberCatalogs?: MemberCatalog[];
  /** Hex digests already in the media set for this datastore: not written again. */
  knownDigests?: Set<string>;
  /** `store:[ns/…/]type/id/time`, in the order to write. */
  snapshots: string[];
  /** The tape may leave another media set (its set label is rewritten). */
  overwriteMediaSet?: boolean;
  readers?: number;
  queueDepth?: number;
  commitBytes?: number;
  maxChunkArchiveSize?: number;
  signal?: AbortSignal;
  /**
   * Fingerprint of the pool's encryption key: a new set label carries it and
   * its key config, and the set's drive key is loaded after the label. A tape
   * whose set label already has a fingerprint gets that key loaded.
   */
  encryptFingerprint?: string;
  /** The key vault (required when a key is to be loaded). */
  keys?: TapeKeySource;
  /** The job and drive name a key release names. */
  keyRelease?: Partial<KeyReleaseFor>;
}

export interface WriteSessionStarted {
  mediaUuid: string;
  labelText: string;
  /** True when the tape already belonged to the set and data was appended. */
  appended: boolean;
  /** File number of the first archive this session writes. */
  firstFileNumber: number;
}

export interface WriteProgress {
  bytesWritten: number;
  chunksWritten: number;
  snapshotsWritten: number;
  elapsedMs: number;
}

export interface WriteSessionHooks {
  onStarted?(info: WriteSessionStarted): void | Promise<void>;
  /** Called after each sync with the archives it made durable (in file order); awaited. */
  onCommit(records: CommitRecord[]): Promise<void>;
  onProgress?(p: WriteProgress): void;
}

export interface WriteSessionResult {
  status: "complete" | "tape-full";
  mediaUuid: string;
  committed: number;
  /** Snapshots written completely (store:path). */
  snapshotsWritten: string[];
  /** Snapshots skipped because the media set already has them. */
  snapshotsSkipped: string[];
  /** tape-full: the snapshots still to write on the next tape, the first one being the cut one. */
  remainingSnapshots: string[];
  /** tape-full inside a snapshot archive: it was not committed and must be rewritten on the next tape. */
  rewriteSnapshot?: string;
  bytesWritten: number;
  chunksWritten: number;
  /** The catalog archive of this tape was written at the end. */
  catalogWritten: boolean;
}

/**
 * One write session on the loaded tape of one drive: join or start the media
 * set (set label at file 1; for seq_nr ≥ 1 the previous members' catalog
 * archives), then per snapshot the chunk archives of its new chunks and its
 * snapshot archive, then a catalog archive of this tape.
 *
 * Commit rule: the drive is synced (WRITE FILEMARKS 0) and the pending
 * archives are reported (`onCommit`) once `commitBytes` of archives were
 * written since the last sync (checked after every archive), at early warning
 * and at the end — never before, and never for nothing: one sync per
 * `commitBytes`, not one per archive or snapshot (no sync storm). At early
 * warning the current archive is finished as the format says and the session
 * ends with `tape-full`. @see reference §1.3, §4.3, §5.3, §5.4
 */
export async function runWriteSession(tape: ScsiTape, options: WriteSessionOptions, hooks: WriteSessionHooks): Promise<WriteSessionResult> {
  const started = performance.now();
  const ds = options.datastore;
  const store = ds.name;
  const set = options.mediaSet;
  const commitBytes = options.commitBytes ?? DEFAULT_COMMIT_BYTES;
  const known = options.knownDigests ?? new Set<string>();
  const members = options.memberCatalogs ?? [];
  if (!isUuidText(set.uuid)) throw new SessionError("invalid-request", `media_set.uuid: '${set.uuid}' is not a UUID`, { field: "media_set.uuid" });
  if (set.pool === "") throw new SessionError("invalid-request", "media_set.pool: required", { field: "media_set.pool" });
  if (!Number.isSafeInteger(set.seqNr) || set.seqNr < 0) throw new SessionError("invalid-request", `media_set.seq_nr: ${set.seqNr}`, { field: "media_set.seq_nr" });
  const snapshots = options.snapshots.map((text, i) => {
    let parsed: { store: string; ref: SnapshotRef };
    try {
      parsed = parseRestoreSnapshot(text);
    } catch (err) {
      throw new SessionError("invalid-request", `snapshots[${i}]: ${(err as Error).message}`, { field: "snapshots", cause: err });
    }
    if (parsed.store !== store) throw new SessionError("invalid-request", `snapshots[${i}]: store '${parsed.store}' is not the session's datastore '${store}'`, { field: "snapshots" });
    return { text, ref: parsed.ref, path: snapshotPath(parsed.ref) };
  });

  let dropAheadOnError: (() => Promise<void>) | undefined;
  // The set's drive key: loaded after the set label (or for appending), cleared at the end, also on failure. @see reference §9.3
  const sessionKey = new SessionKey(tape, options.keys, options.keyRelease ?? {});
  try {
    await tape.waitReady();
    await tape.rewind();
    const labels = await readLabels(tape);
    if (labels.kind === "blank") throw new SessionError("wrong-medium", "the tape is blank: label it first");
    const mediaUuid = labels.mediaLabel.uuid;
    const current = labels.mediaSetLabel;
    const inSet = current !== undefined && !isUnassignedMediaSet(current) && current.uuid === set.uuid.toLowerCase();
    if (inSet && current.seqNr !== set.seqNr) {
      throw new SessionError("wrong-medium", `tape ${labels.mediaLabel.labelText} is member ${current.seqNr} of media set ${set.uuid}, not ${set.seqNr}`);
    }
    if (!inSet && current !== undefined && !isUnassignedMediaSet(current) && !options.overwriteMediaSet) {
      throw new SessionError("wrong-medium", `tape ${labels.mediaLabel.labelText} belongs to media set ${current.uuid}: pass overwrite_media_set to start a new set on it`);
    }

    let catalog: MediaCatalog;
    let nextFile: number;
    const pending: CommitRecord[] = [];
    const base = { mediaSetUuid: set.uuid.toLowerCase(), mediaUuid, seqNr: set.seqNr };
    if (inSet) {
      if (current.encryptionKeyFingerprint !== undefined) await sessionKey.load(current.encryptionKeyFingerprint, base.mediaSetUuid);
      const own = members.find((m) => m.mediaUuid === mediaUuid);
      catalog = own
        ? MediaCatalog.load(await memberCatalogBytes(own), { mediaUuid, mediaSetUuid: base.mediaSetUuid, seqNr: set.seqNr, requireMediaSetLabel: true })
        : MediaCatalog.load((await scanTape(tape)).catalog, { mediaUuid });
      const end = await tape.moveToEndOfData();
      if (end.fileNumber < 2) throw new SessionError("position", `end of data is at file ${end.fileNumber}: the set label is missing`);
      nextFile = end.fileNumber;
    } else {
      const fingerprint = options.encryptFingerprint ? options.encryptFingerprint.toLowerCase() : undefined;
      // the key config first: a key the key vault lacks fails the session before the tape is touched
      const keyConfig = fingerprint === undefined ? undefined : await sessionKey.keyConfig(fingerprint);
      await clearDriveKey(tape);
      await tape.locateFile(1);
      const label: MediaSetLabel = { pool: set.pool, uuid: base.mediaSetUuid, seqNr: set.seqNr, ctime: set.ctime, ...(fingerprint === undefined ? {} : { encryptionKeyFingerprint: fingerprint, keyConfig: keyConfig! }) };
      await writeMediaSetLabel(tape, label);
      await tape.sync();
      if (fingerprint !== undefined) await sessionKey.load(fingerprint, base.mediaSetUuid);
      catalog = MediaCatalog.createForMediaSet(mediaUuid, base.mediaSetUuid, set.seqNr);
      nextFile = 2;
    }
    await hooks.onStarted?.({ mediaUuid, labelText: labels.mediaLabel.labelText, appended: inSet, firstFileNumber: nextFile });

    const writer = new TapeFileWriter(tape, { nextFileNumber: nextFile, ...(options.maxChunkArchiveSize === undefined ? {} : { maxChunkArchiveSize: options.maxChunkArchiveSize }) });
    let bytesWritten = 0;
    let chunksWritten = 0;
    let committed = 0;
    /** Archive bytes written since the last sync. */
    let unsyncedBytes = 0;
    const written: string[] = [];
    const skipped: string[] = [];
    const progress = () =>
      hooks.onProgress?.({ bytesWritten, chunksWritten, snapshotsWritten: written.length, elapsedMs: performance.now() - started });
    const commit = async () => {
      if (pending.length === 0 && unsyncedBytes === 0) return;
      await tape.sync();
      unsyncedBytes = 0;
      if (pending.length === 0) return;
      const records = pending.splice(0);
      await hooks.onCommit(records);
      committed += records.length;
    };
    const checkCancel = () => {
      if (options.signal?.aborted) throw new SessionError("cancelled", "write session cancelled by the caller");
    };

    if (!inSet && set.seqNr > 0) {
      // A tape joining a set carries the catalogs of the members before it. @see reference §4.3
      for (const m of [...members].filter((m) => m.seqNr < set.seqNr).sort((a, b) => a.seqNr - b.seqNr)) {
        const out = await writer.writeCatalogArchive({ uuid: m.mediaUuid, mediaSetUuid: base.mediaSetUuid, seqNr: m.seqNr }, memberCatalogPieces(m), { size: memberCatalogSize(m) });
        bytesWritten += out.bytesWritten;
        if (out.kind === "incomplete") throw new SessionError("archive-too-large", `catalog of member ${m.seqNr} does not fit on a fresh tape`);
        pending.push({ ...base, fileNumber: out.fileNumber!, archiveUuid: formatUuid(out.uuid), kind: "catalog-archive", store: "", snapshot: m.mediaUuid, chunkDigests: [] });
      }
      await commit();
    }

    // Snapshots of this store the other members hold (only their `S` entries are kept, not their chunk index).
    const memberSnapshots = new Set<string>();
    for (const m of members) if (m.mediaUuid !== mediaUuid) for (const p of await memberCatalogSnapshots(m, store)) memberSnapshots.add(p);
    const inMediaSet = (path: string) => catalog.snapshotFile(store, path) !== undefined || memberSnapshots.has(path);
    let status: WriteSessionResult["status"] = "complete";
    let rewriteSnapshot: string | undefined;
    let remaining: string[] = [];

    // Chunk buffers are reused from snapshot to snapshot; the chunks of the next snapshot are
    // read while the snapshot archive of the current one is written and synced.
    const queueDepth = options.queueDepth ?? DEFAULT_QUEUE_DEPTH;
    const blobPool = sharedChunkBlobPool();
    const feederFor = (i: number) =>
      new ChunkFeeder(ds, newDigests(ds, snapshots[i]!.ref, known), { readers: options.readers ?? DEFAULT_CHUNK_READERS, queueDepth, blobPool });
    let ahead: { index: number; feeder: ChunkFeeder } | undefined;
    const dropAhead = async () => {
      const a = ahead;
      ahead = undefined;
      await a?.feeder.return();
    };
    dropAheadOnError = dropAhead;

    outer: for (const [index, snap] of snapshots.entries()) {
      checkCancel();
      if (inMediaSet(snap.path)) {
        if (ahead?.index === index) await dropAhead();
        skipped.push(snap.text);
        continue;
      }
      let feeder: ChunkFeeder;
      if (ahead?.index === index) {
        feeder = ahead.feeder;
        ahead = undefined;
      } else {
        await dropAhead();
        feeder = feederFor(index);
      }
      try {
        for (;;) {
          checkCancel();
          const out = await writer.writeChunkArchive(store, feeder);
          if (out === null) break;
          bytesWritten += out.bytesWritten;
          unsyncedBytes += out.bytesWritten;
          const digests = out.written.map((d) => Buffer.from(d).toString("hex"));
          for (const d of digests) known.add(d);
          chunksWritten += digests.length;
          if (digests.length > 0) {
            catalog.startChunkArchive(out.fileNumber!, formatUuid(out.uuid), store);
            for (const d of out.written) catalog.registerChunk(d);
            catalog.endChunkArchive();
            pending.push({ ...base, fileNumber: out.fileNumber!, archiveUuid: formatUuid(out.uuid), kind: "chunk-archive", store, chunkDigests: digests });
          }
          progress();
          if (out.leom) {
            status = "tape-full";
            remaining = snapshots.slice(index).map((s) => s.text);
            break outer;
          }
          if (unsyncedBytes >= commitBytes) await commit();
          if (out.reason === "no-more-chunks") break;
        }
      } finally {
        await feeder.return();
      }
      // every chunk of this snapshot is in `known` now: start reading the next snapshot's
      const following = snapshots.findIndex((s, i) => i > index && !inMediaSet(s.path) && s.path !== snap.path);
      if (following >= 0) ahead = { index: following, feeder: feederFor(following) };
      checkCancel();
      const files = await ds.snapshotArchiveFiles(snap.ref);
      const out = await writer.writeSnapshotArchive({ snapshot: snap.path, store }, files);
      bytesWritten += out.bytesWritten;
      unsyncedBytes += out.bytesWritten;
      if (out.kind === "incomplete") {
        status = "tape-full";
        rewriteSnapshot = snap.text;
        remaining = snapshots.slice(index).map((s) => s.text);
        break;
      }
      catalog.registerSnapshot(out.fileNumber!, formatUuid(out.uuid), store, snap.path);
      pending.push({ ...base, fileNumber: out.fileNumber!, archiveUuid: formatUuid(out.uuid), kind: "snapshot-archive", store, snapshot: snap.path, chunkDigests: [] });
      written.push(snap.text);
      if (unsyncedBytes >= commitBytes) await commit();
      progress();
      if (out.leom) {
        status = "tape-full";
        remaining = snapshots.slice(index + 1).map((s) => s.text);
        break;
      }
    }
    await dropAhead();
    // PBS writes the catalog of the loaded tape at the end of a job that wrote anything. @see reference §4.3
    const writeCatalog = status === "complete" && (written.length > 0 || !inSet);
    // the final commit: after the catalog archive when there is one, else here
    if (!writeCatalog) await commit();

    let catalogWritten = false;
    if (writeCatalog) {
      const bytes = catalog.toBytes();
      const out = await writer.writeCatalogArchive({ uuid: mediaUuid, mediaSetUuid: base.mediaSetUuid, seqNr: set.seqNr }, bytes, { size: bytes.length });
      bytesWritten += out.bytesWritten;
      if (out.kind === "complete") {
        catalogWritten = true;
        pending.push({ ...base, fileNumber: out.fileNumber!, archiveUuid: formatUuid(out.uuid), kind: "catalog-archive", store: "", snapshot: mediaUuid, chunkDigests: [] });
      }
      if (out.leom) status = "tape-full";
      await commit();
    }
    progress();
    const result: WriteSessionResult = {
      status,
      mediaUuid,
      committed,
      snapshotsWritten: written,
      snapshotsSkipped: skipped,
      remainingSnapshots: remaining,
      bytesWritten,
      chunksWritten,
      catalogWritten,
    };
    if (rewriteSnapshot !== undefined) result.rewriteSnapshot = rewriteSnapshot;
    await sessionKey.end(false);
    return result;
  } catch (err) {
    await dropAheadOnError?.().catch(() => undefined);
    await sessionKey.end(true);
    throw toSessionError(err);
  }
}

async function* newDigests(ds: Datastore, ref: SnapshotRef, known: Set<string>): AsyncGenerator<string> {
  for await (const d of ds.snapshotDigests(ref)) if (!known.has(d)) yield d;
}

