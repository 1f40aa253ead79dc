/**
 * READ ATTRIBUTE / WRITE ATTRIBUTE: medium auxiliary memory (MAM).
 *
 * @see SPC-4 6.17 (READ ATTRIBUTE), 6.40 (WRITE ATTRIBUTE), 7.4 (attributes: header,
 *      format, standard identifiers); PBS reference §8.3
 */
import { ByteReader, asciiTrim, checkRange, putU16, putU32, toHex } from "../bytes.ts";
import { type MamAttributeInfo, MamFormat, type MamFormatValue, mamAttributeInfo } from "../constants/mam.ts";
import { Opcode, ServiceAction } from "../constants/opcodes.ts";
import { ScsiArgumentError } from "../errors.ts";

export type ReadAttributeServiceAction = "values" | "list" | "volume-list" | "partition-list" | "supported";
const SA: Record<ReadAttributeServiceAction, number> = {
  values: ServiceAction.READ_ATTRIBUTE_VALUES,
  list: ServiceAction.READ_ATTRIBUTE_LIST,
  "volume-list": ServiceAction.READ_ATTRIBUTE_VOLUME_LIST,
  "partition-list": ServiceAction.READ_ATTRIBUTE_PARTITION_LIST,
  supported: ServiceAction.READ_ATTRIBUTE_SUPPORTED,
};

/**
 * READ ATTRIBUTE (16 bytes): `8C SA ELEM_H ELEM_L 00 VOL 00 PART FIRST_H FIRST_L ALLOC(4) CACHE 00`.
 * PBS: service action 0, volume 0, partition 0, first attribute 0, allocation 32768.
 */
export function buildReadAttributeCdb(p: {
  serviceAction?: ReadAttributeServiceAction;
  elementAddress?: number;
  volume?: number;
  partition?: number;
  firstAttribute?: number;
  allocationLength?: number;
  cache?: boolean;
} = {}): Uint8Array {
  const cdb = new Uint8Array(16);
  cdb[0] = Opcode.READ_ATTRIBUTE;
  cdb[1] = SA[p.serviceAction ?? "values"];
  putU16(cdb, 2, checkRange("elementAddress", p.elementAddress ?? 0, 0, 0xffff));
  cdb[5] = checkRange("volume", p.volume ?? 0, 0, 0xff);
  cdb[7] = checkRange("partition", p.partition ?? 0, 0, 0xff);
  putU16(cdb, 8, checkRange("firstAttribute", p.firstAttribute ?? 0, 0, 0xffff));
  putU32(cdb, 10, checkRange("allocationLength", p.allocationLength ?? 32768, 0, 0xffffffff));
  cdb[14] = p.cache ? 0x01 : 0;
  return cdb;
}

/** WRITE ATTRIBUTE (16 bytes): `8D WTC ELEM(3) VOL 00 PART 00 00 LEN(4) 00 00`; PBS sets WTC=1. */
export function buildWriteAttributeCdb(p: {
  parameterListLength: number;
  writeThroughCache?: boolean;
  elementAddress?: number;
  volume?: number;
  partition?: number;
}): Uint8Array {
  const cdb = new Uint8Array(16);
  cdb[0] = Opcode.WRITE_ATTRIBUTE;
  cdb[1] = (p.writeThroughCache ?? true) ? 0x01 : 0;
  putU16(cdb, 2, checkRange("elementAddress", p.elementAddress ?? 0, 0, 0xffff));
  cdb[5] = checkRange("volume", p.volume ?? 0, 0, 0xff);
  cdb[7] = checkRange("partition", p.partition ?? 0, 0, 0xff);
  putU32(cdb, 10, checkRange("parameterListLength", p.parameterListLength, 0, 0xffffffff));
  return cdb;
}

export type MamValue = number | string | number[] | null;

