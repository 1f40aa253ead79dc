/**
 * Medium changer commands: READ ELEMENT STATUS (all element types, volume tags, DVCID
 * device identifiers), MOVE MEDIUM, INITIALIZE ELEMENT STATUS (and WITH RANGE), and the
 * changer status with mtx/PBS slot numbering.
 *
 * @see SMC-3 6.5 (INITIALIZE ELEMENT STATUS), 6.6 (INITIALIZE ELEMENT STATUS WITH RANGE),
 *      6.7 (MOVE MEDIUM), 6.11 (READ ELEMENT STATUS; 6.11.2 element status header,
 *      6.11.3 element status page, 6.11.4 element descriptors, 6.11.5 volume tag format);
 *      PBS reference §7.3
 */
import { ByteReader, asciiTrim, checkRange, putU16, putU24, toHex } from "../bytes.ts";
import { Opcode } from "../constants/opcodes.ts";
import { ascAscqDescription } from "../constants/sense.ts";
import { ScsiArgumentError } from "../errors.ts";

/** ELEMENT TYPE CODE (SMC-3 table 19). */
export const ElementType = {
  ALL: 0,
  MEDIUM_TRANSPORT: 1,
  STORAGE: 2,
  IMPORT_EXPORT: 3,
  DATA_TRANSFER: 4,
} as const;

export type ElementKind = "transport" | "storage" | "import-export" | "data-transfer";
const KIND_CODE: Record<ElementKind | "all", number> = {
  all: ElementType.ALL,
  transport: ElementType.MEDIUM_TRANSPORT,
  storage: ElementType.STORAGE,
  "import-export": ElementType.IMPORT_EXPORT,
  "data-transfer": ElementType.DATA_TRANSFER,
};
const CODE_KIND: readonly (ElementKind | undefined)[] = [undefined, "transport", "storage", "import-export", "data-transfer"];

/** Element count PBS asks for per query; a full answer is repeated from the last address + 1. */
export const READ_ELEMENT_STATUS_BATCH = 1000;

/**
 * READ ELEMENT STATUS (12 bytes): `B8 VOLTAG<<4|TYPE START(2) COUNT(2) CURDATA<<1|DVCID ALLOC(3) 00 00`.
 * PBS: allocation 0x00FFFF, 1000 elements, VOLTAG=1 except the DVCID query of drives.
 */
export function buildReadElementStatusCdb(p: {
  type: ElementKind | "all";
  startAddress?: number;
  count?: number;
  volumeTags?: boolean;
  deviceIds?: boolean;
  currentData?: boolean;
  allocationLength?: number;
}): Uint8Array {
  const cdb = new Uint8Array(12);
  cdb[0] = Opcode.READ_ELEMENT_STATUS;
  cdb[1] = ((p.volumeTags ?? true) ? 0x10 : 0) | KIND_CODE[p.type];
  putU16(cdb, 2, checkRange("startAddress", p.startAddress ?? 0, 0, 0xffff));
  putU16(cdb, 4, checkRange("count", p.count ?? READ_ELEMENT_STATUS_BATCH, 0, 0xffff));
  cdb[6] = (p.currentData ? 0x02 : 0) | (p.deviceIds ? 0x01 : 0);
  putU24(cdb, 7, checkRange("allocationLength", p.allocationLength ?? 0xffff, 0, 0xffffff));
  return cdb;
}

/** MOVE MEDIUM (12 bytes): `A5 00 TRANSPORT(2) SOURCE(2) DEST(2) 00 00 INVERT 00`. */
export function buildMoveMediumCdb(p: { transport?: number; source: number; destination: number; invert?: boolean }): Uint8Array {
  const cdb = new Uint8Array(12);
  cdb[0] = Opcode.MOVE_MEDIUM;
  putU16(cdb, 2, checkRange("transport", p.transport ?? 0, 0, 0xffff));
  putU16(cdb, 4, checkRange("source", p.source, 0, 0xffff));
  putU16(cdb, 6, checkRange("destination", p.destination, 0, 0xffff));
  cdb[10] = p.invert ? 0x01 : 0;
  return cdb;
}

