/**
 * MODE SENSE / MODE SELECT (6) and (10): header (write protect, buffer mode, speed),
 * block descriptors (density, block count, block length) and the pages used with tape
 * drives and changers.
 *
 * @see SPC-4 6.11–6.14 (MODE SELECT/SENSE), 7.5.4–7.5.6 (mode parameter header, block descriptor),
 *      SSC-4 8.3.2 (device-specific parameter), 8.3.3 (data compression page 0x0F),
 *      8.3.4 (device configuration page 0x10), 8.3.5 (medium partition page 0x11),
 *      8.3.7 (medium configuration page 0x1D), SMC-3 7.3.3 (element address assignment page 0x1D);
 *      PBS reference §7.2, §7.3
 */
import { ByteReader, checkRange, putU16, putU24, putU32 } from "../bytes.ts";
import { Opcode } from "../constants/opcodes.ts";
import { ScsiArgumentError } from "../errors.ts";

export const ModePage = {
  DATA_COMPRESSION: 0x0f,
  DEVICE_CONFIGURATION: 0x10,
  MEDIUM_PARTITION: 0x11,
  /** Tape: medium configuration (WORM). Changer: element address assignment. */
  MEDIUM_CONFIGURATION: 0x1d,
  ELEMENT_ADDRESS_ASSIGNMENT: 0x1d,
  ALL_PAGES: 0x3f,
} as const;

export type PageControl = "current" | "changeable" | "default" | "saved";
const PC: Record<PageControl, number> = { current: 0, changeable: 1, default: 2, saved: 3 };

export interface ModeSenseParams {
  page: number;
  subpage?: number;
  pageControl?: PageControl;
  /** Disable block descriptors (DBD). */
  disableBlockDescriptors?: boolean;
  allocationLength?: number;
}

/** MODE SENSE(6): `1A DBD PC|PAGE SUBPAGE ALLOC 00`; PBS uses allocation 0xFF. */
export function buildModeSense6Cdb(p: ModeSenseParams): Uint8Array {
  const page = checkRange("page", p.page, 0, 0x3f);
  return Uint8Array.of(
    Opcode.MODE_SENSE_6,
    p.disableBlockDescriptors ? 0x08 : 0,
    (PC[p.pageControl ?? "current"] << 6) | page,
    checkRange("subpage", p.subpage ?? 0, 0, 0xff),
    checkRange("allocationLength", p.allocationLength ?? 0xff, 0, 0xff),
    0,
  );
}

/** MODE SENSE(10); PBS uses allocation 4096 and DBD=0. */
export function buildModeSense10Cdb(p: ModeSenseParams): Uint8Array {
  const cdb = new Uint8Array(10);
  cdb[0] = Opcode.MODE_SENSE_10;
  cdb[1] = p.disableBlockDescriptors ? 0x08 : 0;
  cdb[2] = (PC[p.pageControl ?? "current"] << 6) | checkRange("page", p.page, 0, 0x3f);
  cdb[3] = checkRange("subpage", p.subpage ?? 0, 0, 0xff);
  putU16(cdb, 7, checkRange("allocationLength", p.allocationLength ?? 4096, 0, 0xffff));
  return cdb;
}

export interface ModeSelectParams {
  parameterListLength: number;
  /** PF: pages follow the SPC page format (PBS sets it). Default true. */
  pageFormat?: boolean;
  /** SP: save pages. Default false. */
  savePages?: boolean;
}

/** MODE SELECT(6): `15 PF|SP 00 00 LEN 00`. */
export function buildModeSelect6Cdb(p: ModeSelectParams): Uint8Array {
  return Uint8Array.of(
    Opcode.MODE_SELECT_6,
    ((p.pageFormat ?? true) ? 0x10 : 0) | (p.savePages ? 0x01 : 0),
    0,
    0,
    checkRange("parameterListLength", p.parameterListLength, 0, 0xff),
    0,
  );
}

