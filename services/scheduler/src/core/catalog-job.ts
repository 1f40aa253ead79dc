import { createHash } from "node:crypto";
import { CATALOG_MAX_DIGESTS_PER_RECORD, type CatalogRecord, type CatalogStartRequest } from "@tapefleet/api-types";
import { TapefleetError } from "@tapefleet/common";
import { decodeCatalogRecord, MediaCatalog } from "@tapefleet/tape-format";
import type { AgentPort, CatalogArchiveReadPort, DatastoreAgentPort, DeviceTarget, KeyFor, ScannedArchive } from "./agent-port.ts";
import { pickDevice, type InventoryPort } from "./inventory-port.ts";
import type { LeaseManager } from "./lease-manager.ts";
import { withRetry } from "./retry-policy.ts";
import type { TaskContext } from "./task-registry.ts";

/** PBS worker type of a catalog job. */
export const CATALOG_WORKER_TYPE = "catalog-media";
/** Reason of a catalog job on a tape without a media set label. */
export const NO_MEDIA_SET = "NO_MEDIA_SET";

/**
 * Namespace of the name-based record ids of catalog records: the one the
 * device agent's write sessions use, so records rebuilt from a scan are the
 * same records (the catalog and JetStream drop the duplicates).
 */
export const COMMIT_RECORD_ID_NAMESPACE = "6b0f3c2e-5d1a-4f8b-9c47-2e8a1d5f7b30";

