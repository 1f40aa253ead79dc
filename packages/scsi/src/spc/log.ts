/**
 * LOG SENSE and the log pages a tape drive reports: supported pages 0x00, sequential-access
 * device 0x0C, DT device status 0x11, TapeAlert response 0x12, volume statistics 0x17,
 * TapeAlert 0x2E, tape usage 0x30 and tape capacity 0x31 (LTO vendor pages).
 *
 * @see SPC-4 6.8 (LOG SENSE), 7.3.2 (log page structure and parameter control byte),
 *      SSC-4 8.2.2 (sequential-access device), 8.2.3 (TapeAlert 0x2E), 8.2.4 (volume statistics),
 *      8.2.5 (DT device status), ADC-3 / SSC-4 (TapeAlert response 0x12); PBS reference §8.1, §8.2
 */
import { ByteReader, checkRange, putU16, toHex } from "../bytes.ts";
import { Opcode } from "../constants/opcodes.ts";
import { TAPE_ALERT_FLAGS } from "../constants/tape-alert.ts";

export const LogPage = {
  SUPPORTED_PAGES: 0x00,
  WRITE_ERROR_COUNTERS: 0x02,
  READ_ERROR_COUNTERS: 0x03,
  SEQUENTIAL_ACCESS_DEVICE: 0x0c,
  DT_DEVICE_STATUS: 0x11,
  TAPEALERT_RESPONSE: 0x12,
  VOLUME_STATISTICS: 0x17,
  TAPEALERT: 0x2e,
  TAPE_USAGE: 0x30,
  TAPE_CAPACITY: 0x31,
} as const;

export type LogPageControl = "threshold" | "cumulative" | "default-threshold" | "default-cumulative";
const LPC: Record<LogPageControl, number> = { threshold: 0, cumulative: 1, "default-threshold": 2, "default-cumulative": 3 };

/**
 * LOG SENSE: `4D 00 PC|PAGE SUBPAGE 00 PP_H PP_L AL_H AL_L 00`. PBS uses PC=01 (cumulative).
 */
export function buildLogSenseCdb(p: {
  page: number;
  subpage?: number;
  pageControl?: LogPageControl;
  parameterPointer?: number;
  allocationLength?: number;
}): Uint8Array {
  const cdb = new Uint8Array(10);
  cdb[0] = Opcode.LOG_SENSE;
  cdb[2] = (LPC[p.pageControl ?? "cumulative"] << 6) | checkRange("page", p.page, 0, 0x3f);
  cdb[3] = checkRange("subpage", p.subpage ?? 0, 0, 0xff);
  putU16(cdb, 5, checkRange("parameterPointer", p.parameterPointer ?? 0, 0, 0xffff));
  putU16(cdb, 7, checkRange("allocationLength", p.allocationLength ?? 8192, 0, 0xffff));
  return cdb;
}

export interface LogParameter {
  code: number;
  /** The control byte: DU bit 7, TSD bit 5, ETC bit 4, TMC bits 3-2, FORMAT AND LINKING bits 1-0. */
  control: number;
  /** FORMAT AND LINKING: 0/2 bounded or unbounded counter data, 1 ASCII list, 3 binary list. */
  formatAndLinking: number;
  value: Uint8Array;
}

export interface LogPageData {
  pageCode: number;
  subpageCode: number;
  /** SPF: sub-page format. */
  subpageFormat: boolean;
  /** DS: disable save. */
  disableSave: boolean;
  pageLength: number;
  parameters: LogParameter[];
}

/**
 * Decodes the generic log page structure. Data beyond PAGE LENGTH is ignored; a buffer
 * shorter than the page length (cut by the allocation length) keeps its complete parameters.
 */