/** MODE SELECT(10): `55 PF|SP 00 00 00 00 00 LEN_H LEN_L 00`. */
export function buildModeSelect10Cdb(p: ModeSelectParams): Uint8Array {
  const cdb = new Uint8Array(10);
  cdb[0] = Opcode.MODE_SELECT_10;
  cdb[1] = ((p.pageFormat ?? true) ? 0x10 : 0) | (p.savePages ? 0x01 : 0);
  putU16(cdb, 7, checkRange("parameterListLength", p.parameterListLength, 0, 0xffff));
  return cdb;
}

/** Block descriptor of a sequential-access device (SSC-4 8.3.3 / SPC-4 7.5.5). */
export interface BlockDescriptor {
  densityCode: number;
  /** NUMBER OF BLOCKS (24-bit; 0 = all remaining). */
  blockCount: number;
  /** BLOCK LENGTH (24-bit; 0 = variable-block mode). */
  blockLength: number;
}

/** One mode page as found in the response. */
export interface RawModePage {
  code: number;
  /** Subpage code (0 for page_0 format pages). */
  subpage: number;
  /** PS: the page can be saved. */
  savable: boolean;
  /** The whole page including its 2- or 4-byte header. */
  bytes: Uint8Array;
}

export interface ModeParameters {
  format: "6" | "10";
  /** MODE DATA LENGTH as sent by the device. */
  modeDataLength: number;
  mediumType: number;
  /** DEVICE-SPECIFIC PARAMETER byte. */
  deviceSpecific: number;
  /** Tape: WP, bit 7 of the device-specific parameter. */
  writeProtect: boolean;
  /** Tape: BUFFERED MODE, bits 6..4 (1 = buffered). */
  bufferMode: number;
  /** Tape: SPEED, bits 3..0. */
  speed: number;
  blockDescriptors: BlockDescriptor[];
  pages: RawModePage[];
}

function decodeBlockDescriptors(r: ByteReader, off: number, len: number): BlockDescriptor[] {
  if (len % 8 !== 0) r.fail(off, `BLOCK DESCRIPTOR LENGTH ${len} is not a multiple of 8`);
  const out: BlockDescriptor[] = [];
  for (let o = off; o < off + len; o += 8) {
    out.push({
      densityCode: r.u8(o, "DENSITY CODE"),
      blockCount: r.u24(o + 1, "NUMBER OF BLOCKS"),
      blockLength: r.u24(o + 5, "BLOCK LENGTH"),
    });
  }
  return out;
}

function decodePages(r: ByteReader, off: number, end: number): RawModePage[] {
  const out: RawModePage[] = [];
  while (off < end) {
    if (off + 2 > end) r.fail(off, "mode page header needs 2 bytes");
    const b0 = r.u8(off, "PAGE CODE");
    const spf = (b0 & 0x40) !== 0;
    let len: number;
    let hdr: number;
    let subpage = 0;
    if (spf) {
      if (off + 4 > end) r.fail(off, "sub-page format header needs 4 bytes");
      subpage = r.u8(off + 1, "SUBPAGE CODE");
      len = r.u16(off + 2, "PAGE LENGTH");
      hdr = 4;
    } else {
      len = r.u8(off + 1, "PAGE LENGTH");
      hdr = 2;
    }
    if (off + hdr + len > end) r.fail(off, `mode page 0x${(b0 & 0x3f).toString(16)} of ${len} bytes runs past the mode data`);
    out.push({ code: b0 & 0x3f, subpage, savable: (b0 & 0x80) !== 0, bytes: r.slice(off, hdr + len, "mode page") });
    off += hdr + len;
  }
  return out;
}

function deviceSpecificFields(ds: number): Pick<ModeParameters, "writeProtect" | "bufferMode" | "speed"> {
  return { writeProtect: (ds & 0x80) !== 0, bufferMode: (ds >> 4) & 0x07, speed: ds & 0x0f };
}

/**
 * Decodes MODE SENSE(6) data. Bytes beyond MODE DATA LENGTH + 1 are ignored (a quirk of
 * some drives, §7.2); data cut short by the allocation length decodes as far as it goes,
 * but a block descriptor or page that runs past the end is an error.
 */
