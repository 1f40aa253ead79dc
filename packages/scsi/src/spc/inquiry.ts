/**
 * INQUIRY: standard data and the VPD pages 0x00 (supported pages), 0x80 (unit serial
 * number) and 0x83 (device identification).
 *
 * @see SPC-4 6.6 (INQUIRY), 6.6.2 (standard INQUIRY data), 7.8.2 (VPD page format),
 *      7.8.6 (device identification), 7.8.15 (supported VPD pages), 7.8.16 (unit serial number);
 *      PBS reference §7.2
 */
import { ByteReader, asciiTrim, checkRange, putU16, toHex } from "../bytes.ts";
import { Opcode } from "../constants/opcodes.ts";

export const VpdPage = {
  SUPPORTED_PAGES: 0x00,
  UNIT_SERIAL_NUMBER: 0x80,
  DEVICE_IDENTIFICATION: 0x83,
} as const;

/** Peripheral device types used here (SPC-4 table 141). */
export const PeripheralDeviceType = {
  DISK: 0x00,
  TAPE: 0x01,
  MEDIUM_CHANGER: 0x08,
  UNKNOWN: 0x1f,
} as const;

/**
 * INQUIRY CDB. Without `page`: standard data (EVPD=0); with `page`: that VPD page (EVPD=1).
 * PBS sends `12 00 00 00 24 00` (allocation 36) for standard data.
 */
export function buildInquiryCdb(params: { page?: number; allocationLength?: number } = {}): Uint8Array {
  const cdb = new Uint8Array(6);
  cdb[0] = Opcode.INQUIRY;
  if (params.page !== undefined) {
    cdb[1] = 0x01;
    cdb[2] = checkRange("page", params.page, 0, 0xff);
  }
  putU16(cdb, 3, checkRange("allocationLength", params.allocationLength ?? (params.page === undefined ? 36 : 255), 0, 0xffff));
  return cdb;
}

export interface StandardInquiry {
  peripheralQualifier: number;
  /** 1 = tape, 8 = medium changer. */
  peripheralDeviceType: number;
  removable: boolean;
  /** VERSION: 0x06 SPC-4, 0x05 SPC-3, … */
  version: number;
  responseDataFormat: number;
  additionalLength: number;
  /** Medium changer attached (MCHNGR, obsolete but still reported by some drives). */
  mediumChanger: boolean;
  vendor: string;
  product: string;
  revision: string;
  /** Bytes 36..55 (vendor specific), trimmed ASCII, when present. */
  vendorSpecific?: string;
}

/** Decodes standard INQUIRY data; needs at least the 36 bytes up to the revision. */
export function decodeInquiry(bytes: Uint8Array): StandardInquiry {
  const r = new ByteReader(bytes, "standard INQUIRY data");
  if (r.length < 36) r.fail(r.length, `needs at least 36 bytes (through PRODUCT REVISION LEVEL), got ${r.length}`);
  const b0 = r.u8(0, "PERIPHERAL DEVICE TYPE");
  const out: StandardInquiry = {
    peripheralQualifier: b0 >> 5,
    peripheralDeviceType: b0 & 0x1f,
    removable: (r.u8(1, "RMB") & 0x80) !== 0,
    version: r.u8(2, "VERSION"),
    responseDataFormat: r.u8(3, "RESPONSE DATA FORMAT") & 0x0f,
    additionalLength: r.u8(4, "ADDITIONAL LENGTH"),
    mediumChanger: (r.u8(6, "MCHNGR") & 0x08) !== 0,
    vendor: r.ascii(8, 8, "T10 VENDOR IDENTIFICATION"),
    product: r.ascii(16, 16, "PRODUCT IDENTIFICATION"),
    revision: r.ascii(32, 4, "PRODUCT REVISION LEVEL"),
  };
  const end = Math.min(r.length, 5 + out.additionalLength);
  if (end > 36) {
    const vs = asciiTrim(r.slice(36, Math.min(end, 56) - 36, "VENDOR SPECIFIC"));
    if (vs !== "") out.vendorSpecific = vs;
  }
  return out;
}