export function decodeLogPage(bytes: Uint8Array, structure = "log page"): LogPageData {
  const r = new ByteReader(bytes, structure);
  if (r.length < 4) r.fail(r.length, `log page header needs 4 bytes, got ${r.length}`);
  const b0 = r.u8(0, "PAGE CODE");
  const pageLength = r.u16(2, "PAGE LENGTH");
  const declaredEnd = 4 + pageLength;
  const end = Math.min(r.length, declaredEnd);
  const parameters: LogParameter[] = [];
  let off = 4;
  while (off < end) {
    if (off + 4 > end) {
      if (end < declaredEnd) break;
      r.fail(off, "log parameter header needs 4 bytes");
    }
    const len = r.u8(off + 3, "PARAMETER LENGTH");
    if (off + 4 + len > end) {
      if (end < declaredEnd) break;
      r.fail(off, `log parameter 0x${r.u16(off, "PARAMETER CODE").toString(16)} of ${len} bytes runs past the page length`);
    }
    const control = r.u8(off + 2, "parameter control byte");
    parameters.push({
      code: r.u16(off, "PARAMETER CODE"),
      control,
      formatAndLinking: control & 0x03,
      value: r.slice(off + 4, len, "PARAMETER VALUE"),
    });
    off += 4 + len;
  }
  return {
    pageCode: b0 & 0x3f,
    subpageCode: r.u8(1, "SUBPAGE CODE"),
    subpageFormat: (b0 & 0x40) !== 0,
    disableSave: (b0 & 0x80) !== 0,
    pageLength,
    parameters,
  };
}

function expectPage(bytes: Uint8Array, structure: string, code: number): LogPageData {
  const page = decodeLogPage(bytes, structure);
  if (page.pageCode !== code) {
    new ByteReader(bytes, structure).fail(0, `PAGE CODE is 0x${page.pageCode.toString(16)}, expected 0x${code.toString(16)}`);
  }
  return page;
}

/** Big-endian unsigned value of a counter parameter (1..8 bytes; 0 bytes reads as 0). */
export function logCounter(value: Uint8Array): number {
  let v = 0;
  for (const b of value) v = v * 256 + b;
  return v;
}

/** Supported log pages (page 0x00): the list of page codes. */
export function decodeSupportedLogPages(bytes: Uint8Array): number[] {
  const r = new ByteReader(bytes, "supported log pages (0x00)");
  if (r.length < 4) r.fail(r.length, `log page header needs 4 bytes, got ${r.length}`);
  const code = r.u8(0, "PAGE CODE") & 0x3f;
  if (code !== LogPage.SUPPORTED_PAGES) r.fail(0, `PAGE CODE is 0x${code.toString(16)}, expected 0x00`);
  const len = r.u16(2, "PAGE LENGTH");
  const end = Math.min(r.length, 4 + len);
  return Array.from(r.slice(4, end - 4, "SUPPORTED PAGE LIST"), (b) => b & 0x3f);
}

/** A TapeAlert flag that is set. */
export interface TapeAlertActive {
  number: number;
  name: string;
}

function flagsFromBits(bits: Uint8Array): TapeAlertActive[] {
  const out: TapeAlertActive[] = [];
  for (let i = 0; i < 64; i++) {
    const byte = bits[i >> 3] ?? 0;
    if ((byte & (0x80 >> (i & 7))) !== 0) {
      const f = TAPE_ALERT_FLAGS[i];
      out.push({ number: i + 1, name: f ? f.name : `FLAG_${i + 1}` });
    }
  }
  return out;
}

/**
 * TapeAlert flags from their 8-byte bit form (flag 1 = most significant bit of byte 0),
 * as in page 0x12 and MAM attribute 0x0002.
 */
export function decodeTapeAlertBits(bytes: Uint8Array): { flags: TapeAlertActive[] } {
  const r = new ByteReader(bytes, "TapeAlert flags");
  return { flags: flagsFromBits(r.slice(0, 8, "TapeAlert flag bits")) };
}

/** Encodes a list of set flag numbers (1..64) as the 8-byte bit form. */
export function encodeTapeAlertBits(flags: readonly number[]): Uint8Array {
  const out = new Uint8Array(8);
  for (const n of flags) {
    checkRange("flags", n, 1, 64);
    out[(n - 1) >> 3] = (out[(n - 1) >> 3] as number) | (0x80 >> ((n - 1) & 7));
  }
  return out;
}

/**
 * TapeAlert response log page 0x12 as PBS reads it (§8.1): page code 0x12, subpage 0,
 * page length 0x0C, one parameter 0x0000 of length 8 with the 64 flag bits.
 * Reading this page does not clear the flags (reading 0x2E does).
 */
