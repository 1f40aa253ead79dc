/**
 * A virtual LTO tape drive (SSC-4 target): load/unload state machine with timed NOT READY
 * phases (loading, LTO-9 media optimization, cleaning), sequential access on a
 * {@link CartridgeStore}, filemarks, early warning and overflow, WORM, write protect,
 * encryption, MAM, TapeAlert and log pages.
 */
import { TapeAlert } from "@tapefleet/scsi";
import { concat } from "./bytes.ts";
import type { ChangerDrive } from "./changer.ts";
import { CartridgeStore, KIND_FILEMARK, type TapeObject } from "./cartridge-store.ts";
import type { VtlClock } from "./clock.ts";
import { VirtualDevice } from "./device.ts";
import { MAX_BLOCK_LENGTH, modeSelect, modeSense } from "./drive-mode-pages.ts";
import {
  DecryptionMode,
  ENCRYPTION_OVERHEAD,
  EncryptionMode,
  NextBlockStatus,
  decryptBlock,
  encryptBlock,
  initialEncryptionState,
  securityProtocolIn,
  securityProtocolOut,
  type EncryptionState,
} from "./encryption.ts";
import { DRIVE_MODELS, MEDIA, type MediaType } from "./generations.ts";
import { inquiry, reportLuns } from "./inquiry.ts";
import {
  buildLogPage,
  CONTROL_LIST,
  fromParameterPointer,
  logSenseHeaderCheck,
  supportedPagesPage,
  supportedSubpagesPage,
  tapeAlertPage2E,
  tapeAlertResponse12,
  uintBE,
  type LogParameter,
} from "./log-pages.ts";
import { readAttribute, writeAttribute } from "./mam.ts";
import { Asc, Opcode, PeripheralType, SenseKey, type AscCode } from "./scsi-codes.ts";
import { buildFixedSense, CheckCondition, condition, invalidCdbField, invalidOpcode, type SenseCondition } from "./sense.ts";
import type { NormalizedDrive, NormalizedTiming } from "./spec.ts";
import type { CartridgeRecord, DriveContent } from "./state.ts";
import type { DeviceInfo } from "./wire.ts";

/** DT device activity codes (SSC-4 log page 0x11, VHF byte 2). */
export const DeviceActivity = {
  NO_ACTIVITY: 0x00,
  CLEANING: 0x01,
  LOADING: 0x02,
  UNLOADING: 0x03,
  READING: 0x05,
  WRITING: 0x06,
  LOCATING: 0x07,
  REWINDING: 0x08,
  ERASING: 0x09,
  FORMATTING: 0x0a,
  CALIBRATING: 0x0b,
  READING_ENCRYPTED: 0x0e,
  WRITING_ENCRYPTED: 0x0f,
} as const;

/** How long the last medium operation stays visible as the device activity (ms). */
const ACTIVITY_LINGER_MS = 1000;

export type MediumState = "loading" | "calibrating" | "cleaning" | "ready" | "held" | "ejected" | "incompatible";

export interface DriveHost {
  readonly clock: VtlClock;
  readonly timing: NormalizedTiming;
  openStore(barcode: string): Promise<CartridgeStore>;
  persist(): Promise<void>;
  /** True when a medium error is injected at this position for this operation. */
  mediumErrorAt(barcode: string, position: number, op: "read" | "write"): boolean;
}

interface Mounted {
  record: CartridgeRecord;
  store: CartridgeStore | null;
  source: number | null;
  state: MediumState;
  /** When the current timed state started / ends. */
  since: number;
  until: number;
  position: number;
  bytesWritten: number;
  bytesRead: number;
  datasetsWritten: number;
  datasetsRead: number;
}

const MB = 1_000_000;

export class VirtualTapeDrive extends VirtualDevice implements ChangerDrive {
  readonly info: DeviceInfo;
  readonly model: NormalizedDrive;
  private mounted: Mounted | null = null;
  private blockSize = 0;
  private compression = true;
  private bufferMode = 1;
  private preventRemoval = false;
  private tapeAlerts = 0n;
  private encryption: EncryptionState = initialEncryptionState();
  private lastActivity = { code: DeviceActivity.NO_ACTIVITY as number, at: 0 };

  constructor(
    private readonly host: DriveHost,
    id: string,
    model: NormalizedDrive,
  ) {
    super();
    this.model = model;
    this.info = { id, type: "tape", vendor: model.vendor, product: model.product, revision: model.revision, serial: model.serial };
    this.faults.throttleBytesPerSec = model.throttleBytesPerSec;
  }

  // ---- changer / library interface ----

  get content(): DriveContent | null {
    this.tick();
    const m = this.mounted;
    return m ? { barcode: m.record.barcode, source: m.source, ejected: this.ejected } : null;
  }

  get ejected(): boolean {
    this.tick();
    return this.mounted !== null && (this.mounted.state === "ejected" || this.mounted.state === "incompatible");
  }

  get cleaning(): boolean {
    this.tick();
    return this.mounted?.state === "cleaning";
  }

  /** The medium state, or null when the drive is empty. */
  get mediumState(): MediumState | null {
    this.tick();
    return this.mounted?.state ?? null;
  }

  /** Current logical object position (null without a threaded medium). */
  get position(): number | null {
    return this.mounted?.state === "ready" ? this.mounted.position : null;
  }

  get tapeAlertFlags(): bigint {
    return this.tapeAlerts;
  }

  raiseTapeAlert(flag: number): void {
    this.tapeAlerts |= 1n << BigInt(flag - 1);
  }

  /** Put a cartridge into the drive (changer MOVE MEDIUM or an operator); the drive starts loading. */
  async insertCartridge(record: CartridgeRecord, source: number | null, ejected = false): Promise<void> {
    if (this.mounted) throw new Error(`${this.id} already holds ${this.mounted.record.barcode}`);
    const store = record.kind === "cleaning" ? null : await this.host.openStore(record.barcode);
    const now = this.host.clock.now();
    this.mounted = {
      record,
      store,
      source,
      state: "ejected",
      since: now,
      until: now,
      position: 0,
      bytesWritten: 0,
      bytesRead: 0,
      datasetsWritten: 0,
      datasetsRead: 0,
    };
    if (!ejected) this.startLoad();
  }