export function decodeModeSense6(bytes: Uint8Array): ModeParameters {
  const r = new ByteReader(bytes, "MODE SENSE(6) data");
  if (r.length < 4) r.fail(r.length, `mode parameter header(6) needs 4 bytes, got ${r.length}`);
  const mdl = r.u8(0, "MODE DATA LENGTH");
  const end = Math.min(r.length, mdl + 1);
  if (end < 4) r.fail(0, `MODE DATA LENGTH ${mdl} is shorter than the header`);
  const ds = r.u8(2, "DEVICE-SPECIFIC PARAMETER");
  const bdl = r.u8(3, "BLOCK DESCRIPTOR LENGTH");
  if (4 + bdl > end) r.fail(3, `BLOCK DESCRIPTOR LENGTH ${bdl} runs past the mode data (${end} bytes)`);
  return {
    format: "6",
    modeDataLength: mdl,
    mediumType: r.u8(1, "MEDIUM TYPE"),
    deviceSpecific: ds,
    ...deviceSpecificFields(ds),
    blockDescriptors: decodeBlockDescriptors(r, 4, bdl),
    pages: decodePages(r, 4 + bdl, end),
  };
}

/** Decodes MODE SENSE(10) data (same tolerance as {@link decodeModeSense6}). */
export function decodeModeSense10(bytes: Uint8Array): ModeParameters {
  const r = new ByteReader(bytes, "MODE SENSE(10) data");
  if (r.length < 8) r.fail(r.length, `mode parameter header(10) needs 8 bytes, got ${r.length}`);
  const mdl = r.u16(0, "MODE DATA LENGTH");
  const end = Math.min(r.length, mdl + 2);
  if (end < 8) r.fail(0, `MODE DATA LENGTH ${mdl} is shorter than the header`);
  const ds = r.u8(3, "DEVICE-SPECIFIC PARAMETER");
  const longLba = (r.u8(4, "LONGLBA") & 0x01) !== 0;
  const bdl = r.u16(6, "BLOCK DESCRIPTOR LENGTH");
  if (8 + bdl > end) r.fail(6, `BLOCK DESCRIPTOR LENGTH ${bdl} runs past the mode data (${end} bytes)`);
  if (longLba) r.fail(4, "LONGLBA block descriptors are not used by sequential-access devices");
  return {
    format: "10",
    modeDataLength: mdl,
    mediumType: r.u8(2, "MEDIUM TYPE"),
    deviceSpecific: ds,
    ...deviceSpecificFields(ds),
    blockDescriptors: decodeBlockDescriptors(r, 8, bdl),
    pages: decodePages(r, 8 + bdl, end),
  };
}

/** The first page with `code` (and `subpage`), or undefined. */
export function findModePage(params: ModeParameters, code: number, subpage = 0): RawModePage | undefined {
  return params.pages.find((p) => p.code === code && p.subpage === subpage);
}

export interface ModeParameterInput {
  mediumType?: number;
  /** Tape: WP (only meaningful in MODE SENSE data; ignored by MODE SELECT). */
  writeProtect?: boolean;
  bufferMode?: number;
  speed?: number;
  blockDescriptors?: BlockDescriptor[];
  /** Encoded pages (see the page encoders below). */
  pages?: Uint8Array[];
}

function encodeDeviceSpecific(p: ModeParameterInput): number {
  return (
    (p.writeProtect ? 0x80 : 0) |
    (checkRange("bufferMode", p.bufferMode ?? 0, 0, 7) << 4) |
    checkRange("speed", p.speed ?? 0, 0, 15)
  );
}

function encodeBlockDescriptors(list: BlockDescriptor[]): Uint8Array {
  const out = new Uint8Array(list.length * 8);
  list.forEach((d, i) => {
    out[i * 8] = checkRange("densityCode", d.densityCode, 0, 0xff);
    putU24(out, i * 8 + 1, checkRange("blockCount", d.blockCount, 0, 0xffffff));
    putU24(out, i * 8 + 5, checkRange("blockLength", d.blockLength, 0, 0xffffff));
  });
  return out;
}

