import { credentials, type ChannelCredentials } from "@grpc/grpc-js";
import type { ChangerStatusEntry, MamAttributeEntry, TapeLabelInfo } from "@tapefleet/api-types";
import { ArchiveKind, closeClient, createClient, DeviceAgentService, WriteSessionStatus, type Client, type OperationProgress, type RequestSource } from "@tapefleet/proto";
import { changerStatusToApi, driveStatusToApi, fromAgentError, labelToApi, mamToApi, onlineTagsOf, volumeStatisticsToApi } from "./converters.ts";
import type { MemberCatalogStream } from "./member-catalogs.ts";

/** A device on an agent, as resolved from the configuration and the device locations. */
export interface DeviceTarget {
  hostId: string;
  grpcAddress: string;
  serial: string;
  path: string;
}

/** A changer with its configuration (passed to the agent in each request). */
export interface ChangerTarget extends DeviceTarget {
  name: string;
  exportSlots: number[];
  ejectBeforeUnload: boolean;
}

/** A drive inside a changer. */
export interface ChangerDrive {
  changer: ChangerTarget;
  driveNumber: number;
  drive: DeviceTarget;
}

/** Receives the progress lines of a long operation. */
export type ProgressSink = (text: string) => void;

export interface CallCtx {
  signal?: AbortSignal;
  progress?: ProgressSink;
}

export interface LoadResult {
  labelText?: string;
  fromSlot: number;
  alreadyLoaded: boolean;
}

export interface CleanResult {
  cleaningLabelText: string;
  cleaningSlot: number;
  cleaningMounts?: number;
  alertFlags: string[];
}

/**
 * What the scheduler asks of device agents, in API shapes (no proto types).
 * `GrpcAgentPort` implements it over gRPC; tests use fakes.
 */
export interface AgentPort {
  driveStatus(d: DeviceTarget): Promise<Record<string, unknown>>;
  cartridgeMemory(d: DeviceTarget): Promise<MamAttributeEntry[]>;
  volumeStatistics(d: DeviceTarget): Promise<Record<string, unknown>>;
  /** Labels of the loaded tape; undefined when the tape is empty. */
  readLabel(d: DeviceTarget, ctx?: CallCtx): Promise<TapeLabelInfo | undefined>;
  rewind(d: DeviceTarget, ctx?: CallCtx): Promise<void>;
  eject(d: DeviceTarget, ctx?: CallCtx): Promise<void>;
  erase(d: DeviceTarget, fast: boolean, ctx?: CallCtx): Promise<void>;
  format(d: DeviceTarget, fast: boolean, ctx?: CallCtx): Promise<{ worm: boolean; steps: string[] }>;
  label(d: DeviceTarget, label: { labelText: string; uuid: string; ctime: number; pool?: string | undefined }, ctx?: CallCtx): Promise<{ warnings: string[] }>;
  changerStatus(c: ChangerTarget): Promise<{ entries: ChangerStatusEntry[]; online: string[] }>;
  /** Volume tags in drives and storage slots, without CLN, sorted. */
  onlineLabels(c: ChangerTarget): Promise<string[]>;
  transfer(c: ChangerTarget, from: number, to: number): Promise<string | undefined>;
  load(cd: ChangerDrive, source: { slot: number } | { labelText: string }, ctx?: CallCtx): Promise<LoadResult>;
  unload(cd: ChangerDrive, targetSlot: number | undefined, ctx?: CallCtx): Promise<{ slot?: number; labelText?: string }>;
  exportMedia(c: ChangerTarget, labelText: string): Promise<number>;
  inventoryScan(c: ChangerTarget): Promise<{ entries: ChangerStatusEntry[]; online: string[] }>;
  clean(cd: ChangerDrive, ctx?: CallCtx): Promise<CleanResult>;
  close(): void;
}

type AgentClient = Client<typeof DeviceAgentService>;
type WriteRequest = Parameters<AgentClient["writeSession"]>[0] extends RequestSource<infer T> ? T : never;

