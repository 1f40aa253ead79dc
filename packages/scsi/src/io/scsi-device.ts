/**
 * Thin I/O glue: one method per command. Each builds the CDB, executes it over a
 * {@link ScsiTransport} with the PBS timeout (§7.1), and decodes the data or maps the
 * sense to a typed result or error. Drive and changer logic (retries, LOCATE offset
 * calibration, waiting for ready) belongs to the caller.
 *
 * @see PBS reference §7.1 (timeouts), §7.2/§7.3 (commands), §7.4 (sense handling)
 */
import { Asc, isAsc } from "../constants/sense.ts";
import { IllegalRequestError, ScsiDecodeError, ScsiError, ScsiSenseError, TransportError } from "../errors.ts";
import { type ScsiCommand, type ScsiResult, ScsiStatus, type ScsiTransport } from "../transport.ts";
import {
  type MamAttributeValue,
  type MamWrite,
  buildReadAttributeCdb,
  buildWriteAttributeCdb,
  decodeAttributeList,
  decodeAttributeValues,
  encodeWriteAttributes,
} from "../spc/attribute.ts";
import { type StandardInquiry, VpdPage, buildInquiryCdb, decodeInquiry, decodeVpdUnitSerial } from "../spc/inquiry.ts";
import {
  type DeviceStatusLog,
  LogPage,
  type LogPageData,
  type TapeAlertActive,
  type VolumeStatistics,
  buildLogSenseCdb,
  decodeDeviceStatusLog,
  decodeLogPage,
  decodeTapeAlertResponse,
  decodeVolumeStatistics,
} from "../spc/log.ts";
import {
  type ElementAddressAssignmentPage,
  ModePage,
  type ModeParameterInput,
  type ModeParameters,
  buildModeSelect10Cdb,
  buildModeSelect6Cdb,
  buildModeSense10Cdb,
  buildModeSense6Cdb,
  decodeElementAddressAssignmentPage,
  decodeModeSense10,
  decodeModeSense6,
  encodeModeParameters10,
  encodeModeParameters6,
  findModePage,
} from "../spc/mode.ts";
import {
  type DecodedSense,
  type SenseClassification,
  type SenseContext,
  buildRequestSenseCdb,
  buildTestUnitReadyCdb,
  classifySense,
  decodeSense,
  senseToError,
} from "../spc/sense-data.ts";
import {
  type ChangerStatus,
  type ElementDescriptor,
  type ElementKind,
  READ_ELEMENT_STATUS_BATCH,
  buildChangerStatus,
  buildInitializeElementStatusCdb,
  buildInitializeElementStatusWithRangeCdb,
  buildMoveMediumCdb,
  buildReadElementStatusCdb,
  decodeReadElementStatus,
} from "../smc/element-status.ts";
import {
  EncryptionPage,
  type EncryptionCapabilities,
  type EncryptionStatus,
  buildSecurityProtocolInCdb,
  buildSecurityProtocolOutCdb,
  decodeEncryptionCapabilities,
  decodeEncryptionStatus,
  encodeSetDataEncryption,
} from "../ssc/encryption.ts";
import { type LongPosition, type SpaceKind, buildLocate16Cdb, buildReadPositionCdb, buildRewindCdb, buildSpaceCdb, decodeReadPositionLong } from "../ssc/position.ts";
import {
  type BlockLimits,
  type DensityDescriptor,
  buildEraseCdb,
  buildFormatMediumCdb,
  buildLoadUnloadCdb,
  buildPreventAllowMediumRemovalCdb,
  buildRead6Cdb,
  buildReadBlockLimitsCdb,
  buildReportDensitySupportCdb,
  buildWrite6Cdb,
  buildWriteFilemarksCdb,
  decodeReadBlockLimits,
  decodeReportDensitySupport,
} from "../ssc/tape-commands.ts";

/** Command timeouts in milliseconds (PBS reference §7.1). */
export const Timeouts = {
  /** READ, WRITE, SPACE, LOCATE, REWIND, LOAD/UNLOAD, ERASE, FORMAT, WRITE FILEMARKS, MODE SELECT, PREVENT/ALLOW. */
  TAPE_DEFAULT: 600_000,
  /** TEST UNIT READY, INQUIRY, REQUEST SENSE, READ POSITION. */
  SHORT: 30_000,
  /** LOG SENSE page 0x11 (DT device status). */
  DEVICE_STATUS: 1_000,
  /** MODE SENSE, LOG SENSE 0x12/0x17, READ/WRITE ATTRIBUTE, SECURITY PROTOCOL IN/OUT, REPORT DENSITY SUPPORT. */
  QUERY: 60_000,
  /** Changer READ ELEMENT STATUS, MODE SENSE 0x1D, MOVE MEDIUM. */
  CHANGER: 300_000,
  /** INITIALIZE ELEMENT STATUS. */
  INITIALIZE_ELEMENT_STATUS: 1_800_000,
} as const;