/**
 * Encodes mode parameters with a 6-byte-command header. For MODE SELECT (`forSelect`, the
 * default) the MODE DATA LENGTH is 0 as SPC-4 requires; for MODE SENSE data it is computed.
 */
export function encodeModeParameters6(p: ModeParameterInput, options: { forSelect?: boolean } = {}): Uint8Array {
  const bd = encodeBlockDescriptors(p.blockDescriptors ?? []);
  const pages = p.pages ?? [];
  const total = 4 + bd.length + pages.reduce((n, pg) => n + pg.length, 0);
  if (total > 0xff + (options.forSelect === false ? 1 : 0)) throw new ScsiArgumentError("pages", `mode data of ${total} bytes does not fit a 6-byte command`);
  if (bd.length > 0xff) throw new ScsiArgumentError("blockDescriptors", "too many block descriptors");
  const out = new Uint8Array(total);
  out[0] = options.forSelect === false ? total - 1 : 0;
  out[1] = checkRange("mediumType", p.mediumType ?? 0, 0, 0xff);
  out[2] = encodeDeviceSpecific(p);
  out[3] = bd.length;
  out.set(bd, 4);
  let off = 4 + bd.length;
  for (const pg of pages) {
    out.set(pg, off);
    off += pg.length;
  }
  return out;
}

/** Encodes mode parameters with a 10-byte-command header (see {@link encodeModeParameters6}). */
export function encodeModeParameters10(p: ModeParameterInput, options: { forSelect?: boolean } = {}): Uint8Array {
  const bd = encodeBlockDescriptors(p.blockDescriptors ?? []);
  const pages = p.pages ?? [];
  const total = 8 + bd.length + pages.reduce((n, pg) => n + pg.length, 0);
  if (total > 0xffff + (options.forSelect === false ? 2 : 0)) throw new ScsiArgumentError("pages", `mode data of ${total} bytes does not fit a 10-byte command`);
  const out = new Uint8Array(total);
  putU16(out, 0, options.forSelect === false ? total - 2 : 0);
  out[2] = checkRange("mediumType", p.mediumType ?? 0, 0, 0xff);
  out[3] = encodeDeviceSpecific(p);
  putU16(out, 6, bd.length);
  out.set(bd, 8);
  let off = 8 + bd.length;
  for (const pg of pages) {
    out.set(pg, off);
    off += pg.length;
  }
  return out;
}

function pageReader(bytes: Uint8Array, structure: string, code: number, minLength: number): ByteReader {
  const r = new ByteReader(bytes, structure);
  const c = r.u8(0, "PAGE CODE") & 0x3f;
  if (c !== code) r.fail(0, `PAGE CODE is 0x${c.toString(16)}, expected 0x${code.toString(16)}`);
  const len = r.u8(1, "PAGE LENGTH");
  if (len + 2 < minLength) r.fail(1, `PAGE LENGTH ${len} is shorter than ${minLength - 2}`);
  if (r.length < minLength) r.fail(r.length, `needs ${minLength} bytes, got ${r.length}`);
  return r;
}

/** Data compression page 0x0F (SSC-4 8.3.3): 16 bytes, page length 0x0E. */
export interface DataCompressionPage {
  /** DCE: compress data written. */
  dataCompressionEnabled: boolean;
  /** DCC: the drive can compress. */
  dataCompressionCapable: boolean;
  /** DDE: decompress data read. */
  dataDecompressionEnabled: boolean;
  /** RED: report exception on decompression. */
  reportExceptionOnDecompression: number;
  compressionAlgorithm: number;
  decompressionAlgorithm: number;
}

export function decodeDataCompressionPage(bytes: Uint8Array): DataCompressionPage {
  const r = pageReader(bytes, "data compression mode page (0x0F)", ModePage.DATA_COMPRESSION, 16);
  const b2 = r.u8(2, "DCE/DCC");
  const b3 = r.u8(3, "DDE/RED");
  return {
    dataCompressionEnabled: (b2 & 0x80) !== 0,
    dataCompressionCapable: (b2 & 0x40) !== 0,
    dataDecompressionEnabled: (b3 & 0x80) !== 0,
    reportExceptionOnDecompression: (b3 >> 5) & 0x03,
    compressionAlgorithm: r.u32(4, "COMPRESSION ALGORITHM"),
    decompressionAlgorithm: r.u32(8, "DECOMPRESSION ALGORITHM"),
  };
}