/** RFC 9562 version 5 UUID of a name. */
export function nameUuid(namespace: string, name: string): string {
  const h = createHash("sha1").update(Buffer.from(namespace.replace(/-/g, ""), "hex")).update(name, "utf8").digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The record id of a catalog record (set, seq nr, tape, and file/archive/part or the join). */
export function recordId(
  parts: { mediaSetUuid: string; seqNr: number; mediaUuid: string } & ({ joined: true } | { fileNumber: number; archiveUuid: string; part: number }),
  salt?: string,
): string {
  const tape = `${parts.mediaSetUuid.toLowerCase()}/${parts.seqNr}/${parts.mediaUuid.toLowerCase()}`;
  const name = "joined" in parts ? `media-set-joined/${tape}` : `archive/${tape}/${parts.fileNumber}/${parts.archiveUuid.toLowerCase()}/${parts.part}`;
  // A salt (the task's UPID for `catalog --force`) makes ids the catalog has not applied yet, even for a tape it forgot.
  return nameUuid(COMMIT_RECORD_ID_NAMESPACE, salt === undefined ? name : `${salt}/${name}`);
}

/** The tape a scan read. */
export interface ScannedTape {
  mediaUuid: string;
  labelText: string;
  pool: string;
  mediaSetUuid: string;
  seqNr: number;
  /** Set label ctime, epoch seconds. */
  mediaSetCtime: number;
}

const iso = (epoch: number) => new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The catalog records of a scanned tape (pure): the set join, the two label
 * files, then one record per archive (chunk archives with many digests in
 * several records of the same file).
 */
export function recordsOfScan(tape: ScannedTape, archives: readonly ScannedArchive[], now: Date, idSalt?: string): CatalogRecord[] {
  const base = { mediaUuid: tape.mediaUuid, labelText: tape.labelText, mediaSetUuid: tape.mediaSetUuid, seqNr: tape.seqNr, pool: tape.pool };
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const out: CatalogRecord[] = [
    { type: "media-set-joined", recordId: recordId({ ...base, joined: true }, idSalt), ...base, mediaSetCtime: iso(tape.mediaSetCtime), joinedAt: at },
    { type: "archive", recordId: recordId({ ...base, fileNumber: 0, archiveUuid: tape.mediaUuid, part: 0 }, idSalt), ...base, fileNumber: 0, kind: "media-label", archiveUuid: tape.mediaUuid, committedAt: at },
    { type: "archive", recordId: recordId({ ...base, fileNumber: 1, archiveUuid: tape.mediaSetUuid, part: 0 }, idSalt), ...base, fileNumber: 1, kind: "media-set-label", archiveUuid: tape.mediaSetUuid, committedAt: at },
  ];
  for (const a of archives) {
    const common = { type: "archive" as const, ...base, fileNumber: a.fileNumber, kind: a.kind, archiveUuid: a.archiveUuid, committedAt: at };
    if (a.kind === "chunk-archive") {
      const parts = Math.max(1, Math.ceil(a.digests.length / CATALOG_MAX_DIGESTS_PER_RECORD));
      for (let p = 0; p < parts; p++) {
        out.push({ ...common, recordId: recordId({ ...base, fileNumber: a.fileNumber, archiveUuid: a.archiveUuid, part: p }, idSalt), store: a.store, digests: a.digests.slice(p * CATALOG_MAX_DIGESTS_PER_RECORD, (p + 1) * CATALOG_MAX_DIGESTS_PER_RECORD) });
      }
    } else if (a.kind === "snapshot-archive") {
      out.push({ ...common, recordId: recordId({ ...base, fileNumber: a.fileNumber, archiveUuid: a.archiveUuid, part: 0 }, idSalt), store: a.store, snapshot: a.snapshot });
    } else {
      out.push({ ...common, recordId: recordId({ ...base, fileNumber: a.fileNumber, archiveUuid: a.archiveUuid, part: 0 }, idSalt) });
    }
  }
  return out;
}

export interface CatalogJobDeps {
  /** With `findMedia`, members restored from catalog archives get their label text from the inventory. */
  inventory: InventoryPort;
  /** With `CatalogArchiveReadPort` the fast path reads the catalog archives on the tape; without it every job scans. */
  agent: AgentPort & DatastoreAgentPort & Partial<CatalogArchiveReadPort>;
  leases: Pick<LeaseManager, "acquireAnyDrive" | "release">;
  /** Publishes records on JetStream `catalog.commit.<set>` for the catalog service. */
  publish: (records: readonly CatalogRecord[]) => Promise<void>;
  now?: () => Date;
}

/** A media catalog found in a catalog archive on the tape. */
export interface FoundCatalog {
  fileNumber: number;
  mediaUuid: string;
  seqNr: number;
  archives: ScannedArchive[];
}

/**
 * The archives a PBS media catalog (`.log` bytes, reference §5.1) lists, as
 * a scan would report them (pure): chunk archives with their digests, complete
 * snapshot archives. The catalog must describe `mediaUuid` in `mediaSetUuid`
 * (both label entries); a torn tail is dropped. Throws `TapeFormatError`.
 */
export function archivesOfMediaCatalog(bytes: Uint8Array, expect: { mediaUuid: string; mediaSetUuid: string }): { seqNr: number; archives: ScannedArchive[] } {
  const catalog = MediaCatalog.load(bytes, { mediaUuid: expect.mediaUuid, mediaSetUuid: expect.mediaSetUuid, requireMediaSetLabel: true });
  const archives: ScannedArchive[] = [];
  let open: ScannedArchive | undefined;
  for (let offset = 8; offset < catalog.byteLength; ) {
    const d = decodeCatalogRecord(bytes, offset);
    if (d === null) break;
    offset += d.length;
    const r = d.record;
    if (r.type === "chunk-archive-start") open = { fileNumber: r.fileNumber, archiveUuid: r.uuid.toLowerCase(), kind: "chunk-archive", store: r.store, snapshot: "", digests: [] };
    else if (r.type === "chunk") open?.digests.push(Buffer.from(r.digest).toString("hex"));
    else if (r.type === "chunk-archive-end" && open !== undefined) {
      archives.push(open);
      open = undefined;
    } else if (r.type === "snapshot") archives.push({ fileNumber: r.fileNumber, archiveUuid: r.uuid.toLowerCase(), kind: "snapshot-archive", store: r.store, snapshot: r.snapshot, digests: [] });
  }
  return { seqNr: catalog.seqNr ?? 0, archives };
}

/**
 * `tapectl catalog` (PBS `catalog`, reference §5.5, §12.4, §13.7): restores
 * the catalog of the media set of the tape in the drive.
 *
 * Fast path (without `scan`): read the catalog archives on the tape, as PBS's
 * `fast_catalog_restore` does — from file 2 while the files are catalog
 * archives (the catalogs of the members before this tape, written when it
 * joined the set), then the last file (this tape's own catalog, written at the
 * end of the last backup that completed on it). Each catalog of this set
 * becomes that member's records. When this tape's own catalog is not there
 * (a tape cut before its end, a job that died, a full tape), or with `scan`,
 * every archive of the tape is read (`ScanTape`) and this tape's records
 * rebuilt from what is on it (§12.4).
 *
 * Record ids are name-based (those of the write sessions), so a repeated run
 * changes nothing. With `force` they are salted with the task's UPID: the
 * catalog applies them even for tapes it has forgotten (`media forget`), and
 * the set join of each tape first drops what it knew of that tape.
 */
export class CatalogJob {
  constructor(private readonly deps: CatalogJobDeps) {}

  async run(req: CatalogStartRequest, ctx: TaskContext): Promise<number> {
    const { inventory, agent, leases } = this.deps;
    const { lease } = await withRetry("lease the drive", () => leases.acquireAnyDrive(ctx.upid, [req.drive]), { signal: ctx.signal, onRetry: (t) => ctx.log(t) });
    try {
      const config = await inventory.drive(req.drive);
      const target = pickDevice("drive", req.drive, config.path, await inventory.locations("drive"));
      const label = await agent.readLabel(target, { signal: ctx.signal });
      if (!label) throw new TapefleetError("CONFLICT", `drive '${req.drive}': the tape is empty (no media label)`, { reason: NO_MEDIA_SET });
      if (label["media-set-uuid"] === undefined) throw new TapefleetError("CONFLICT", `media '${label["label-text"]}' belongs to no media set: nothing to catalog`, { reason: NO_MEDIA_SET });
      const tape: ScannedTape = {
        mediaUuid: label.uuid,
        labelText: label["label-text"],
        pool: label.pool ?? "",
        mediaSetUuid: label["media-set-uuid"],
        seqNr: label["seq-nr"] ?? 0,
        mediaSetCtime: label["media-set-ctime"] ?? label.ctime,
      };
      ctx.log(`media '${tape.labelText}' (media set ${tape.mediaSetUuid}, seq nr ${tape.seqNr})`);
      // An encrypted set: the agent loads its key (released for this job and drive) for every read.
      const keyFor = label["encryption-key-fingerprint"] !== undefined ? { job: ctx.upid, driveName: req.drive } : undefined;
      if (keyFor) ctx.log(`media set encrypted with key ${label["encryption-key-fingerprint"]}`);
      const host = { hostId: target.hostId, grpcAddress: target.grpcAddress };
      const now = (this.deps.now ?? (() => new Date()))();
      const salt = req.force ? ctx.upid : undefined;
      const records: CatalogRecord[] = [];
      let own = false;
      if (!req.scan) {
        let found: FoundCatalog[] = [];
        try {
          found = await this.fastPath(host, target, tape, ctx, keyFor);
        } catch (err) {
          // PBS: when the fast catalog restore fails, the tape is scanned (§13.7).
          if (ctx.signal.aborted) throw err;
          ctx.warn(`reading the catalog archives failed: ${(err as Error).message}`);
        }
        for (const c of found) {
          let member: ScannedTape = tape;
          if (c.mediaUuid !== tape.mediaUuid) {
            const entry = await inventory.findMedia({ uuid: c.mediaUuid });
            if (entry === undefined) {
              ctx.warn(`file ${c.fileNumber}: the catalog of media ${c.mediaUuid} (member ${c.seqNr}) is skipped: the tape is not in the inventory`);
              continue;
            }
            member = { ...tape, mediaUuid: c.mediaUuid, labelText: entry["label-text"], seqNr: c.seqNr };
          } else {
            own = true;
          }
          const snapshots = c.archives.filter((a) => a.kind === "snapshot-archive").length;
          ctx.log(`file ${c.fileNumber}: catalog of media '${member.labelText}' (member ${member.seqNr}): ${c.archives.length} archive(s), ${snapshots} snapshot(s)`);
          records.push(...recordsOfScan(member, c.archives, now, salt));
        }
        if (!own) ctx.log(`no catalog archive of media '${tape.labelText}' at its end: scanning every archive`);
      }
      if (req.scan || !own) {
        ctx.log(`scan media '${tape.labelText}'`);
        const scanned = await agent.scanTape(host, target.serial, { signal: ctx.signal, ...(keyFor ? { keyFor } : {}), onArchive: (a) => ctx.log(`file ${a.fileNumber}: ${a.kind}${a.snapshot ? ` ${a.store}:${a.snapshot}` : a.digests.length > 0 ? ` ${a.digests.length} chunk(s)` : ""}`) });
        for (const f of scanned.skippedFiles) ctx.warn(`file ${f}: not a complete archive, skipped`);
        records.push(...recordsOfScan(tape, scanned.archives, now, salt));
      }
      await this.deps.publish(records);
      ctx.log(`published ${records.length} catalog record(s)`);
      return records.length;
    } finally {
      await leases.release(lease).catch(() => undefined);
    }
  }

  /** The media catalogs of this set in the catalog archives at the start and at the end of the tape (§5.5); the later one wins per member. */
  private async fastPath(host: { hostId: string; grpcAddress: string }, target: DeviceTarget, tape: ScannedTape, ctx: TaskContext, keyFor?: KeyFor): Promise<FoundCatalog[]> {
    const agent = this.deps.agent;
    if (agent.readCatalogArchive === undefined || agent.endOfData === undefined) return [];
    const retry = { signal: ctx.signal, onRetry: (t: string) => ctx.log(t) };
    const end = await withRetry("move to end of data", () => agent.endOfData!(target, { signal: ctx.signal }), retry);
    // At end of data the file number counts the files ended by a filemark: the last complete one is the one before.
    const lastFile = end.fileNumber - 1;
    const found = new Map<string, FoundCatalog>();
    const take = async (fileNumber: number): Promise<boolean> => {
      const r = await withRetry(`read tape file ${fileNumber}`, () => agent.readCatalogArchive!(host, target.serial, fileNumber, { signal: ctx.signal, ...(keyFor ? { keyFor } : {}) }), retry);
      if (r.kind !== "catalog-archive") return false;
      if (!r.complete) {
        ctx.warn(`file ${fileNumber}: the catalog archive is incomplete, skipped`);
        return true;
      }
      try {
        const { seqNr, archives } = archivesOfMediaCatalog(r.bytes, { mediaUuid: r.mediaUuid, mediaSetUuid: tape.mediaSetUuid });
        found.set(r.mediaUuid, { fileNumber, mediaUuid: r.mediaUuid, seqNr, archives });
      } catch (err) {
        ctx.warn(`file ${fileNumber}: the catalog archive of media ${r.mediaUuid} is not a catalog of media set ${tape.mediaSetUuid}: ${(err as Error).message}`);
      }
      return true;
    };
    let f = 2;
    while (f <= lastFile && (await take(f))) f++;
    // At the first file that is not a catalog archive, PBS checks the last file of the tape.
    if (f < lastFile) await take(lastFile);
    return [...found.values()].sort((a, b) => a.seqNr - b.seqNr);
  }
}