/** INITIALIZE ELEMENT STATUS: `07 00 00 00 00 00`. */
export function buildInitializeElementStatusCdb(): Uint8Array {
  return Uint8Array.of(Opcode.INITIALIZE_ELEMENT_STATUS, 0, 0, 0, 0, 0);
}

/** INITIALIZE ELEMENT STATUS WITH RANGE (10 bytes): `37 FAST<<1|RANGE START(2) 00 00 COUNT(2) 00 00`. */
export function buildInitializeElementStatusWithRangeCdb(p: { startAddress: number; count: number; fast?: boolean }): Uint8Array {
  const cdb = new Uint8Array(10);
  cdb[0] = Opcode.INITIALIZE_ELEMENT_STATUS_WITH_RANGE;
  cdb[1] = (p.fast ? 0x02 : 0) | 0x01;
  putU16(cdb, 2, checkRange("startAddress", p.startAddress, 0, 0xffff));
  putU16(cdb, 6, checkRange("count", p.count, 0, 0xffff));
  return cdb;
}

export interface VolumeTag {
  /** VOLUME IDENTIFIER: the 32-byte field, spaces and NULs trimmed (the barcode). */
  id: string;
  sequence: number;
}

/** DVCID device identifier of a data transfer element. */
export interface ElementDeviceId {
  codeSet: number;
  identifierType: number;
  /** The identifier as ASCII (trimmed). */
  text: string;
  hex: string;
  /** Identifier type 1 of 34 bytes (T10 vendor id layout): vendor (8), product (16), serial (10). */
  vendor?: string;
  product?: string;
  /** The drive serial: type 0 → the whole identifier, type 1 → its last part. */
  serial?: string;
}

export interface ElementDescriptor {
  kind: ElementKind;
  address: number;
  full: boolean;
  /** EXCEPT: the element is in an abnormal state, see asc/ascq. */
  except: boolean;
  /** ACCESS: the transport can reach the element (storage, I/E, DT). */
  access: boolean;
  asc: number;
  ascq: number;
  /** Import/export only: IMPEXP (medium was placed by an operator), INENAB, EXENAB, CMC. */
  importExport?: { impExp: boolean; importEnabled: boolean; exportEnabled: boolean; cmc: boolean };
  /** Data transfer only: bus address fields. */
  dataTransfer?: { idValid: boolean; luValid: boolean; notBus: boolean; scsiBusAddress: number; lun: number };
  /** SVALID: sourceAddress holds the element the medium came from. */
  sourceValid: boolean;
  invert: boolean;
  sourceAddress?: number;
  primaryVolumeTag?: VolumeTag;
  alternateVolumeTag?: VolumeTag;
  deviceId?: ElementDeviceId;
}

export interface ElementStatusPage {
  kind: ElementKind;
  typeCode: number;
  primaryVolumeTagPresent: boolean;
  alternateVolumeTagPresent: boolean;
  descriptorLength: number;
  elements: ElementDescriptor[];
}

export interface ElementStatusData {
  firstElementAddress: number;
  numberOfElements: number;
  /** BYTE COUNT OF REPORT AVAILABLE. */
  byteCount: number;
  /** The data ended before the byte count (cut by the allocation length): more elements exist. */
  truncated: boolean;
  pages: ElementStatusPage[];
}

function volumeTag(r: ByteReader, off: number, field: string): VolumeTag {
  return { id: r.ascii(off, 32, field), sequence: r.u16(off + 34, `${field} sequence`) };
}

function decodeDeviceId(r: ByteReader, off: number, end: number): ElementDeviceId | undefined {
  if (off + 4 > end) return undefined;
  const len = r.u8(off + 3, "IDENTIFIER LENGTH");
  if (len === 0) return undefined;
  if (off + 4 + len > end) r.fail(off, `device identifier of ${len} bytes runs past the element descriptor`);
  const body = r.slice(off + 4, len, "IDENTIFIER");
  const d: ElementDeviceId = {
    codeSet: r.u8(off, "CODE SET") & 0x0f,
    identifierType: r.u8(off + 1, "IDENTIFIER TYPE") & 0x0f,
    text: asciiTrim(body),
    hex: toHex(body),
  };
  if (d.identifierType === 1 && len >= 34) {
    d.vendor = asciiTrim(body.subarray(0, 8));
    d.product = asciiTrim(body.subarray(8, 24));
    d.serial = asciiTrim(body.subarray(24));
  } else if (d.identifierType === 0) {
    d.serial = d.text;
  }
  return d;
}

