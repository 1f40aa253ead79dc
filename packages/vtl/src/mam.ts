/**
 * Medium auxiliary memory (MAM) of a virtual cartridge: READ ATTRIBUTE and WRITE ATTRIBUTE
 * (SPC-4 6.17 / 6.38, attribute identifiers SPC-4 7.4.2).
 */
import { Asc, SenseKey } from "./scsi-codes.ts";
import { condition, invalidCdbField, invalidParameterField } from "./sense.ts";
import { MEDIA } from "./generations.ts";
import type { CartridgeRecord } from "./state.ts";

export const AttributeFormat = { BINARY: 0, ASCII: 1, TEXT: 2 } as const;

export const MamId = {
  REMAINING_CAPACITY: 0x0000,
  MAXIMUM_CAPACITY: 0x0001,
  TAPEALERT_FLAGS: 0x0002,
  LOAD_COUNT: 0x0003,
  MAM_SPACE_REMAINING: 0x0004,
  ASSIGNING_ORGANIZATION_DEVICE: 0x0005,
  FORMATTED_DENSITY_CODE: 0x0006,
  INITIALIZATION_COUNT: 0x0007,
  DEVICE_AT_LAST_LOAD: 0x020a,
  TOTAL_MB_WRITTEN: 0x0220,
  TOTAL_MB_READ: 0x0221,
  MB_WRITTEN_THIS_LOAD: 0x0222,
  MB_READ_THIS_LOAD: 0x0223,
  MEDIUM_MANUFACTURER: 0x0400,
  MEDIUM_SERIAL: 0x0401,
  MEDIUM_LENGTH: 0x0402,
  MEDIUM_WIDTH: 0x0403,
  ASSIGNING_ORGANIZATION_MEDIUM: 0x0404,
  MEDIUM_DENSITY_CODE: 0x0405,
  MANUFACTURE_DATE: 0x0406,
  MAM_CAPACITY: 0x0407,
  MEDIUM_TYPE: 0x0408,
  MEDIUM_TYPE_INFORMATION: 0x0409,
  APPLICATION_VENDOR: 0x0800,
  APPLICATION_NAME: 0x0801,
  APPLICATION_VERSION: 0x0802,
  USER_MEDIUM_TEXT_LABEL: 0x0803,
  DATE_TIME_LAST_WRITTEN: 0x0804,
  TEXT_LOCALIZATION_ID: 0x0805,
  BARCODE: 0x0806,
  OWNING_HOST_TEXTUAL_NAME: 0x0807,
  MEDIA_POOL: 0x0808,
} as const;

/** Host-writable attributes: id → [format, defined length]. */
export const WRITABLE_ATTRIBUTES: ReadonlyMap<number, readonly [number, number]> = new Map([
  [MamId.APPLICATION_VENDOR, [AttributeFormat.ASCII, 8]],
  [MamId.APPLICATION_NAME, [AttributeFormat.ASCII, 32]],
  [MamId.APPLICATION_VERSION, [AttributeFormat.ASCII, 8]],
  [MamId.USER_MEDIUM_TEXT_LABEL, [AttributeFormat.TEXT, 160]],
  [MamId.DATE_TIME_LAST_WRITTEN, [AttributeFormat.ASCII, 12]],
  [MamId.TEXT_LOCALIZATION_ID, [AttributeFormat.BINARY, 1]],
  [MamId.BARCODE, [AttributeFormat.ASCII, 32]],
  [MamId.OWNING_HOST_TEXTUAL_NAME, [AttributeFormat.ASCII, 80]],
  [MamId.MEDIA_POOL, [AttributeFormat.TEXT, 160]],
]);

/** SPC-4 MEDIUM TYPE attribute values. */
const MEDIUM_TYPE_CODE = { data: 0x00, cleaning: 0x01, worm: 0x80 } as const;
const MAM_CAPACITY_BYTES = 16384;
const MIB = 1024 * 1024;

interface Attribute {
  id: number;
  format: number;
  readOnly: boolean;
  value: Uint8Array;
}

