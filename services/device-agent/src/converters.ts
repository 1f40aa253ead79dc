/**
 * Core values → proto init shapes of tapefleet.device.v1 (and request pieces
 * → core values). Proto types stop here: the core never sees them.
 */
import type { ChangerStatus, VolumeStatistics } from "@tapefleet/scsi";
import type { MediaLabel, MediaSetLabel } from "@tapefleet/tape-format";
import { DeviceError } from "./core/device-error.ts";
import type { ChangerConfig, ChangerIdentity } from "./core/media-changer.ts";
import { isCleaningTag } from "./core/changer-operations.ts";
import type { DriveStatusReport, MamEntry, Progress, TapeLabels, TapePosition } from "./core/tape-drive.ts";

/** A 64-bit proto field (bigint in protobuf-es) from a core number. */
export function big(n: number): bigint;
export function big(n: number | undefined): bigint | undefined;
export function big(n: number | undefined): bigint | undefined {
  return n === undefined ? undefined : BigInt(Math.trunc(n));
}

/** A 64-bit request field as a number (INVALID_ARGUMENT beyond 2^53). */
export function fromBig(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new DeviceError("INVALID_ARGUMENT", `${field}: ${v} is out of range`, { field });
  return Number(v);
}

/** Optional fields of a proto init: copy only what is defined (exactOptionalPropertyTypes-safe). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

export function changerConfigFromProto(o: { exportSlots: number[]; ejectBeforeUnload: boolean } | undefined): ChangerConfig {
  return { exportSlots: o?.exportSlots ?? [], ejectBeforeUnload: o?.ejectBeforeUnload ?? false };
}

export function progressToProto(p: Progress) {
  return defined({ percent: p.percent, message: p.message, activity: p.activity });
}

export function driveStatusToProto(s: DriveStatusReport) {
  return {
    vendor: s.vendor,
    product: s.product,
    revision: s.revision,
    serial: s.serial,
    ready: s.ready,
    mediumPresent: s.mediumPresent,
    alertFlags: s.alertFlags,
    notes: s.notes,
    ...defined({
      blockSize: s.blockSize,
      density: s.density,
      densityCode: s.densityCode,
      compression: s.compression,
      bufferMode: s.bufferMode,
      writeProtect: s.writeProtect,
      worm: s.worm,
      fileNumber: big(s.fileNumber),
      blockNumber: big(s.blockNumber),
      manufactured: s.manufactured,
      bytesWritten: big(s.bytesWritten),
      bytesRead: big(s.bytesRead),
      mediumPasses: big(s.mediumPasses),
      mediumWearout: s.mediumWearout,
      volumeMounts: big(s.volumeMounts),
      driveActivity: s.driveActivity,
    }),
  };
}

export function mamToProto(a: MamEntry) {
  return { id: a.id, name: a.name, value: a.value, readOnly: a.readOnly, format: a.format };
}

export function volumeStatisticsToProto(v: VolumeStatistics) {
  return defined({
    volumeMounts: big(v.volumeMounts),
    volumeDatasetsWritten: big(v.volumeDatasetsWritten),
    volumeRecoveredWriteDataErrors: big(v.volumeRecoveredWriteDataErrors),
    volumeUnrecoveredWriteDataErrors: big(v.volumeUnrecoveredWriteDataErrors),
    volumeWriteServoErrors: big(v.volumeWriteServoErrors),
    volumeUnrecoveredWriteServoErrors: big(v.volumeUnrecoveredWriteServoErrors),
    volumeDatasetsRead: big(v.volumeDatasetsRead),
    volumeRecoveredReadErrors: big(v.volumeRecoveredReadErrors),
    volumeUnrecoveredReadErrors: big(v.volumeUnrecoveredReadErrors),
    lastMountUnrecoveredWriteErrors: big(v.lastMountUnrecoveredWriteErrors),
    lastMountUnrecoveredReadErrors: big(v.lastMountUnrecoveredReadErrors),
    lastMountBytesWritten: big(v.lastMountBytesWritten),
    lastMountBytesRead: big(v.lastMountBytesRead),
    lifetimeBytesWritten: big(v.lifetimeBytesWritten),
    lifetimeBytesRead: big(v.lifetimeBytesRead),
    lastLoadWriteCompressionRatio: big(v.lastLoadWriteCompressionRatio),
    lastLoadReadCompressionRatio: big(v.lastLoadReadCompressionRatio),
    mediumMountTime: big(v.mediumMountTime),
    mediumReadyTime: big(v.mediumReadyTime),
    totalNativeCapacity: big(v.totalNativeCapacity),
    totalUsedNativeCapacity: big(v.totalUsedNativeCapacity),
    serial: v.volumeSerialNumber,
    writeProtect: v.writeProtect,
    worm: v.worm,
    beginningOfMediumPasses: big(v.beginningOfMediumPasses),
    middleOfTapePasses: big(v.middleOfTapePasses),
  });
}

export function mediaLabelToProto(l: MediaLabel) {
  return { labelText: l.labelText, uuid: l.uuid, ctime: big(l.ctime), ...defined({ pool: l.pool }) };
}

export function mediaSetLabelToProto(l: MediaSetLabel) {
  // key-config: the password-protected KeyConfig, what a key restore from tape opens (§3.2, §9.4)
  return { pool: l.pool, uuid: l.uuid, seqNr: big(l.seqNr), ctime: big(l.ctime), ...defined({ encryptionKeyFingerprint: l.encryptionKeyFingerprint, keyConfig: l.keyConfig === undefined ? undefined : JSON.stringify(l.keyConfig) }) };
}

export function labelsToProto(l: TapeLabels) {
  if (l.empty) return { empty: true };
  return { empty: false, mediaLabel: mediaLabelToProto(l.mediaLabel), ...(l.mediaSetLabel ? { mediaSetLabel: mediaSetLabelToProto(l.mediaSetLabel) } : {}) };
}

export function positionToProto(p: TapePosition) {
  return { fileNumber: big(p.fileNumber), blockNumber: big(p.blockNumber) };
}

export function changerStatusToProto(status: ChangerStatus, identity: ChangerIdentity, drivePaths: ReadonlyMap<number, string>) {
  return {
    serial: identity.serial,
    vendor: identity.vendor,
    model: identity.product,
    drives: status.drives.map((d) => ({
      driveNumber: d.index,
      elementAddress: d.address,
      full: d.full,
      ...defined({ labelText: d.volumeTag, loadedSlot: d.loadedSlot, serial: d.serial, path: drivePaths.get(d.index), exception: d.except?.description }),
    })),
    slots: status.slots.map((s) => ({
      slot: s.slot,
      elementAddress: s.address,
      importExport: s.importExport,
      full: s.full,
      cleaning: s.full && isCleaningTag(s.volumeTag),
      ...defined({ labelText: s.volumeTag, exception: s.except?.description }),
    })),
    transports: status.transports.map((t) => ({ elementAddress: t.address, full: t.full, ...defined({ labelText: t.volumeTag }) })),
  };
}