export function decodeTapeAlertResponse(bytes: Uint8Array): { flags: TapeAlertActive[] } {
  const s = "TapeAlert response log page (0x12)";
  const r = new ByteReader(bytes, s);
  if (r.length < 16) r.fail(r.length, `needs 16 bytes, got ${r.length}`);
  const code = r.u8(0, "PAGE CODE") & 0x3f;
  if (code !== LogPage.TAPEALERT_RESPONSE) r.fail(0, `PAGE CODE is 0x${code.toString(16)}, expected 0x12`);
  const sub = r.u8(1, "SUBPAGE CODE");
  if (sub !== 0) r.fail(1, `SUBPAGE CODE is 0x${sub.toString(16)}, expected 0`);
  const len = r.u16(2, "PAGE LENGTH");
  if (len < 0x0c) r.fail(2, `PAGE LENGTH is ${len}, expected 12`);
  const pc = r.u16(4, "PARAMETER CODE");
  if (pc !== 0) r.fail(4, `PARAMETER CODE is 0x${pc.toString(16)}, expected 0`);
  const plen = r.u8(7, "PARAMETER LENGTH");
  if (plen < 8) r.fail(7, `PARAMETER LENGTH is ${plen}, expected 8`);
  return { flags: flagsFromBits(r.slice(8, 8, "TapeAlert flag bits")) };
}

/**
 * TapeAlert log page 0x2E: parameters 0x0001..0x0040, one byte each, bit 0 = flag set.
 * Note: reading this page clears the flags on most drives.
 */
export function decodeTapeAlertLog(bytes: Uint8Array): { flags: TapeAlertActive[] } {
  const page = expectPage(bytes, "TapeAlert log page (0x2E)", LogPage.TAPEALERT);
  const flags: TapeAlertActive[] = [];
  for (const p of page.parameters) {
    if (p.code >= 1 && p.code <= 64 && p.value.length >= 1 && ((p.value[0] as number) & 0x01) !== 0) {
      flags.push({ number: p.code, name: TAPE_ALERT_FLAGS[p.code - 1]?.name ?? `FLAG_${p.code}` });
    }
  }
  flags.sort((a, b) => a.number - b.number);
  return { flags };
}

/** Volume statistics page 0x17 (SSC-4 8.2.4). Counters in the units of the standard (× 10^6 bytes where noted). */
export interface VolumeStatistics {
  pageValid: boolean;
  volumeMounts?: number;
  volumeDatasetsWritten?: number;
  volumeRecoveredWriteDataErrors?: number;
  volumeUnrecoveredWriteDataErrors?: number;
  volumeWriteServoErrors?: number;
  volumeUnrecoveredWriteServoErrors?: number;
  volumeDatasetsRead?: number;
  volumeRecoveredReadErrors?: number;
  volumeUnrecoveredReadErrors?: number;
  lastMountUnrecoveredWriteErrors?: number;
  lastMountUnrecoveredReadErrors?: number;
  /** × 10^6 bytes. */
  lastMountBytesWritten?: number;
  lastMountBytesRead?: number;
  lifetimeBytesWritten?: number;
  lifetimeBytesRead?: number;
  lastLoadWriteCompressionRatio?: number;
  lastLoadReadCompressionRatio?: number;
  mediumMountTime?: number;
  mediumReadyTime?: number;
  /** × 10^6 bytes. */
  totalNativeCapacity?: number;
  /** × 10^6 bytes; PBS stores it as the tape's bytes used. */
  totalUsedNativeCapacity?: number;
  volumeSerialNumber?: string;
  writeProtect?: boolean;
  worm?: boolean;
  beginningOfMediumPasses?: number;
  middleOfTapePasses?: number;
}