export type TimeoutName = keyof typeof Timeouts;

/** Linux `driver_status` values that mean success (DRIVER_OK, DRIVER_SENSE). */
const DRIVER_STATUS_MASK = 0x0f;
const DRIVER_SENSE = 0x08;

export type ReadBlockResult = { kind: "data"; data: Uint8Array } | { kind: "filemark" } | { kind: "end-of-data" };
export type SpaceResult = { kind: "done" } | { kind: "filemark"; residual?: number } | { kind: "end-of-data"; residual?: number } | { kind: "early-warning" };

interface Exec {
  cdb: Uint8Array;
  name: string;
  timeout: TimeoutName;
  context?: SenseContext;
  dataOut?: Uint8Array;
  dataInLength?: number;
  dataIn?: Uint8Array;
}

interface ExecOutcome {
  result: ScsiResult;
  /** Present when the command ended with CHECK CONDITION classified as a non-error. */
  condition?: Exclude<SenseClassification, { kind: "error" }>;
}

export interface ScsiDeviceOptions {
  /** Override individual timeouts (milliseconds). */
  timeouts?: Partial<Record<TimeoutName, number>>;
}

export class ScsiDevice {
  readonly transport: ScsiTransport;
  private readonly timeouts: Record<TimeoutName, number>;

  constructor(transport: ScsiTransport, options: ScsiDeviceOptions = {}) {
    this.transport = transport;
    this.timeouts = { ...Timeouts, ...options.timeouts };
  }

  /** Executes one command; CHECK CONDITION is classified for `context` (default "other"). */
  private async exec(x: Exec): Promise<ExecOutcome> {
    const command: ScsiCommand = {
      cdb: x.cdb,
      direction: x.dataOut ? "out" : x.dataInLength !== undefined ? "in" : "none",
      timeoutMs: this.timeouts[x.timeout],
    };
    if (x.dataOut) command.dataOut = x.dataOut;
    if (x.dataInLength !== undefined) command.dataInLength = x.dataInLength;
    if (x.dataIn !== undefined) command.dataIn = x.dataIn;
    let result: ScsiResult;
    try {
      result = await this.transport.execute(command);
    } catch (e) {
      if (e instanceof ScsiError) throw e;
      throw new TransportError(`${x.name}: transport failed: ${e instanceof Error ? e.message : String(e)}`, { status: 0, hostStatus: 0, driverStatus: 0 }, { cause: e });
    }
    const fields = { status: result.status, hostStatus: result.hostStatus, driverStatus: result.driverStatus };
    if (result.status === ScsiStatus.CHECK_CONDITION) {
      if (result.sense.length === 0) throw new TransportError(`${x.name}: CHECK CONDITION without sense data`, fields);
      const c = classifySense(result.sense, x.context ?? "other");
      if (c.kind === "error") {
        if (c.error instanceof ScsiSenseError || c.error instanceof ScsiDecodeError) throw withContext(c.error, x.name);
        throw c.error;
      }
      if (c.kind === "recovered") return { result };
      return { result, condition: c };
    }
    if (result.hostStatus !== 0) throw new TransportError(`${x.name}: host status 0x${result.hostStatus.toString(16)}`, fields);
    const drv = result.driverStatus & DRIVER_STATUS_MASK;
    if (drv !== 0 && drv !== DRIVER_SENSE) throw new TransportError(`${x.name}: driver status 0x${result.driverStatus.toString(16)}`, fields);
    if (result.status !== ScsiStatus.GOOD && result.status !== ScsiStatus.CONDITION_MET) {
      throw new TransportError(`${x.name}: SCSI status 0x${result.status.toString(16)}`, fields);
    }
    return { result };
  }

  /** Runs a command that has no special conditions: any non-error sense is ignored. */
  private async run(x: Exec): Promise<Uint8Array> {
    return (await this.exec(x)).result.data;
  }