  /** Take the cartridge out (unloading first if needed); returns its barcode. */
  async removeCartridge(): Promise<string> {
    const m = this.mounted;
    if (!m) throw new Error(`${this.id} is empty`);
    this.mounted = null;
    if (m.store) await m.store.close();
    if (this.encryption.ckod) this.clearKey();
    return m.record.barcode;
  }

  /** Close the cartridge image without syncing buffered records (power loss). */
  async powerLoss(): Promise<void> {
    const m = this.mounted;
    if (m?.store) await m.store.abandon();
    this.mounted = null;
  }

  /** Sync and close (library shutdown). */
  async shutdown(): Promise<void> {
    const m = this.mounted;
    if (m?.store) await m.store.close();
  }

  // ---- state machine ----

  private startLoad(): void {
    const m = this.mounted!;
    const now = this.host.clock.now();
    m.record.loadCount++;
    m.record.passes++;
    m.position = 0;
    m.bytesRead = m.bytesWritten = m.datasetsRead = m.datasetsWritten = 0;
    if (m.record.kind === "cleaning") {
      if (m.record.cleaningCyclesLeft <= 0) {
        this.raiseTapeAlert(TapeAlert.EXPIRED_CLEANING_MEDIA);
        this.setState("ejected", now, 0);
      } else {
        this.raiseTapeAlert(TapeAlert.CLEANING_MEDIA);
        this.setState("cleaning", now, this.host.timing.cleaningMs);
      }
      return;
    }
    if (!DRIVE_MODELS[this.model.generation].reads.includes(m.record.media)) {
      this.raiseTapeAlert(TapeAlert.UNSUPPORTED_FORMAT);
      this.setState("incompatible", now, 0);
      return;
    }
    this.setState("loading", now, this.host.timing.loadMs);
  }

  private setState(state: MediumState, now: number, durationMs: number): void {
    const m = this.mounted!;
    m.state = state;
    m.since = now;
    m.until = now + durationMs;
    this.tick();
  }

  private needsOptimization(m: Mounted): boolean {
    return m.record.needsOptimization && m.record.media === "L9" && this.model.generation >= 9;
  }

  /** Advance timed states (loading → calibrating → ready, cleaning → ejected). */
  private tick(): void {
    const m = this.mounted;
    if (!m) return;
    const now = this.host.clock.now();
    for (;;) {
      if (now < m.until) return;
      if (m.state === "loading") {
        if (this.needsOptimization(m)) {
          m.state = "calibrating";
          m.since = m.until;
          m.until = m.since + this.host.timing.calibrationMs;
          continue;
        }
        this.becomeReady(m);
        return;
      }
      if (m.state === "calibrating") {
        m.record.needsOptimization = false;
        this.becomeReady(m);
        this.persistSoon();
        return;
      }
      if (m.state === "cleaning") {
        m.record.cleaningCyclesLeft = Math.max(0, m.record.cleaningCyclesLeft - 1);
        this.tapeAlerts &= ~((1n << BigInt(TapeAlert.CLEAN_NOW - 1)) | (1n << BigInt(TapeAlert.CLEAN_PERIODIC - 1)));
        m.state = "ejected";
        m.since = m.until;
        this.persistSoon();
      }
      return;
    }
  }

  private becomeReady(m: Mounted): void {
    m.state = "ready";
    m.since = m.until;
    m.position = 0;
    this.raiseUnitAttention(Asc.NOT_READY_TO_READY_CHANGE);
  }

  private persistSoon(): void {
    this.host.persist().catch(() => undefined);
  }

  protected override beforeCommand(): void {
    this.tick();
  }

  /** The NOT READY condition of the drive, or undefined when ready. */
  private notReadyCondition(): SenseCondition | undefined {
    const m = this.mounted;
    if (!m) return { key: SenseKey.NOT_READY, code: Asc.MEDIUM_NOT_PRESENT };
    const now = this.host.clock.now();
    switch (m.state) {
      case "ready":
        return undefined;
      case "loading":
        return { key: SenseKey.NOT_READY, code: Asc.LOGICAL_UNIT_BECOMING_READY };
      case "calibrating": {
        const span = Math.max(1, m.until - m.since);
        return { key: SenseKey.NOT_READY, code: Asc.LOGICAL_UNIT_BECOMING_READY, progress: ((now - m.since) / span) * 65536 };
      }
      case "cleaning":
        return { key: SenseKey.NOT_READY, code: Asc.CLEANING_CARTRIDGE_INSTALLED };
      case "held":
        return { key: SenseKey.NOT_READY, code: Asc.LOGICAL_UNIT_NOT_READY_INITIALIZING_COMMAND_REQUIRED };
      case "incompatible":
        return { key: SenseKey.NOT_READY, code: Asc.INCOMPATIBLE_MEDIUM_INSTALLED };
      case "ejected":
        return { key: SenseKey.NOT_READY, code: Asc.MEDIUM_NOT_PRESENT };
    }
  }

  private ready(): Mounted & { store: CartridgeStore } {
    const c = this.notReadyCondition();
    if (c) throw new CheckCondition(c);
    return this.mounted as Mounted & { store: CartridgeStore };
  }

  private activity(code: number): void {
    this.lastActivity = { code, at: Date.now() };
  }

  private currentActivity(): number {
    const m = this.mounted;
    if (m) {
      if (m.state === "loading") return DeviceActivity.LOADING;
      if (m.state === "calibrating") return DeviceActivity.CALIBRATING;
      if (m.state === "cleaning") return DeviceActivity.CLEANING;
    }
    return Date.now() - this.lastActivity.at <= ACTIVITY_LINGER_MS ? this.lastActivity.code : DeviceActivity.NO_ACTIVITY;
  }

  private get writableMedia(): readonly MediaType[] {
    return DRIVE_MODELS[this.model.generation].writes;
  }

  private mediumWriteProtected(m: Mounted): boolean {
    return m.record.writeProtected || !this.writableMedia.includes(m.record.media);
  }