export function encodeDataCompressionPage(p: DataCompressionPage): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = ModePage.DATA_COMPRESSION;
  out[1] = 0x0e;
  out[2] = (p.dataCompressionEnabled ? 0x80 : 0) | (p.dataCompressionCapable ? 0x40 : 0);
  out[3] = (p.dataDecompressionEnabled ? 0x80 : 0) | (checkRange("reportExceptionOnDecompression", p.reportExceptionOnDecompression, 0, 3) << 5);
  putU32(out, 4, checkRange("compressionAlgorithm", p.compressionAlgorithm, 0, 0xffffffff));
  putU32(out, 8, checkRange("decompressionAlgorithm", p.decompressionAlgorithm, 0, 0xffffffff));
  return out;
}

/** Device configuration page 0x10 (SSC-4 8.3.4): 16 bytes, page length 0x0E. */
export interface DeviceConfigurationPage {
  /** CAF: change active format. */
  changeActiveFormat: boolean;
  activeFormat: number;
  activePartition: number;
  writeObjectBufferFullRatio: number;
  readObjectBufferEmptyRatio: number;
  /** WRITE DELAY TIME in 100 ms units. */
  writeDelayTime: number;
  /** Byte 8 flags: OBR, LOIS, RSMK, AVC (2 bits), SOCF (2 bits), ROBO. */
  objectBufferRecovery: boolean;
  logicalObjectIdentifiersSupported: boolean;
  reportSetmarks: boolean;
  automaticVelocityControl: number;
  stopOnConsecutiveFilemarks: number;
  recoverObjectBufferOrder: boolean;
  gapSize: number;
  /** EOD DEFINED (3 bits). */
  eodDefined: number;
  /** EEG: enable EOD generation. */
  enableEodGeneration: boolean;
  /** SEW: synchronize at early warning. */
  synchronizeAtEarlyWarning: boolean;
  /** SWP: software write protection. */
  softwareWriteProtect: boolean;
  /** BAML / BAM: block address mode. */
  blockAddressModeLock: boolean;
  blockAddressMode: boolean;
  objectBufferSizeAtEarlyWarning: number;
  /** SELECT DATA COMPRESSION ALGORITHM (0 none, 1 default). */
  selectDataCompressionAlgorithm: number;
  /** Byte 15: WTRE (2 bits), OIR, REWIND ON RESET (2 bits), ASOCWP, PERSWP, PRMWP. */
  worldwideTapeReadError: number;
  onlyIfReserved: boolean;
  rewindOnReset: number;
  associatedWriteProtect: boolean;
  persistentWriteProtect: boolean;
  permanentWriteProtect: boolean;
}