/**
 * Decodes READ ELEMENT STATUS data. Data beyond BYTE COUNT OF REPORT AVAILABLE is ignored;
 * less data than that (cut by the allocation length) keeps the complete descriptors.
 */
export function decodeReadElementStatus(bytes: Uint8Array): ElementStatusData {
  const r = new ByteReader(bytes, "READ ELEMENT STATUS data");
  if (r.length < 8) r.fail(r.length, `element status header needs 8 bytes, got ${r.length}`);
  const byteCount = r.u24(5, "BYTE COUNT OF REPORT AVAILABLE");
  const declaredEnd = 8 + byteCount;
  const end = Math.min(r.length, declaredEnd);
  const pages: ElementStatusPage[] = [];
  let off = 8;
  while (off < end) {
    if (off + 8 > end) {
      if (end < declaredEnd) break;
      r.fail(off, "element status page header needs 8 bytes");
    }
    const typeCode = r.u8(off, "ELEMENT TYPE CODE") & 0x0f;
    const kind = CODE_KIND[typeCode] ?? r.fail(off, `ELEMENT TYPE CODE ${typeCode} is not 1..4`);
    const flags = r.u8(off + 1, "PVOLTAG/AVOLTAG");
    const pvol = (flags & 0x80) !== 0;
    const avol = (flags & 0x40) !== 0;
    const dlen = r.u16(off + 2, "ELEMENT DESCRIPTOR LENGTH");
    const pageBytes = r.u24(off + 5, "BYTE COUNT OF DESCRIPTOR DATA AVAILABLE");
    const minLen = 12 + (pvol ? 36 : 0) + (avol ? 36 : 0);
    if (dlen < minLen) r.fail(off + 2, `ELEMENT DESCRIPTOR LENGTH ${dlen} is shorter than ${minLen} for these volume tag flags`);
    const pageDeclaredEnd = off + 8 + pageBytes;
    const pageEnd = Math.min(end, pageDeclaredEnd);
    const elements: ElementDescriptor[] = [];
    let d = off + 8;
    while (d < pageEnd) {
      if (d + dlen > pageEnd) {
        if (pageEnd < pageDeclaredEnd) break;
        r.fail(d, `element descriptor of ${dlen} bytes runs past the page's byte count`);
      }
      elements.push(decodeElement(r, d, dlen, kind, pvol, avol));
      d += dlen;
    }
    pages.push({ kind, typeCode, primaryVolumeTagPresent: pvol, alternateVolumeTagPresent: avol, descriptorLength: dlen, elements });
    if (pageEnd < pageDeclaredEnd) break;
    off = pageDeclaredEnd;
  }
  return {
    firstElementAddress: r.u16(0, "FIRST ELEMENT ADDRESS REPORTED"),
    numberOfElements: r.u16(2, "NUMBER OF ELEMENTS AVAILABLE"),
    byteCount,
    truncated: end < declaredEnd,
    pages,
  };
}