const VOLUME_STATS_COUNTERS: ReadonlyMap<number, keyof VolumeStatistics> = new Map<number, keyof VolumeStatistics>([
  [0x0001, "volumeMounts"],
  [0x0002, "volumeDatasetsWritten"],
  [0x0003, "volumeRecoveredWriteDataErrors"],
  [0x0004, "volumeUnrecoveredWriteDataErrors"],
  [0x0005, "volumeWriteServoErrors"],
  [0x0006, "volumeUnrecoveredWriteServoErrors"],
  [0x0007, "volumeDatasetsRead"],
  [0x0008, "volumeRecoveredReadErrors"],
  [0x0009, "volumeUnrecoveredReadErrors"],
  [0x000c, "lastMountUnrecoveredWriteErrors"],
  [0x000d, "lastMountUnrecoveredReadErrors"],
  [0x000e, "lastMountBytesWritten"],
  [0x000f, "lastMountBytesRead"],
  [0x0010, "lifetimeBytesWritten"],
  [0x0011, "lifetimeBytesRead"],
  [0x0012, "lastLoadWriteCompressionRatio"],
  [0x0013, "lastLoadReadCompressionRatio"],
  [0x0014, "mediumMountTime"],
  [0x0015, "mediumReadyTime"],
  [0x0016, "totalNativeCapacity"],
  [0x0017, "totalUsedNativeCapacity"],
  [0x0101, "beginningOfMediumPasses"],
  [0x0102, "middleOfTapePasses"],
]);

/** Volume statistics page 0x17; parameter 0x0000 (page valid) must be non-zero as PBS checks. */
export function decodeVolumeStatistics(bytes: Uint8Array): VolumeStatistics {
  const s = "volume statistics log page (0x17)";
  const page = expectPage(bytes, s, LogPage.VOLUME_STATISTICS);
  const out: VolumeStatistics = { pageValid: false };
  const rec = out as unknown as Record<string, unknown>;
  for (const p of page.parameters) {
    if (p.code === 0x0000) out.pageValid = logCounter(p.value) !== 0;
    else if (p.code === 0x0040) out.volumeSerialNumber = new ByteReader(p.value, s).ascii(0, p.value.length, "VOLUME SERIAL NUMBER");
    else if (p.code === 0x0080) out.writeProtect = logCounter(p.value) === 1;
    else if (p.code === 0x0081) out.worm = logCounter(p.value) === 1;
    else {
      const key = VOLUME_STATS_COUNTERS.get(p.code);
      if (key) rec[key] = logCounter(p.value);
    }
  }
  return out;
}

/** Sequential-access device page 0x0C (SSC-4 8.2.2). */
export interface SequentialAccessLog {
  /** Bytes received from the host with WRITE commands (before compression). */
  dataBytesReceived?: number;
  dataBytesWrittenToMedia?: number;
  dataBytesReadFromMedia?: number;
  dataBytesTransferredToHost?: number;
  /** Native capacities in MB (10^6 bytes). */
  nativeCapacityBopToEod?: number;
  nativeCapacityBopToEarlyWarning?: number;
  minimumNativeCapacityEarlyWarningToEop?: number;
  nativeCapacityBopToCurrent?: number;
  maximumNativeCapacityInBuffer?: number;
  /** Parameter 0x0100: non-zero means the drive needs cleaning. */
  cleaningRequired?: boolean;
}

const SEQ_ACCESS: ReadonlyMap<number, keyof SequentialAccessLog> = new Map<number, keyof SequentialAccessLog>([
  [0x0000, "dataBytesReceived"],
  [0x0001, "dataBytesWrittenToMedia"],
  [0x0002, "dataBytesReadFromMedia"],
  [0x0003, "dataBytesTransferredToHost"],
  [0x0004, "nativeCapacityBopToEod"],
  [0x0005, "nativeCapacityBopToEarlyWarning"],
  [0x0006, "minimumNativeCapacityEarlyWarningToEop"],
  [0x0007, "nativeCapacityBopToCurrent"],
  [0x0008, "maximumNativeCapacityInBuffer"],
]);

export function decodeSequentialAccessLog(bytes: Uint8Array): SequentialAccessLog {
  const page = expectPage(bytes, "sequential-access device log page (0x0C)", LogPage.SEQUENTIAL_ACCESS_DEVICE);
  const out: SequentialAccessLog = {};
  const rec = out as unknown as Record<string, unknown>;
  for (const p of page.parameters) {
    if (p.code === 0x0100) out.cleaningRequired = logCounter(p.value) !== 0;
    else {
      const key = SEQ_ACCESS.get(p.code);
      if (key) rec[key] = logCounter(p.value);
    }
  }
  return out;
}

