/**
 * LOG SENSE page builders (SPC-4 7.3): parameter lists, the supported pages page (0x00),
 * TapeAlert pages 0x2E (SSC-4 8.2.3 / SMC-3) and 0x12 (TapeAlert response, SSC-4 8.2.4).
 */
import { Opcode } from "./scsi-codes.ts";
import { invalidCdbField } from "./sense.ts";

export interface LogParameter {
  code: number;
  /** Control byte (default 0x03 for binary counters: TSD/ETC off, format 11b "binary list" varies). */
  control?: number;
  value: Uint8Array;
}

/** Parameter control byte for a bounded data counter (FORMAT AND LINKING 10b) as LTO drives report. */
export const CONTROL_COUNTER = 0x02;
/** Parameter control byte for a binary list / ASCII value (FORMAT AND LINKING 11b). */
export const CONTROL_LIST = 0x03;

export function uintBE(value: number | bigint, bytes: number): Uint8Array {
  const b = new Uint8Array(bytes);
  let v = BigInt(value);
  for (let i = bytes - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

export function buildLogPage(page: number, params: LogParameter[], subpage = 0): Uint8Array {
  const len = params.reduce((s, p) => s + 4 + p.value.length, 0);
  const b = new Uint8Array(4 + len);
  b[0] = (page & 0x3f) | (subpage ? 0x40 : 0);
  b[1] = subpage;
  new DataView(b.buffer).setUint16(2, len);
  let o = 4;
  for (const p of params) {
    b[o] = p.code >> 8;
    b[o + 1] = p.code & 0xff;
    b[o + 2] = p.control ?? CONTROL_COUNTER;
    b[o + 3] = p.value.length;
    b.set(p.value, o + 4);
    o += 4 + p.value.length;
  }
  return b;
}

export function supportedPagesPage(pages: readonly number[]): Uint8Array {
  const b = new Uint8Array(4 + pages.length);
  new DataView(b.buffer).setUint16(2, pages.length);
  b.set(pages, 4);
  return b;
}

/** Page 0x00 subpage 0xFF: supported pages and subpages (page, subpage pairs). */
export function supportedSubpagesPage(pages: readonly number[]): Uint8Array {
  const b = new Uint8Array(4 + pages.length * 2 + 2);
  b[0] = 0x40;
  b[1] = 0xff;
  new DataView(b.buffer).setUint16(2, pages.length * 2 + 2);
  let o = 4;
  for (const p of pages) {
    b[o++] = p;
    b[o++] = 0x00;
  }
  b[o++] = 0x00;
  b[o] = 0xff;
  return b;
}

/** 64 TapeAlert flags as one bigint: flag n (1..64) is bit (n-1). */
export function tapeAlertPage2E(flags: bigint): LogParameter[] {
  const out: LogParameter[] = [];
  for (let n = 1; n <= 64; n++) out.push({ code: n, control: CONTROL_LIST, value: Uint8Array.of((flags >> BigInt(n - 1)) & 1n ? 1 : 0) });
  return out;
}

/** TapeAlert response page 0x12: parameter 0, 8 bytes, flag 1 = MSB of the first byte. */
export function tapeAlertResponse12(flags: bigint): LogParameter[] {
  const v = new Uint8Array(8);
  for (let n = 1; n <= 64; n++) if ((flags >> BigInt(n - 1)) & 1n) v[(n - 1) >> 3]! |= 0x80 >> ((n - 1) & 7);
  return [{ code: 0x0000, control: CONTROL_LIST, value: v }];
}

/** Decode and check a LOG SENSE CDB; returns page, subpage, PC, parameter pointer and allocation length. */
export function logSenseHeaderCheck(cdb: Uint8Array): { page: number; subpage: number; pc: number; pointer: number; alloc: number } {
  if (cdb.length < 10 || cdb[0] !== Opcode.LOG_SENSE) throw invalidCdbField(0);
  if (cdb[1]! & 0x01) throw invalidCdbField(1, 0); // SP: saving parameters not supported
  const page = cdb[2]! & 0x3f;
  const pc = cdb[2]! >> 6;
  const subpage = cdb[3]!;
  const pointer = (cdb[5]! << 8) | cdb[6]!;
  const alloc = (cdb[7]! << 8) | cdb[8]!;
  if (subpage !== 0 && !(page === 0 && subpage === 0xff)) throw invalidCdbField(3);
  return { page: subpage === 0xff ? 0x100 : page, subpage, pc, pointer, alloc };
}

/** Keep only the parameters whose code is at least `pointer` (LOG SENSE PARAMETER POINTER). */
export function fromParameterPointer(page: Uint8Array, pointer: number): Uint8Array {
  if (pointer === 0 || page.length < 4) return page;
  const kept: Uint8Array[] = [];
  for (let o = 4; o + 4 <= page.length; o += 4 + page[o + 3]!) {
    if (((page[o]! << 8) | page[o + 1]!) >= pointer) kept.push(page.subarray(o, o + 4 + page[o + 3]!));
  }
  const len = kept.reduce((n, k) => n + k.length, 0);
  const out = new Uint8Array(4 + len);
  out.set(page.subarray(0, 2), 0);
  new DataView(out.buffer).setUint16(2, len);
  let o = 4;
  for (const k of kept) {
    out.set(k, o);
    o += k.length;
  }
  return out;
}