export interface MamContext {
  record: CartridgeRecord;
  usedBytes: number;
  tapeAlertFlags: bigint;
  driveVendor: string;
  driveSerial: string;
  mountBytesWritten: number;
  mountBytesRead: number;
}

function u(value: number | bigint, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let v = BigInt(value);
  for (let i = len - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

function ascii(s: string, len: number): Uint8Array {
  const b = new Uint8Array(len).fill(0x20);
  for (let i = 0; i < Math.min(len, s.length); i++) b[i] = s.charCodeAt(i) & 0x7f;
  return b;
}

/** Every attribute present on the cartridge, ascending by id. */
export function attributes(ctx: MamContext): Attribute[] {
  const r = ctx.record;
  const media = MEDIA[r.media];
  const ro = (id: number, format: number, value: Uint8Array): Attribute => ({ id, format, readOnly: true, value });
  const out: Attribute[] = [
    ro(MamId.REMAINING_CAPACITY, 0, u(Math.floor(Math.max(0, r.capacityBytes - ctx.usedBytes) / MIB), 8)),
    ro(MamId.MAXIMUM_CAPACITY, 0, u(Math.floor(r.capacityBytes / MIB), 8)),
    ro(MamId.TAPEALERT_FLAGS, 0, u(ctx.tapeAlertFlags, 8)),
    ro(MamId.LOAD_COUNT, 0, u(r.loadCount, 8)),
    ro(MamId.MAM_SPACE_REMAINING, 0, u(MAM_CAPACITY_BYTES - hostBytes(r), 8)),
    ro(MamId.ASSIGNING_ORGANIZATION_DEVICE, 1, ascii("LTO-CVE", 8)),
    ro(MamId.FORMATTED_DENSITY_CODE, 0, Uint8Array.of(r.formattedDensity)),
    ro(MamId.INITIALIZATION_COUNT, 0, u(0, 2)),
    ro(MamId.DEVICE_AT_LAST_LOAD, 1, concat(ascii(ctx.driveVendor, 8), ascii(ctx.driveSerial, 32))),
    ro(MamId.TOTAL_MB_WRITTEN, 0, u(Math.floor(r.bytesWritten / MIB), 8)),
    ro(MamId.TOTAL_MB_READ, 0, u(Math.floor(r.bytesRead / MIB), 8)),
    ro(MamId.MB_WRITTEN_THIS_LOAD, 0, u(Math.floor(ctx.mountBytesWritten / MIB), 8)),
    ro(MamId.MB_READ_THIS_LOAD, 0, u(Math.floor(ctx.mountBytesRead / MIB), 8)),
    ro(MamId.MEDIUM_MANUFACTURER, 1, ascii("FUJIFILM", 8)),
    ro(MamId.MEDIUM_SERIAL, 1, ascii(r.serial, 32)),
    ro(MamId.MEDIUM_LENGTH, 0, u(1035, 4)),
    ro(MamId.MEDIUM_WIDTH, 0, u(127, 4)),
    ro(MamId.ASSIGNING_ORGANIZATION_MEDIUM, 1, ascii("LTO-CVE", 8)),
    ro(MamId.MEDIUM_DENSITY_CODE, 0, Uint8Array.of(media.density)),
    ro(MamId.MANUFACTURE_DATE, 1, ascii(r.manufactured, 8)),
    ro(MamId.MAM_CAPACITY, 0, u(MAM_CAPACITY_BYTES, 8)),
    ro(MamId.MEDIUM_TYPE, 0, Uint8Array.of(MEDIUM_TYPE_CODE[r.kind])),
    ro(MamId.MEDIUM_TYPE_INFORMATION, 0, u(r.kind === "cleaning" ? r.cleaningCyclesLeft : 0, 2)),
  ];
  for (const [hex, b64] of Object.entries(r.attributes)) {
    const id = parseInt(hex, 16);
    const def = WRITABLE_ATTRIBUTES.get(id);
    if (!def) continue;
    out.push({ id, format: def[0], readOnly: false, value: Buffer.from(b64, "base64") });
  }
  return out.sort((a, b) => a.id - b.id);
}

function hostBytes(r: CartridgeRecord): number {
  return Object.values(r.attributes).reduce((s, b64) => s + 5 + Buffer.from(b64, "base64").length, 0);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function encodeAttribute(a: Attribute): Uint8Array {
  const b = new Uint8Array(5 + a.value.length);
  b[0] = a.id >> 8;
  b[1] = a.id & 0xff;
  b[2] = (a.readOnly ? 0x80 : 0) | a.format;
  b[3] = a.value.length >> 8;
  b[4] = a.value.length & 0xff;
  b.set(a.value, 5);
  return b;
}

const ALL_SUPPORTED = (): number[] =>
  [...Object.values(MamId)].sort((a, b) => a - b);

/** Answer READ ATTRIBUTE. */
export function readAttribute(cdb: Uint8Array, ctx: MamContext): Uint8Array {
  if (cdb.length < 16) throw invalidCdbField(0);
  const sa = cdb[1]! & 0x1f;
  const volume = cdb[5]!;
  const partition = cdb[7]!;
  const first = (cdb[8]! << 8) | cdb[9]!;
  const alloc = new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength).getUint32(10);
  if (volume !== 0) throw invalidCdbField(5);
  if (partition !== 0) throw invalidCdbField(7);
  let out: Uint8Array;
  switch (sa) {
    case 0x00: {
      const list = attributes(ctx).filter((a) => a.id >= first);
      const body = list.map(encodeAttribute);
      out = withLength32(body);
      break;
    }
    case 0x01:
    case 0x05: {
      const ids = (sa === 0x01 ? attributes(ctx).map((a) => a.id) : ALL_SUPPORTED()).filter((id) => id >= first);
      out = withLength32(ids.map((id) => Uint8Array.of(id >> 8, id & 0xff)));
      break;
    }
    case 0x02:
    case 0x03:
      // one logical volume / one partition: first 0, count 1
      out = Uint8Array.of(0x00, 0x02, 0x00, 0x01);
      break;
    default:
      throw invalidCdbField(1, 4);
  }
  return out.subarray(0, alloc);
}

function withLength32(parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(4 + len);
  new DataView(out.buffer).setUint32(0, len);
  let o = 4;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Apply WRITE ATTRIBUTE parameter data to the cartridge record (all or nothing). */
export function writeAttribute(cdb: Uint8Array, data: Uint8Array, record: CartridgeRecord): void {
  if (cdb.length < 16) throw invalidCdbField(0);
  if (cdb[5] !== 0) throw invalidCdbField(5);
  if (cdb[7] !== 0) throw invalidCdbField(7);
  const len = new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength).getUint32(10);
  if (len === 0) return;
  if (len < 4 || data.length < len) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
  const dv = new DataView(data.buffer, data.byteOffset, len);
  const listLen = dv.getUint32(0);
  if (listLen + 4 > len) throw invalidParameterField(0);
  const updates: [number, Uint8Array | null][] = [];
  let o = 4;
  while (o < 4 + listLen) {
    if (o + 5 > 4 + listLen) throw invalidParameterField(o);
    const id = dv.getUint16(o);
    const format = data[o + 2]! & 0x03;
    const alen = dv.getUint16(o + 3);
    if (o + 5 + alen > 4 + listLen) throw invalidParameterField(o + 3);
    const def = WRITABLE_ATTRIBUTES.get(id);
    if (!def) throw invalidParameterField(o); // read-only or unsupported attribute
    if (alen > def[1]) throw invalidParameterField(o + 3);
    if (alen > 0 && format !== def[0]) throw invalidParameterField(o + 2, 0);
    if (alen === 0) {
      updates.push([id, null]);
    } else {
      const v = new Uint8Array(def[1]).fill(def[0] === AttributeFormat.ASCII ? 0x20 : 0x00);
      v.set(data.subarray(o + 5, o + 5 + alen));
      updates.push([id, v]);
    }
    o += 5 + alen;
  }
  for (const [id, v] of updates) {
    const key = id.toString(16).padStart(4, "0");
    if (v === null) delete record.attributes[key];
    else record.attributes[key] = Buffer.from(v).toString("base64");
  }
}
