/**
 * INQUIRY data (SPC-4 6.6), VPD pages 0x00, 0x80, 0x83 (SPC-4 7.8), 0xB0 for tape
 * (SSC-4 8.4.2), and REPORT LUNS (SPC-4 6.33), shared by drives and the changer.
 */
import { createHash } from "node:crypto";
import { Opcode } from "./scsi-codes.ts";
import { invalidCdbField } from "./sense.ts";

export interface InquiryIdentity {
  peripheralType: number;
  removable: boolean;
  vendor: string;
  product: string;
  revision: string;
  serial: string;
  /** Extra VPD pages beyond 0x00/0x80/0x83, by page code. */
  extraVpd?: ReadonlyMap<number, Uint8Array>;
}

/** SPC-4 claims version 06h. */
const VERSION_SPC4 = 0x06;
/** Standard INQUIRY data length returned (36 standard + 20 vendor + version descriptors). */
const STANDARD_LENGTH = 74;
/** IEEE company id used in the NAA designator (locally administered range of the emulation). */
const NAA_COMPANY_ID = 0x0050_76;

function ascii(s: string, len: number): Uint8Array {
  const out = new Uint8Array(len).fill(0x20);
  for (let i = 0; i < Math.min(len, s.length); i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

export function standardInquiry(id: InquiryIdentity): Uint8Array {
  const b = new Uint8Array(STANDARD_LENGTH);
  b[0] = id.peripheralType & 0x1f;
  b[1] = id.removable ? 0x80 : 0;
  b[2] = VERSION_SPC4;
  b[3] = 0x12; // HiSup=1, response data format 2
  b[4] = STANDARD_LENGTH - 5;
  b[6] = 0x00;
  b[7] = 0x02; // CmdQue
  b.set(ascii(id.vendor, 8), 8);
  b.set(ascii(id.product, 16), 16);
  b.set(ascii(id.revision, 4), 32);
  // bytes 36..55 vendor specific; 58..73 version descriptors: SAM-5, SPC-4, SSC-4 / SMC-3
  const dv = new DataView(b.buffer);
  dv.setUint16(58, 0x00a0); // SAM-5
  dv.setUint16(60, 0x0460); // SPC-4
  dv.setUint16(62, id.peripheralType === 0x08 ? 0x0480 : 0x0500); // SMC-3 / SSC-4
  return b;
}

function vpd(type: number, page: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + body.length);
  b[0] = type & 0x1f;
  b[1] = page;
  new DataView(b.buffer).setUint16(2, body.length);
  b.set(body, 4);
  return b;
}

/** The 8-byte NAA 5 designator derived from the serial number. */
export function naaDesignator(id: InquiryIdentity): Uint8Array {
  const h = createHash("sha256").update(`${id.vendor}/${id.product}/${id.serial}`).digest();
  const b = new Uint8Array(8);
  // NAA 5 (4 bits) | company id (24 bits) | vendor specific (36 bits)
  b[0] = 0x50 | ((NAA_COMPANY_ID >> 20) & 0x0f);
  b[1] = (NAA_COMPANY_ID >> 12) & 0xff;
  b[2] = (NAA_COMPANY_ID >> 4) & 0xff;
  b[3] = ((NAA_COMPANY_ID & 0x0f) << 4) | (h[0]! & 0x0f);
  b.set(h.subarray(1, 5), 4);
  return b;
}

function deviceIdentification(id: InquiryIdentity): Uint8Array {
  const t10 = new Uint8Array(8 + 16 + id.serial.length);
  t10.set(ascii(id.vendor, 8), 0);
  t10.set(ascii(id.product, 16), 8);
  t10.set(ascii(id.serial, id.serial.length), 24);
  const naa = naaDesignator(id);
  const parts: Uint8Array[] = [];
  // T10 vendor id designator: code set 2 (ASCII), association 0 (LU), type 1
  parts.push(Uint8Array.of(0x02, 0x01, 0x00, t10.length), t10);
  // NAA designator: code set 1 (binary), association 0, type 3
  parts.push(Uint8Array.of(0x01, 0x03, 0x00, naa.length), naa);
  const len = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Answer an INQUIRY CDB. */
export function inquiry(cdb: Uint8Array, id: InquiryIdentity): Uint8Array {
  if (cdb.length < 6) throw invalidCdbField(0);
  const evpd = (cdb[1]! & 0x01) !== 0;
  if ((cdb[1]! & 0x02) !== 0) throw invalidCdbField(1, 1); // CmdDt is obsolete
  const page = cdb[2]!;
  const alloc = (cdb[3]! << 8) | cdb[4]!;
  let data: Uint8Array;
  if (!evpd) {
    if (page !== 0) throw invalidCdbField(2);
    data = standardInquiry(id);
  } else {
    const pages = [0x00, 0x80, 0x83, ...(id.extraVpd ? [...id.extraVpd.keys()] : [])].sort((a, b) => a - b);
    switch (page) {
      case 0x00:
        data = vpd(id.peripheralType, 0x00, Uint8Array.from(pages));
        break;
      case 0x80:
        data = vpd(id.peripheralType, 0x80, ascii(id.serial, id.serial.length));
        break;
      case 0x83:
        data = vpd(id.peripheralType, 0x83, deviceIdentification(id));
        break;
      default: {
        const extra = id.extraVpd?.get(page);
        if (!extra) throw invalidCdbField(2);
        data = vpd(id.peripheralType, page, extra);
      }
    }
  }
  return data.subarray(0, alloc);
}

/** Answer REPORT LUNS: a single LUN 0. */
export function reportLuns(cdb: Uint8Array): Uint8Array {
  if (cdb.length < 12 || cdb[0] !== Opcode.REPORT_LUNS) throw invalidCdbField(0);
  const select = cdb[2]!;
  if (select > 0x02 && !(select >= 0x10 && select <= 0x12)) throw invalidCdbField(2);
  const alloc = new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength).getUint32(6);
  if (alloc < 16) throw invalidCdbField(6);
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(0, 8);
  return b.subarray(0, alloc);
}