export function decodeDeviceConfigurationPage(bytes: Uint8Array): DeviceConfigurationPage {
  const r = pageReader(bytes, "device configuration mode page (0x10)", ModePage.DEVICE_CONFIGURATION, 16);
  const b2 = r.u8(2, "CAF/ACTIVE FORMAT");
  const b8 = r.u8(8, "OBR/LOIS/RSMK/AVC/SOCF/ROBO");
  const b10 = r.u8(10, "EOD DEFINED/EEG/SEW/SWP/BAML/BAM");
  const b15 = r.u8(15, "WTRE/OIR/REWIND ON RESET/ASOCWP/PERSWP/PRMWP");
  return {
    changeActiveFormat: (b2 & 0x20) !== 0,
    activeFormat: b2 & 0x1f,
    activePartition: r.u8(3, "ACTIVE PARTITION"),
    writeObjectBufferFullRatio: r.u8(4, "WRITE OBJECT BUFFER FULL RATIO"),
    readObjectBufferEmptyRatio: r.u8(5, "READ OBJECT BUFFER EMPTY RATIO"),
    writeDelayTime: r.u16(6, "WRITE DELAY TIME"),
    objectBufferRecovery: (b8 & 0x80) !== 0,
    logicalObjectIdentifiersSupported: (b8 & 0x40) !== 0,
    reportSetmarks: (b8 & 0x20) !== 0,
    automaticVelocityControl: (b8 >> 3) & 0x03,
    stopOnConsecutiveFilemarks: (b8 >> 1) & 0x03,
    recoverObjectBufferOrder: (b8 & 0x01) !== 0,
    gapSize: r.u8(9, "GAP SIZE"),
    eodDefined: (b10 >> 5) & 0x07,
    enableEodGeneration: (b10 & 0x10) !== 0,
    synchronizeAtEarlyWarning: (b10 & 0x08) !== 0,
    softwareWriteProtect: (b10 & 0x04) !== 0,
    blockAddressModeLock: (b10 & 0x02) !== 0,
    blockAddressMode: (b10 & 0x01) !== 0,
    objectBufferSizeAtEarlyWarning: r.u24(11, "OBJECT BUFFER SIZE AT EARLY WARNING"),
    selectDataCompressionAlgorithm: r.u8(14, "SELECT DATA COMPRESSION ALGORITHM"),
    worldwideTapeReadError: (b15 >> 6) & 0x03,
    onlyIfReserved: (b15 & 0x20) !== 0,
    rewindOnReset: (b15 >> 3) & 0x03,
    associatedWriteProtect: (b15 & 0x04) !== 0,
    persistentWriteProtect: (b15 & 0x02) !== 0,
    permanentWriteProtect: (b15 & 0x01) !== 0,
  };
}

export function encodeDeviceConfigurationPage(p: DeviceConfigurationPage): Uint8Array {
  const out = new Uint8Array(16);
  out[0] = ModePage.DEVICE_CONFIGURATION;
  out[1] = 0x0e;
  out[2] = (p.changeActiveFormat ? 0x20 : 0) | checkRange("activeFormat", p.activeFormat, 0, 0x1f);
  out[3] = checkRange("activePartition", p.activePartition, 0, 0xff);
  out[4] = checkRange("writeObjectBufferFullRatio", p.writeObjectBufferFullRatio, 0, 0xff);
  out[5] = checkRange("readObjectBufferEmptyRatio", p.readObjectBufferEmptyRatio, 0, 0xff);
  putU16(out, 6, checkRange("writeDelayTime", p.writeDelayTime, 0, 0xffff));
  out[8] =
    (p.objectBufferRecovery ? 0x80 : 0) |
    (p.logicalObjectIdentifiersSupported ? 0x40 : 0) |
    (p.reportSetmarks ? 0x20 : 0) |
    (checkRange("automaticVelocityControl", p.automaticVelocityControl, 0, 3) << 3) |
    (checkRange("stopOnConsecutiveFilemarks", p.stopOnConsecutiveFilemarks, 0, 3) << 1) |
    (p.recoverObjectBufferOrder ? 0x01 : 0);
  out[9] = checkRange("gapSize", p.gapSize, 0, 0xff);
  out[10] =
    (checkRange("eodDefined", p.eodDefined, 0, 7) << 5) |
    (p.enableEodGeneration ? 0x10 : 0) |
    (p.synchronizeAtEarlyWarning ? 0x08 : 0) |
    (p.softwareWriteProtect ? 0x04 : 0) |
    (p.blockAddressModeLock ? 0x02 : 0) |
    (p.blockAddressMode ? 0x01 : 0);
  putU24(out, 11, checkRange("objectBufferSizeAtEarlyWarning", p.objectBufferSizeAtEarlyWarning, 0, 0xffffff));
  out[14] = checkRange("selectDataCompressionAlgorithm", p.selectDataCompressionAlgorithm, 0, 0xff);
  out[15] =
    (checkRange("worldwideTapeReadError", p.worldwideTapeReadError, 0, 3) << 6) |
    (p.onlyIfReserved ? 0x20 : 0) |
    (checkRange("rewindOnReset", p.rewindOnReset, 0, 3) << 3) |
    (p.associatedWriteProtect ? 0x04 : 0) |
    (p.persistentWriteProtect ? 0x02 : 0) |
    (p.permanentWriteProtect ? 0x01 : 0);
  return out;
}

