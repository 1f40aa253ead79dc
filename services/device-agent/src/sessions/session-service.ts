import { readdir } from "node:fs/promises";
import { Datastore, openDatastore, parseNamespaceMapping, type NamespaceMapping } from "@tapefleet/datastore";
import { DeviceAgentService, type HandlerContext, type ServiceImpl } from "@tapefleet/proto";
import type { DescEnum, MessageInitShape } from "@bufbuild/protobuf";
import type { CommitPublisher } from "./commit-publisher.ts";
import type { ArchiveKind, CommitRecord, CommitTape } from "./commit-record.ts";
import { SessionKey, type TapeKeySource } from "./drive-encryption.ts";
import { readArchive, restoreFromTape, scanTape } from "./read-session.ts";
import { ScsiTape } from "./scsi-tape.ts";
import type { SessionDrives } from "./session-drives.ts";
import { SessionError, toSessionError } from "./session-error.ts";
import { MemberCatalogSpool } from "./member-catalog-spool.ts";
import { runWriteSession, type MemberCatalog, type WriteSessionResult } from "./write-session.ts";

type Impl = ServiceImpl<typeof DeviceAgentService>;
type WriteOut = MessageInitShape<typeof DeviceAgentService.method.writeSession.output>;
type ReadOut = MessageInitShape<typeof DeviceAgentService.method.readTapeFile.output>;
/** The data path rpcs of DeviceAgentService (merge into the agent's handlers). */
export type SessionServiceImpl = Pick<Impl, "writeSession" | "readTapeFile" | "restoreFromTape" | "scanTape">;

export interface SessionServiceOptions {
  drives: SessionDrives;
  /** Commit records are published here after each sync, before the caller sees them. */
  publisher?: CommitPublisher;
  /** Datastore paths must lie below one of these folders (none: any path). */
  datastoreRoots?: string[];
  /** Polling interval while a drive becomes ready (tests shorten it). */
  readyPollMs?: number;
  /** The key vault: drive keys of encrypted media sets (none: encrypted sets fail with "key FP needed"). */
  keys?: TapeKeySource;
  /** Chunk readers of a write session that does not name its own (default `DEFAULT_CHUNK_READERS`). */
  chunkReaders?: number;
}

function enumValues(e: DescEnum | undefined): Map<string, number> {
  return new Map((e?.values ?? []).map((v) => [v.name, v.number]));
}
const commitDesc = DeviceAgentService.method.writeSession.output.fields.find((f) => f.name === "commit")!.message!;
const ARCHIVE_KIND = enumValues(commitDesc.fields.find((f) => f.name === "kind")!.enum);
const endDesc = DeviceAgentService.method.writeSession.output.fields.find((f) => f.name === "end")!.message!;
const WRITE_STATUS = enumValues(endDesc.fields.find((f) => f.name === "status")!.enum);

/** Proto enum number of an archive kind (ArchiveKind in session.proto). */
export function archiveKindToProto(kind: ArchiveKind | "skipped"): number {
  const name = kind === "chunk-archive" ? "ARCHIVE_KIND_CHUNK" : kind === "snapshot-archive" ? "ARCHIVE_KIND_SNAPSHOT" : kind === "catalog-archive" ? "ARCHIVE_KIND_CATALOG" : "ARCHIVE_KIND_UNSPECIFIED";
  return ARCHIVE_KIND.get(name) ?? 0;
}

export function archiveKindFromProto(n: number): ArchiveKind | undefined {
  for (const [name, v] of ARCHIVE_KIND) if (v === n) return ({ ARCHIVE_KIND_CHUNK: "chunk-archive", ARCHIVE_KIND_SNAPSHOT: "snapshot-archive", ARCHIVE_KIND_CATALOG: "catalog-archive" } as const)[name as "ARCHIVE_KIND_CHUNK"];
  return undefined;
}

