import { createHash } from "node:crypto";
import { CATALOG_MAX_DIGESTS_PER_RECORD, type CatalogRecord, type CatalogStartRequest } from "@tapefleet/api-types";
import { TapefleetError } from "@tapefleet/common";
import type { AgentPort, DatastoreAgentPort, ScannedArchive } from "./agent-port.ts";
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
export function recordId(parts: { mediaSetUuid: string; seqNr: number; mediaUuid: string } & ({ joined: true } | { fileNumber: number; archiveUuid: string; part: number })): string {
  const tape = `${parts.mediaSetUuid.toLowerCase()}/${parts.seqNr}/${parts.mediaUuid.toLowerCase()}`;
  const name = "joined" in parts ? `media-set-joined/${tape}` : `archive/${tape}/${parts.fileNumber}/${parts.archiveUuid.toLowerCase()}/${parts.part}`;
  return nameUuid(COMMIT_RECORD_ID_NAMESPACE, name);
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
export function recordsOfScan(tape: ScannedTape, archives: readonly ScannedArchive[], now: Date): CatalogRecord[] {
  const base = { mediaUuid: tape.mediaUuid, labelText: tape.labelText, mediaSetUuid: tape.mediaSetUuid, seqNr: tape.seqNr, pool: tape.pool };
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const out: CatalogRecord[] = [
    { type: "media-set-joined", recordId: recordId({ ...base, joined: true }), ...base, mediaSetCtime: iso(tape.mediaSetCtime), joinedAt: at },
    { type: "archive", recordId: recordId({ ...base, fileNumber: 0, archiveUuid: tape.mediaUuid, part: 0 }), ...base, fileNumber: 0, kind: "media-label", archiveUuid: tape.mediaUuid, committedAt: at },
    { type: "archive", recordId: recordId({ ...base, fileNumber: 1, archiveUuid: tape.mediaSetUuid, part: 0 }), ...base, fileNumber: 1, kind: "media-set-label", archiveUuid: tape.mediaSetUuid, committedAt: at },
  ];
  for (const a of archives) {
    const common = { type: "archive" as const, ...base, fileNumber: a.fileNumber, kind: a.kind, archiveUuid: a.archiveUuid, committedAt: at };
    if (a.kind === "chunk-archive") {
      const parts = Math.max(1, Math.ceil(a.digests.length / CATALOG_MAX_DIGESTS_PER_RECORD));
      for (let p = 0; p < parts; p++) {
        out.push({ ...common, recordId: recordId({ ...base, fileNumber: a.fileNumber, archiveUuid: a.archiveUuid, part: p }), store: a.store, digests: a.digests.slice(p * CATALOG_MAX_DIGESTS_PER_RECORD, (p + 1) * CATALOG_MAX_DIGESTS_PER_RECORD) });
      }
    } else if (a.kind === "snapshot-archive") {
      out.push({ ...common, recordId: recordId({ ...base, fileNumber: a.fileNumber, archiveUuid: a.archiveUuid, part: 0 }), store: a.store, snapshot: a.snapshot });
    } else {
      out.push({ ...common, recordId: recordId({ ...base, fileNumber: a.fileNumber, archiveUuid: a.archiveUuid, part: 0 }) });
    }
  }
  return out;
}

export interface CatalogJobDeps {
  inventory: InventoryPort;
  agent: AgentPort & DatastoreAgentPort;
  leases: Pick<LeaseManager, "acquireAnyDrive" | "release">;
  /** Publishes records on JetStream `catalog.commit.<set>` for the catalog service. */
  publish: (records: readonly CatalogRecord[]) => Promise<void>;
  now?: () => Date;
}

/**
 * `tapectl catalog` (PBS `catalog`, §13): reads the labels of the tape in the
 * drive, scans the whole tape on the agent (`ScanTape`: every complete
 * archive) and publishes the catalog records for the catalog service. The
 * fast path of PBS (reading the catalog archives at the end of the tape) is
 * not taken: both with and without `scan` the tape is scanned.
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
      ctx.log(`scan media '${label["label-text"]}' (media set ${label["media-set-uuid"]}, seq nr ${label["seq-nr"] ?? 0})${req.scan ? "" : " (no catalog fast path: full scan)"}`);
      const host = { hostId: target.hostId, grpcAddress: target.grpcAddress };
      const scanned = await agent.scanTape(host, target.serial, { signal: ctx.signal, onArchive: (a) => ctx.log(`file ${a.fileNumber}: ${a.kind}${a.snapshot ? ` ${a.store}:${a.snapshot}` : a.digests.length > 0 ? ` ${a.digests.length} chunk(s)` : ""}`) });
      for (const f of scanned.skippedFiles) ctx.warn(`file ${f}: not a complete archive, skipped`);
      const records = recordsOfScan(
        {
          mediaUuid: label.uuid,
          labelText: label["label-text"],
          pool: label.pool ?? "",
          mediaSetUuid: label["media-set-uuid"],
          seqNr: label["seq-nr"] ?? 0,
          mediaSetCtime: label["media-set-ctime"] ?? label.ctime,
        },
        scanned.archives,
        (this.deps.now ?? (() => new Date()))(),
      );
      await this.deps.publish(records);
      ctx.log(`published ${records.length} catalog record(s) of ${scanned.archives.length} archive(s)`);
      return records.length;
    } finally {
      await leases.release(lease).catch(() => undefined);
    }
  }
}