export interface MamAttributeValue {
  id: number;
  /** Name from the standard table, or `VENDOR_0xNNNN` / `UNKNOWN_0xNNNN`. */
  name: string;
  readOnly: boolean;
  format: MamFormatValue;
  length: number;
  /**
   * Decoded value: number for binary integers (decimal string above 2^53), string for
   * ASCII/TEXT (trimmed), lowercase hex for other binary data, flag numbers for TapeAlert
   * flags, null for an empty value.
   */
  value: MamValue;
  /** True when a known attribute has a length other than its defined one. */
  lengthMismatch?: boolean;
  raw: Uint8Array;
}

function attributeName(id: number, info: MamAttributeInfo | undefined): string {
  if (info) return info.name;
  const hex = id.toString(16).padStart(4, "0");
  return id >= 0x1000 && id <= 0x1bff ? `VENDOR_0x${hex}` : `UNKNOWN_0x${hex}`;
}

function decodeUint(raw: Uint8Array): number | string {
  let v = 0n;
  for (const b of raw) v = (v << 8n) | BigInt(b);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function decodeValue(raw: Uint8Array, format: number, info: MamAttributeInfo | undefined): MamValue {
  if (raw.length === 0) return null;
  if (format === MamFormat.ASCII || format === MamFormat.TEXT) {
    return format === MamFormat.TEXT ? new TextDecoder("utf-8", { fatal: false }).decode(raw).replace(/^[\s\0]+|[\s\0]+$/g, "") : asciiTrim(raw);
  }
  const kind = info?.kind ?? (raw.length <= 8 ? "uint" : "bytes");
  if (kind === "tape-alert" && raw.length === 8) {
    const out: number[] = [];
    for (let i = 0; i < 64; i++) if (((raw[i >> 3] as number) & (0x80 >> (i & 7))) !== 0) out.push(i + 1);
    return out;
  }
  if (kind === "uint" && raw.length <= 8) return decodeUint(raw);
  if (kind === "ascii" || kind === "text") return asciiTrim(raw);
  return toHex(raw);
}

/**
 * Decodes READ ATTRIBUTE data with service action "attribute values": u32 AVAILABLE DATA,
 * then attributes `id u16, READ ONLY|FORMAT u8, length u16, value`. Data cut short by the
 * allocation length keeps the attributes that are complete.
 */
export function decodeAttributeValues(bytes: Uint8Array): MamAttributeValue[] {
  const r = new ByteReader(bytes, "READ ATTRIBUTE data (attribute values)");
  const available = r.u32(0, "AVAILABLE DATA");
  const declaredEnd = 4 + available;
  const end = Math.min(r.length, declaredEnd);
  const out: MamAttributeValue[] = [];
  let off = 4;
  while (off < end) {
    if (off + 5 > end) {
      if (end < declaredEnd) break;
      r.fail(off, "attribute header needs 5 bytes");
    }
    const id = r.u16(off, "ATTRIBUTE IDENTIFIER");
    const flags = r.u8(off + 2, "READ ONLY/FORMAT");
    const len = r.u16(off + 3, "ATTRIBUTE LENGTH");
    if (off + 5 + len > end) {
      if (end < declaredEnd) break;
      r.fail(off, `attribute 0x${id.toString(16)} of ${len} bytes runs past AVAILABLE DATA`);
    }
    const raw = r.slice(off + 5, len, "ATTRIBUTE VALUE");
    const info = mamAttributeInfo(id);
    const format = (flags & 0x03) as MamFormatValue;
    const a: MamAttributeValue = {
      id,
      name: attributeName(id, info),
      readOnly: (flags & 0x80) !== 0,
      format,
      length: len,
      value: decodeValue(raw, format, info),
      raw,
    };
    if (info && info.length !== null && info.length !== len) a.lengthMismatch = true;
    out.push(a);
    off += 5 + len;
  }
  return out;
}

/** Decodes READ ATTRIBUTE data with service action "attribute list" (or "supported"): identifiers. */
export function decodeAttributeList(bytes: Uint8Array): number[] {
  const r = new ByteReader(bytes, "READ ATTRIBUTE data (attribute list)");
  const available = r.u32(0, "AVAILABLE DATA");
  const end = Math.min(r.length, 4 + available);
  const out: number[] = [];
  for (let off = 4; off + 2 <= end; off += 2) out.push(r.u16(off, "ATTRIBUTE IDENTIFIER"));
  return out;
}

export interface MamWrite {
  id: number;
  /**
   * String for ASCII/TEXT attributes, number/bigint for binary integers, bytes for other
   * binary values, null to clear the attribute (length 0).
   */
  value: string | number | bigint | Uint8Array | null;
  /** Needed for attributes not in the standard table. */
  format?: MamFormatValue;
  /** Value length for attributes not in the standard table (defaults to the value's size). */
  length?: number;
}

/**
 * Encodes the WRITE ATTRIBUTE parameter list: u32 PARAMETER DATA LENGTH, then each attribute
 * padded to its defined length. ASCII values are padded with spaces (SPC-4 7.4.1), TEXT and
 * binary with NUL bytes; values longer than the defined length are an error.
 */
export function encodeWriteAttributes(list: readonly MamWrite[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const w of list) {
    checkRange("id", w.id, 0, 0xffff);
    const info = mamAttributeInfo(w.id);
    const format = w.format ?? info?.format;
    if (format === undefined) throw new ScsiArgumentError("format", `attribute 0x${w.id.toString(16)} is not in the standard table; give its format`);
    let body: Uint8Array;
    if (w.value === null) {
      body = new Uint8Array(0);
    } else {
      const length = w.length ?? info?.length ?? null;
      let valueBytes: Uint8Array;
      if (typeof w.value === "string") {
        valueBytes = format === MamFormat.TEXT ? new TextEncoder().encode(w.value) : asciiBytes(w.value);
      } else if (typeof w.value === "number" || typeof w.value === "bigint") {
        const n = BigInt(w.value);
        const size = length ?? 8;
        if (n < 0n || n >= 1n << BigInt(8 * size)) throw new ScsiArgumentError("value", `attribute 0x${w.id.toString(16)}: ${n} does not fit ${size} bytes`);
        valueBytes = new Uint8Array(size);
        let v = n;
        for (let i = size - 1; i >= 0; i--) {
          valueBytes[i] = Number(v & 0xffn);
          v >>= 8n;
        }
      } else {
        valueBytes = w.value;
      }
      const target = length ?? valueBytes.length;
      if (valueBytes.length > target) {
        throw new ScsiArgumentError("value", `attribute 0x${w.id.toString(16)}: ${valueBytes.length} bytes exceed the defined length ${target}`);
      }
      checkRange("length", target, 0, 0xffff);
      body = new Uint8Array(target);
      if (format === MamFormat.ASCII) body.fill(0x20);
      body.set(valueBytes, 0);
    }
    const a = new Uint8Array(5 + body.length);
    putU16(a, 0, w.id);
    a[2] = format & 0x03;
    putU16(a, 3, body.length);
    a.set(body, 5);
    parts.push(a);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(4 + total);
  putU32(out, 0, total);
  let off = 4;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new ScsiArgumentError("value", `character ${JSON.stringify(s[i])} at ${i} is not printable ASCII`);
    out[i] = c;
  }
  return out;
}

/**
 * Encodes READ ATTRIBUTE "attribute values" data (the response side; for tests and the
 * virtual library).
 */
export function encodeAttributeValues(list: ReadonlyArray<{ id: number; format: MamFormatValue; readOnly?: boolean; value: Uint8Array }>): Uint8Array {
  const total = list.reduce((n, a) => n + 5 + a.value.length, 0);
  const out = new Uint8Array(4 + total);
  putU32(out, 0, total);
  let off = 4;
  for (const a of list) {
    putU16(out, off, checkRange("id", a.id, 0, 0xffff));
    out[off + 2] = (a.readOnly ? 0x80 : 0) | (a.format & 0x03);
    putU16(out, off + 3, checkRange("value.length", a.value.length, 0, 0xffff));
    out.set(a.value, off + 5);
    off += 5 + a.value.length;
  }
  return out;
}