  async inquiry(): Promise<StandardInquiry> {
    return decodeInquiry(await this.run({ cdb: buildInquiryCdb(), name: "INQUIRY", timeout: "SHORT", dataInLength: 36 }));
  }

  async vpdSerial(): Promise<string> {
    return decodeVpdUnitSerial(
      await this.run({ cdb: buildInquiryCdb({ page: VpdPage.UNIT_SERIAL_NUMBER, allocationLength: 255 }), name: "INQUIRY VPD 0x80", timeout: "SHORT", dataInLength: 255 }),
    );
  }

  /** Resolves when ready; throws NotReadyError / UnitAttentionError / … otherwise. */
  async testUnitReady(): Promise<void> {
    await this.run({ cdb: buildTestUnitReadyCdb(), name: "TEST UNIT READY", timeout: "SHORT" });
  }

  /** REQUEST SENSE (fixed format, 252 bytes); clears deferred errors and unit attentions. */
  async requestSense(): Promise<DecodedSense> {
    return decodeSense(await this.run({ cdb: buildRequestSenseCdb(), name: "REQUEST SENSE", timeout: "SHORT", dataInLength: 252 }));
  }

  async readPosition(): Promise<LongPosition> {
    return decodeReadPositionLong(await this.run({ cdb: buildReadPositionCdb({ form: "long" }), name: "READ POSITION", timeout: "SHORT", dataInLength: 32 }));
  }

  /** LOCATE(16) to a logical file identifier (the drive stops on the BOT side of that filemark). */
  async locateFile(fileId: number): Promise<void> {
    await this.run({ cdb: buildLocate16Cdb({ target: "file", value: fileId }), name: "LOCATE(16) file", timeout: "TAPE_DEFAULT" });
  }

  /** LOCATE(16) to a logical object (block) number. */
  async locateBlock(block: number): Promise<void> {
    await this.run({ cdb: buildLocate16Cdb({ target: "block", value: block }), name: "LOCATE(16) block", timeout: "TAPE_DEFAULT" });
  }

  /** SPACE(6) or SPACE(16); a filemark met while spacing blocks, or EOD, is a result. */
  async space(kind: SpaceKind, count: number): Promise<SpaceResult> {
    const { condition } = await this.exec({ cdb: buildSpaceCdb({ kind, count }), name: "SPACE", timeout: "TAPE_DEFAULT", context: "space" });
    if (!condition) return { kind: "done" };
    switch (condition.kind) {
      case "filemark":
        return condition.information !== undefined ? { kind: "filemark", residual: condition.information } : { kind: "filemark" };
      case "end-of-data":
        return condition.information !== undefined ? { kind: "end-of-data", residual: condition.information } : { kind: "end-of-data" };
      default:
        return { kind: "done" };
    }
  }

  async rewind(): Promise<void> {
    await this.run({ cdb: buildRewindCdb(), name: "REWIND", timeout: "TAPE_DEFAULT" });
  }

  /**
   * READ(6), variable-block mode with SILI=1. A shorter block returns its bytes; a block
   * longer than `maxLength` is an error (its tail would be lost). With `into` (at least
   * `maxLength` bytes) the block is received there where the transport can: the result
   * is then a view of `into`.
   */
  async readBlock(maxLength: number, into?: Uint8Array): Promise<ReadBlockResult> {
    const { result, condition } = await this.exec({
      cdb: buildRead6Cdb({ length: maxLength, sili: true }),
      name: "READ(6)",
      timeout: "TAPE_DEFAULT",
      context: "read",
      dataInLength: maxLength,
      ...(into !== undefined && into.length >= maxLength ? { dataIn: into } : {}),
    });
    if (!condition) return { kind: "data", data: result.data };
    switch (condition.kind) {
      case "filemark":
        return { kind: "filemark" };
      case "end-of-data":
        return { kind: "end-of-data" };
      case "ili":
        if (condition.residual < 0) {
          const s = decodeSense(result.sense);
          throw withContext(senseToError(s), `READ(6): block is ${-condition.residual} bytes longer than the ${maxLength}-byte buffer`);
        }
        return { kind: "data", data: result.data.subarray(0, Math.max(0, maxLength - condition.residual)) };
      default:
        return { kind: "data", data: result.data };
    }
  }