function progressText(p: OperationProgress): string {
  const pct = p.percent !== undefined ? ` (${Math.round(p.percent)}%)` : "";
  return `${p.message || p.activity}${pct}`;
}

/** Consume a progress stream: progress lines go to the sink; returns the final result. */
async function streamed<R>(
  stream: AsyncIterable<{ event: { case: "progress"; value: OperationProgress } | { case: "result"; value: R } | { case: undefined; value?: undefined } }>,
  ctx: CallCtx | undefined,
): Promise<R> {
  let result: R | undefined;
  for await (const msg of stream) {
    if (msg.event.case === "progress") ctx?.progress?.(progressText(msg.event.value));
    else if (msg.event.case === "result") result = msg.event.value;
  }
  if (result === undefined) throw new Error("the device agent ended the operation without a result");
  return result;
}

/** The host of a datastore: its agent's address. */
export interface AgentHost {
  hostId: string;
  grpcAddress: string;
}

/** A snapshot a backup selects (from the agent's ListSnapshots). */
export interface SelectedSnapshot {
  /** `[ns/a/ns/b/]type/id/time`. */
  snapshot: string;
  ns: string;
  type: string;
  id: string;
  time: number;
}

/** Sample datastore creation result. */
export interface SampleResult {
  namespaces: number;
  groups: number;
  snapshots: number;
  chunks: number;
  chunkBytes: number;
  logicalBytes: number;
}

/** What an agent's progress message carries (percent when known). */
export interface AgentProgress {
  percent?: number;
  message: string;
}

/** The datastore rpcs of an agent (datastores of its host, by path). */
export interface DatastoreAgentPort {
  createSampleDatastore(h: AgentHost, req: { path: string; store: string; size: number; seed?: number }, ctx?: { signal?: AbortSignal; onProgress?: (p: AgentProgress) => void }): Promise<SampleResult>;
  ingestFiles(
    h: AgentHost,
    req: { path: string; store: string; ns?: string; type: string; id: string; files: string[]; time?: number },
    ctx?: { signal?: AbortSignal; onProgress?: (p: AgentProgress) => void },
  ): Promise<{ snapshot: string; chunksWritten: number; chunksReused: number; bytesWritten: number }>;
  listSnapshots(h: AgentHost, req: { path: string; store: string; ns?: string; maxDepth?: number; groupFilters?: string[]; latestOnly?: boolean }): Promise<SelectedSnapshot[]>;
  /**
   * Restore the loaded tape into a datastore of the host: the tape files
   * `fileNumbers` (ascending; the agent LOCATEs each), or every file from 2 to
   * end of data when absent; snapshots as the filters keep.
   */
  restoreFromTape(
    h: AgentHost,
    req: { drive: string; datastorePath: string; store: string; fileNumbers?: number[]; namespaces?: string[]; snapshots?: string[]; owner?: string; job?: string; driveName?: string },
    ctx?: { signal?: AbortSignal; onProgress?: (p: RestoreProgressInfo) => void },
  ): Promise<{ files: number; chunksInserted: number; snapshots: string[]; failedSnapshots: string[]; bytesRead: number }>;
  /** The files of the snapshot archive at tape file `fileNumber` of the loaded tape whose names `keep` accepts (the agent LOCATEs it). */
  readSnapshotArchive(h: AgentHost, req: { drive: string; fileNumber: number; keep: (name: string) => boolean }, ctx?: { signal?: AbortSignal; keyFor?: KeyFor }): Promise<SnapshotArchiveFiles>;
  /** Write snapshots to the loaded tape (the agent publishes each commit record on JetStream). */
  writeSession(h: AgentHost, input: WriteSessionInput, ctx?: { signal?: AbortSignal; onProgress?: (p: WriteProgressInfo) => void; onCommit?: () => void }): Promise<WriteSessionOutcome>;
  /** Read the whole loaded tape: every complete archive, in tape order. */
  scanTape(h: AgentHost, drive: string, ctx?: { signal?: AbortSignal; onArchive?: (a: ScannedArchive) => void; keyFor?: KeyFor }): Promise<{ archives: ScannedArchive[]; skippedFiles: number[] }>;
}

