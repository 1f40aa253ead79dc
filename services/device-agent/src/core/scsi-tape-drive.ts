import {
  DensityCode,
  densityName,
  decodeDataCompressionPage,
  decodeMediumConfigurationPage,
  findModePage,
  LTO_MEDIUM_PASSES_LIFE,
  MamAttribute,
  MamFormat,
  ModePage,
  NotReadyError,
  ScsiDevice,
  UnitAttentionError,
  type MamAttributeValue,
  type ScsiTransport,
  type TapeAlertActive,
  type VolumeStatistics,
} from "@tapefleet/scsi";
import { readLabels, writeMediaLabel, type BlockReadResult, type BlockSink, type BlockSource, type MediaLabel } from "@tapefleet/tape-format";
import { checkpoint, DeviceError, sleep, toDeviceError } from "./device-error.ts";
import type { DriveStatusReport, EndOfDataResult, FormatResult, LabelResult, MamEntry, OperationContext, TapeDrive, TapeLabels, TapePosition } from "./tape-drive.ts";

/** PBS tape block size (§1.1): the READ length used for labels. */
export const TAPE_BLOCK_SIZE = 262144;
/** Poll interval of TEST UNIT READY while waiting for a drive (PBS: 1 s, §7.1). */
export const READY_POLL_MS = 1000;
/** Default longest wait for a drive to become ready (PBS: 600 s, §7.1). */
export const READY_TIMEOUT_MS = 600_000;
/** Longest wait after an LTO-9 FORMAT with IMMED (media optimization, §13.4: 2 h). */
export const CALIBRATION_TIMEOUT_MS = 2 * 3600_000;
/** How long "no medium" may last while waiting before the wait fails (a cartridge still moving in). */
export const NO_MEDIUM_GRACE_MS = 5000;
/** MAM application vendor written when labelling (attribute 0x0800, 8 bytes). */
export const MAM_APPLICATION_VENDOR = "TAPEFLT";
/** MAM application name (attribute 0x0801). */
export const MAM_APPLICATION_NAME = "tapefleet";
/** MAM attributes cleared by format (PBS §8.3). */
export const FORMAT_CLEARED_ATTRIBUTES = [
  MamAttribute.APPLICATION_VENDOR,
  MamAttribute.APPLICATION_NAME,
  MamAttribute.APPLICATION_VERSION,
  MamAttribute.USER_MEDIUM_TEXT_LABEL,
  MamAttribute.MEDIA_POOL,
] as const;
/** Activity code 0 of log page 0x11. */
const NO_ACTIVITY = "no-activity";
/** Unit attentions cleared before an operation (power on, medium changed, ...). */
const MAX_UNIT_ATTENTIONS = 8;

/** State of one drive that outlives a handle: the LOCATE vendor offset once calibrated. */
export interface DriveMemory {
  locateOffset?: number;
}

export interface ScsiTapeDriveOptions {
  /** TEST UNIT READY poll interval (default {@link READY_POLL_MS}). */
  pollMs?: number;
  /** Shared per-drive state (LOCATE calibration). */
  memory?: DriveMemory;
}

function mamFormat(f: number): MamEntry["format"] {
  return f === MamFormat.ASCII ? "ascii" : f === MamFormat.TEXT ? "text" : "binary";
}

function mamText(a: MamAttributeValue): string {
  const v = a.value;
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.join(",");
  return String(v);
}

/** MB counters of page 0x17 are in 10^6 bytes. */
const MB = 1_000_000;
const BYTE_COUNTERS = ["lastMountBytesWritten", "lastMountBytesRead", "lifetimeBytesWritten", "lifetimeBytesRead", "totalNativeCapacity", "totalUsedNativeCapacity"] as const;

/** Volume statistics with the 10^6-byte counters turned into bytes. */
export function volumeStatisticsInBytes(v: VolumeStatistics): VolumeStatistics {
  const out: VolumeStatistics = { ...v };
  for (const k of BYTE_COUNTERS) if (out[k] !== undefined) out[k] = out[k]! * MB;
  return out;
}

/**
 * {@link TapeDrive} over a ScsiTransport (SG_IO or the virtual library), with
 * the PBS command sequences of §3.3, §7.2, §8 and §13.3–13.4.
 */
export class ScsiTapeDrive implements TapeDrive, BlockSink, BlockSource {
  readonly device: ScsiDevice;
  private readonly pollMs: number;
  private readonly memory: DriveMemory;