  /** WRITE(6) of one variable-length block. `earlyWarning`: the medium is nearly full (the data was written). */
  async writeBlock(data: Uint8Array): Promise<{ earlyWarning: boolean }> {
    const { condition } = await this.exec({ cdb: buildWrite6Cdb({ length: data.length }), name: "WRITE(6)", timeout: "TAPE_DEFAULT", context: "write", dataOut: data });
    return { earlyWarning: condition?.kind === "early-warning" };
  }

  /** WRITE FILEMARKS(6). Count 0 without immed flushes the buffer. */
  async writeFilemarks(count: number, immed: boolean): Promise<{ earlyWarning: boolean }> {
    const { condition } = await this.exec({ cdb: buildWriteFilemarksCdb({ count, immed }), name: "WRITE FILEMARKS(6)", timeout: "TAPE_DEFAULT", context: "write-filemarks" });
    return { earlyWarning: condition?.kind === "early-warning" };
  }

  async load(): Promise<void> {
    await this.run({ cdb: buildLoadUnloadCdb({ action: "load" }), name: "LOAD", timeout: "TAPE_DEFAULT" });
  }

  async unload(): Promise<void> {
    await this.run({ cdb: buildLoadUnloadCdb({ action: "unload" }), name: "UNLOAD", timeout: "TAPE_DEFAULT" });
  }

  /** ERASE(6): `long` erases the whole tape; otherwise only EOD is written at the position. */
  async erase(long: boolean): Promise<void> {
    await this.run({ cdb: buildEraseCdb({ long }), name: "ERASE(6)", timeout: "TAPE_DEFAULT" });
  }

  async formatMedium(immed: boolean): Promise<void> {
    await this.run({ cdb: buildFormatMediumCdb({ immed }), name: "FORMAT MEDIUM", timeout: "TAPE_DEFAULT" });
  }

  async preventMediumRemoval(prevent: boolean): Promise<void> {
    await this.run({ cdb: buildPreventAllowMediumRemovalCdb({ prevent }), name: "PREVENT ALLOW MEDIUM REMOVAL", timeout: "TAPE_DEFAULT" });
  }

  async readBlockLimits(): Promise<BlockLimits> {
    return decodeReadBlockLimits(await this.run({ cdb: buildReadBlockLimitsCdb(), name: "READ BLOCK LIMITS", timeout: "SHORT", dataInLength: 6 }));
  }

  async reportDensitySupport(media = false): Promise<DensityDescriptor[]> {
    return decodeReportDensitySupport(
      await this.run({ cdb: buildReportDensitySupportCdb({ media, allocationLength: 8192 }), name: "REPORT DENSITY SUPPORT", timeout: "QUERY", dataInLength: 8192 }),
    );
  }

  /**
   * MODE SENSE: (10) first, falling back to (6) on ILLEGAL REQUEST / invalid command
   * operation code (§7.4). Block descriptors are requested.
   */
  async modeSense(page: number, options: { subpage?: number; disableBlockDescriptors?: boolean } = {}): Promise<ModeParameters> {
    const params = { page, subpage: options.subpage ?? 0, disableBlockDescriptors: options.disableBlockDescriptors ?? false };
    try {
      return decodeModeSense10(await this.run({ cdb: buildModeSense10Cdb({ ...params, allocationLength: 4096 }), name: "MODE SENSE(10)", timeout: "QUERY", dataInLength: 4096 }));
    } catch (e) {
      if (!(e instanceof IllegalRequestError && isAsc(e.asc, e.ascq, Asc.INVALID_COMMAND_OPERATION_CODE))) throw e;
    }
    return decodeModeSense6(await this.run({ cdb: buildModeSense6Cdb({ ...params, allocationLength: 0xff }), name: "MODE SENSE(6)", timeout: "QUERY", dataInLength: 0xff }));
  }

  /** MODE SELECT with PF=1: (10) first, (6) on invalid command operation code. */
  async modeSelect(params: ModeParameterInput): Promise<void> {
    const data10 = encodeModeParameters10(params);
    try {
      await this.run({ cdb: buildModeSelect10Cdb({ parameterListLength: data10.length }), name: "MODE SELECT(10)", timeout: "TAPE_DEFAULT", dataOut: data10 });
      return;
    } catch (e) {
      if (!(e instanceof IllegalRequestError && isAsc(e.asc, e.ascq, Asc.INVALID_COMMAND_OPERATION_CODE))) throw e;
    }
    const data6 = encodeModeParameters6(params);
    await this.run({ cdb: buildModeSelect6Cdb({ parameterListLength: data6.length }), name: "MODE SELECT(6)", timeout: "TAPE_DEFAULT", dataOut: data6 });
  }

