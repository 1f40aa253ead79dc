/**
 * The drive and media status PBS reports (`LtoDriveAndMediaStatus`, §8.4), assembled from
 * the raw responses of INQUIRY, MODE SENSE, READ POSITION, LOG SENSE 0x12/0x17/0x11 and
 * READ ATTRIBUTE. Every input is optional: a drive that is busy or has no medium simply
 * yields fewer fields.
 *
 * @see PBS reference §8.4 (fields), §7.2 (mode parameters), §8.1–§8.3
 */
import { densityName } from "./constants/density.ts";
import { MamAttribute } from "./constants/mam.ts";
import { ModePage, decodeDataCompressionPage, decodeModeSense10, decodeModeSense6, findModePage } from "./spc/mode.ts";
import { decodeInquiry } from "./spc/inquiry.ts";
import { decodeDeviceStatusLog, decodeTapeAlertResponse, decodeVolumeStatistics } from "./spc/log.ts";
import { decodeAttributeValues } from "./spc/attribute.ts";
import { decodeReadPositionLong } from "./ssc/position.ts";

/** Medium passes at which LTO media are considered worn out (PBS: wearout = passes / 16000). */
export const LTO_MEDIUM_PASSES_LIFE = 16000;

export interface DriveStatusInput {
  inquiry?: Uint8Array;
  /** MODE SENSE data of page 0x0F with block descriptor; `format` says which command returned it. */
  modeSense?: { bytes: Uint8Array; format: "6" | "10" };
  /** READ POSITION long form. */
  readPosition?: Uint8Array;
  /** LOG SENSE page 0x12. */
  tapeAlert?: Uint8Array;
  /** LOG SENSE page 0x17. */
  volumeStatistics?: Uint8Array;
  /** LOG SENSE page 0x11. */
  deviceStatus?: Uint8Array;
  /** READ ATTRIBUTE (attribute values). */
  mam?: Uint8Array;
}

export interface DriveStatus {
  vendor?: string;
  product?: string;
  revision?: string;
  /** Block length from the block descriptor; 0 = variable. */
  blockSize?: number;
  compression?: boolean;
  bufferMode?: number;
  densityCode?: number;
  density?: string;
  writeProtect?: boolean;
  /** Names of the TapeAlert flags that are set. */
  alertFlags?: string[];
  fileNumber?: number;
  blockNumber?: number;
  /** ISO date (UTC midnight) from MAM 0x0406. */
  manufactured?: string;
  /** MAM 0x0221 × 2^20. */
  bytesRead?: number;
  /** MAM 0x0220 × 2^20. */
  bytesWritten?: number;
  volumeMounts?: number;
  /** max(beginning-of-medium passes, middle-of-tape passes). */
  mediumPasses?: number;
  /** mediumPasses / 16000. */
  mediumWearout?: number;
  driveActivity?: string;
}

function manufactureDate(s: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * Builds the status from whichever responses are given. Throws only
 * {@link import("./errors.ts").ScsiDecodeError} when a given response is malformed.
 */
export function decodeDriveStatus(input: DriveStatusInput): DriveStatus {
  const out: DriveStatus = {};
  if (input.inquiry) {
    const inq = decodeInquiry(input.inquiry);
    out.vendor = inq.vendor;
    out.product = inq.product;
    out.revision = inq.revision;
  }
  if (input.modeSense) {
    const m = input.modeSense.format === "10" ? decodeModeSense10(input.modeSense.bytes) : decodeModeSense6(input.modeSense.bytes);
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
  }
  if (input.readPosition) {
    const p = decodeReadPositionLong(input.readPosition);
    out.fileNumber = p.fileNumber;
    out.blockNumber = p.blockNumber;
  }
  if (input.tapeAlert) out.alertFlags = decodeTapeAlertResponse(input.tapeAlert).flags.map((f) => f.name);
  if (input.volumeStatistics) {
    const v = decodeVolumeStatistics(input.volumeStatistics);
    if (v.volumeMounts !== undefined) out.volumeMounts = v.volumeMounts;
    if (v.beginningOfMediumPasses !== undefined || v.middleOfTapePasses !== undefined) {
      out.mediumPasses = Math.max(v.beginningOfMediumPasses ?? 0, v.middleOfTapePasses ?? 0);
      out.mediumWearout = out.mediumPasses / LTO_MEDIUM_PASSES_LIFE;
    }
  }
  if (input.deviceStatus) out.driveActivity = decodeDeviceStatusLog(input.deviceStatus).activity;
  if (input.mam) {
    for (const a of decodeAttributeValues(input.mam)) {
      if (a.id === MamAttribute.MEDIUM_MANUFACTURE_DATE && typeof a.value === "string") {
        const d = manufactureDate(a.value);
        if (d) out.manufactured = d;
      } else if (a.id === MamAttribute.TOTAL_MIB_WRITTEN_IN_MEDIUM_LIFE && typeof a.value === "number") {
        out.bytesWritten = a.value * 1048576;
      } else if (a.id === MamAttribute.TOTAL_MIB_READ_IN_MEDIUM_LIFE && typeof a.value === "number") {
        out.bytesRead = a.value * 1048576;
      }
    }
  }
  return out;
}
