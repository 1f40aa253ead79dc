import type { ChangerStatusEntry, MamAttributeEntry, TapeLabelInfo } from "@tapefleet/api-types";
import { TapefleetError, type ErrorCode } from "@tapefleet/common";
import { GrpcCode, GrpcError, type ChangerStatus, type DriveStatus, type MamAttribute, type ReadLabelResponse, type VolumeStatistics } from "@tapefleet/proto";

/**
 * Proto → API shapes (PBS kebab-case JSON). Proto types stop here: the
 * orchestration and the NATS replies only see these results.
 */

/** Drive status as PBS prints it (`LtoDriveAndMediaStatus`, §8.4); absent values are left out. */
export function driveStatusToApi(s: DriveStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { vendor: s.vendor, product: s.product, revision: s.revision };
  const put = (key: string, v: unknown) => {
    if (v !== undefined && v !== null) out[key] = jsonValue(v);
  };
  put("serial", s.serial || undefined);
  put("blocksize", s.blockSize);
  put("density", s.density);
  put("compression", s.compression);
  put("buffer-mode", s.bufferMode);
  put("write-protect", s.writeProtect);
  if (s.mediumPresent || s.alertFlags.length > 0) out["alert-flags"] = s.alertFlags.length > 0 ? s.alertFlags.join(" | ") : "(empty)";
  put("file-number", s.fileNumber);
  put("block-number", s.blockNumber);
  put("manufactured", s.manufactured);
  put("bytes-written", s.bytesWritten);
  put("bytes-read", s.bytesRead);
  put("medium-passes", s.mediumPasses);
  put("medium-wearout", s.mediumWearout);
  put("volume-mounts", s.volumeMounts);
  put("drive-activity", s.driveActivity);
  put("worm", s.worm);
  out["medium-present"] = s.mediumPresent;
  out["ready"] = s.ready;
  if (s.notes.length > 0) out["notes"] = s.notes;
  return out;
}

export function mamToApi(attrs: readonly MamAttribute[]): MamAttributeEntry[] {
  return attrs.map((a) => ({ id: a.id, name: a.name, value: a.value }));
}

/** 64-bit counters as JSON numbers. */
function jsonValue(v: unknown): unknown {
  return typeof v === "bigint" ? Number(v) : v;
}

/** camelCase key → kebab-case (`volumeMounts` → `volume-mounts`). */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Volume statistics (log page 0x17) with PBS's kebab-case names; unreported counters left out. */
export function volumeStatisticsToApi(v: VolumeStatistics): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) {
    if (k.startsWith("$") || value === undefined) continue;
    out[kebab(k)] = jsonValue(value);
  }
  return out;
}

/** The labels read from a tape (`MediaIdFlat`); undefined for an empty tape. */
export function labelToApi(r: ReadLabelResponse): TapeLabelInfo | undefined {
  if (r.empty || !r.mediaLabel) return undefined;
  const out: TapeLabelInfo = { "label-text": r.mediaLabel.labelText, uuid: r.mediaLabel.uuid, ctime: Number(r.mediaLabel.ctime) };
  if (r.mediaLabel.pool !== undefined) out.pool = r.mediaLabel.pool;
  const set = r.mediaSetLabel;
  if (set && set.uuid !== "00000000-0000-0000-0000-000000000000") {
    out.pool = set.pool;
    out["media-set-uuid"] = set.uuid;
    out["media-set-ctime"] = Number(set.ctime);
    out["seq-nr"] = Number(set.seqNr);
    if (set.encryptionKeyFingerprint !== undefined) out["encryption-key-fingerprint"] = set.encryptionKeyFingerprint;
    if (set.keyConfig !== undefined) out["key-config"] = JSON.parse(set.keyConfig) as Record<string, unknown>;
  } else if (set) {
    out.pool = set.pool;
  }
  return out;
}

/** Changer status as PBS's `MtxStatusEntry` rows: drives, then slots and import/export slots in slot order. */
export function changerStatusToApi(s: ChangerStatus): ChangerStatusEntry[] {
  const rows: ChangerStatusEntry[] = [];
  for (const d of s.drives) {
    const r: ChangerStatusEntry = { "entry-kind": "drive", "entry-id": d.driveNumber };
    if (d.labelText !== undefined) r["label-text"] = d.labelText;
    if (d.loadedSlot !== undefined) r["loaded-slot"] = d.loadedSlot;
    if (d.full && d.labelText === undefined) r.state = "full";
    rows.push(r);
  }
  for (const sl of s.slots) {
    const r: ChangerStatusEntry = { "entry-kind": sl.importExport ? "import-export" : "slot", "entry-id": sl.slot };
    if (sl.labelText !== undefined) r["label-text"] = sl.labelText;
    if (sl.full && sl.labelText === undefined) r.state = "full";
    rows.push(r);
  }
  return rows;
}

/** Volume tags online in a changer (§6.4): drives and storage slots, not import/export slots. */
export function onlineTagsOf(s: ChangerStatus): string[] {
  const tags: string[] = [];
  for (const d of s.drives) if (d.labelText) tags.push(d.labelText);
  for (const sl of s.slots) if (!sl.importExport && sl.labelText) tags.push(sl.labelText);
  return tags.sort();
}

/** A device agent's failure as a typed error; `reason` is the agent's stable code (e.g. `DRIVE_BUSY`). */
export class DeviceAgentError extends TapefleetError {
  constructor(
    code: ErrorCode,
    message: string,
    reason: string | undefined,
    readonly grpcCode: number,
    cause?: unknown,
  ) {
    super(code, message, reason === undefined ? { cause } : { cause, reason });
  }
}

const CODE_OF: Partial<Record<number, ErrorCode>> = {
  [GrpcCode.INVALID_ARGUMENT]: "VALIDATION",
  [GrpcCode.OUT_OF_RANGE]: "VALIDATION",
  [GrpcCode.NOT_FOUND]: "NOT_FOUND",
  [GrpcCode.ALREADY_EXISTS]: "CONFLICT",
  [GrpcCode.FAILED_PRECONDITION]: "CONFLICT",
  [GrpcCode.ABORTED]: "CONFLICT",
  [GrpcCode.RESOURCE_EXHAUSTED]: "CONFLICT",
  [GrpcCode.UNAVAILABLE]: "UNAVAILABLE",
  [GrpcCode.DEADLINE_EXCEEDED]: "TIMEOUT",
  [GrpcCode.CANCELLED]: "CONFLICT",
};

/** Map an agent call failure once: gRPC status → error code, the agent's message kept, its reason attached. */
export function fromAgentError(err: unknown, where: string): unknown {
  if (!(err instanceof GrpcError)) return err;
  const code = CODE_OF[err.code] ?? "INTERNAL";
  const text = err.code === GrpcCode.UNAVAILABLE ? `device agent at ${where} is unavailable: ${err.rawMessage}` : err.rawMessage;
  return new DeviceAgentError(code, text, err.reason, err.code, err);
}