  /** LOG SENSE (cumulative values), generic page structure. */
  async logSense(page: number, subpage = 0): Promise<LogPageData> {
    const timeout: TimeoutName = page === LogPage.DT_DEVICE_STATUS ? "DEVICE_STATUS" : "QUERY";
    return decodeLogPage(await this.logSenseRaw(page, subpage, timeout));
  }

  private async logSenseRaw(page: number, subpage: number, timeout: TimeoutName, allocationLength = 8192): Promise<Uint8Array> {
    return this.run({ cdb: buildLogSenseCdb({ page, subpage, allocationLength }), name: `LOG SENSE 0x${page.toString(16)}`, timeout, dataInLength: allocationLength });
  }

  /** TapeAlert flags from page 0x12 (does not clear them, unlike 0x2E). */
  async tapeAlertFlags(): Promise<TapeAlertActive[]> {
    return decodeTapeAlertResponse(await this.logSenseRaw(LogPage.TAPEALERT_RESPONSE, 0, "QUERY", 512)).flags;
  }

  async volumeStatistics(): Promise<VolumeStatistics> {
    return decodeVolumeStatistics(await this.logSenseRaw(LogPage.VOLUME_STATISTICS, 0, "QUERY"));
  }

  async deviceStatus(): Promise<DeviceStatusLog> {
    return decodeDeviceStatusLog(await this.logSenseRaw(LogPage.DT_DEVICE_STATUS, 0, "DEVICE_STATUS"));
  }

  /** READ ATTRIBUTE, all attribute values of partition 0. */
  async readAttributes(): Promise<MamAttributeValue[]> {
    return decodeAttributeValues(await this.run({ cdb: buildReadAttributeCdb({ allocationLength: 32768 }), name: "READ ATTRIBUTE", timeout: "QUERY", dataInLength: 32768 }));
  }

  /** READ ATTRIBUTE, service action "attribute list": identifiers present. */
  async readAttributeList(): Promise<number[]> {
    return decodeAttributeList(
      await this.run({ cdb: buildReadAttributeCdb({ serviceAction: "list", allocationLength: 32768 }), name: "READ ATTRIBUTE list", timeout: "QUERY", dataInLength: 32768 }),
    );
  }

  /** WRITE ATTRIBUTE (WTC=1). */
  async writeAttributes(list: readonly MamWrite[]): Promise<void> {
    const data = encodeWriteAttributes(list);
    await this.run({ cdb: buildWriteAttributeCdb({ parameterListLength: data.length }), name: "WRITE ATTRIBUTE", timeout: "QUERY", dataOut: data });
  }

  async securityProtocolIn(page: number, protocol?: number, allocationLength = 8196): Promise<Uint8Array> {
    return this.run({
      cdb: buildSecurityProtocolInCdb({ page, allocationLength, ...(protocol !== undefined ? { protocol } : {}) }),
      name: `SECURITY PROTOCOL IN 0x${page.toString(16)}`,
      timeout: "QUERY",
      dataInLength: allocationLength,
    });
  }

  async securityProtocolOut(page: number, data: Uint8Array, protocol?: number): Promise<void> {
    await this.run({
      cdb: buildSecurityProtocolOutCdb({ page, transferLength: data.length, ...(protocol !== undefined ? { protocol } : {}) }),
      name: `SECURITY PROTOCOL OUT 0x${page.toString(16)}`,
      timeout: "QUERY",
      dataOut: data,
    });
  }

  async encryptionCapabilities(): Promise<EncryptionCapabilities> {
    return decodeEncryptionCapabilities(await this.securityProtocolIn(EncryptionPage.CAPABILITIES));
  }

  async encryptionStatus(): Promise<EncryptionStatus> {
    return decodeEncryptionStatus(await this.securityProtocolIn(EncryptionPage.STATUS));
  }

  /** Sets (encrypt + mixed decrypt, as PBS) or clears (key null) the drive's data key. */
  async setEncryptionKey(key: Uint8Array | null, algorithmIndex: number): Promise<void> {
    const page = key
      ? encodeSetDataEncryption({ scope: 2, encryptionMode: 2, decryptionMode: 3, algorithmIndex, keyFormat: 0, key })
      : encodeSetDataEncryption({ scope: 2, encryptionMode: 0, decryptionMode: 0, algorithmIndex });
    await this.securityProtocolOut(EncryptionPage.SET_DATA_ENCRYPTION, page);
  }

