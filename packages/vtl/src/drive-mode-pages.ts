/**
 * Mode parameters of a virtual LTO drive (SSC-4 8.3, SPC-4 7.5): header, block descriptor,
 * pages 0x01, 0x02, 0x0A, 0x0F, 0x10, 0x11, 0x1C, 0x1D, and MODE SELECT parsing.
 */
import { Asc, Opcode, SenseKey } from "./scsi-codes.ts";
import { condition, invalidCdbField, invalidParameterField } from "./sense.ts";

export const MAX_BLOCK_LENGTH = 0x800000;

export interface DriveModeState {
  blockSize: number;
  compression: boolean;
  bufferMode: number;
  density: number;
  writeProtected: boolean;
  worm: boolean;
  mediumType: number;
}

type PageControl = 0 | 1 | 2;

function page(code: number, length: number, fill?: (b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(length + 2);
  b[0] = code;
  b[1] = length;
  fill?.(b);
  return b;
}

/** One mode page for a page control (0 current, 1 changeable, 2 default). */
function buildPage(code: number, pc: PageControl, s: DriveModeState): Uint8Array | undefined {
  const cur = pc === 0;
  const chg = pc === 1;
  const compression = cur ? s.compression : !chg;
  switch (code) {
    case 0x01: // Read-Write Error Recovery
      return page(0x01, 0x0a, (b) => {
        if (!chg) {
          b[3] = 0x00; // read retry count (vendor managed)
          b[8] = 0x00;
        }
      });
    case 0x02: // Disconnect-Reconnect
      return page(0x02, 0x0e);
    case 0x0a: // Control
      return page(0x0a, 0x0a, (b) => {
        if (!chg) {
          b[3] = 0x10; // QUEUE ALGORITHM MODIFIER 1
          b[8] = 0xff; // busy timeout period
          b[9] = 0xff;
        }
      });
    case 0x0f: // Data Compression (SSC-4 8.3.2)
      return page(0x0f, 0x0e, (b) => {
        if (chg) {
          b[2] = 0x80;
          return;
        }
        b[2] = (compression ? 0x80 : 0) | 0x40; // DCE, DCC
        b[3] = 0x80; // DDE
        new DataView(b.buffer).setUint32(4, 0x00000001);
        new DataView(b.buffer).setUint32(8, 0x00000001);
      });
    case 0x10: // Device Configuration (SSC-4 8.3.3)
      return page(0x10, 0x0e, (b) => {
        if (chg) {
          b[14] = 0xff;
          return;
        }
        b[8] = 0x40; // BIS
        b[10] = 0x18; // EOD defined 000b, EEG, SEW
        b[14] = compression ? 0x01 : 0x00; // SELECT DATA COMPRESSION ALGORITHM
      });
    case 0x11: // Medium Partition (SSC-4 8.3.4): one partition
      return page(0x11, 0x08, (b) => {
        if (chg) return;
        b[2] = 0x03; // maximum additional partitions
        b[5] = 0x03; // medium format recognition
        b[6] = 0x09; // partition units (10^9 bytes)
        b[8] = 0xff;
        b[9] = 0xff;
      });
    case 0x1c: // Informational Exceptions Control
      return page(0x1c, 0x0a, (b) => {
        if (chg) return;
        b[3] = 0x03; // MRIE: conditionally generate recovered error
      });
    case 0x1d: // Medium Configuration (SSC-4 8.3.7)
      return page(0x1d, 0x1e, (b) => {
        if (chg) return;
        b[2] = cur && s.worm ? 0x01 : 0x00; // WORMM
        b[4] = 0x01; // WORM mode label restrictions
        b[5] = 0x02; // WORM mode filemark restrictions
      });
    default:
      return undefined;
  }
}

export const DRIVE_MODE_PAGES = [0x01, 0x02, 0x0a, 0x0f, 0x10, 0x11, 0x1c, 0x1d] as const;

/** Answer MODE SENSE(6)/(10). */
export function modeSense(cdb: Uint8Array, s: DriveModeState): Uint8Array {
  const ten = cdb[0] === Opcode.MODE_SENSE_10;
  if (cdb.length < (ten ? 10 : 6)) throw invalidCdbField(0);
  const dbd = (cdb[1]! & 0x08) !== 0;
  const pc = cdb[2]! >> 6;
  const code = cdb[2]! & 0x3f;
  const subpage = cdb[3]!;
  const alloc = ten ? (cdb[7]! << 8) | cdb[8]! : cdb[4]!;
  if (pc === 3) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.SAVING_PARAMETERS_NOT_SUPPORTED, { field: { inCdb: true, byte: 2, bit: 7 } });
  if (subpage !== 0 && !(code === 0x3f && subpage === 0xff)) throw invalidCdbField(3);
  const pages: Uint8Array[] = [];
  if (code === 0x3f) {
    for (const p of DRIVE_MODE_PAGES) pages.push(buildPage(p, pc as PageControl, s)!);
  } else if (code !== 0x00) {
    const p = buildPage(code, pc as PageControl, s);
    if (!p) throw invalidCdbField(2);
    pages.push(p);
  }
  const bdLen = dbd ? 0 : 8;
  const headerLen = ten ? 8 : 4;
  const bodyLen = pages.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(headerLen + bdLen + bodyLen);
  const v = new DataView(out.buffer);
  const deviceSpecific = pc === 1 ? 0x70 : (pc === 0 && s.writeProtected ? 0x80 : 0) | ((pc === 0 ? s.bufferMode : 1) << 4);
  if (ten) {
    v.setUint16(0, out.length - 2);
    out[2] = pc === 0 ? s.mediumType : 0;
    out[3] = deviceSpecific;
    v.setUint16(6, bdLen);
  } else {
    out[0] = out.length - 1;
    out[1] = pc === 0 ? s.mediumType : 0;
    out[2] = deviceSpecific;
    out[3] = bdLen;
  }
  if (bdLen) {
    const o = headerLen;
    if (pc === 1) {
      out[o + 5] = 0xff;
      out[o + 6] = 0xff;
      out[o + 7] = 0xff;
    } else {
      out[o] = pc === 0 ? s.density : 0;
      const bs = pc === 0 ? s.blockSize : 0;
      out[o + 5] = (bs >> 16) & 0xff;
      out[o + 6] = (bs >> 8) & 0xff;
      out[o + 7] = bs & 0xff;
    }
  }
  let o = headerLen + bdLen;
  for (const p of pages) {
    out.set(p, o);
    o += p.length;
  }
  return out.subarray(0, alloc);
}