/** DT device activity codes (SSC-4 table 8.2.5 / PBS §8.2). */
export const DEVICE_ACTIVITY: readonly string[] = [
  "no-activity",
  "cleaning",
  "loading",
  "unloading",
  "other",
  "reading",
  "writing",
  "locating",
  "rewinding",
  "erasing",
  "formatting",
  "calibrating",
  "other-dt",
  "microcode-update",
  "reading-encrypted",
  "writing-encrypted",
];

/** DT device status page 0x11, parameter 0x0000 (very high frequency data). */
export interface DeviceStatusLog {
  /** Byte 0 bit 0 (DINIT), used by PBS as the validity check. */
  valid: boolean;
  /** Byte 0: PAMR, HIU, MACC, CMPR, WRTP, CRQST, CRQRD. */
  preventAllowMediumRemoval: boolean;
  hostInitiatedUnload: boolean;
  mamAccessible: boolean;
  compressionEnabled: boolean;
  writeProtect: boolean;
  cleaningRequested: boolean;
  cleaningRequired: boolean;
  /** Byte 1: INXTN, RAA, MPRSNT, MSTD, MTHRD, MOUNTED. */
  inTransition: boolean;
  robotAccessAllowed: boolean;
  mediumPresent: boolean;
  mediumSeated: boolean;
  mediumThreaded: boolean;
  mounted: boolean;
  /** Byte 2: DT DEVICE ACTIVITY code. */
  activityCode: number;
  /** Name from {@link DEVICE_ACTIVITY}, `vendor-0xNN` beyond. */
  activity: string;
  /** Byte 3: TAFC (TapeAlert state flag changed), INTFC (interface changed), … */
  tapeAlertStateChanged: boolean;
  interfaceChanged: boolean;
  encryptionParametersPresent: boolean;
  encryptionServiceRequest: boolean;
  recoveryRequested: boolean;
}

export function decodeDeviceStatusLog(bytes: Uint8Array): DeviceStatusLog {
  const s = "DT device status log page (0x11)";
  const page = expectPage(bytes, s, LogPage.DT_DEVICE_STATUS);
  const vhf = page.parameters.find((p) => p.code === 0x0000);
  if (!vhf) return new ByteReader(bytes, s).fail(4, "parameter 0x0000 (VHF data) is missing");
  const r = new ByteReader(vhf.value, `${s} VHF data`);
  if (r.length < 4) r.fail(r.length, `VHF data needs 4 bytes, got ${r.length}`);
  const b0 = r.u8(0, "VHF byte 0");
  const b1 = r.u8(1, "VHF byte 1");
  const code = r.u8(2, "DT DEVICE ACTIVITY");
  const b3 = r.u8(3, "VHF byte 3");
  return {
    valid: (b0 & 0x01) !== 0,
    preventAllowMediumRemoval: (b0 & 0x80) !== 0,
    hostInitiatedUnload: (b0 & 0x40) !== 0,
    mamAccessible: (b0 & 0x20) !== 0,
    compressionEnabled: (b0 & 0x10) !== 0,
    writeProtect: (b0 & 0x08) !== 0,
    cleaningRequested: (b0 & 0x04) !== 0,
    cleaningRequired: (b0 & 0x02) !== 0,
    inTransition: (b1 & 0x80) !== 0,
    robotAccessAllowed: (b1 & 0x20) !== 0,
    mediumPresent: (b1 & 0x10) !== 0,
    mediumSeated: (b1 & 0x04) !== 0,
    mediumThreaded: (b1 & 0x02) !== 0,
    mounted: (b1 & 0x01) !== 0,
    activityCode: code,
    activity: DEVICE_ACTIVITY[code] ?? `vendor-0x${code.toString(16).padStart(2, "0")}`,
    tapeAlertStateChanged: (b3 & 0x01) !== 0,
    interfaceChanged: (b3 & 0x02) !== 0,
    recoveryRequested: (b3 & 0x04) !== 0,
    encryptionServiceRequest: (b3 & 0x08) !== 0,
    encryptionParametersPresent: (b3 & 0x10) !== 0,
  };
}