/**
 * A read of an encrypted tape names the job (UPID) and the drive's configured
 * name: the agent loads the set's key (released by the keyvault against this
 * lease) before reading, and clears it after. @see services/device-agent/src/sessions/README.md
 */
export interface KeyFor {
  job: string;
  driveName: string;
}

const keyFields = (k: KeyFor | undefined) => ({ job: k?.job ?? "", driveName: k?.driveName ?? "" });

/** A complete archive found on tape. */
export interface ScannedArchive {
  fileNumber: number;
  archiveUuid: string;
  kind: "chunk-archive" | "snapshot-archive" | "catalog-archive";
  store: string;
  snapshot: string;
  /** Hex digests (chunk archives). */
  digests: string[];
}

/** A snapshot archive read back from tape: its store, its snapshot and the files kept. */
export interface SnapshotArchiveFiles {
  store: string;
  /** `[ns/a/]type/id/time`. */
  snapshot: string;
  files: Map<string, Uint8Array>;
}

/** What a write session is asked to do (see the agent's WriteSession). */
export interface WriteSessionInput {
  /** Drive serial on the agent. */
  drive: string;
  datastorePath: string;
  store: string;
  mediaSet: { uuid: string; pool: string; seqNr: number; ctime: number };
  /** Name of the media set (for the catalog's media content). */
  mediaSetName?: string;
  /** `store:[ns/a/]type/id/time`. */
  snapshots: string[];
  /** 32-byte digests the set already has for this store. */
  knownDigests: Uint8Array[];
  /** Chunk archive bytes after which the agent syncs and commits (0: its default). */
  commitBytes?: number;
  /** Fingerprint of the pool's encryption key: a new set is written encrypted with it (the agent gets the key from the keyvault). */
  encryptFingerprint?: string;
  /** The job (UPID) and the drive's configured name: what the agent's key release names (checked against the lease). */
  job?: string;
  driveName?: string;
  /**
   * Media catalogs of the set's members before this tape: written as catalog
   * archives when the tape joins the set (reference §4.3), and consulted to
   * skip snapshots the set already has. Streamed in pieces as they are read.
   */
  memberCatalogs?: MemberCatalogStream[];
}

/** The end of a write session. */
export interface WriteSessionOutcome {
  status: "complete" | "tape-full";
  mediaUuid: string;
  labelText: string;
  committed: number;
  snapshotsWritten: string[];
  /** Snapshots still to write on the next tape (tape full), the torn one first. */
  remaining: string[];
  bytesWritten: number;
  /** Highest tape file number committed in the session (none committed: undefined). */
  lastCommittedFile?: number;
  /** The catalog archive of the tape was written at its end (false: none, e.g. the tape filled up first). */
  catalogWritten?: boolean;
}

/** Progress of a write session (after each archive). */
export interface WriteProgressInfo {
  bytesWritten: number;
  snapshotsWritten: number;
}

/** Progress of a restore (one per tape file). */
export interface RestoreProgressInfo {
  fileNumber: number;
  chunksInserted: number;
  snapshots: string[];
  bytesRead: number;
  note: string;
  /** Snapshots of this file that could not be restored (`path: reason`). */
  failedSnapshots: string[];
}

/** Digests per KnownDigests message (32 bytes each: 1 MiB). */
export const KNOWN_DIGESTS_PER_MESSAGE = 32_768;

/** Consume a datastore progress stream: progress to the callback; returns the result. */
async function streamedDs<R>(
  stream: AsyncIterable<{ event: { case: "progress"; value: OperationProgress } | { case: "result"; value: R } | { case: undefined; value?: undefined } }>,
  onProgress: ((p: AgentProgress) => void) | undefined,
): Promise<R> {
  let result: R | undefined;
  for await (const msg of stream) {
    if (msg.event.case === "progress") onProgress?.(msg.event.value.percent !== undefined ? { percent: msg.event.value.percent, message: msg.event.value.message } : { message: msg.event.value.message });
    else if (msg.event.case === "result") result = msg.event.value;
  }
  if (result === undefined) throw new Error("the device agent ended the operation without a result");
  return result;
}