  private earlyWarningPoint(m: Mounted): number {
    return m.record.capacityBytes - m.record.earlyWarningBytes;
  }

  private pastEarlyWarning(m: Mounted & { store: CartridgeStore }): boolean {
    return m.store.usedBytes >= this.earlyWarningPoint(m);
  }

  private clearKey(): void {
    this.encryption = initialEncryptionState();
  }

  // ---- dispatch ----

  protected async dispatch(cdb: Uint8Array, dataOut: Uint8Array): Promise<Uint8Array | void> {
    const op = cdb[0]!;
    switch (op) {
      case Opcode.TEST_UNIT_READY:
        this.ready();
        return;
      case Opcode.INQUIRY:
        return inquiry(cdb, {
          peripheralType: PeripheralType.SEQUENTIAL_ACCESS,
          removable: true,
          ...this.info,
          extraVpd: new Map([[0xb0, Uint8Array.of(0x01, 0x00)]]), // SSC-4 8.4.2: WORM supported
        });
      case Opcode.REPORT_LUNS:
        return reportLuns(cdb);
      case Opcode.REQUEST_SENSE:
        return this.requestSense(cdb);
      case Opcode.READ_BLOCK_LIMITS:
        return this.readBlockLimits(cdb);
      case Opcode.MODE_SENSE_6:
      case Opcode.MODE_SENSE_10:
        return modeSense(cdb, this.modeState());
      case Opcode.MODE_SELECT_6:
      case Opcode.MODE_SELECT_10:
        return this.modeSelect(cdb, dataOut);
      case Opcode.READ_6:
        return this.read6(cdb);
      case Opcode.WRITE_6:
        return this.write6(cdb, dataOut);
      case Opcode.WRITE_FILEMARKS_6:
        return this.writeFilemarks(cdb);
      case Opcode.SPACE_6:
        return this.space6(cdb);
      case Opcode.SPACE_16:
        return this.space16(cdb);
      case Opcode.LOCATE_10:
        return this.locate10(cdb);
      case Opcode.LOCATE_16:
        return this.locate16(cdb);
      case Opcode.READ_POSITION:
        return this.readPosition(cdb);
      case Opcode.REWIND:
        return this.rewind(cdb);
      case Opcode.LOAD_UNLOAD:
        return this.loadUnload(cdb);
      case Opcode.ERASE_6:
        return this.erase(cdb);
      case Opcode.FORMAT_MEDIUM:
        return this.formatMedium(cdb);
      case Opcode.PREVENT_ALLOW_MEDIUM_REMOVAL:
        if (cdb.length < 6) throw invalidCdbField(0);
        this.preventRemoval = (cdb[4]! & 0x01) !== 0;
        return;
      case Opcode.LOG_SENSE:
        return this.logSense(cdb);
      case Opcode.LOG_SELECT:
        if (cdb.length < 10) throw invalidCdbField(0);
        if (cdb[1]! & 0x02) this.tapeAlerts = 0n; // PCR: reset parameters
        return;
      case Opcode.READ_ATTRIBUTE:
        return readAttribute(cdb, this.mamContext());
      case Opcode.WRITE_ATTRIBUTE: {
        const m = this.mamContext().record;
        writeAttribute(cdb, dataOut, m);
        await this.host.persist();
        return;
      }
      case Opcode.REPORT_DENSITY_SUPPORT:
        return this.reportDensitySupport(cdb);
      case Opcode.SECURITY_PROTOCOL_IN: {
        const wantsNext = cdb.length >= 4 && ((cdb[2]! << 8) | cdb[3]!) === 0x0021 && cdb[1] === 0x20;
        const next = wantsNext ? await this.nextBlockInfo() : { position: 0, status: NextBlockStatus.NOT_A_BLOCK };
        return securityProtocolIn(cdb, this.encryption, () => next);
      }
      case Opcode.SECURITY_PROTOCOL_OUT:
        securityProtocolOut(cdb, dataOut, this.encryption);
        return;
      case Opcode.RESERVE_6:
      case Opcode.RELEASE_6:
      case Opcode.RESERVE_10:
      case Opcode.RELEASE_10:
      case Opcode.SEND_DIAGNOSTIC:
        return;
      default:
        throw invalidOpcode();
    }
  }

  private requestSense(cdb: Uint8Array): Uint8Array {
    if (cdb.length < 6) throw invalidCdbField(0);
    if (cdb[1]! & 0x01) throw invalidCdbField(1, 0); // descriptor format sense not supported
    const ua = this.unitAttentions.shift();
    let c: SenseCondition;
    if (ua) c = { key: SenseKey.UNIT_ATTENTION, code: ua };
    else c = this.notReadyCondition() ?? { key: SenseKey.NO_SENSE, code: Asc.NO_ADDITIONAL_SENSE };
    return buildFixedSense(c).subarray(0, cdb[4]!);
  }

  private readBlockLimits(cdb: Uint8Array): Uint8Array {
    if (cdb.length < 6) throw invalidCdbField(0);
    if (cdb[1]! & 0x01) {
      // MLOI: maximum logical object identifier (SSC-4 7.5)
      const b = new Uint8Array(20);
      new DataView(b.buffer).setUint16(2, 0x10);
      b.set(uintBE(0xffffffffn, 8), 12);
      return b;
    }
    const b = new Uint8Array(6);
    b[1] = (MAX_BLOCK_LENGTH >> 16) & 0xff;
    b[2] = (MAX_BLOCK_LENGTH >> 8) & 0xff;
    b[3] = MAX_BLOCK_LENGTH & 0xff;
    b[5] = 0x01; // minimum block length 1
    return b;
  }

  private modeState() {
    const m = this.mounted;
    const loaded = m !== null && m.record.kind !== "cleaning";
    return {
      blockSize: this.blockSize,
      compression: this.compression,
      bufferMode: this.bufferMode,
      density: loaded ? MEDIA[m.record.media].density : 0,
      writeProtected: loaded ? this.mediumWriteProtected(m) : false,
      worm: loaded && m.record.kind === "worm",
      mediumType: loaded && m.record.kind === "worm" ? 0x01 : 0x00,
    };
  }

