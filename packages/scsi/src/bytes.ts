/**
 * Bounds-checked big-endian reads for decoders and range-checked writes for builders.
 * Every failed read throws {@link ScsiDecodeError} naming the structure, field and offset;
 * every out-of-range parameter throws {@link ScsiArgumentError}.
 */
import { ScsiArgumentError, ScsiDecodeError } from "./errors.ts";

/** Reads fields of one structure from a byte buffer. */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly structure: string;
  /** Offset added to reported offsets (when this reader looks at a slice of a larger buffer). */
  readonly base: number;

  constructor(bytes: Uint8Array, structure: string, base = 0) {
    this.bytes = bytes;
    this.structure = structure;
    this.base = base;
  }

  get length(): number {
    return this.bytes.length;
  }

  fail(offset: number, reason: string): never {
    throw new ScsiDecodeError(this.structure, this.base + offset, reason);
  }

  need(offset: number, count: number, field: string): void {
    if (offset < 0 || count < 0 || offset + count > this.bytes.length) {
      this.fail(offset, `${field} needs ${count} byte(s) at offset ${offset}, only ${this.bytes.length} available`);
    }
  }

  u8(offset: number, field: string): number {
    this.need(offset, 1, field);
    return this.bytes[offset] as number;
  }

  u16(offset: number, field: string): number {
    this.need(offset, 2, field);
    const b = this.bytes;
    return ((b[offset] as number) << 8) | (b[offset + 1] as number);
  }

  u24(offset: number, field: string): number {
    this.need(offset, 3, field);
    const b = this.bytes;
    return ((b[offset] as number) << 16) | ((b[offset + 1] as number) << 8) | (b[offset + 2] as number);
  }

  u32(offset: number, field: string): number {
    this.need(offset, 4, field);
    const b = this.bytes;
    return (
      (b[offset] as number) * 0x1000000 +
      (((b[offset + 1] as number) << 16) | ((b[offset + 2] as number) << 8) | (b[offset + 3] as number))
    );
  }

  i32(offset: number, field: string): number {
    const v = this.u32(offset, field);
    return v >= 0x80000000 ? v - 0x100000000 : v;
  }

  /** Unsigned 64-bit value; fails when it exceeds 2^53 - 1. */
  u64(offset: number, field: string): number {
    const v = this.u64big(offset, field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(offset, `${field} value ${v} exceeds 2^53-1`);
    return Number(v);
  }

  u64big(offset: number, field: string): bigint {
    this.need(offset, 8, field);
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this.bytes[offset + i] as number);
    return v;
  }

  /** Unsigned big-endian integer of 1..8 bytes, as a number (values above 2^53 lose precision). */
  uintN(offset: number, count: number, field: string): number {
    this.need(offset, count, field);
    let v = 0;
    for (let i = 0; i < count; i++) v = v * 256 + (this.bytes[offset + i] as number);
    return v;
  }

  slice(offset: number, count: number, field: string): Uint8Array {
    this.need(offset, count, field);
    return this.bytes.subarray(offset, offset + count);
  }

  /** ASCII text with leading/trailing spaces and NULs trimmed (non-printable bytes become `?`). */
  ascii(offset: number, count: number, field: string): string {
    return asciiTrim(this.slice(offset, count, field));
  }
}

/** Printable ASCII of a byte range, trimmed of spaces and NULs on both ends. */
export function asciiTrim(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === 0 ? "\0" : "?";
  return s.replace(/^[\s\0]+|[\s\0]+$/g, "");
}

/** Lowercase hex of bytes, no separators. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Checks that `value` is an integer in [min, max]; returns it. */
export function checkRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ScsiArgumentError(field, `must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

/** Writers for fixed-size buffers (CDBs and parameter lists). */
export function putU16(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 8) & 0xff;
  buf[offset + 1] = value & 0xff;
}

export function putU24(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 16) & 0xff;
  buf[offset + 1] = (value >>> 8) & 0xff;
  buf[offset + 2] = value & 0xff;
}

export function putU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = Math.floor(value / 0x1000000) & 0xff;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

/** Writes a 64-bit two's complement value (bigint or safe integer number). */
export function putI64(buf: Uint8Array, offset: number, value: number | bigint): void {
  let v = BigInt.asUintN(64, BigInt(value));
  for (let i = 7; i >= 0; i--) {
    buf[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}