export interface ModeSelectChanges {
  blockSize?: number;
  compression?: boolean;
  bufferMode?: number;
}

/** Parse MODE SELECT(6)/(10) parameter data into the changes it requests. */
export function modeSelect(cdb: Uint8Array, data: Uint8Array): ModeSelectChanges {
  const ten = cdb[0] === Opcode.MODE_SELECT_10;
  if (cdb.length < (ten ? 10 : 6)) throw invalidCdbField(0);
  if (cdb[1]! & 0x01) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.SAVING_PARAMETERS_NOT_SUPPORTED, { field: { inCdb: true, byte: 1, bit: 0 } });
  const len = ten ? (cdb[7]! << 8) | cdb[8]! : cdb[4]!;
  if (len === 0) return {};
  if (data.length < len) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
  const p = data.subarray(0, len);
  const headerLen = ten ? 8 : 4;
  if (len < headerLen) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const deviceSpecific = ten ? p[3]! : p[2]!;
  const bdLen = ten ? v.getUint16(6) : p[3]!;
  if (bdLen !== 0 && bdLen !== 8) throw invalidParameterField(ten ? 6 : 3);
  if (headerLen + bdLen > len) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
  const changes: ModeSelectChanges = { bufferMode: (deviceSpecific >> 4) & 0x07 };
  if (changes.bufferMode! > 2) throw invalidParameterField(ten ? 3 : 2, 4);
  if (bdLen === 8) {
    const o = headerLen;
    const bs = (p[o + 5]! << 16) | (p[o + 6]! << 8) | p[o + 7]!;
    if (bs > MAX_BLOCK_LENGTH) throw invalidParameterField(o + 5);
    changes.blockSize = bs;
  }
  let o = headerLen + bdLen;
  while (o < len) {
    if (o + 2 > len) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
    const code = p[o]! & 0x3f;
    const plen = p[o + 1]!;
    if (o + 2 + plen > len) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
    const expected = buildPage(code, 0, { blockSize: 0, compression: false, bufferMode: 1, density: 0, writeProtected: false, worm: false, mediumType: 0 });
    if (!expected) throw invalidParameterField(o);
    if (plen !== expected[1]) throw invalidParameterField(o + 1);
    if (code === 0x0f) changes.compression = (p[o + 2]! & 0x80) !== 0;
    if (code === 0x10) changes.compression = p[o + 14] !== 0;
    o += 2 + plen;
  }
  return changes;
}