  private modeSelect(cdb: Uint8Array, data: Uint8Array): void {
    const c = modeSelect(cdb, data);
    if (c.blockSize !== undefined) this.blockSize = c.blockSize;
    if (c.compression !== undefined) this.compression = c.compression;
    if (c.bufferMode !== undefined) this.bufferMode = c.bufferMode;
  }

  // ---- READ / WRITE ----

  private transferLength(cdb: Uint8Array): number {
    return (cdb[2]! << 16) | (cdb[3]! << 8) | cdb[4]!;
  }

  private async readOne(m: Mounted & { store: CartridgeStore }, length: number, sili: boolean, fixed: boolean, remaining: number): Promise<Uint8Array> {
    const info = fixed ? remaining : length;
    if (m.position >= m.store.objectCount) {
      throw condition(SenseKey.BLANK_CHECK, Asc.END_OF_DATA_DETECTED, { information: info });
    }
    const o = await m.store.entry(m.position);
    if (o.kind === KIND_FILEMARK) {
      m.position++;
      throw condition(SenseKey.NO_SENSE, Asc.FILEMARK_DETECTED, { information: info, filemark: true });
    }
    if (this.host.mediumErrorAt(m.record.barcode, m.position, "read")) {
      m.position++;
      this.raiseTapeAlert(TapeAlert.READ_FAILURE);
      this.raiseTapeAlert(TapeAlert.MEDIA);
      throw condition(SenseKey.MEDIUM_ERROR, Asc.UNRECOVERED_READ_ERROR, { information: info });
    }
    const payload = await this.decode(m, o, info);
    m.position++;
    m.bytesRead += payload.length;
    m.datasetsRead++;
    m.record.bytesRead += payload.length;
    if (payload.length === length) return payload;
    // SILI suppresses only the underlength report; an overlength record is always reported
    // (ILI, negative residue) as LTO drives do, so the host knows the tail was lost
    if (sili && !fixed && payload.length < length) return payload;
    // incorrect length: ILI with the residue (negative for an overlength record)
    const data = payload.length > length ? payload.subarray(0, length) : payload;
    const residue = fixed ? remaining : length - payload.length;
    throw new CheckCondition({ key: SenseKey.NO_SENSE, code: Asc.NO_ADDITIONAL_SENSE, ili: true, information: residue }, data);
  }

  private async decode(m: Mounted & { store: CartridgeStore }, o: TapeObject, info: number): Promise<Uint8Array> {
    const stored = await m.store.readStored(o);
    const e = this.encryption;
    if (!o.encrypted) {
      if (e.decryptionMode === DecryptionMode.DECRYPT) {
        m.position++;
        throw condition(SenseKey.DATA_PROTECT, Asc.UNENCRYPTED_DATA_ENCOUNTERED_WHILE_DECRYPTING, { information: info });
      }
      return stored;
    }
    this.activity(DeviceActivity.READING_ENCRYPTED);
    const canDecrypt = e.key !== null && (e.decryptionMode === DecryptionMode.DECRYPT || e.decryptionMode === DecryptionMode.MIXED);
    if (!canDecrypt) {
      m.position++;
      throw condition(SenseKey.DATA_PROTECT, Asc.UNABLE_TO_DECRYPT_DATA, { information: info });
    }
    if (o.keyTag !== e.keyTag) {
      m.position++;
      throw condition(SenseKey.DATA_PROTECT, Asc.INCORRECT_DATA_ENCRYPTION_KEY, { information: info });
    }
    const plain = decryptBlock(e.key!, stored);
    if (!plain) {
      m.position++;
      throw condition(SenseKey.DATA_PROTECT, Asc.CRYPTOGRAPHIC_INTEGRITY_VALIDATION_FAILED, { information: info });
    }
    return plain;
  }