  constructor(transport: ScsiTransport, options: ScsiTapeDriveOptions = {}) {
    this.device = new ScsiDevice(transport);
    this.pollMs = options.pollMs ?? READY_POLL_MS;
    this.memory = options.memory ?? {};
  }

  // --- BlockSink / BlockSource for @tapefleet/tape-format -------------------

  async writeBlock(block: Uint8Array): Promise<{ earlyWarning: boolean }> {
    return this.device.writeBlock(block);
  }

  /** Ends a tape file: one filemark with IMMED=1 (§7.2 WRITE FILEMARKS). */
  async writeFilemark(): Promise<void> {
    await this.device.writeFilemarks(1, true);
  }

  async readBlock(): Promise<BlockReadResult> {
    return this.device.readBlock(TAPE_BLOCK_SIZE);
  }

  /** Flushes the drive buffer (WRITE FILEMARKS count 0, IMMED=0). */
  async sync(): Promise<void> {
    await this.device.writeFilemarks(0, false);
  }

  // --- helpers --------------------------------------------------------------

  /** Consumes pending unit attentions (power on, medium changed) so the next command runs. */
  async settle(): Promise<void> {
    for (let i = 0; i < MAX_UNIT_ATTENTIONS; i++) {
      try {
        await this.device.testUnitReady();
        return;
      } catch (err) {
        if (err instanceof UnitAttentionError) continue;
        return;
      }
    }
  }

  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toDeviceError(err, what);
    }
  }

  async activity(): Promise<string | undefined> {
    try {
      const s = await this.device.deviceStatus();
      return s.valid ? s.activity : undefined;
    } catch {
      return undefined;
    }
  }

  async readiness(): Promise<{ ready: boolean; asc?: number; ascq?: number; noMedium?: boolean }> {
    for (let i = 0; i < MAX_UNIT_ATTENTIONS; i++) {
      try {
        await this.device.testUnitReady();
        return { ready: true };
      } catch (err) {
        if (err instanceof UnitAttentionError) continue;
        if (err instanceof NotReadyError) return { ready: false, asc: err.asc, ascq: err.ascq, noMedium: err.reason === "noMedium" };
        throw toDeviceError(err, "TEST UNIT READY");
      }
    }
    return { ready: false };
  }

  // --- queries ----------------------------------------------------------------

  async status(): Promise<DriveStatusReport> {
    const inq = await this.guard("INQUIRY", () => this.device.inquiry());
    const serial = await this.device.vpdSerial().catch(() => "");
    await this.settle();
    const out: DriveStatusReport = { vendor: inq.vendor, product: inq.product, revision: inq.revision, serial, ready: false, mediumPresent: false, alertFlags: [], notes: [] };
    try {
      await this.device.testUnitReady();
      out.ready = true;
      out.mediumPresent = true;
    } catch (err) {
      out.mediumPresent = err instanceof NotReadyError ? err.reason !== "noMedium" : false;
      out.notes.push(`not ready: ${(err as Error).message}`);
    }
    const activity = await this.activity();
    if (activity !== undefined) out.driveActivity = activity;
    if (!out.mediumPresent) return out;
    try {
      const m = await this.device.modeSense(ModePage.DATA_COMPRESSION);
      out.writeProtect = m.writeProtect;
      out.bufferMode = m.bufferMode;
      const bd = m.blockDescriptors[0];
      if (bd) {
        out.blockSize = bd.blockLength;
        out.densityCode = bd.densityCode;
        out.density = densityName(bd.densityCode);
      }
      const page = findModePage(m, ModePage.DATA_COMPRESSION);
      if (page) out.compression = decodeDataCompressionPage(page.bytes).dataCompressionEnabled;
    } catch (err) {
      out.notes.push(`mode sense: ${(err as Error).message}`);
    }
    const worm = await this.wormAndDensity().catch(() => undefined);
    if (worm) out.worm = worm.worm;
    // PBS skips these while the drive works: some operations hold the drive for up to 2 h (§8.2).
    if (out.ready && (activity === undefined || activity === NO_ACTIVITY)) {
      try {
        const p = await this.device.readPosition();
        out.fileNumber = p.fileNumber;
        out.blockNumber = p.blockNumber;
      } catch (err) {
        out.notes.push(`read position: ${(err as Error).message}`);
      }
      try {
        out.alertFlags = (await this.device.tapeAlertFlags()).map((f) => f.name);
      } catch (err) {
        out.notes.push(`TapeAlert: ${(err as Error).message}`);
      }
      try {
        const v = await this.device.volumeStatistics();
        if (v.volumeMounts !== undefined) out.volumeMounts = v.volumeMounts;
        if (v.beginningOfMediumPasses !== undefined || v.middleOfTapePasses !== undefined) {
          out.mediumPasses = Math.max(v.beginningOfMediumPasses ?? 0, v.middleOfTapePasses ?? 0);
          out.mediumWearout = out.mediumPasses / LTO_MEDIUM_PASSES_LIFE;
        }
      } catch (err) {
        out.notes.push(`volume statistics: ${(err as Error).message}`);
      }
    } else if (out.ready || activity !== undefined) {
      out.notes.push(`drive active (${activity ?? "not ready"}): position, TapeAlert and volume statistics not queried`);
    }
    try {
      for (const a of await this.device.readAttributes()) {
        if (a.id === MamAttribute.MEDIUM_MANUFACTURE_DATE && typeof a.value === "string") {
          const m = /^(\d{4})(\d{2})(\d{2})$/.exec(a.value);
          if (m) out.manufactured = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString();
        } else if (a.id === MamAttribute.TOTAL_MIB_WRITTEN_IN_MEDIUM_LIFE && typeof a.value === "number") {
          out.bytesWritten = a.value * 1048576;
        } else if (a.id === MamAttribute.TOTAL_MIB_READ_IN_MEDIUM_LIFE && typeof a.value === "number") {
          out.bytesRead = a.value * 1048576;
        }
      }
    } catch (err) {
      out.notes.push(`cartridge memory: ${(err as Error).message}`);
    }
    return out;
  }

  async cartridgeMemory(): Promise<MamEntry[]> {
    await this.settle();
    const attrs = await this.guard("READ ATTRIBUTE", () => this.device.readAttributes());
    return attrs.map((a) => ({ id: a.id, name: a.name, value: mamText(a), readOnly: a.readOnly, format: mamFormat(a.format) }));
  }

  async volumeStatistics(): Promise<VolumeStatistics> {
    await this.settle();
    return volumeStatisticsInBytes(await this.guard("LOG SENSE 0x17", () => this.device.volumeStatistics()));
  }

  async tapeAlertFlags(): Promise<TapeAlertActive[]> {
    return this.guard("LOG SENSE 0x12", () => this.device.tapeAlertFlags());
  }

  async position(): Promise<TapePosition> {
    const p = await this.guard("READ POSITION", () => this.device.readPosition());
    return { fileNumber: p.fileNumber, blockNumber: p.blockNumber };
  }

  /** Density and WORM flag from MODE SENSE page 0x1D (absent on LTO-3 and older: density unknown). */
  private async wormAndDensity(): Promise<{ worm: boolean; densityCode: number }> {
    const m = await this.device.modeSense(ModePage.MEDIUM_CONFIGURATION);
    const page = findModePage(m, ModePage.MEDIUM_CONFIGURATION);
    return { worm: page ? decodeMediumConfigurationPage(page.bytes).worm : false, densityCode: m.blockDescriptors[0]?.densityCode ?? DensityCode.UNKNOWN };
  }

  // --- positioning ------------------------------------------------------------

  async rewind(): Promise<void> {
    await this.settle();
    await this.guard("REWIND", () => this.device.rewind());
  }

  async eject(): Promise<void> {
    await this.settle();
    await this.guard("REWIND", () => this.device.rewind());
    await this.guard("UNLOAD", () => this.device.unload());
  }

  async locateFile(fileNumber: number): Promise<{ position: TapePosition; locateOffset: number }> {
    if (!Number.isSafeInteger(fileNumber) || fileNumber < 0) throw new DeviceError("INVALID_ARGUMENT", `file_number: must be a non-negative integer, got ${fileNumber}`, { field: "file_number" });
    await this.settle();
    if (fileNumber === 0) {
      await this.guard("REWIND", () => this.device.rewind());
      return { position: await this.position(), locateOffset: this.memory.locateOffset ?? 0 };
    }
    if (fileNumber === 1) {
      await this.guard("REWIND", () => this.device.rewind());
      await this.spaceFilemarks(1);
      return { position: await this.position(), locateOffset: this.memory.locateOffset ?? 0 };
    }
    const calibrated = this.memory.locateOffset !== undefined;
    let offset = this.memory.locateOffset ?? 0;
    let pos = await this.locateOnce(fileNumber, offset);
    if (!calibrated && pos.fileNumber !== fileNumber) {
      // IBM and HP drives disagree by one about the file LOCATE goes to: learn the offset once.
      offset += fileNumber - pos.fileNumber;
      pos = await this.locateOnce(fileNumber, offset);
    }
    if (pos.fileNumber !== fileNumber) {
      throw new DeviceError("POSITION_ERROR", `locate file ${fileNumber} failed: the drive is at file ${pos.fileNumber}, block ${pos.blockNumber} (LOCATE offset ${offset})`);
    }
    this.memory.locateOffset = offset;
    return { position: pos, locateOffset: offset };
  }

  private async locateOnce(fileNumber: number, offset: number): Promise<TapePosition> {
    const target = fileNumber + offset - 1;
    if (target < 0) throw new DeviceError("POSITION_ERROR", `locate file ${fileNumber}: LOCATE offset ${offset} gives a negative file id`);
    await this.guard(`LOCATE file ${target}`, () => this.device.locateFile(target));
    await this.spaceFilemarks(1);
    return this.position();
  }

  private async spaceFilemarks(count: number): Promise<void> {
    const r = await this.guard(`SPACE ${count} filemarks`, () => this.device.space("filemarks", count));
    if (r.kind !== "done") throw new DeviceError("POSITION_ERROR", `SPACE ${count} filemarks stopped early (${r.kind})`);
  }

  /** PBS check_filemark: whether the last object before the position is a filemark. */
  private async checkFilemark(): Promise<boolean> {
    const pos = await this.position();
    if (pos.blockNumber === 0) return true;
    const back = await this.guard("SPACE -1 block", () => this.device.space("blocks", -1));
    if (back.kind === "filemark") {
      await this.spaceFilemarks(1);
      return true;
    }
    const fwd = await this.guard("SPACE +1 block", () => this.device.space("blocks", 1));
    if (fwd.kind === "filemark") throw new DeviceError("POSITION_ERROR", "check filemark: unexpected filemark after stepping back one block");
    return false;
  }

  async moveToEndOfData(writeMissingFilemark: boolean): Promise<EndOfDataResult> {
    await this.settle();
    await this.guard("SPACE to end of data", () => this.device.space("end-of-data", 0));
    const missingFilemark = !(await this.checkFilemark());
    let filemarkWritten = false;
    if (missingFilemark && writeMissingFilemark) {
      await this.guard("WRITE FILEMARKS", () => this.device.writeFilemarks(1, false));
      filemarkWritten = true;
    }
    return { position: await this.position(), missingFilemark, filemarkWritten };
  }

  async moveToLastFile(): Promise<TapePosition> {
    await this.settle();
    await this.guard("SPACE to end of data", () => this.device.space("end-of-data", 0));
    await this.checkFilemark();
    const { fileNumber } = await this.position();
    if (fileNumber === 0) throw new DeviceError("POSITION_ERROR", "move to last file: the tape holds no complete file");
    if (fileNumber === 1) {
      await this.guard("REWIND", () => this.device.rewind());
    } else {
      const r = await this.guard("SPACE -2 filemarks", () => this.device.space("filemarks", -2));
      if (r.kind !== "done") throw new DeviceError("POSITION_ERROR", `SPACE -2 filemarks stopped early (${r.kind})`);
      await this.spaceFilemarks(1);
    }
    return this.position();
  }

  // --- readiness ----------------------------------------------------------------

  async waitUntilReady(timeoutMs: number, ctx: OperationContext = {}): Promise<{ waitedMs: number }> {
    const started = Date.now();
    let noMediumSince: number | undefined;
    let lastPercent: number | undefined;
    for (;;) {
      checkpoint(ctx.signal, "while waiting for the drive to become ready");
      try {
        await this.device.testUnitReady();
        ctx.progress?.({ percent: 100, message: "drive ready", activity: "ready" });
        return { waitedMs: Date.now() - started };
      } catch (err) {
        if (err instanceof UnitAttentionError) continue;
        if (!(err instanceof NotReadyError)) throw toDeviceError(err, "TEST UNIT READY");
        const now = Date.now();
        if (err.reason === "noMedium") {
          noMediumSince ??= now;
          if (now - noMediumSince >= NO_MEDIUM_GRACE_MS) throw new DeviceError("NO_MEDIUM", "the drive holds no cartridge", { cause: err, scsi: err.code });
        } else noMediumSince = undefined;
        if (now - started >= timeoutMs) throw new DeviceError("TIMEOUT", `drive not ready after ${timeoutMs} ms: ${err.message}`, { cause: err, scsi: err.code });
        const percent = await this.progressIndicator();
        const activity = (await this.activity()) ?? (err.reason === "becomingReady" ? "becoming-ready" : "not-ready");
        if (percent !== lastPercent || percent === undefined) {
          ctx.progress?.({ ...(percent !== undefined ? { percent } : {}), message: `waiting for the drive: ${err.description}`, activity });
          lastPercent = percent;
        }
      }
      await sleep(this.pollMs, ctx.signal, "while waiting for the drive to become ready");
    }
  }

  /** Progress indication of the pending NOT READY condition (sense-key specific bytes), in percent. */
  private async progressIndicator(): Promise<number | undefined> {
    try {
      const s = await this.device.requestSense();
      const sks = s.senseKeySpecific;
      return sks && sks.kind === "progress" ? Math.round(sks.progress * 1000) / 10 : undefined;
    } catch {
      return undefined;
    }
  }

  // --- destructive operations ------------------------------------------------------

  async erase(fast: boolean, ctx: OperationContext = {}): Promise<void> {
    await this.settle();
    ctx.progress?.({ message: "rewinding", activity: "rewinding" });
    await this.guard("REWIND", () => this.device.rewind());
    checkpoint(ctx.signal, "before erasing (the tape is rewound, nothing erased)");
    ctx.progress?.({ message: fast ? "fast erase (end of data at BOT)" : "long erase", activity: "erasing" });
    await this.guard(fast ? "ERASE" : "ERASE LONG", () => this.device.erase(!fast));
  }

  async format(fast: boolean, ctx: OperationContext = {}): Promise<FormatResult> {
    await this.settle();
    const steps: string[] = [];
    let info: { worm: boolean; densityCode: number } | undefined;
    try {
      info = await this.wormAndDensity();
    } catch {
      info = undefined; // LTO-3 and older: no page 0x1D, density unknown
    }
    const density = info && info.densityCode !== DensityCode.UNKNOWN ? densityName(info.densityCode) : undefined;
    const result = (): FormatResult => ({ ...(density !== undefined ? { density } : {}), worm: info?.worm ?? false, steps });
    if (info?.worm) {
      // WORM: nothing may be changed; an empty WORM tape is fine as it is (§13.4).
      await this.guard("SPACE to end of data", () => this.device.space("end-of-data", 0));
      const pos = await this.position();
      steps.push("check-worm-empty");
      if (pos.blockNumber !== 0) throw new DeviceError("WORM_NOT_EMPTY", "WORM media with data: cannot be formatted");
      await this.guard("REWIND", () => this.device.rewind());
      return result();
    }
    ctx.progress?.({ message: "rewinding", activity: "rewinding" });
    await this.guard("REWIND", () => this.device.rewind());
    steps.push("rewind");
    checkpoint(ctx.signal, "before formatting (the tape is rewound, nothing changed)");
    const code = info?.densityCode ?? DensityCode.UNKNOWN;
    if (code >= DensityCode.LTO5 && code <= DensityCode.LTO8) {
      ctx.progress?.({ message: "FORMAT MEDIUM", activity: "formatting" });
      await this.guard("FORMAT MEDIUM", () => this.device.formatMedium(false));
      steps.push("format");
      if (!fast) {
        checkpoint(ctx.signal, "after FORMAT MEDIUM, before the long erase (the tape is formatted)");
        ctx.progress?.({ message: "long erase", activity: "erasing" });
        await this.guard("ERASE LONG", () => this.device.erase(true));
        steps.push("erase-long");
      }
    } else if (code >= DensityCode.LTO9 && !fast) {
      ctx.progress?.({ message: "FORMAT MEDIUM (immediate): media optimization", activity: "formatting" });
      await this.guard("FORMAT MEDIUM", () => this.device.formatMedium(true));
      steps.push("format-immed");
      await this.waitUntilReady(CALIBRATION_TIMEOUT_MS, ctx);
      steps.push("wait-ready");
      checkpoint(ctx.signal, "after media optimization, before the long erase (the tape is formatted)");
      ctx.progress?.({ message: "long erase", activity: "erasing" });
      await this.guard("ERASE LONG", () => this.device.erase(true));
      steps.push("erase-long");
    } else {
      // LTO-4 and older, unknown, or LTO-9+ fast: ERASE, which avoids re-initializing LTO-9 media.
      ctx.progress?.({ message: fast ? "fast erase" : "long erase", activity: "erasing" });
      await this.guard("ERASE", () => this.device.erase(!fast));
      steps.push(fast ? "erase-fast" : "erase-long");
    }
    try {
      await this.device.writeAttributes(FORMAT_CLEARED_ATTRIBUTES.map((id) => ({ id, value: null })));
      steps.push("clear-mam");
    } catch {
      // PBS: MAM failures only warn (§8.3).
    }
    return result();
  }

  async clearEncryptionKey(): Promise<void> {
    try {
      await this.device.encryptionCapabilities();
    } catch {
      return; // no SPIN capabilities: the drive lacks encryption, clearing is a no-op (§7.4)
    }
    await this.guard("clear encryption key", () => this.device.setEncryptionKey(null, 0));
  }

  /** Whether file 0 holds data (a filemark at BOT or a blank tape count as empty, §3.3). The tape is rewound. */
  async holdsData(): Promise<boolean> {
    await this.guard("REWIND", () => this.device.rewind());
    const r = await this.guard("READ", () => this.device.readBlock(TAPE_BLOCK_SIZE));
    await this.guard("REWIND", () => this.device.rewind());
    return r.kind === "data";
  }

  async readLabel(): Promise<TapeLabels> {
    await this.settle();
    await this.guard("REWIND", () => this.device.rewind());
    const first = await this.guard("READ", () => this.device.readBlock(TAPE_BLOCK_SIZE));
    if (first.kind !== "data") return { empty: true };
    await this.guard("REWIND", () => this.device.rewind());
    let labels;
    try {
      labels = await readLabels(this);
    } catch (err) {
      throw toDeviceError(err, "read label");
    }
    if (labels.kind === "blank") return { empty: true };
    return { empty: false, mediaLabel: labels.mediaLabel, ...(labels.mediaSetLabel ? { mediaSetLabel: labels.mediaSetLabel } : {}) };
  }

  async label(label: MediaLabel, options: { applicationVersion: string }, ctx: OperationContext = {}): Promise<LabelResult> {
    await this.settle();
    ctx.progress?.({ message: "rewinding and checking the tape is empty", activity: "rewinding" });
    if (await this.holdsData()) throw new DeviceError("MEDIUM_NOT_EMPTY", "media is not empty (format it first)");
    checkpoint(ctx.signal, "before labelling (nothing written)");
    ctx.progress?.({ message: "clearing the drive encryption key", activity: "clear-key" });
    await this.clearEncryptionKey();
    const formatted = await this.format(true, ctx);
    checkpoint(ctx.signal, "after the fast format, before writing the label (the tape is empty)");
    ctx.progress?.({ message: `writing media label ${label.labelText}`, activity: "writing-label" });
    try {
      await writeMediaLabel(this, label);
      await this.sync();
    } catch (err) {
      throw toDeviceError(err, "write media label");
    }
    ctx.progress?.({ message: "verifying the label", activity: "verifying" });
    const back = await this.readLabel();
    if (back.empty || back.mediaLabel.uuid !== label.uuid || back.mediaLabel.labelText !== label.labelText || back.mediaLabel.pool !== label.pool) {
      throw new DeviceError("LABEL_VERIFY_FAILED", `label verification failed: read back ${back.empty ? "an empty tape" : JSON.stringify(back.mediaLabel)}`);
    }
    await this.guard("REWIND", () => this.device.rewind());
    const warnings: string[] = [];
    if (formatted.worm) warnings.push("WORM medium: labelled without formatting");
    try {
      await this.device.writeAttributes([
        { id: MamAttribute.APPLICATION_VENDOR, value: MAM_APPLICATION_VENDOR },
        { id: MamAttribute.APPLICATION_NAME, value: MAM_APPLICATION_NAME },
        { id: MamAttribute.APPLICATION_VERSION, value: options.applicationVersion },
        { id: MamAttribute.USER_MEDIUM_TEXT_LABEL, value: label.labelText },
        ...(label.pool !== undefined ? [{ id: MamAttribute.MEDIA_POOL, value: label.pool }] : []),
      ]);
    } catch (err) {
      warnings.push(`writing MAM attributes failed: ${(err as Error).message}`);
    }
    ctx.progress?.({ percent: 100, message: `labelled ${label.labelText}`, activity: "done" });
    return { label: back.mediaLabel, warnings };
  }
}