  /** Changer: MODE SENSE(6) page 0x1D with DBD (`1A 08 1D 00 FF 00`). */
  async elementAddressAssignment(): Promise<ElementAddressAssignmentPage> {
    const data = await this.run({
      cdb: buildModeSense6Cdb({ page: ModePage.ELEMENT_ADDRESS_ASSIGNMENT, disableBlockDescriptors: true, allocationLength: 0xff }),
      name: "MODE SENSE(6) 0x1D",
      timeout: "CHANGER",
      dataInLength: 0xff,
    });
    const m = decodeModeSense6(data);
    const page = findModePage(m, ModePage.ELEMENT_ADDRESS_ASSIGNMENT);
    if (!page) throw new ScsiDecodeError("MODE SENSE(6) data", 4, "element address assignment page 0x1D is missing");
    return decodeElementAddressAssignmentPage(page.bytes);
  }

  /** One READ ELEMENT STATUS query for a type, repeated from the last address + 1 while full batches come back. */
  async readElements(type: ElementKind, options: { volumeTags?: boolean; deviceIds?: boolean } = {}): Promise<ElementDescriptor[]> {
    const out: ElementDescriptor[] = [];
    let start = 0;
    for (;;) {
      const data = await this.run({
        cdb: buildReadElementStatusCdb({ type, startAddress: start, count: READ_ELEMENT_STATUS_BATCH, volumeTags: options.volumeTags ?? true, deviceIds: options.deviceIds ?? false, allocationLength: 0xffff }),
        name: `READ ELEMENT STATUS ${type}`,
        timeout: "CHANGER",
        dataInLength: 0xffff,
      });
      const report = decodeReadElementStatus(data);
      const elements = report.pages.flatMap((p) => p.elements);
      out.push(...elements);
      const last = elements[elements.length - 1];
      if (report.truncated && !last) {
        throw new ScsiDecodeError("READ ELEMENT STATUS data", data.length, `report of ${report.byteCount + 8} bytes does not fit the allocation length with even one element`);
      }
      // A full batch, or a report cut by the allocation length: continue after the last element.
      if ((elements.length < READ_ELEMENT_STATUS_BATCH && !report.truncated) || !last || last.address >= 0xffff) return out;
      start = last.address + 1;
    }
  }

  /**
   * The full changer status as PBS reads it: storage, import/export, data transfer, data
   * transfer again with DVCID=1 and VOLTAG=0 (failure ignored), transport.
   */
  async readElementStatus(options: { exportSlots?: readonly number[] } = {}): Promise<ChangerStatus> {
    const elements: ElementDescriptor[] = [];
    elements.push(...(await this.readElements("storage")));
    elements.push(...(await this.readElements("import-export")));
    elements.push(...(await this.readElements("data-transfer")));
    try {
      elements.push(...(await this.readElements("data-transfer", { volumeTags: false, deviceIds: true })));
    } catch (e) {
      if (!(e instanceof ScsiError)) throw e;
    }
    elements.push(...(await this.readElements("transport")));
    return buildChangerStatus(elements, options.exportSlots ? { exportSlots: options.exportSlots } : {});
  }

  /** MOVE MEDIUM between element addresses, with the given transport element (0 when the changer reports none). */
  async moveMedium(source: number, destination: number, transport = 0): Promise<void> {
    await this.run({ cdb: buildMoveMediumCdb({ transport, source, destination }), name: "MOVE MEDIUM", timeout: "CHANGER" });
  }

  async initializeElementStatus(): Promise<void> {
    await this.run({ cdb: buildInitializeElementStatusCdb(), name: "INITIALIZE ELEMENT STATUS", timeout: "INITIALIZE_ELEMENT_STATUS" });
  }

  async initializeElementStatusWithRange(startAddress: number, count: number): Promise<void> {
    await this.run({ cdb: buildInitializeElementStatusWithRangeCdb({ startAddress, count }), name: "INITIALIZE ELEMENT STATUS WITH RANGE", timeout: "INITIALIZE_ELEMENT_STATUS" });
  }
}

/** Prefixes an error message with the command name, keeping its class and fields. */
function withContext<E extends ScsiError>(e: E, name: string): E {
  if (!e.message.startsWith(name)) {
    Object.defineProperty(e, "message", { value: `${name}: ${e.message}`, configurable: true, writable: true });
  }
  return e;
}