/** Medium partition page 0x11 (SSC-4 8.3.5). */
export interface MediumPartitionPage {
  maximumAdditionalPartitions: number;
  additionalPartitionsDefined: number;
  /** FDP / SDP / IDP: fixed, select, initiator-defined partitions. */
  fixedDataPartitions: boolean;
  selectDataPartitions: boolean;
  initiatorDefinedPartitions: boolean;
  /** PSUM: partition size unit of measure (0 bytes, 1 KB, 2 MB, 3 10^PARTITION UNITS). */
  partitionSizeUnitOfMeasure: number;
  /** POFM: partition on format. */
  partitionOnFormat: boolean;
  clear: boolean;
  addp: boolean;
  mediumFormatRecognition: number;
  partitioningType: number;
  partitionUnits: number;
  partitionSizes: number[];
}

export function decodeMediumPartitionPage(bytes: Uint8Array): MediumPartitionPage {
  const r = pageReader(bytes, "medium partition mode page (0x11)", ModePage.MEDIUM_PARTITION, 8);
  const len = r.u8(1, "PAGE LENGTH");
  const end = 2 + len;
  if (r.length < end) r.fail(r.length, `PAGE LENGTH ${len} needs ${end} bytes, got ${r.length}`);
  if ((end - 8) % 2 !== 0) r.fail(1, `PAGE LENGTH ${len} leaves an odd number of partition size bytes`);
  const b4 = r.u8(4, "FDP/SDP/IDP/PSUM/POFM/CLEAR/ADDP");
  const b6 = r.u8(6, "PARTITIONING TYPE/PARTITION UNITS");
  const sizes: number[] = [];
  for (let o = 8; o < end; o += 2) sizes.push(r.u16(o, "PARTITION SIZE"));
  return {
    maximumAdditionalPartitions: r.u8(2, "MAXIMUM ADDITIONAL PARTITIONS"),
    additionalPartitionsDefined: r.u8(3, "ADDITIONAL PARTITIONS DEFINED"),
    fixedDataPartitions: (b4 & 0x80) !== 0,
    selectDataPartitions: (b4 & 0x40) !== 0,
    initiatorDefinedPartitions: (b4 & 0x20) !== 0,
    partitionSizeUnitOfMeasure: (b4 >> 3) & 0x03,
    partitionOnFormat: (b4 & 0x04) !== 0,
    clear: (b4 & 0x02) !== 0,
    addp: (b4 & 0x01) !== 0,
    mediumFormatRecognition: r.u8(5, "MEDIUM FORMAT RECOGNITION"),
    partitioningType: (b6 >> 4) & 0x03,
    partitionUnits: b6 & 0x0f,
    partitionSizes: sizes,
  };
}

export function encodeMediumPartitionPage(p: MediumPartitionPage): Uint8Array {
  const out = new Uint8Array(8 + 2 * p.partitionSizes.length);
  if (out.length - 2 > 0xff) throw new ScsiArgumentError("partitionSizes", "too many partitions for one page");
  out[0] = ModePage.MEDIUM_PARTITION;
  out[1] = out.length - 2;
  out[2] = checkRange("maximumAdditionalPartitions", p.maximumAdditionalPartitions, 0, 0xff);
  out[3] = checkRange("additionalPartitionsDefined", p.additionalPartitionsDefined, 0, 0xff);
  out[4] =
    (p.fixedDataPartitions ? 0x80 : 0) |
    (p.selectDataPartitions ? 0x40 : 0) |
    (p.initiatorDefinedPartitions ? 0x20 : 0) |
    (checkRange("partitionSizeUnitOfMeasure", p.partitionSizeUnitOfMeasure, 0, 3) << 3) |
    (p.partitionOnFormat ? 0x04 : 0) |
    (p.clear ? 0x02 : 0) |
    (p.addp ? 0x01 : 0);
  out[5] = checkRange("mediumFormatRecognition", p.mediumFormatRecognition, 0, 0xff);
  out[6] = (checkRange("partitioningType", p.partitioningType, 0, 3) << 4) | checkRange("partitionUnits", p.partitionUnits, 0, 15);
  p.partitionSizes.forEach((s, i) => putU16(out, 8 + 2 * i, checkRange("partitionSizes", s, 0, 0xffff)));
  return out;
}