function decodeElement(r: ByteReader, d: number, dlen: number, kind: ElementKind, pvol: boolean, avol: boolean): ElementDescriptor {
  const f = r.u8(d + 2, "element flags");
  const b9 = r.u8(d + 9, "SVALID/INVERT");
  const e: ElementDescriptor = {
    kind,
    address: r.u16(d, "ELEMENT ADDRESS"),
    full: (f & 0x01) !== 0,
    except: (f & 0x04) !== 0,
    access: kind === "transport" ? true : (f & 0x08) !== 0,
    asc: r.u8(d + 4, "ADDITIONAL SENSE CODE"),
    ascq: r.u8(d + 5, "ADDITIONAL SENSE CODE QUALIFIER"),
    sourceValid: (b9 & 0x80) !== 0,
    invert: (b9 & 0x40) !== 0,
  };
  if (kind === "import-export") {
    e.importExport = { impExp: (f & 0x02) !== 0, importEnabled: (f & 0x20) !== 0, exportEnabled: (f & 0x10) !== 0, cmc: (f & 0x40) !== 0 };
  }
  if (kind === "data-transfer") {
    const b6 = r.u8(d + 6, "NOT BUS/ID VALID/LU VALID/LUN");
    e.dataTransfer = {
      notBus: (b6 & 0x80) !== 0,
      idValid: (b6 & 0x20) !== 0,
      luValid: (b6 & 0x10) !== 0,
      lun: b6 & 0x07,
      scsiBusAddress: r.u8(d + 7, "SCSI BUS ADDRESS"),
    };
  }
  if (e.sourceValid) e.sourceAddress = r.u16(d + 10, "SOURCE STORAGE ELEMENT ADDRESS");
  let o = d + 12;
  if (pvol) {
    const t = volumeTag(r, o, "PRIMARY VOLUME TAG");
    if (t.id !== "") e.primaryVolumeTag = t;
    o += 36;
  }
  if (avol) {
    const t = volumeTag(r, o, "ALTERNATE VOLUME TAG");
    if (t.id !== "") e.alternateVolumeTag = t;
    o += 36;
  }
  const id = decodeDeviceId(r, o, d + dlen);
  if (id) e.deviceId = id;
  return e;
}