  private async read6(cdb: Uint8Array): Promise<Uint8Array> {
    if (cdb.length < 6) throw invalidCdbField(0);
    const fixed = (cdb[1]! & 0x01) !== 0;
    const sili = (cdb[1]! & 0x02) !== 0;
    if (fixed && sili) throw invalidCdbField(1, 1);
    if (fixed && this.blockSize === 0) throw invalidCdbField(1, 0);
    const m = this.ready();
    const count = this.transferLength(cdb);
    if (count === 0) return new Uint8Array(0);
    this.activity(DeviceActivity.READING);
    if (!fixed) {
      if (count > MAX_BLOCK_LENGTH) throw invalidCdbField(2);
      return this.readOne(m, count, sili, false, count);
    }
    const parts: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      try {
        // a copy: the next record may be read into the same window of the cartridge store
        parts.push((await this.readOne(m, this.blockSize, false, true, count - i)).slice());
      } catch (e) {
        if (e instanceof CheckCondition) {
          if (e.data) parts.push(e.data);
          throw new CheckCondition(e.condition, concat(parts));
        }
        throw e;
      }
    }
    return concat(parts);
  }

  private checkWritable(m: Mounted): void {
    if (this.mediumWriteProtected(m)) {
      this.raiseTapeAlert(TapeAlert.WRITE_PROTECT);
      throw condition(SenseKey.DATA_PROTECT, Asc.WRITE_PROTECTED);
    }
  }

  private checkWorm(m: Mounted & { store: CartridgeStore }): void {
    if (m.record.kind === "worm" && m.position < m.store.objectCount) {
      this.raiseTapeAlert(TapeAlert.WORM_OVERWRITE_ATTEMPTED);
      throw condition(SenseKey.DATA_PROTECT, Asc.WORM_MEDIUM_OVERWRITE_ATTEMPTED);
    }
  }

  private async writeRecord(m: Mounted & { store: CartridgeStore }, payload: Uint8Array, info: number): Promise<void> {
    if (this.host.mediumErrorAt(m.record.barcode, m.position, "write")) {
      this.raiseTapeAlert(TapeAlert.WRITE_FAILURE);
      this.raiseTapeAlert(TapeAlert.MEDIA);
      throw condition(SenseKey.MEDIUM_ERROR, Asc.WRITE_ERROR, { information: info });
    }
    await m.store.truncate(m.position);
    const encrypt = this.encryption.encryptionMode === EncryptionMode.ENCRYPT && this.encryption.key !== null;
    const stored = encrypt ? payload.length + ENCRYPTION_OVERHEAD : payload.length;
    if (m.store.usedBytes + stored > m.record.capacityBytes) {
      throw condition(SenseKey.VOLUME_OVERFLOW, Asc.END_OF_PARTITION_MEDIUM_DETECTED, { information: info, eom: true });
    }
    if (encrypt) {
      this.activity(DeviceActivity.WRITING_ENCRYPTED);
      await m.store.appendRecord(encryptBlock(this.encryption.key!, payload), payload.length, true, this.encryption.keyTag);
    } else {
      await m.store.appendRecord(payload, payload.length, false, 0);
    }
    m.position++;
    m.bytesWritten += payload.length;
    m.datasetsWritten++;
    m.record.bytesWritten += payload.length;
    if (m.record.formattedDensity === 0) m.record.formattedDensity = MEDIA[m.record.media].density;
  }

  private async write6(cdb: Uint8Array, data: Uint8Array): Promise<void> {
    if (cdb.length < 6) throw invalidCdbField(0);
    const fixed = (cdb[1]! & 0x01) !== 0;
    if (fixed && this.blockSize === 0) throw invalidCdbField(1, 0);
    const m = this.ready();
    const count = this.transferLength(cdb);
    if (count === 0) return;
    const bytes = fixed ? count * this.blockSize : count;
    if (!fixed && count > MAX_BLOCK_LENGTH) throw invalidCdbField(2);
    if (data.length < bytes) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
    this.checkWritable(m);
    this.checkWorm(m);
    this.activity(DeviceActivity.WRITING);
    if (!fixed) {
      await this.writeRecord(m, data.subarray(0, bytes), count);
    } else {
      for (let i = 0; i < count; i++) {
        await this.writeRecord(m, data.subarray(i * this.blockSize, (i + 1) * this.blockSize), count - i);
      }
    }
    if (this.pastEarlyWarning(m)) {
      throw condition(SenseKey.NO_SENSE, Asc.END_OF_PARTITION_MEDIUM_DETECTED, { information: 0, eom: true });
    }
  }

  /**
   * A sync point (WRITE FILEMARKS IMMED=0): the cartridge's records made durable and the
   * library state written, side by side (the state holds counters and MAM, not the records,
   * so neither has to wait for the other).
   */
  private async syncPoint(m: Mounted & { store: CartridgeStore }): Promise<void> {
    const [store, state] = await Promise.allSettled([m.store.sync(), this.host.persist()]);
    if (store.status === "rejected") throw store.reason;
    if (state.status === "rejected") throw state.reason;
  }

  private async writeFilemarks(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 6) throw invalidCdbField(0);
    if (cdb[1]! & 0x02) throw invalidCdbField(1, 1); // WSMK: setmarks are not supported
    const immed = (cdb[1]! & 0x01) !== 0;
    const m = this.ready();
    const count = this.transferLength(cdb);
    if (count === 0) {
      // WRITE FILEMARKS 0 IMMED=0 is the host's sync; with IMMED=1 it asks for nothing
      if (!immed) await this.syncPoint(m);
      return;
    }
    this.checkWritable(m);
    this.checkWorm(m);
    this.activity(DeviceActivity.WRITING);
    await m.store.truncate(m.position);
    for (let i = 0; i < count; i++) {
      m.store.appendFilemark();
      m.position++;
    }
    // IMMED=0 flushes the drive buffer to the medium (a sync point); with IMMED=1 the
    // filemarks stay buffered like the records before them (SSC-4, WRITE FILEMARKS(6))
    if (!immed) await this.syncPoint(m);
    if (this.pastEarlyWarning(m)) {
      throw condition(SenseKey.NO_SENSE, Asc.END_OF_PARTITION_MEDIUM_DETECTED, { information: 0, eom: true });
    }
  }

  // ---- positioning ----

  private space6(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 6) throw invalidCdbField(0);
    const code = cdb[1]! & 0x0f;
    let count = (cdb[2]! << 16) | (cdb[3]! << 8) | cdb[4]!;
    if (count & 0x800000) count -= 0x1000000;
    return this.space(code, count);
  }

  private space16(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 16) throw invalidCdbField(0);
    const v = new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength);
    const count = Number(v.getBigInt64(4));
    if (v.getUint16(12) !== 0) throw invalidCdbField(12);
    return this.space(cdb[1]! & 0x0f, count);
  }

  private async space(code: number, count: number): Promise<void> {
    if (code !== 0 && code !== 1 && code !== 3) throw invalidCdbField(1, 0);
    const m = this.ready();
    const s = m.store;
    this.activity(DeviceActivity.LOCATING);
    await s.flush();
    const end = s.objectCount;
    if (code === 3) {
      m.position = end;
      return;
    }
    if (count === 0) return;
    if (code === 0) {
      if (count > 0) {
        const fm = s.filemarkPosition(s.firstFilemarkAtOrAfter(m.position));
        const target = m.position + count;
        if (fm !== undefined && fm < target) {
          const spaced = fm - m.position;
          m.position = fm + 1;
          throw condition(SenseKey.NO_SENSE, Asc.FILEMARK_DETECTED, { information: count - spaced, filemark: true });
        }
        if (target > end) {
          const spaced = end - m.position;
          m.position = end;
          throw condition(SenseKey.BLANK_CHECK, Asc.END_OF_DATA_DETECTED, { information: count - spaced });
        }
        m.position = target;
      } else {
        const n = -count;
        const fi = s.firstFilemarkAtOrAfter(m.position) - 1;
        const fm = fi >= 0 ? s.filemarkPosition(fi) : undefined;
        if (fm !== undefined && fm >= m.position - n) {
          const spaced = m.position - fm - 1;
          m.position = fm;
          throw condition(SenseKey.NO_SENSE, Asc.FILEMARK_DETECTED, { information: -(n - spaced), filemark: true });
        }
        if (m.position - n < 0) {
          const spaced = m.position;
          m.position = 0;
          throw condition(SenseKey.NO_SENSE, Asc.BEGINNING_OF_PARTITION_MEDIUM_DETECTED, { information: -(n - spaced), eom: true });
        }
        m.position -= n;
      }
      return;
    }
    // filemarks
    if (count > 0) {
      const first = s.firstFilemarkAtOrAfter(m.position);
      const fm = s.filemarkPosition(first + count - 1);
      if (fm === undefined) {
        const spaced = s.filemarkCount - first;
        m.position = end;
        throw condition(SenseKey.BLANK_CHECK, Asc.END_OF_DATA_DETECTED, { information: count - spaced });
      }
      m.position = fm + 1;
    } else {
      const n = -count;
      const before = s.firstFilemarkAtOrAfter(m.position);
      if (before - n < 0) {
        m.position = 0;
        throw condition(SenseKey.NO_SENSE, Asc.BEGINNING_OF_PARTITION_MEDIUM_DETECTED, { information: -(n - before), eom: true });
      }
      m.position = s.filemarkPosition(before - n)!;
    }
  }

  private async locateTo(m: Mounted & { store: CartridgeStore }, destType: number, id: number): Promise<void> {
    const s = m.store;
    this.activity(DeviceActivity.LOCATING);
    await s.flush();
    const end = s.objectCount;
    if (destType === 0) {
      if (id > end) {
        m.position = end;
        throw condition(SenseKey.BLANK_CHECK, Asc.END_OF_DATA_DETECTED);
      }
      m.position = id;
    } else if (destType === 1) {
      // logical file identifier: BOP side of the filemark that ends file `id`
      const fm = s.filemarkPosition(id);
      if (fm === undefined) {
        m.position = end;
        throw condition(SenseKey.BLANK_CHECK, Asc.END_OF_DATA_DETECTED);
      }
      m.position = fm;
    } else {
      m.position = end;
    }
  }

  private async locate10(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 10) throw invalidCdbField(0);
    const cp = (cdb[1]! & 0x02) !== 0;
    if (cp && cdb[8] !== 0) throw invalidCdbField(8);
    const m = this.ready();
    await this.locateTo(m, 0, new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength).getUint32(3));
  }

  private async locate16(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 16) throw invalidCdbField(0);
    const destType = (cdb[1]! >> 3) & 0x07;
    const cp = (cdb[1]! & 0x02) !== 0;
    if (destType === 2 || destType > 3) throw invalidCdbField(1, 3);
    if (cp && cdb[3] !== 0) throw invalidCdbField(3);
    const m = this.ready();
    const id = Number(new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength).getBigUint64(4));
    await this.locateTo(m, destType, id);
  }

  private async readPosition(cdb: Uint8Array): Promise<Uint8Array> {
    if (cdb.length < 10) throw invalidCdbField(0);
    const sa = cdb[1]! & 0x1f;
    const m = this.ready();
    await m.store.flush();
    const pos = m.position;
    const bop = pos === 0;
    // EOP: the position lies between the early-warning point and the end of the partition
    const offset = pos >= m.store.objectCount ? m.store.usedBytes : (await m.store.entry(pos)).dataOffset;
    const eop = offset >= this.earlyWarningPoint(m);
    const alloc = (cdb[7]! << 8) | cdb[8]!;
    switch (sa) {
      case 0x00:
      case 0x01: {
        const b = new Uint8Array(20);
        const v = new DataView(b.buffer);
        b[0] = (bop ? 0x80 : 0) | (eop ? 0x40 : 0) | (pos > 0xffffffff ? 0x04 : 0);
        v.setUint32(4, pos >>> 0);
        v.setUint32(8, pos >>> 0);
        return b;
      }
      case 0x06: {
        const b = new Uint8Array(32);
        const v = new DataView(b.buffer);
        b[0] = (bop ? 0x80 : 0) | (eop ? 0x40 : 0);
        v.setBigUint64(8, BigInt(pos));
        v.setBigUint64(16, BigInt(m.store.fileNumberAt(pos)));
        return b;
      }
      case 0x08: {
        const b = new Uint8Array(32);
        const v = new DataView(b.buffer);
        b[0] = (bop ? 0x80 : 0) | (eop ? 0x40 : 0);
        v.setUint16(2, 0x1c);
        v.setBigUint64(8, BigInt(pos));
        v.setBigUint64(16, BigInt(pos));
        return alloc === 0 ? b : b.subarray(0, alloc);
      }
      default:
        throw invalidCdbField(1, 4);
    }
  }

  private async rewind(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 6) throw invalidCdbField(0);
    const m = this.ready();
    this.activity(DeviceActivity.REWINDING);
    await m.store.sync();
    m.position = 0;
  }

  private async loadUnload(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 6) throw invalidCdbField(0);
    const immed = (cdb[1]! & 0x01) !== 0;
    const load = (cdb[4]! & 0x01) !== 0;
    const reten = (cdb[4]! & 0x02) !== 0;
    const eot = (cdb[4]! & 0x04) !== 0;
    const hold = (cdb[4]! & 0x08) !== 0;
    if (load && eot) throw invalidCdbField(4, 2);
    this.tick();
    const m = this.mounted;
    if (!m) throw condition(SenseKey.NOT_READY, Asc.MEDIUM_NOT_PRESENT);
    if (m.state === "cleaning") throw condition(SenseKey.NOT_READY, Asc.CLEANING_CARTRIDGE_INSTALLED);
    const now = this.host.clock.now();
    if (load) {
      if (m.state === "incompatible") throw condition(SenseKey.NOT_READY, Asc.INCOMPATIBLE_MEDIUM_INSTALLED);
      if (hold) {
        if (m.state === "ready" && m.store) await m.store.sync();
        this.setState("held", now, 0);
        return;
      }
      if (m.state === "ejected" || m.state === "held") {
        if (m.state === "ejected") {
          this.startLoad();
        } else {
          this.setState("loading", now, this.host.timing.loadMs);
        }
      } else if (m.state === "ready") {
        if (m.store) await m.store.sync();
        m.position = 0;
        if (reten) m.record.passes++;
      }
      if (!immed) await this.waitReady();
      return;
    }
    // unload
    if (this.preventRemoval && !hold) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.MEDIUM_REMOVAL_PREVENTED);
    if (m.state === "ejected" || m.state === "incompatible") return;
    this.activity(DeviceActivity.UNLOADING);
    if (m.store) await m.store.sync();
    m.position = 0;
    m.record.passes++;
    this.setState(hold ? "held" : "ejected", now, 0);
    if (this.encryption.ckod && !hold) this.clearKey();
    await this.host.persist();
  }

  /** Wait (on the library clock) until the current timed state ends. */
  private async waitReady(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const m = this.mounted;
      if (!m || (m.state !== "loading" && m.state !== "calibrating")) break;
      const left = m.until - this.host.clock.now();
      if (left > 0) await this.host.clock.sleep(left);
      this.tick();
    }
    this.ready();
    // the host waited for the load itself: the not-ready-to-ready change is not reported
    this.unitAttentions = this.unitAttentions.filter((c: AscCode) => c !== Asc.NOT_READY_TO_READY_CHANGE);
  }

  private async erase(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 6) throw invalidCdbField(0);
    const m = this.ready();
    this.checkWritable(m);
    this.checkWorm(m);
    this.activity(DeviceActivity.ERASING);
    await m.store.truncate(m.position);
    await m.store.sync();
    await this.host.persist();
  }

  private async formatMedium(cdb: Uint8Array): Promise<void> {
    if (cdb.length < 6) throw invalidCdbField(0);
    const immed = (cdb[1]! & 0x01) !== 0;
    if (cdb[2]! & 0x0f) throw invalidCdbField(2, 0); // only the default format
    if (((cdb[3]! << 8) | cdb[4]!) !== 0) throw invalidCdbField(3);
    const m = this.ready();
    this.checkWritable(m);
    if (m.record.kind === "worm") {
      if (m.store.objectCount > 0) {
        this.raiseTapeAlert(TapeAlert.WORM_OVERWRITE_ATTEMPTED);
        throw condition(SenseKey.DATA_PROTECT, Asc.WORM_MEDIUM_OVERWRITE_ATTEMPTED);
      }
      return;
    }
    this.activity(DeviceActivity.FORMATTING);
    await m.store.truncate(0);
    await m.store.sync();
    m.position = 0;
    m.record.formattedDensity = 0;
    if (m.record.media === "L9" && this.model.generation >= 9) {
      // LTO-9: formatting starts a new media optimization
      m.record.needsOptimization = true;
      m.state = "calibrating";
      m.since = this.host.clock.now();
      m.until = m.since + this.host.timing.calibrationMs;
      this.tick();
      if (!immed) await this.waitReady();
    }
    await this.host.persist();
  }

  // ---- log pages ----

  private logSense(cdb: Uint8Array): Uint8Array {
    const { page, alloc, pointer } = logSenseHeaderCheck(cdb);
    const supported = [0x00, 0x02, 0x03, 0x0c, 0x11, 0x12, 0x17, 0x2e];
    let out: Uint8Array;
    switch (page) {
      case 0x00:
        out = supportedPagesPage(supported);
        break;
      case 0x100:
        out = supportedSubpagesPage(supported);
        break;
      case 0x02:
      case 0x03: {
        const m = this.mounted;
        const total = page === 0x02 ? (m?.bytesWritten ?? 0) : (m?.bytesRead ?? 0);
        const params: LogParameter[] = [0, 1, 2, 3, 4, 6].map((code) => ({ code, value: uintBE(0, 4) }));
        params.splice(5, 0, { code: 0x0005, value: uintBE(total, 8) });
        out = buildLogPage(page, params);
        break;
      }
      case 0x0c: {
        const m = this.mounted;
        out = buildLogPage(0x0c, [
          { code: 0x0000, value: uintBE(m?.bytesWritten ?? 0, 8) },
          { code: 0x0001, value: uintBE(m?.bytesWritten ?? 0, 8) },
          { code: 0x0002, value: uintBE(m?.bytesRead ?? 0, 8) },
          { code: 0x0003, value: uintBE(m?.bytesRead ?? 0, 8) },
          { code: 0x0100, value: uintBE((this.tapeAlerts >> BigInt(TapeAlert.CLEAN_NOW - 1)) & 1n ? 1 : 0, 8) },
        ]);
        break;
      }
      case 0x11:
        out = buildLogPage(0x11, [{ code: 0x0000, control: CONTROL_LIST, value: this.deviceStatusVhf() }]);
        break;
      case 0x12:
        out = buildLogPage(0x12, tapeAlertResponse12(this.tapeAlerts));
        break;
      case 0x17:
        out = buildLogPage(0x17, this.volumeStatistics());
        break;
      case 0x2e:
        out = buildLogPage(0x2e, tapeAlertPage2E(this.tapeAlerts));
        this.tapeAlerts = 0n; // reading page 0x2E clears the flags (SSC-4 8.2.3)
        break;
      default:
        throw invalidCdbField(2);
    }
    if (page !== 0x00 && page !== 0x100) out = fromParameterPointer(out, pointer);
    return out.subarray(0, alloc);
  }

  /** DT device status, very high frequency data (SSC-4 8.2.2.2). */
  private deviceStatusVhf(): Uint8Array {
    this.tick();
    const m = this.mounted;
    const b = new Uint8Array(4);
    const cleanRequested = ((this.tapeAlerts >> BigInt(TapeAlert.CLEAN_NOW - 1)) & 1n) !== 0n;
    b[0] = 0x01; // DINIT
    if (m) b[0] |= 0x20; // MACC
    if (this.compression) b[0] |= 0x10; // CMPR
    if (m && m.record.kind !== "cleaning" && this.mediumWriteProtected(m)) b[0] |= 0x08; // WRTP
    if (cleanRequested) b[0] |= 0x04; // CRQST
    let b1 = 0;
    if (m) {
      b1 |= 0x10 | 0x04; // MPRSNT, MSTD
      if (m.state === "ready") b1 |= 0x02 | 0x01; // MTHRD, MOUNTED
      if (m.state === "ejected" || m.state === "incompatible") b1 |= 0x20; // RAA
    } else {
      b1 |= 0x20; // RAA
    }
    b[1] = b1;
    b[2] = this.currentActivity();
    b[3] = this.encryption.encryptionMode || this.encryption.decryptionMode ? 0x10 : 0; // EPP
    return b;
  }

  /** Volume statistics (SSC-4 8.2.5, log page 0x17). */
  private volumeStatistics(): LogParameter[] {
    const m = this.mounted;
    if (!m || m.record.kind === "cleaning") throw condition(SenseKey.NOT_READY, Asc.MEDIUM_NOT_PRESENT);
    const r = m.record;
    const used = m.store?.usedBytes ?? 0;
    const serial = new Uint8Array(32).fill(0x20);
    for (let i = 0; i < Math.min(32, r.serial.length); i++) serial[i] = r.serial.charCodeAt(i);
    return [
      { code: 0x0000, value: uintBE(1, 1) },
      { code: 0x0001, value: uintBE(r.loadCount, 4) },
      { code: 0x0002, value: uintBE(m.datasetsWritten, 8) },
      { code: 0x0003, value: uintBE(0, 4) },
      { code: 0x0004, value: uintBE(0, 4) },
      { code: 0x0007, value: uintBE(m.datasetsRead, 8) },
      { code: 0x0008, value: uintBE(0, 4) },
      { code: 0x0009, value: uintBE(0, 4) },
      { code: 0x000c, value: uintBE(0, 4) },
      { code: 0x000d, value: uintBE(0, 4) },
      { code: 0x000e, value: uintBE(Math.floor(m.bytesWritten / MB), 8) },
      { code: 0x000f, value: uintBE(Math.floor(m.bytesRead / MB), 8) },
      { code: 0x0010, value: uintBE(Math.floor(r.bytesWritten / MB), 8) },
      { code: 0x0011, value: uintBE(Math.floor(r.bytesRead / MB), 8) },
      { code: 0x0016, value: uintBE(Math.floor(r.capacityBytes / MB), 8) },
      { code: 0x0017, value: uintBE(Math.floor(used / MB), 8) },
      { code: 0x0040, control: CONTROL_LIST, value: serial },
      { code: 0x0080, value: uintBE(this.mediumWriteProtected(m) ? 1 : 0, 1) },
      { code: 0x0081, value: uintBE(r.kind === "worm" ? 1 : 0, 1) },
      { code: 0x0101, value: uintBE(r.passes, 8) },
      { code: 0x0102, value: uintBE(r.passes, 8) },
    ];
  }

  // ---- MAM, density, encryption ----

  private mamContext() {
    this.tick();
    const m = this.mounted;
    if (!m) throw condition(SenseKey.NOT_READY, Asc.MEDIUM_NOT_PRESENT);
    return {
      record: m.record,
      usedBytes: m.store?.usedBytes ?? 0,
      tapeAlertFlags: this.tapeAlerts,
      driveVendor: this.model.vendor,
      driveSerial: this.model.serial,
      mountBytesWritten: m.bytesWritten,
      mountBytesRead: m.bytesRead,
    };
  }

  private reportDensitySupport(cdb: Uint8Array): Uint8Array {
    if (cdb.length < 10) throw invalidCdbField(0);
    const mediaOnly = (cdb[1]! & 0x01) !== 0;
    if (cdb[1]! & 0x02) throw invalidCdbField(1, 1); // MEDIUM TYPE reports are not supported
    const alloc = (cdb[7]! << 8) | cdb[8]!;
    const model = DRIVE_MODELS[this.model.generation];
    let list: MediaType[] = [...model.reads];
    if (mediaOnly) {
      const m = this.mounted;
      if (!m || m.record.kind === "cleaning") throw condition(SenseKey.NOT_READY, Asc.MEDIUM_NOT_PRESENT);
      list = list.filter((t) => t === m.record.media);
    }
    const descs = list.map((t) => {
      const info = MEDIA[t];
      const d = new Uint8Array(52);
      const v = new DataView(d.buffer);
      d[0] = info.density;
      d[1] = info.density;
      const writable = model.writes.includes(t);
      d[2] = (writable ? 0x80 : 0) | (t === model.writes[model.writes.length - 1] ? 0x20 : 0) | 0x01; // WRTOK, DEFLT, DLV
      v.setUint16(3, 52 - 3); // DESCRIPTOR LENGTH (valid: DLV)
      d[5] = (info.bitsPerMm >> 16) & 0xff;
      d[6] = (info.bitsPerMm >> 8) & 0xff;
      d[7] = info.bitsPerMm & 0xff;
      v.setUint16(8, 127); // media width: 12.7 mm in tenths
      v.setUint16(10, info.tracks);
      v.setUint32(12, Math.floor(info.nativeCapacityBytes / MB));
      d.set(ascii("LTO-CVE", 8), 16);
      d.set(ascii(info.name.replace(/ /g, ""), 8), 24);
      d.set(ascii(`${info.name} ${info.density.toString(16).toUpperCase()}h`, 20), 32);
      return d;
    });
    const body = concat(descs);
    const out = new Uint8Array(4 + body.length);
    new DataView(out.buffer).setUint16(0, out.length - 2);
    out.set(body, 4);
    return out.subarray(0, alloc);
  }

  private async nextBlockInfo(): Promise<{ position: number; status: number }> {
    const m = this.ready();
    const pos = m.position;
    if (pos >= m.store.objectCount) return { position: pos, status: NextBlockStatus.NOT_A_BLOCK };
    const o = await m.store.entry(pos);
    if (o.kind === KIND_FILEMARK) return { position: pos, status: NextBlockStatus.NOT_A_BLOCK };
    if (!o.encrypted) return { position: pos, status: NextBlockStatus.NOT_ENCRYPTED };
    const known = this.encryption.key !== null && this.encryption.keyTag === o.keyTag;
    return { position: pos, status: known ? NextBlockStatus.ENCRYPTED_KEY_CORRECT : NextBlockStatus.ENCRYPTED_KEY_UNAVAILABLE };
  }
}

function ascii(s: string, len: number): Uint8Array {
  const out = new Uint8Array(len).fill(0x20);
  for (let i = 0; i < Math.min(len, s.length); i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}
