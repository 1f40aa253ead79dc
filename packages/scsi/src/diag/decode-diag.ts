/**
 * Offline decoding of captured responses (from `sg_raw`, `sg_logs -HHH`, kernel logs, …) into
 * JSON-able objects with camelCase names. The CLI prints {@link DIAG_HELP}.
 */
import { toHex } from "../bytes.ts";
import { densityInfo, densityName } from "../constants/density.ts";
import { ScsiArgumentError, ScsiDecodeError, ScsiError } from "../errors.ts";
import { decodeAttributeValues } from "../spc/attribute.ts";
import { decodeInquiry, decodeVpdUnitSerial } from "../spc/inquiry.ts";
import { LogPage, decodeTapeAlertLog, decodeTapeAlertResponse, decodeVolumeStatistics } from "../spc/log.ts";
import {
  ModePage,
  type ModeParameters,
  decodeDataCompressionPage,
  decodeDeviceConfigurationPage,
  decodeMediumPartitionPage,
  decodeModeSense10,
  decodeModeSense6,
} from "../spc/mode.ts";
import { decodeSense } from "../spc/sense-data.ts";
import { type ElementDescriptor, decodeReadElementStatus } from "../smc/element-status.ts";
import { decodeReadPositionLong, decodeReadPositionShort } from "../ssc/position.ts";
import { decodeReportDensitySupport } from "../ssc/tape-commands.ts";

export const DIAG_KINDS = [
  "inquiry",
  "vpd-serial",
  "sense",
  "element-status",
  "log-tapealert",
  "log-volume-stats",
  "mam",
  "mode-sense",
  "read-position",
  "density",
] as const;

export type DiagKind = (typeof DIAG_KINDS)[number];

export const DIAG_HELP = `Decode captured SCSI data. Input: hex bytes as sg3_utils --inhex accepts them
(whitespace, comma or hyphen separated pairs; '#' starts a comment; no leading offsets).
Output: JSON.

Kinds:
  inquiry           standard INQUIRY data (>= 36 bytes)
                    -> { peripheralQualifier, peripheralDeviceType, removable, version,
                         responseDataFormat, additionalLength, mediumChanger, vendor,
                         product, revision, vendorSpecific? }
  vpd-serial        INQUIRY VPD page 0x80 (unit serial number)
                    -> { serial }
  sense             sense data, fixed (0x70/0x71) or descriptor (0x72/0x73) format
                    -> { responseCode, senseKey, senseKeyName, asc, ascq, description,
                         filemark, eom, ili, information? }
  element-status    READ ELEMENT STATUS data (SMC-3), any element types
                    -> { transports, slots, importExport, drives }, each element
                       { address, full, volumeTag?, sourceAddress?, exceptCode?, deviceId? }
                       exceptCode is "0xASC/0xASCQ"; deviceId is the DVCID drive serial
  log-tapealert     LOG SENSE page 0x12 (TapeAlert response) or 0x2E (TapeAlert)
                    -> { flags: [{ number, name }] }
  log-volume-stats  LOG SENSE page 0x17 (volume statistics)
                    -> { pageValid, volumeMounts?, … totalUsedNativeCapacity?, worm?, … }
  mam               READ ATTRIBUTE data (attribute values)
                    -> [{ id, name, value }]
  mode-sense        MODE SENSE(6) or (10) data (the format is detected from the lengths)
                    -> { format, mediumType, writeProtect, bufferMode, speed,
                         blockDescriptors: [{ densityCode, density, blockCount, blockLength }],
                         pages: [{ code, subpage, hex, decoded? }] }
  read-position     READ POSITION data: 20 bytes short form, 32 bytes long form
                    -> { form, partition, blockNumber?, fileNumber?, … }
  density           one density code byte -> { code, name, generation?, nativeCapacityBytes? }
                    or REPORT DENSITY SUPPORT data -> { descriptors: [{ primaryDensityCode,
                    name, writeOk, defaultDensity, capacity, densityName, description, … }] }
`;

export interface DiagElement {
  address: number;
  full: boolean;
  volumeTag?: string;
  sourceAddress?: number;
  exceptCode?: string;
  deviceId?: string;
}

function hex2(v: number): string {
  return `0x${v.toString(16).padStart(2, "0")}`;
}

function diagElement(e: ElementDescriptor): DiagElement {
  const out: DiagElement = { address: e.address, full: e.full };
  if (e.primaryVolumeTag) out.volumeTag = e.primaryVolumeTag.id;
  if (e.sourceAddress !== undefined) out.sourceAddress = e.sourceAddress;
  if (e.except) out.exceptCode = `${hex2(e.asc)}/${hex2(e.ascq)}`;
  if (e.deviceId) out.deviceId = e.deviceId.serial ?? e.deviceId.text;
  return out;
}