/** Medium configuration page 0x1D of a tape drive (SSC-4 8.3.7): 32 bytes, page length 0x1E. */
export interface MediumConfigurationPage {
  /** WORMM: the loaded medium is WORM. */
  worm: boolean;
  wormModeLabelRestrictions: number;
  wormModeFilemarkRestrictions: number;
}

export function decodeMediumConfigurationPage(bytes: Uint8Array): MediumConfigurationPage {
  const r = pageReader(bytes, "medium configuration mode page (0x1D)", ModePage.MEDIUM_CONFIGURATION, 6);
  return {
    worm: (r.u8(2, "WORMM") & 0x01) !== 0,
    wormModeLabelRestrictions: r.u8(4, "WORM MODE LABEL RESTRICTIONS"),
    wormModeFilemarkRestrictions: r.u8(5, "WORM MODE FILEMARK RESTRICTIONS"),
  };
}

export function encodeMediumConfigurationPage(p: MediumConfigurationPage): Uint8Array {
  const out = new Uint8Array(32);
  out[0] = ModePage.MEDIUM_CONFIGURATION;
  out[1] = 0x1e;
  out[2] = p.worm ? 0x01 : 0;
  out[4] = checkRange("wormModeLabelRestrictions", p.wormModeLabelRestrictions, 0, 0xff);
  out[5] = checkRange("wormModeFilemarkRestrictions", p.wormModeFilemarkRestrictions, 0, 0xff);
  return out;
}

/** Element address assignment page 0x1D of a medium changer (SMC-3 7.3.3): 20 bytes, page length 0x12. */
export interface ElementAddressAssignmentPage {
  firstTransportAddress: number;
  transportCount: number;
  firstStorageAddress: number;
  storageCount: number;
  firstImportExportAddress: number;
  importExportCount: number;
  firstDataTransferAddress: number;
  dataTransferCount: number;
}

export function decodeElementAddressAssignmentPage(bytes: Uint8Array): ElementAddressAssignmentPage {
  const r = pageReader(bytes, "element address assignment mode page (0x1D)", ModePage.ELEMENT_ADDRESS_ASSIGNMENT, 18);
  return {
    firstTransportAddress: r.u16(2, "FIRST MEDIUM TRANSPORT ELEMENT ADDRESS"),
    transportCount: r.u16(4, "NUMBER OF MEDIUM TRANSPORT ELEMENTS"),
    firstStorageAddress: r.u16(6, "FIRST STORAGE ELEMENT ADDRESS"),
    storageCount: r.u16(8, "NUMBER OF STORAGE ELEMENTS"),
    firstImportExportAddress: r.u16(10, "FIRST IMPORT/EXPORT ELEMENT ADDRESS"),
    importExportCount: r.u16(12, "NUMBER OF IMPORT/EXPORT ELEMENTS"),
    firstDataTransferAddress: r.u16(14, "FIRST DATA TRANSFER ELEMENT ADDRESS"),
    dataTransferCount: r.u16(16, "NUMBER OF DATA TRANSFER ELEMENTS"),
  };
}

export function encodeElementAddressAssignmentPage(p: ElementAddressAssignmentPage): Uint8Array {
  const out = new Uint8Array(20);
  out[0] = ModePage.ELEMENT_ADDRESS_ASSIGNMENT;
  out[1] = 0x12;
  const fields: Array<[keyof ElementAddressAssignmentPage, number]> = [
    ["firstTransportAddress", 2],
    ["transportCount", 4],
    ["firstStorageAddress", 6],
    ["storageCount", 8],
    ["firstImportExportAddress", 10],
    ["importExportCount", 12],
    ["firstDataTransferAddress", 14],
    ["dataTransferCount", 16],
  ];
  for (const [k, o] of fields) putU16(out, o, checkRange(k, p[k], 0, 0xffff));
  return out;
}