/** Encodes READ ELEMENT STATUS data (response side; tests and the virtual library). */
export function encodeReadElementStatus(pages: ReadonlyArray<{
  kind: ElementKind;
  volumeTags: boolean;
  deviceIds?: boolean;
  elements: ReadonlyArray<{
    address: number;
    full: boolean;
    except?: { asc: number; ascq: number };
    access?: boolean;
    importExport?: { impExp: boolean; importEnabled: boolean; exportEnabled: boolean };
    sourceAddress?: number;
    volumeTag?: string;
    deviceId?: { identifierType: 0 | 1; vendor?: string; product?: string; serial: string };
  }>;
}>): Uint8Array {
  const chunks: Uint8Array[] = [];
  let first = 0xffff;
  let count = 0;
  for (const p of pages) {
    const idLen = p.deviceIds ? 4 + 34 : 0;
    const dlen = 12 + (p.volumeTags ? 36 : 0) + idLen;
    const body = new Uint8Array(dlen * p.elements.length);
    p.elements.forEach((el, i) => {
      const o = i * dlen;
      putU16(body, o, checkRange("address", el.address, 0, 0xffff));
      first = Math.min(first, el.address);
      count++;
      let f = (el.full ? 0x01 : 0) | (el.except ? 0x04 : 0) | ((el.access ?? true) && p.kind !== "transport" ? 0x08 : 0);
      if (el.importExport) f |= (el.importExport.impExp ? 0x02 : 0) | (el.importExport.importEnabled ? 0x20 : 0) | (el.importExport.exportEnabled ? 0x10 : 0);
      body[o + 2] = f;
      if (el.except) {
        body[o + 4] = checkRange("asc", el.except.asc, 0, 0xff);
        body[o + 5] = checkRange("ascq", el.except.ascq, 0, 0xff);
      }
      if (el.sourceAddress !== undefined) {
        body[o + 9] = 0x80;
        putU16(body, o + 10, checkRange("sourceAddress", el.sourceAddress, 0, 0xffff));
      }
      let t = o + 12;
      if (p.volumeTags) {
        const tag = el.volumeTag ?? "";
        if (tag.length > 32) throw new ScsiArgumentError("volumeTag", `"${tag}" is longer than 32 characters`);
        for (let k = 0; k < 32; k++) body[t + k] = k < tag.length ? tag.charCodeAt(k) & 0x7f : 0x20;
        t += 36;
      }
      if (p.deviceIds && el.deviceId) {
        const id = el.deviceId;
        const text =
          id.identifierType === 1
            ? (id.vendor ?? "").padEnd(8).slice(0, 8) + (id.product ?? "").padEnd(16).slice(0, 16) + id.serial.padEnd(10).slice(0, 10)
            : id.serial.slice(0, 34);
        body[t] = 0x02;
        body[t + 1] = id.identifierType;
        body[t + 3] = text.length;
        for (let k = 0; k < text.length; k++) body[t + 4 + k] = text.charCodeAt(k) & 0x7f;
      }
    });
    const hdr = new Uint8Array(8);
    hdr[0] = KIND_CODE[p.kind];
    hdr[1] = p.volumeTags ? 0x80 : 0;
    putU16(hdr, 2, dlen);
    putU24(hdr, 5, body.length);
    chunks.push(hdr, body);
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(8 + total);
  putU16(out, 0, count === 0 ? 0 : first);
  putU16(out, 2, count);
  putU24(out, 5, total);
  let off = 8;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** A storage or import/export slot, numbered as mtx and PBS do. */
export interface ChangerSlot {
  /** 1-based: storage elements first (1..S), then import/export (S+1..). */
  slot: number;
  address: number;
  importExport: boolean;
  full: boolean;
  volumeTag?: string;
  except?: { asc: number; ascq: number; description: string };
}

export interface ChangerDrive {
  /** Index among data transfer elements in report order (PBS `changer-drivenum`). */
  index: number;
  address: number;
  full: boolean;
  volumeTag?: string;
  /** SValid source address mapped to the slot numbering, when it is a known slot. */
  loadedSlot?: number;
  sourceAddress?: number;
  /** Drive serial from the DVCID identifier, when reported. */
  serial?: string;
  deviceId?: ElementDeviceId;
  except?: { asc: number; ascq: number; description: string };
}

export interface ChangerTransport {
  address: number;
  full: boolean;
  volumeTag?: string;
}

export interface ChangerStatus {
  transports: ChangerTransport[];
  /** Storage then import/export slots, in slot-number order. */
  slots: ChangerSlot[];
  drives: ChangerDrive[];
}

/**
 * Builds the changer status from element descriptors: storage 1..S then import/export
 * S+1.. in reported order (PBS §7.3); drive DVCID identifiers are merged by address.
 * `exportSlots` lists extra slot numbers to treat as import/export (PBS `export-slots`).
 */
export function buildChangerStatus(elements: readonly ElementDescriptor[], options: { exportSlots?: readonly number[] } = {}): ChangerStatus {
  const exportSlots = new Set(options.exportSlots ?? []);
  const byKind = (k: ElementKind) => {
    const seen = new Map<number, ElementDescriptor>();
    for (const e of elements) {
      if (e.kind !== k) continue;
      const prev = seen.get(e.address);
      // A second report of the same element (the DVCID query) only adds the identifier.
      if (prev) {
        if (!prev.deviceId && e.deviceId) prev.deviceId = e.deviceId;
      } else {
        seen.set(e.address, { ...e });
      }
    }
    return [...seen.values()];
  };
  const except = (e: ElementDescriptor) => (e.except ? { except: { asc: e.asc, ascq: e.ascq, description: ascAscqDescription(e.asc, e.ascq) } } : {});
  const tag = (e: ElementDescriptor) => (e.full && e.primaryVolumeTag ? { volumeTag: e.primaryVolumeTag.id } : {});
  const slots: ChangerSlot[] = [];
  const slotByAddress = new Map<number, number>();
  for (const e of [...byKind("storage"), ...byKind("import-export")]) {
    const slot = slots.length + 1;
    slots.push({ slot, address: e.address, importExport: e.kind === "import-export" || exportSlots.has(slot), full: e.full, ...tag(e), ...except(e) });
    slotByAddress.set(e.address, slot);
  }
  const drives: ChangerDrive[] = byKind("data-transfer").map((e, index) => {
    const d: ChangerDrive = { index, address: e.address, full: e.full, ...tag(e), ...except(e) };
    if (e.sourceAddress !== undefined) {
      d.sourceAddress = e.sourceAddress;
      const s = slotByAddress.get(e.sourceAddress);
      if (s !== undefined) d.loadedSlot = s;
    }
    if (e.deviceId) {
      d.deviceId = e.deviceId;
      if (e.deviceId.serial) d.serial = e.deviceId.serial;
    }
    return d;
  });
  const transports: ChangerTransport[] = byKind("transport").map((e) => ({ address: e.address, full: e.full, ...tag(e) }));
  return { transports, slots, drives };
}