function modeSenseJson(m: ModeParameters): unknown {
  return {
    format: m.format,
    mediumType: m.mediumType,
    writeProtect: m.writeProtect,
    bufferMode: m.bufferMode,
    speed: m.speed,
    blockDescriptors: m.blockDescriptors.map((d) => ({ ...d, density: densityName(d.densityCode) })),
    pages: m.pages.map((p) => {
      const base = { code: p.code, subpage: p.subpage, hex: toHex(p.bytes) };
      try {
        if (p.subpage === 0 && p.code === ModePage.DATA_COMPRESSION) return { ...base, decoded: decodeDataCompressionPage(p.bytes) };
        if (p.subpage === 0 && p.code === ModePage.DEVICE_CONFIGURATION) return { ...base, decoded: decodeDeviceConfigurationPage(p.bytes) };
        if (p.subpage === 0 && p.code === ModePage.MEDIUM_PARTITION) return { ...base, decoded: decodeMediumPartitionPage(p.bytes) };
      } catch (e) {
        if (e instanceof ScsiError) return { ...base, error: e.message };
        throw e;
      }
      return base;
    }),
  };
}

function decodeModeSenseAuto(bytes: Uint8Array): ModeParameters {
  const exact6 = bytes.length >= 4 && (bytes[0] as number) + 1 === bytes.length;
  const exact10 = bytes.length >= 8 && (((bytes[0] as number) << 8) | (bytes[1] as number)) + 2 === bytes.length;
  const order: Array<(b: Uint8Array) => ModeParameters> = exact6 && !exact10 ? [decodeModeSense6, decodeModeSense10] : [decodeModeSense10, decodeModeSense6];
  let first: unknown;
  for (const f of order) {
    try {
      return f(bytes);
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

/**
 * Decodes `bytes` as `kind` into a JSON-able object (see {@link DIAG_HELP}).
 * Throws only {@link ScsiError} subclasses: ScsiDecodeError for bad data,
 * ScsiArgumentError for an unknown kind.
 */
export function decodeDiag(kind: string, bytes: Uint8Array): unknown {
  switch (kind as DiagKind) {
    case "inquiry":
      return decodeInquiry(bytes);
    case "vpd-serial":
      return { serial: decodeVpdUnitSerial(bytes) };
    case "sense": {
      const s = decodeSense(bytes);
      const out: Record<string, unknown> = {
        responseCode: s.responseCode,
        senseKey: s.senseKey,
        senseKeyName: s.senseKeyName,
        asc: s.asc,
        ascq: s.ascq,
        description: s.description,
        filemark: s.filemark,
        eom: s.eom,
        ili: s.ili,
      };
      if (s.information !== undefined) out.information = s.information;
      return out;
    }
    case "element-status": {
      const data = decodeReadElementStatus(bytes);
      const all = data.pages.flatMap((p) => p.elements);
      return {
        transports: all.filter((e) => e.kind === "transport").map(diagElement),
        slots: all.filter((e) => e.kind === "storage").map(diagElement),
        importExport: all.filter((e) => e.kind === "import-export").map(diagElement),
        drives: all.filter((e) => e.kind === "data-transfer").map(diagElement),
      };
    }
    case "log-tapealert": {
      const code = (bytes[0] ?? 0) & 0x3f;
      if (bytes.length === 0) throw new ScsiDecodeError("TapeAlert log page", 0, "empty input");
      return code === LogPage.TAPEALERT ? decodeTapeAlertLog(bytes) : decodeTapeAlertResponse(bytes);
    }
    case "log-volume-stats":
      return decodeVolumeStatistics(bytes);
    case "mam":
      return decodeAttributeValues(bytes).map((a) => ({ id: a.id, name: a.name, value: a.value }));
    case "mode-sense":
      return modeSenseJson(decodeModeSenseAuto(bytes));
    case "read-position":
      return bytes.length >= 32 ? { form: "long", ...decodeReadPositionLong(bytes) } : { form: "short", ...decodeReadPositionShort(bytes) };
    case "density": {
      if (bytes.length === 1) {
        const code = bytes[0] as number;
        const info = densityInfo(code);
        return info ? { ...info } : { code, name: densityName(code) };
      }
      return {
        descriptors: decodeReportDensitySupport(bytes).map((d) => ({ ...d, name: densityName(d.primaryDensityCode) })),
      };
    }
    default:
      throw new ScsiArgumentError("kind", `unknown diagnostic kind ${JSON.stringify(kind)}; one of ${DIAG_KINDS.join(", ")}`);
  }
}