function vpdHeader(r: ByteReader, expected: number): { pdt: number; length: number; end: number } {
  if (r.length < 4) r.fail(r.length, `VPD page header needs 4 bytes, got ${r.length}`);
  const page = r.u8(1, "PAGE CODE");
  if (page !== expected) r.fail(1, `PAGE CODE is 0x${page.toString(16)}, expected 0x${expected.toString(16)}`);
  const length = r.u16(2, "PAGE LENGTH");
  if (4 + length > r.length) r.fail(r.length, `PAGE LENGTH ${length} needs ${4 + length} bytes, got ${r.length}`);
  return { pdt: r.u8(0, "PERIPHERAL DEVICE TYPE") & 0x1f, length, end: 4 + length };
}

/** VPD page 0x00: the list of supported VPD page codes. */
export function decodeVpdSupportedPages(bytes: Uint8Array): number[] {
  const r = new ByteReader(bytes, "supported VPD pages (0x00)");
  const { end } = vpdHeader(r, VpdPage.SUPPORTED_PAGES);
  return Array.from(r.slice(4, end - 4, "SUPPORTED PAGE LIST"));
}

/** VPD page 0x80: the unit serial number (ASCII, trimmed). */
export function decodeVpdUnitSerial(bytes: Uint8Array): string {
  const r = new ByteReader(bytes, "unit serial number VPD page (0x80)");
  const { end } = vpdHeader(r, VpdPage.UNIT_SERIAL_NUMBER);
  return r.ascii(4, end - 4, "PRODUCT SERIAL NUMBER");
}

export type DesignatorAssociation = "logical-unit" | "target-port" | "target-device" | "reserved";

export interface Designator {
  /** PROTOCOL IDENTIFIER when PIV is set. */
  protocolIdentifier?: number;
  /** 1 binary, 2 ASCII, 3 UTF-8. */
  codeSet: number;
  association: DesignatorAssociation;
  /** 0 vendor specific, 1 T10 vendor id, 2 EUI-64, 3 NAA, 4 relative target port, 5 target port group, 6 LU group, 7 MD5, 8 SCSI name string. */
  designatorType: number;
  /** Lowercase hex of the designator bytes. */
  hex: string;
  /** Text form for ASCII/UTF-8 designators. */
  text?: string;
  /** T10 vendor id designators (type 1): vendor (8 bytes) and the rest. */
  t10?: { vendor: string; specific: string };
}

const ASSOCIATIONS: readonly DesignatorAssociation[] = ["logical-unit", "target-port", "target-device", "reserved"];

/** VPD page 0x83: the designation descriptors. */
export function decodeVpdDeviceIdentification(bytes: Uint8Array): Designator[] {
  const r = new ByteReader(bytes, "device identification VPD page (0x83)");
  const { end } = vpdHeader(r, VpdPage.DEVICE_IDENTIFICATION);
  const out: Designator[] = [];
  let off = 4;
  while (off < end) {
    if (off + 4 > end) r.fail(off, "designation descriptor header needs 4 bytes");
    const b0 = r.u8(off, "CODE SET");
    const b1 = r.u8(off + 1, "DESIGNATOR TYPE");
    const len = r.u8(off + 3, "DESIGNATOR LENGTH");
    if (off + 4 + len > end) r.fail(off, `designator of ${len} bytes runs past the page length`);
    const body = r.slice(off + 4, len, "DESIGNATOR");
    const codeSet = b0 & 0x0f;
    const d: Designator = {
      codeSet,
      association: ASSOCIATIONS[(b1 >> 4) & 0x03] ?? "reserved",
      designatorType: b1 & 0x0f,
      hex: toHex(body),
    };
    if ((b1 & 0x80) !== 0) d.protocolIdentifier = b0 >> 4;
    if (codeSet === 2 || codeSet === 3) d.text = asciiTrim(body);
    if (d.designatorType === 1 && len >= 8) {
      d.t10 = { vendor: asciiTrim(body.subarray(0, 8)), specific: asciiTrim(body.subarray(8)) };
    }
    out.push(d);
    off += 4 + len;
  }
  return out;
}