/** AgentPort over gRPC: one client (channel) per agent address, reused. */
export class GrpcAgentPort implements AgentPort, DatastoreAgentPort {
  private readonly clients = new Map<string, AgentClient>();

  /** `credentials`: of the channels to the agents (default plaintext; see `agentChannelCredentials`). */
  constructor(private readonly opts: { lockWaitMs: number; timeoutMs: number; credentials?: ChannelCredentials }) {}

  private client(address: string): AgentClient {
    let c = this.clients.get(address);
    if (!c) {
      c = createClient(DeviceAgentService, address, this.opts.credentials ?? credentials.createInsecure(), { defaultTimeoutMs: this.opts.timeoutMs });
      this.clients.set(address, c);
    }
    return c;
  }

  private async call<T>(d: { grpcAddress: string }, fn: (c: AgentClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client(d.grpcAddress));
    } catch (err) {
      throw fromAgentError(err, d.grpcAddress);
    }
  }

  private opt(ctx?: CallCtx) {
    return ctx?.signal ? { signal: ctx.signal } : {};
  }

  private changerOptions(c: ChangerTarget) {
    return { exportSlots: c.exportSlots, ejectBeforeUnload: c.ejectBeforeUnload };
  }

  driveStatus(d: DeviceTarget) {
    return this.call(d, async (c) => {
      const r = await c.getDriveStatus({ device: d.serial });
      return r.status ? driveStatusToApi(r.status) : {};
    });
  }
  cartridgeMemory(d: DeviceTarget) {
    return this.call(d, async (c) => mamToApi((await c.readCartridgeMemory({ device: d.serial })).attributes));
  }
  volumeStatistics(d: DeviceTarget) {
    return this.call(d, async (c) => {
      const r = await c.readVolumeStatistics({ device: d.serial });
      return r.statistics ? volumeStatisticsToApi(r.statistics) : {};
    });
  }
  readLabel(d: DeviceTarget, ctx?: CallCtx) {
    return this.call(d, async (c) => labelToApi(await c.readLabel({ device: d.serial, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx))));
  }
  rewind(d: DeviceTarget, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      await c.rewind({ device: d.serial, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx));
    });
  }
  eject(d: DeviceTarget, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      await c.ejectMedia({ device: d.serial, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx));
    });
  }
  erase(d: DeviceTarget, fast: boolean, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      await streamed(c.eraseMedia({ device: d.serial, fast, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx)), ctx);
    });
  }
  format(d: DeviceTarget, fast: boolean, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      const r = await streamed(c.formatMedia({ device: d.serial, fast, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx)), ctx);
      return { worm: r.worm, steps: [...r.steps] };
    });
  }
  label(d: DeviceTarget, label: { labelText: string; uuid: string; ctime: number; pool?: string | undefined }, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      const r = await streamed(
        c.labelMedia(
          {
            device: d.serial,
            labelText: label.labelText,
            uuid: label.uuid,
            // int64: the wire codec takes a number or a bigint.
            ctime: label.ctime as never,
            ...(label.pool !== undefined ? { pool: label.pool } : {}),
            lockWaitMs: this.opts.lockWaitMs,
          },
          this.opt(ctx),
        ),
        ctx,
      );
      return { warnings: [...r.warnings] };
    });
  }
  changerStatus(ch: ChangerTarget) {
    return this.call(ch, async (c) => {
      const r = await c.getChangerStatus({ device: ch.serial, options: this.changerOptions(ch) });
      return r.status ? { entries: changerStatusToApi(r.status), online: onlineTagsOf(r.status) } : { entries: [], online: [] };
    });
  }
  onlineLabels(ch: ChangerTarget) {
    return this.call(ch, async (c) => [...(await c.listOnlineLabels({ device: ch.serial, options: this.changerOptions(ch) })).labelTexts]);
  }
  transfer(ch: ChangerTarget, from: number, to: number) {
    return this.call(ch, async (c) => (await c.transferMedia({ device: ch.serial, fromSlot: from, toSlot: to, options: this.changerOptions(ch), lockWaitMs: this.opts.lockWaitMs })).labelText);
  }
  load(cd: ChangerDrive, source: { slot: number } | { labelText: string }, ctx?: CallCtx) {
    return this.call(cd.changer, async (c) => {
      const r = await streamed(
        c.loadMedia(
          {
            device: cd.changer.serial,
            driveNumber: cd.driveNumber,
            source: "slot" in source ? { case: "slot", value: source.slot } : { case: "labelText", value: source.labelText },
            options: this.changerOptions(cd.changer),
            waitReady: true,
            drive: cd.drive.serial,
            lockWaitMs: this.opts.lockWaitMs,
          },
          this.opt(ctx),
        ),
        ctx,
      );
      const out: LoadResult = { fromSlot: r.fromSlot, alreadyLoaded: r.alreadyLoaded };
      if (r.labelText !== undefined) out.labelText = r.labelText;
      return out;
    });
  }
  unload(cd: ChangerDrive, targetSlot: number | undefined, ctx?: CallCtx) {
    return this.call(cd.changer, async (c) => {
      const r = await streamed(
        c.unloadMedia(
          {
            device: cd.changer.serial,
            driveNumber: cd.driveNumber,
            ...(targetSlot !== undefined ? { targetSlot } : {}),
            options: this.changerOptions(cd.changer),
            drive: cd.drive.serial,
            lockWaitMs: this.opts.lockWaitMs,
          },
          this.opt(ctx),
        ),
        ctx,
      );
      const out: { slot?: number; labelText?: string } = {};
      if (r.slot !== undefined) out.slot = r.slot;
      if (r.labelText !== undefined) out.labelText = r.labelText;
      return out;
    });
  }
  exportMedia(ch: ChangerTarget, labelText: string) {
    return this.call(ch, async (c) => (await c.exportMedia({ device: ch.serial, labelText, options: this.changerOptions(ch), lockWaitMs: this.opts.lockWaitMs })).slot);
  }
  inventoryScan(ch: ChangerTarget) {
    return this.call(ch, async (c) => {
      const r = await c.inventoryScan({ device: ch.serial, options: this.changerOptions(ch), lockWaitMs: this.opts.lockWaitMs });
      return r.status ? { entries: changerStatusToApi(r.status), online: onlineTagsOf(r.status) } : { entries: [], online: [] };
    });
  }
  clean(cd: ChangerDrive, ctx?: CallCtx) {
    return this.call(cd.changer, async (c) => {
      const r = await streamed(
        c.cleanDrive(
          { device: cd.changer.serial, driveNumber: cd.driveNumber, options: this.changerOptions(cd.changer), drive: cd.drive.serial, lockWaitMs: this.opts.lockWaitMs },
          this.opt(ctx),
        ),
        ctx,
      );
      const out: CleanResult = { cleaningLabelText: r.cleaningLabelText, cleaningSlot: r.cleaningSlot, alertFlags: [...r.alertFlags] };
      if (r.cleaningMounts !== undefined) out.cleaningMounts = Number(r.cleaningMounts);
      return out;
    });
  }
  createSampleDatastore(h: AgentHost, req: { path: string; store: string; size: number; seed?: number }, ctx?: { signal?: AbortSignal; onProgress?: (p: AgentProgress) => void }) {
    return this.call(h, async (c) => {
      const r = await streamedDs(c.createSampleDatastore({ path: req.path, store: req.store, size: BigInt(req.size), seed: req.seed ?? 0 }, ctx?.signal ? { signal: ctx.signal } : {}), ctx?.onProgress);
      return { namespaces: r.namespaces, groups: r.groups, snapshots: r.snapshots, chunks: Number(r.chunks), chunkBytes: Number(r.chunkBytes), logicalBytes: Number(r.logicalBytes) };
    });
  }
  ingestFiles(
    h: AgentHost,
    req: { path: string; store: string; ns?: string; type: string; id: string; files: string[]; time?: number },
    ctx?: { signal?: AbortSignal; onProgress?: (p: AgentProgress) => void },
  ) {
    return this.call(h, async (c) => {
      const r = await streamedDs(
        c.ingestFiles(
          { path: req.path, store: req.store, ns: req.ns ?? "", backupType: req.type, backupId: req.id, files: req.files.map((p) => ({ path: p, name: "", kind: "" })), time: BigInt(req.time ?? 0) },
          ctx?.signal ? { signal: ctx.signal } : {},
        ),
        ctx?.onProgress,
      );
      return { snapshot: r.snapshot, chunksWritten: Number(r.chunksWritten), chunksReused: Number(r.chunksReused), bytesWritten: Number(r.bytesWritten) };
    });
  }
  listSnapshots(h: AgentHost, req: { path: string; store: string; ns?: string; maxDepth?: number; groupFilters?: string[]; latestOnly?: boolean }) {
    return this.call(h, async (c) => {
      const r = await c.listSnapshots({
        path: req.path,
        store: req.store,
        ns: req.ns ?? "",
        ...(req.maxDepth !== undefined ? { maxDepth: req.maxDepth } : {}),
        groupFilters: req.groupFilters ?? [],
        latestOnly: req.latestOnly ?? false,
      });
      return r.snapshots.map((s) => ({ snapshot: s.snapshot, ns: s.ns, type: s.backupType, id: s.backupId, time: Number(s.time) }));
    });
  }
  restoreFromTape(
    h: AgentHost,
    req: { drive: string; datastorePath: string; store: string; fileNumbers?: number[]; namespaces?: string[]; snapshots?: string[]; owner?: string; job?: string; driveName?: string },
    ctx?: { signal?: AbortSignal; onProgress?: (p: RestoreProgressInfo) => void },
  ) {
    return this.call(h, async (c) => {
      let files = 0;
      let chunksInserted = 0;
      let bytesRead = 0;
      const snapshots: string[] = [];
      const failedSnapshots: string[] = [];
      for await (const m of c.restoreFromTape(
        {
          drive: req.drive,
          datastorePath: req.datastorePath,
          store: req.store,
          fileNumbers: (req.fileNumbers ?? []).map(BigInt),
          namespaces: req.namespaces ?? [],
          snapshots: req.snapshots ?? [],
          owner: req.owner ?? "",
          job: req.job ?? "",
          driveName: req.driveName ?? "",
        },
        ctx?.signal ? { signal: ctx.signal } : {},
      )) {
        const p = m.progress;
        if (!p) continue;
        files++;
        chunksInserted += Number(p.chunksInserted);
        bytesRead = Math.max(bytesRead, Number(p.bytesRead));
        snapshots.push(...p.snapshots);
        failedSnapshots.push(...p.failedSnapshots);
        ctx?.onProgress?.({ fileNumber: Number(p.fileNumber), chunksInserted: Number(p.chunksInserted), snapshots: [...p.snapshots], bytesRead: Number(p.bytesRead), note: p.note, failedSnapshots: [...p.failedSnapshots] });
      }
      return { files, chunksInserted, snapshots, failedSnapshots, bytesRead };
    });
  }
  readSnapshotArchive(h: AgentHost, req: { drive: string; fileNumber: number; keep: (name: string) => boolean }, ctx?: { signal?: AbortSignal; keyFor?: KeyFor }) {
    return this.call(h, async (c) => {
      const out: SnapshotArchiveFiles = { store: "", snapshot: "", files: new Map() };
      const parts = new Map<string, Uint8Array[]>();
      let kind: ArchiveKind | undefined;
      for await (const m of c.readTapeFile({ drive: req.drive, fileNumber: BigInt(req.fileNumber), verifyDigests: false, ...keyFields(ctx?.keyFor) }, ctx?.signal ? { signal: ctx.signal } : {})) {
        const msg = m.message;
        if (msg.case === "header") {
          kind = msg.value.kind;
          out.store = msg.value.store;
          out.snapshot = msg.value.snapshot;
        } else if (msg.case === "file" && req.keep(msg.value.name)) {
          const list = parts.get(msg.value.name) ?? [];
          list.push(msg.value.data);
          parts.set(msg.value.name, list);
        } else if (msg.case === "end" && (!msg.value.hasEndMarker || msg.value.incomplete)) {
          throw new Error(`tape file ${req.fileNumber}: the snapshot archive is incomplete`);
        }
      }
      if (kind !== ArchiveKind.SNAPSHOT) throw new Error(`tape file ${req.fileNumber} is not a snapshot archive`);
      for (const [name, list] of parts) out.files.set(name, new Uint8Array(Buffer.concat(list)));
      return out;
    });
  }
  scanTape(h: AgentHost, drive: string, ctx?: { signal?: AbortSignal; onArchive?: (a: ScannedArchive) => void; keyFor?: KeyFor }) {
    return this.call(h, async (c) => {
      const archives: ScannedArchive[] = [];
      let skippedFiles: number[] = [];
      for await (const m of c.scanTape({ drive, ...keyFields(ctx?.keyFor) }, ctx?.signal ? { signal: ctx.signal } : {})) {
        if (m.message.case === "archive") {
          const a = m.message.value;
          const kind = a.kind === ArchiveKind.CHUNK ? "chunk-archive" : a.kind === ArchiveKind.SNAPSHOT ? "snapshot-archive" : "catalog-archive";
          const entry: ScannedArchive = { fileNumber: Number(a.fileNumber), archiveUuid: a.archiveUuid, kind, store: a.store, snapshot: a.snapshot, digests: a.chunkDigests.map((d) => Buffer.from(d).toString("hex")) };
          archives.push(entry);
          ctx?.onArchive?.(entry);
        } else if (m.message.case === "result") {
          skippedFiles = m.message.value.skippedFiles.map(Number);
        }
      }
      return { archives, skippedFiles };
    });
  }
  writeSession(h: AgentHost, input: WriteSessionInput, ctx?: { signal?: AbortSignal; onProgress?: (p: WriteProgressInfo) => void; onCommit?: () => void }) {
    return this.call(h, async (c) => {
      async function* requests(): AsyncGenerator<WriteRequest> {
        yield {
          message: {
            case: "start" as const,
            value: {
              drive: input.drive,
              datastorePath: input.datastorePath,
              store: input.store,
              mediaSet: { uuid: input.mediaSet.uuid, pool: input.mediaSet.pool, seqNr: input.mediaSet.seqNr, ctime: BigInt(input.mediaSet.ctime) },
              snapshots: input.snapshots,
              ...(input.commitBytes ? { commitBytes: BigInt(input.commitBytes) } : {}),
              ...(input.encryptFingerprint ? { encryptFingerprint: input.encryptFingerprint } : {}),
              ...(input.mediaSetName ? { mediaSetName: input.mediaSetName } : {}),
              job: input.job ?? "",
              driveName: input.driveName ?? "",
            },
          },
        };
        for (let i = 0; i < input.knownDigests.length; i += KNOWN_DIGESTS_PER_MESSAGE) {
          yield { message: { case: "knownDigests" as const, value: { digests: input.knownDigests.slice(i, i + KNOWN_DIGESTS_PER_MESSAGE) } } };
        }
        for (const m of input.memberCatalogs ?? []) {
          for await (const data of m.pieces) yield { message: { case: "memberCatalog" as const, value: { mediaUuid: m.mediaUuid, seqNr: m.seqNr, data } } };
        }
        yield { message: { case: "begin" as const, value: {} } };
      }
      let labelText = "";
      let mediaUuid = "";
      let lastCommittedFile: number | undefined;
      for await (const m of c.writeSession(requests(), ctx?.signal ? { signal: ctx.signal } : {})) {
        switch (m.message.case) {
          case "started":
            labelText = m.message.value.labelText;
            mediaUuid = m.message.value.mediaUuid;
            break;
          case "commit":
            lastCommittedFile = Math.max(lastCommittedFile ?? 0, Number(m.message.value.fileNumber));
            ctx?.onCommit?.();
            break;
          case "progress":
            ctx?.onProgress?.({ bytesWritten: Number(m.message.value.bytesWritten), snapshotsWritten: m.message.value.snapshotsWritten });
            break;
          case "end": {
            const e = m.message.value;
            const remaining = [...new Set([e.rewriteSnapshot, ...e.remainingSnapshots].filter((x) => x !== ""))];
            return {
              status: e.status === WriteSessionStatus.TAPE_FULL ? ("tape-full" as const) : ("complete" as const),
              mediaUuid: e.mediaUuid || mediaUuid,
              labelText,
              committed: e.committed,
              snapshotsWritten: [...e.snapshotsWritten],
              remaining,
              bytesWritten: Number(e.bytesWritten),
              ...(lastCommittedFile !== undefined ? { lastCommittedFile } : {}),
              catalogWritten: e.catalogWritten,
            };
          }
          default:
            break;
        }
      }
      throw new Error("the device agent ended the write session without an end message");
    });
  }
  /**
   * One tape file of the loaded tape (`ReadTapeFile`), kept only when it is a
   * catalog archive (its media catalog bytes); for any other file the read
   * stops after the header (`CatalogArchiveReadPort`).
   */
  readCatalogArchive(h: AgentHost, drive: string, fileNumber: number, ctx?: { signal?: AbortSignal; keyFor?: KeyFor }): Promise<CatalogArchiveRead> {
    return this.call(h, async (c) => {
      const pieces: Uint8Array[] = [];
      let mediaUuid: string | undefined;
      for await (const m of c.readTapeFile({ drive, fileNumber: BigInt(fileNumber), verifyDigests: false, ...keyFields(ctx?.keyFor) }, ctx?.signal ? { signal: ctx.signal } : {})) {
        const msg = m.message;
        if (msg.case === "header") {
          if (msg.value.kind !== ArchiveKind.CATALOG) return { kind: "other" as const, fileNumber };
          mediaUuid = msg.value.snapshot;
        } else if (msg.case === "catalogData") {
          pieces.push(msg.value);
        } else if (msg.case === "end") {
          return { kind: "catalog-archive" as const, fileNumber, mediaUuid: mediaUuid ?? "", bytes: new Uint8Array(Buffer.concat(pieces)), complete: msg.value.hasEndMarker && !msg.value.incomplete };
        }
      }
      throw new Error(`tape file ${fileNumber}: the device agent ended the read without an end message`);
    });
  }
  /** Moves to end of data without writing (`MoveToEndOfData`): the file number there is the number of files on the tape. */
  endOfData(d: DeviceTarget, ctx?: CallCtx): Promise<{ fileNumber: number; missingFilemark: boolean }> {
    return this.call(d, async (c) => {
      const r = await c.moveToEndOfData({ device: d.serial, writeMissingFilemark: false, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx));
      return { fileNumber: Number(r.position?.fileNumber ?? 0), missingFilemark: r.missingFilemark };
    });
  }
  close(): void {
    for (const c of this.clients.values()) closeClient(c);
    this.clients.clear();
  }
}

/** A tape file read for the catalog fast path: a catalog archive with its bytes, or another kind of file. */
export type CatalogArchiveRead =
  | { kind: "catalog-archive"; fileNumber: number; mediaUuid: string; bytes: Uint8Array; complete: boolean }
  | { kind: "other"; fileNumber: number };

/** What the catalog job's fast path reads through an agent (PBS `fast_catalog_restore`, reference §5.5). */
export interface CatalogArchiveReadPort {
  readCatalogArchive(h: AgentHost, drive: string, fileNumber: number, ctx?: { signal?: AbortSignal; keyFor?: KeyFor }): Promise<CatalogArchiveRead>;
  endOfData(d: DeviceTarget, ctx?: CallCtx): Promise<{ fileNumber: number; missingFilemark: boolean }>;
}