/** A commit record as the ArchiveCommit message. */
export function commitToProto(r: CommitRecord) {
  return {
    mediaSetUuid: r.mediaSetUuid,
    mediaUuid: r.mediaUuid,
    seqNr: r.seqNr,
    fileNumber: BigInt(r.fileNumber),
    archiveUuid: r.archiveUuid,
    kind: archiveKindToProto(r.kind),
    store: r.store,
    snapshot: r.snapshot ?? "",
    chunkDigests: r.chunkDigests.map((d) => Buffer.from(d, "hex")),
  };
}

/** An ArchiveCommit message as a commit record. */
export function commitFromProto(m: { mediaSetUuid: string; mediaUuid: string; seqNr: number; fileNumber: bigint; archiveUuid: string; kind: number; store: string; snapshot: string; chunkDigests: Uint8Array[] }): CommitRecord {
  const kind = archiveKindFromProto(m.kind);
  if (kind === undefined) throw new SessionError("invalid-request", `archive kind ${m.kind}: unknown`, { field: "kind" });
  const r: CommitRecord = {
    mediaSetUuid: m.mediaSetUuid,
    mediaUuid: m.mediaUuid,
    seqNr: m.seqNr,
    fileNumber: Number(m.fileNumber),
    archiveUuid: m.archiveUuid,
    kind,
    store: m.store,
    chunkDigests: m.chunkDigests.map((d) => Buffer.from(d).toString("hex")),
  };
  if (m.snapshot !== "") r.snapshot = m.snapshot;
  return r;
}

function rate(bytes: number, ms: number): bigint {
  return ms > 0 ? BigInt(Math.round((bytes * 1000) / ms)) : 0n;
}

/**
 * A single-consumer queue between a producer and an async generator. `send`
 * waits while `capacity` items are queued, so a slow client slows the tape
 * reads down instead of filling memory.
 */