/** Tape usage page 0x30 (LTO vendor page). */
export interface TapeUsageLog {
  threadCount?: number;
  totalDataSetsWritten?: number;
  totalWriteRetries?: number;
  totalUnrecoveredWriteErrors?: number;
  totalSuspendedWrites?: number;
  totalFatalSuspendedWrites?: number;
  totalDataSetsRead?: number;
  totalReadRetries?: number;
  totalUnrecoveredReadErrors?: number;
  totalSuspendedReads?: number;
  totalFatalSuspendedReads?: number;
}

const TAPE_USAGE: ReadonlyMap<number, keyof TapeUsageLog> = new Map<number, keyof TapeUsageLog>([
  [0x0001, "threadCount"],
  [0x0002, "totalDataSetsWritten"],
  [0x0003, "totalWriteRetries"],
  [0x0004, "totalUnrecoveredWriteErrors"],
  [0x0005, "totalSuspendedWrites"],
  [0x0006, "totalFatalSuspendedWrites"],
  [0x0007, "totalDataSetsRead"],
  [0x0008, "totalReadRetries"],
  [0x0009, "totalUnrecoveredReadErrors"],
  [0x000a, "totalSuspendedReads"],
  [0x000b, "totalFatalSuspendedReads"],
]);

export function decodeTapeUsageLog(bytes: Uint8Array): TapeUsageLog {
  const page = expectPage(bytes, "tape usage log page (0x30)", LogPage.TAPE_USAGE);
  const out: TapeUsageLog = {};
  for (const p of page.parameters) {
    const key = TAPE_USAGE.get(p.code);
    if (key) out[key] = logCounter(p.value);
  }
  return out;
}

/** Tape capacity page 0x31 (LTO vendor page), capacities in MB (10^6 bytes). */
export interface TapeCapacityLog {
  mainPartitionRemainingCapacity?: number;
  alternatePartitionRemainingCapacity?: number;
  mainPartitionMaximumCapacity?: number;
  alternatePartitionMaximumCapacity?: number;
}

const TAPE_CAPACITY: ReadonlyMap<number, keyof TapeCapacityLog> = new Map<number, keyof TapeCapacityLog>([
  [0x0001, "mainPartitionRemainingCapacity"],
  [0x0002, "alternatePartitionRemainingCapacity"],
  [0x0003, "mainPartitionMaximumCapacity"],
  [0x0004, "alternatePartitionMaximumCapacity"],
]);

export function decodeTapeCapacityLog(bytes: Uint8Array): TapeCapacityLog {
  const page = expectPage(bytes, "tape capacity log page (0x31)", LogPage.TAPE_CAPACITY);
  const out: TapeCapacityLog = {};
  for (const p of page.parameters) {
    const key = TAPE_CAPACITY.get(p.code);
    if (key) out[key] = logCounter(p.value);
  }
  return out;
}

/** Encodes a log page (for tests and the virtual library). */
export function encodeLogPage(pageCode: number, parameters: ReadonlyArray<{ code: number; control?: number; value: Uint8Array }>, subpageCode = 0): Uint8Array {
  const len = parameters.reduce((n, p) => n + 4 + p.value.length, 0);
  checkRange("pageLength", len, 0, 0xffff);
  const out = new Uint8Array(4 + len);
  out[0] = checkRange("pageCode", pageCode, 0, 0x3f) | (subpageCode !== 0 ? 0x40 : 0);
  out[1] = checkRange("subpageCode", subpageCode, 0, 0xff);
  putU16(out, 2, len);
  let off = 4;
  for (const p of parameters) {
    putU16(out, off, checkRange("code", p.code, 0, 0xffff));
    out[off + 2] = checkRange("control", p.control ?? 0x03, 0, 0xff);
    out[off + 3] = checkRange("value.length", p.value.length, 0, 0xff);
    out.set(p.value, off + 4);
    off += 4 + p.value.length;
  }
  return out;
}

/** Hex dump of a parameter value (diagnostics). */
export function logParameterHex(p: LogParameter): string {
  return toHex(p.value);
}