class Channel<T> {
  #items: T[] = [];
  #wake: (() => void) | undefined;
  #space: (() => void) | undefined;
  #closed = false;
  #error: unknown;
  readonly #capacity: number;
  constructor(capacity = 64) {
    this.#capacity = capacity;
  }
  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }
  get closed(): boolean {
    return this.#closed;
  }
  async send(item: T): Promise<void> {
    while (this.#items.length >= this.#capacity && !this.#closed) await new Promise<void>((r) => (this.#space = r));
    this.push(item);
  }
  close(error?: unknown): void {
    this.#closed = true;
    this.#error = error;
    this.#wake?.();
  }
  async *drain(): AsyncGenerator<T> {
    try {
      for (;;) {
        while (this.#items.length > 0) {
          const item = this.#items.shift()!;
          if (this.#items.length < this.#capacity) {
            const s = this.#space;
            this.#space = undefined;
            s?.();
          }
          yield item;
        }
        if (this.#closed) {
          if (this.#error !== undefined) throw this.#error;
          return;
        }
        await new Promise<void>((r) => (this.#wake = r));
        this.#wake = undefined;
      }
    } finally {
      // the consumer left (cancel or error): release a waiting producer
      this.#closed = true;
      const s = this.#space;
      this.#space = undefined;
      s?.();
    }
  }
}

export function sessionServiceImpl(options: SessionServiceOptions): SessionServiceImpl {
  const tapeOptions = options.readyPollMs === undefined ? {} : { readyPollMs: options.readyPollMs };
  /** `create`: a missing or empty folder becomes a new datastore (a restore target configured but never written). */
  const openStore = async (path: string, name: string, field: string, create = false): Promise<Datastore> => {
    if (path === "") throw new SessionError("invalid-request", `${field}: required`, { field });
    if (name === "") throw new SessionError("invalid-request", "store: required", { field: "store" });
    const roots = options.datastoreRoots;
    if (roots && roots.length > 0 && !roots.some((r) => path === r || path.startsWith(r.endsWith("/") ? r : `${r}/`))) {
      throw new SessionError("invalid-request", `${field}: '${path}' is not below a datastore root of this host`, { field });
    }
    try {
      if (create && (await readdir(path).then((names) => names.length === 0, (err: NodeJS.ErrnoException) => err.code === "ENOENT"))) {
        const ds = new Datastore(path, name);
        await ds.chunks.create();
        return ds;
      }
      return await openDatastore(path, { name });
    } catch (err) {
      throw new SessionError("datastore", `${field}: ${(err as Error).message}`, { field, cause: err });
    }
  };
  const withDrive = async <T>(drive: string, owner: string, fn: (tape: ScsiTape) => Promise<T>): Promise<T> => {
    if (drive === "") throw new SessionError("invalid-request", "drive: required", { field: "drive" });
    const held = await options.drives.acquire(drive, owner);
    try {
      return await fn(new ScsiTape(held.transport, tapeOptions));
    } finally {
      held.release();
    }
  };

  return {
    async *writeSession(requests, ctx: HandlerContext) {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done || first.value.message.case !== "start") throw new SessionError("invalid-request", "the first message must be start", { field: "start" });
      const start = first.value.message.value;
      const set = start.mediaSet;
      if (set === undefined || set.uuid === "") throw new SessionError("invalid-request", "media_set.uuid: required", { field: "media_set.uuid" });
      const known = new Set<string>();
      // Member catalogs go to files as they arrive; removed when the session ends.
      const spool = new MemberCatalogSpool();
      let members: MemberCatalog[];
      let ds: Datastore;
      try {
        for (;;) {
          const n = await it.next();
          if (n.done) throw new SessionError("invalid-request", "the request stream ended before begin", { field: "begin" });
          const m = n.value.message;
          if (m.case === "begin") break;
          if (m.case === "knownDigests") {
            for (const d of m.value.digests) {
              if (d.length !== 32) throw new SessionError("invalid-request", `known_digests: a digest of ${d.length} bytes (must be 32)`, { field: "known_digests" });
              known.add(Buffer.from(d).toString("hex"));
            }
          } else if (m.case === "memberCatalog") {
            await spool.add(m.value.mediaUuid, m.value.seqNr, m.value.data);
          } else {
            throw new SessionError("invalid-request", `unexpected ${String(m.case)} message before begin`, { field: "message" });
          }
        }
        members = await spool.members();
        ds = await openStore(start.datastorePath, start.store, "datastore_path");
      } catch (err) {
        await spool.dispose();
        throw err;
      }
      const out = new Channel<WriteOut>();
      const abort = new AbortController();
      ctx.signal.addEventListener("abort", () => abort.abort(), { once: true });
      // Named in front of every batch of commit records (the catalog's records carry label text and pool).
      let commitTape: CommitTape | undefined;
      const run = withDrive(start.drive, `WriteSession (request ${ctx.requestId})`, (tape) =>
        runWriteSession(
          tape,
          {
            datastore: ds,
            mediaSet: { uuid: set.uuid, pool: set.pool, seqNr: set.seqNr, ctime: Number(set.ctime) },
            memberCatalogs: members,
            knownDigests: known,
            snapshots: start.snapshots,
            overwriteMediaSet: start.overwriteMediaSet,
            ...(start.readers > 0 ? { readers: start.readers } : options.chunkReaders !== undefined ? { readers: options.chunkReaders } : {}),
            ...(start.queueDepth > 0 ? { queueDepth: start.queueDepth } : {}),
            ...(start.commitBytes > 0n ? { commitBytes: Number(start.commitBytes) } : {}),
            ...(start.maxChunkArchiveBytes > 0n ? { maxChunkArchiveSize: Number(start.maxChunkArchiveBytes) } : {}),
            ...(start.encryptFingerprint !== "" ? { encryptFingerprint: start.encryptFingerprint } : {}),
            ...(options.keys ? { keys: options.keys } : {}),
            keyRelease: { job: start.job, drive: start.driveName },
            signal: abort.signal,
          },
          {
            onStarted: async (s) => {
              commitTape = { kind: "tape", mediaUuid: s.mediaUuid, labelText: s.labelText, mediaSetUuid: set.uuid, seqNr: set.seqNr, pool: set.pool, mediaSetCtime: Number(set.ctime), ...(start.mediaSetName !== "" ? { mediaSetName: start.mediaSetName } : {}), joined: false };
              // A tape that was not appended to has just got its set label: it joined the set.
              if (!s.appended) await options.publisher?.publish([{ ...commitTape, joined: true }]);
              out.push({ message: { case: "started", value: { mediaUuid: s.mediaUuid, labelText: s.labelText, appended: s.appended, firstFileNumber: BigInt(s.firstFileNumber) } } });
            },
            onCommit: async (records) => {
              await options.publisher?.publish(commitTape === undefined ? records : [commitTape, ...records]);
              for (const r of records) out.push({ message: { case: "commit", value: commitToProto(r) } });
            },
            onProgress: (p) =>
              out.push({
                message: {
                  case: "progress",
                  value: {
                    bytesWritten: BigInt(p.bytesWritten),
                    chunksWritten: BigInt(p.chunksWritten),
                    snapshotsWritten: p.snapshotsWritten,
                    elapsedMs: BigInt(Math.round(p.elapsedMs)),
                    bytesPerSecond: rate(p.bytesWritten, p.elapsedMs),
                  },
                },
              }),
          },
        ),
      );
      run.then(
        (r) => {
          void spool.dispose();
          out.push(endMessage(r));
          out.close();
        },
        (err) => {
          void spool.dispose();
          out.close(toSessionError(err));
        },
      );
      yield* out.drain();
    },

    async *readTapeFile(req, ctx) {
      const ch = new Channel<ReadOut>();
      const streamArchive = async (tape: ScsiTape) => {
        for await (const e of readArchive(tape, Number(req.fileNumber), { verifyDigests: req.verifyDigests })) {
          if (ctx.signal.aborted || ch.closed) throw new SessionError("cancelled", "read cancelled by the caller");
          switch (e.kind) {
            case "media-label":
            case "media-set-label":
              await ch.send({ message: { case: "header", value: { labelJson: JSON.stringify(e.label) } } });
              break;
            case "chunk-archive":
              await ch.send({ message: { case: "header", value: { kind: archiveKindToProto("chunk-archive"), archiveUuid: e.archiveUuid, store: e.store } } });
              break;
            case "snapshot-archive":
              await ch.send({ message: { case: "header", value: { kind: archiveKindToProto("snapshot-archive"), archiveUuid: e.archiveUuid, store: e.store, snapshot: e.snapshot } } });
              break;
            case "catalog-archive":
              await ch.send({ message: { case: "header", value: { kind: archiveKindToProto("catalog-archive"), archiveUuid: e.archiveUuid, snapshot: e.mediaUuid } } });
              break;
            case "chunk":
              await ch.send({ message: { case: "chunk", value: { digest: Buffer.from(e.digest, "hex"), blob: e.blob, digestChecked: e.digestChecked } } });
              break;
            case "snapshot-file":
              await ch.send({ message: { case: "file", value: { name: e.name, offset: BigInt(e.offset), data: e.data, last: e.last } } });
              break;
            case "catalog-data":
              await ch.send({ message: { case: "catalogData", value: e.data } });
              break;
            case "end":
              await ch.send({ message: { case: "end", value: { hasEndMarker: e.hasEndMarker, incomplete: e.incomplete, bytesRead: BigInt(e.bytes) } } });
              break;
          }
        }
      };
      const run = withDrive(req.drive, `ReadTapeFile (request ${ctx.requestId})`, async (tape) => {
        // Named by a job: the key of an encrypted set is loaded first (and cleared at the end).
        const key = req.job === "" ? undefined : new SessionKey(tape, options.keys, { job: req.job, drive: req.driveName });
        let failed = true;
        try {
          if (key) {
            await tape.waitReady();
            await key.loadForLabels();
          }
          await streamArchive(tape);
          failed = false;
        } finally {
          await key?.end(failed);
        }
      });
      run.then(() => ch.close(), (err) => ch.close(toSessionError(err)));
      yield* ch.drain();
    },

    async *restoreFromTape(req, ctx) {
      let mappings: NamespaceMapping[];
      try {
        mappings = req.namespaces.map((n) => parseNamespaceMapping(n));
      } catch (err) {
        throw new SessionError("invalid-request", `namespaces: ${(err as Error).message}`, { field: "namespaces", cause: err });
      }
      if (req.owner === "") throw new SessionError("invalid-request", "owner: required", { field: "owner" });
      const target = await openStore(req.datastorePath, req.store, "datastore_path", true);
      const ch = new Channel<{ progress: ReturnType<typeof progressToProto> }>();
      const run = withDrive(req.drive, `RestoreFromTape (request ${ctx.requestId})`, async (tape) => {
        // An encrypted set: its key (named by the set label) is released and loaded first, and cleared at the end.
        const key = new SessionKey(tape, options.keys, { job: req.job, drive: req.driveName });
        let failed = true;
        try {
          await tape.waitReady();
          await key.loadForLabels();
          for await (const p of restoreFromTape(tape, target, {
            fileNumbers: req.fileNumbers.map(Number),
            namespaces: mappings,
            snapshots: req.snapshots,
            owner: req.owner,
            signal: ctx.signal,
          })) {
            await ch.send({ progress: progressToProto(p) });
          }
          failed = false;
        } finally {
          await key.end(failed);
        }
      });
      run.then(() => ch.close(), (err) => ch.close(toSessionError(err)));
      yield* ch.drain();
    },

    async *scanTape(req, ctx) {
      const result = await withDrive(req.drive, `ScanTape (request ${ctx.requestId})`, async (tape) => {
        // Named by a job: the key of an encrypted set is loaded first (and cleared at the end).
        const key = req.job === "" ? undefined : new SessionKey(tape, options.keys, { job: req.job, drive: req.driveName });
        let failed = true;
        try {
          if (key) {
            await tape.waitReady();
            await key.loadForLabels();
          }
          const r = await scanTape(tape);
          failed = false;
          return r;
        } finally {
          await key?.end(failed);
        }
      });
      for (const r of result.records) yield { message: { case: "archive", value: commitToProto(r) } };
      yield {
        message: {
          case: "result",
          value: {
            mediaUuid: result.mediaLabel.uuid,
            labelText: result.mediaLabel.labelText,
            mediaSetUuid: result.mediaSetLabel.uuid,
            seqNr: result.mediaSetLabel.seqNr,
            catalog: result.catalog,
            skippedFiles: result.skippedFiles.map(BigInt),
          },
        },
      };
    },
  };
}

function progressToProto(p: import("./read-session.ts").RestoreProgress) {
  return {
    fileNumber: BigInt(p.fileNumber),
    kind: archiveKindToProto(p.kind),
    chunksInserted: BigInt(p.chunksInserted),
    chunksPresent: BigInt(p.chunksPresent),
    snapshots: p.snapshots,
    note: p.note ?? "",
    failedSnapshots: p.failedSnapshots ?? [],
    bytesRead: BigInt(p.bytesRead),
    elapsedMs: BigInt(Math.round(p.elapsedMs)),
    bytesPerSecond: rate(p.bytesRead, p.elapsedMs),
  };
}

function endMessage(r: WriteSessionResult) {
  return {
    message: {
      case: "end" as const,
      value: {
        status: WRITE_STATUS.get(r.status === "complete" ? "WRITE_SESSION_STATUS_COMPLETE" : "WRITE_SESSION_STATUS_TAPE_FULL") ?? 0,
        mediaUuid: r.mediaUuid,
        committed: r.committed,
        snapshotsWritten: r.snapshotsWritten,
        snapshotsSkipped: r.snapshotsSkipped,
        remainingSnapshots: r.remainingSnapshots,
        rewriteSnapshot: r.rewriteSnapshot ?? "",
        bytesWritten: BigInt(r.bytesWritten),
        chunksWritten: BigInt(r.chunksWritten),
        catalogWritten: r.catalogWritten,
      },
    },
  };
}

/** Status number of WriteSessionStatus by name (for clients without the generated enum). */
export function writeStatusNumber(status: "complete" | "tape-full"): number {
  return WRITE_STATUS.get(status === "complete" ? "WRITE_SESSION_STATUS_COMPLETE" : "WRITE_SESSION_STATUS_TAPE_FULL") ?? 0;
}

