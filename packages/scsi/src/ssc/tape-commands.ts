/**
 * Tape data and medium commands: READ(6)/WRITE(6) in variable-block mode, WRITE FILEMARKS,
 * LOAD UNLOAD, ERASE, FORMAT MEDIUM, READ BLOCK LIMITS, REPORT DENSITY SUPPORT,
 * PREVENT ALLOW MEDIUM REMOVAL.
 *
 * @see SSC-4 6.2 (FORMAT MEDIUM), 6.4 (LOAD UNLOAD), 7.2 (ERASE(6)), 7.3 (READ(6)),
 *      7.4 (READ BLOCK LIMITS), 7.9 (WRITE(6)), 7.10 (WRITE FILEMARKS(6)), 6.8 (REPORT DENSITY
 *      SUPPORT), SPC-4 6.13 (PREVENT ALLOW MEDIUM REMOVAL); PBS reference §7.2
 */
import { ByteReader, checkRange, putU16, putU24, putU32 } from "../bytes.ts";
import { Opcode } from "../constants/opcodes.ts";

/** PBS block size: every tape block is exactly 256 KiB. */
export const PBS_BLOCK_SIZE = 262144;
/** Largest transfer a 24-bit TRANSFER LENGTH can carry. */
export const MAX_TRANSFER_LENGTH = 0xffffff;

/** READ(6) in variable-block mode: `08 SILI<<1 LEN(24) 00`; PBS sets SILI=1, length 262144. */
export function buildRead6Cdb(p: { length: number; sili?: boolean }): Uint8Array {
  const cdb = new Uint8Array(6);
  cdb[0] = Opcode.READ_6;
  cdb[1] = (p.sili ?? true) ? 0x02 : 0;
  putU24(cdb, 2, checkRange("length", p.length, 0, MAX_TRANSFER_LENGTH));
  return cdb;
}

/** WRITE(6) in variable-block mode: `0A 00 LEN(24) 00`. */
export function buildWrite6Cdb(p: { length: number }): Uint8Array {
  const cdb = new Uint8Array(6);
  cdb[0] = Opcode.WRITE_6;
  putU24(cdb, 2, checkRange("length", p.length, 0, MAX_TRANSFER_LENGTH));
  return cdb;
}

/**
 * WRITE FILEMARKS(6): `10 IMMED COUNT(24) 00`. Count 1 with IMMED ends a file; count 0
 * without IMMED flushes the drive buffer (PBS "sync").
 */
export function buildWriteFilemarksCdb(p: { count: number; immed?: boolean }): Uint8Array {
  const cdb = new Uint8Array(6);
  cdb[0] = Opcode.WRITE_FILEMARKS_6;
  cdb[1] = p.immed ? 0x01 : 0;
  putU24(cdb, 2, checkRange("count", p.count, 0, 0xffffff));
  return cdb;
}

export type LoadUnloadAction = "load" | "unload" | "retension" | "hold" | "eject";

/**
 * LOAD UNLOAD: `1B IMMED 00 00 HOLD<<3|EOT<<2|RETEN<<1|LOAD 00`.
 * `load` = LOAD; `unload`/`eject` = LOAD=0 (PBS "eject"); `retension` = LOAD|RETEN;
 * `hold` = LOAD|HOLD (thread without positioning).
 */
export function buildLoadUnloadCdb(p: { action: LoadUnloadAction; immed?: boolean; endOfTape?: boolean }): Uint8Array {
  let b4 = 0;
  switch (p.action) {
    case "load":
      b4 = 0x01;
      break;
    case "retension":
      b4 = 0x03;
      break;
    case "hold":
      b4 = 0x09;
      break;
    case "unload":
    case "eject":
      b4 = 0x00;
      break;
  }
  if (p.endOfTape) b4 |= 0x04;
  return Uint8Array.of(Opcode.LOAD_UNLOAD, p.immed ? 0x01 : 0, 0, 0, b4, 0);
}

/** ERASE(6): `19 IMMED<<1|LONG 00 00 00 00`. LONG=0 only writes EOD at the current position. */
export function buildEraseCdb(p: { long: boolean; immed?: boolean }): Uint8Array {
  return Uint8Array.of(Opcode.ERASE_6, (p.immed ? 0x02 : 0) | (p.long ? 0x01 : 0), 0, 0, 0, 0);
}

/** FORMAT MEDIUM: `04 VERIFY<<1|IMMED FORMAT LEN(2) 00`; PBS uses IMMED for LTO-9 and later. */
export function buildFormatMediumCdb(p: { immed?: boolean; verify?: boolean; format?: number; transferLength?: number } = {}): Uint8Array {
  const cdb = new Uint8Array(6);
  cdb[0] = Opcode.FORMAT_MEDIUM;
  cdb[1] = (p.verify ? 0x02 : 0) | (p.immed ? 0x01 : 0);
  cdb[2] = checkRange("format", p.format ?? 0, 0, 0x0f);
  putU16(cdb, 3, checkRange("transferLength", p.transferLength ?? 0, 0, 0xffff));
  return cdb;
}

/** READ BLOCK LIMITS: `05 00 00 00 00 00`. */
export function buildReadBlockLimitsCdb(): Uint8Array {
  return Uint8Array.of(Opcode.READ_BLOCK_LIMITS, 0, 0, 0, 0, 0);
}

export interface BlockLimits {
  granularity: number;
  maximumBlockLength: number;
  minimumBlockLength: number;
}

/** READ BLOCK LIMITS data (6 bytes, SSC-4 7.4.2). */
export function decodeReadBlockLimits(bytes: Uint8Array): BlockLimits {
  const r = new ByteReader(bytes, "READ BLOCK LIMITS data");
  if (r.length < 6) r.fail(r.length, `needs 6 bytes, got ${r.length}`);
  return {
    granularity: r.u8(0, "GRANULARITY") & 0x1f,
    maximumBlockLength: r.u24(1, "MAXIMUM BLOCK LENGTH LIMIT"),
    minimumBlockLength: r.u16(4, "MINIMUM BLOCK LENGTH LIMIT"),
  };
}

/** REPORT DENSITY SUPPORT: `44 MEDIUM_TYPE<<1|MEDIA 00 00 00 00 00 AL(2) 00`; PBS: MEDIA=0, alloc 8192. */
export function buildReportDensitySupportCdb(p: { media?: boolean; mediumType?: boolean; allocationLength?: number } = {}): Uint8Array {
  const cdb = new Uint8Array(10);
  cdb[0] = Opcode.REPORT_DENSITY_SUPPORT;
  cdb[1] = (p.mediumType ? 0x02 : 0) | (p.media ? 0x01 : 0);
  putU16(cdb, 7, checkRange("allocationLength", p.allocationLength ?? 8192, 0, 0xffff));
  return cdb;
}

/** One density support descriptor (52 bytes, SSC-4 6.8.2). */
export interface DensityDescriptor {
  primaryDensityCode: number;
  secondaryDensityCode: number;
  /** WRTOK: the drive can write this density. */
  writeOk: boolean;
  /** DUP: the code is also reported by another descriptor. */
  duplicate: boolean;
  /** DEFLT: default density. */
  defaultDensity: boolean;
  /** DLV: descriptor length valid. */
  descriptorLengthValid: boolean;
  bitsPerMm: number;
  /** MEDIA WIDTH in 0.1 mm. */
  mediaWidth: number;
  tracks: number;
  /** CAPACITY in MB (10^6 bytes). */
  capacity: number;
  assigningOrganization: string;
  densityName: string;
  description: string;
}

/**
 * REPORT DENSITY SUPPORT data (density code descriptors): u16 AVAILABLE DENSITY SUPPORT LENGTH,
 * 2 reserved bytes, then 52-byte descriptors. Data cut short by the allocation length keeps the
 * complete descriptors.
 */
export function decodeReportDensitySupport(bytes: Uint8Array): DensityDescriptor[] {
  const r = new ByteReader(bytes, "REPORT DENSITY SUPPORT data");
  if (r.length < 4) r.fail(r.length, `header needs 4 bytes, got ${r.length}`);
  const len = r.u16(0, "AVAILABLE DENSITY SUPPORT LENGTH");
  const declaredEnd = 2 + len;
  if ((declaredEnd - 4) % 52 !== 0 && declaredEnd >= 4) r.fail(0, `AVAILABLE DENSITY SUPPORT LENGTH ${len} is not 2 + a multiple of 52`);
  const end = Math.min(r.length, declaredEnd);
  const out: DensityDescriptor[] = [];
  for (let o = 4; o + 52 <= end; o += 52) {
    const f = r.u8(o + 2, "WRTOK/DUP/DEFLT/DLV");
    out.push({
      primaryDensityCode: r.u8(o, "PRIMARY DENSITY CODE"),
      secondaryDensityCode: r.u8(o + 1, "SECONDARY DENSITY CODE"),
      writeOk: (f & 0x80) !== 0,
      duplicate: (f & 0x40) !== 0,
      defaultDensity: (f & 0x20) !== 0,
      descriptorLengthValid: (f & 0x01) !== 0,
      bitsPerMm: r.u24(o + 5, "BITS PER MM"),
      mediaWidth: r.u16(o + 8, "MEDIA WIDTH"),
      tracks: r.u16(o + 10, "TRACKS"),
      capacity: r.u32(o + 12, "CAPACITY"),
      assigningOrganization: r.ascii(o + 16, 8, "ASSIGNING ORGANIZATION"),
      densityName: r.ascii(o + 24, 8, "DENSITY NAME"),
      description: r.ascii(o + 32, 20, "DESCRIPTION"),
    });
  }
  return out;
}

/** Encodes REPORT DENSITY SUPPORT data (response side; tests and the virtual library). */
export function encodeReportDensitySupport(list: readonly DensityDescriptor[]): Uint8Array {
  const out = new Uint8Array(4 + 52 * list.length);
  putU16(out, 0, checkRange("descriptors", 2 + 52 * list.length, 0, 0xffff));
  list.forEach((d, i) => {
    const o = 4 + 52 * i;
    out[o] = checkRange("primaryDensityCode", d.primaryDensityCode, 0, 0xff);
    out[o + 1] = checkRange("secondaryDensityCode", d.secondaryDensityCode, 0, 0xff);
    out[o + 2] = (d.writeOk ? 0x80 : 0) | (d.duplicate ? 0x40 : 0) | (d.defaultDensity ? 0x20 : 0) | (d.descriptorLengthValid ? 0x01 : 0);
    if (d.descriptorLengthValid) putU16(out, o + 3, 52 - 5);
    putU24(out, o + 5, checkRange("bitsPerMm", d.bitsPerMm, 0, 0xffffff));
    putU16(out, o + 8, checkRange("mediaWidth", d.mediaWidth, 0, 0xffff));
    putU16(out, o + 10, checkRange("tracks", d.tracks, 0, 0xffff));
    putU32(out, o + 12, checkRange("capacity", d.capacity, 0, 0xffffffff));
    const text = (s: string, off: number, n: number) => {
      for (let k = 0; k < n; k++) out[off + k] = k < s.length ? s.charCodeAt(k) & 0x7f : 0x20;
    };
    text(d.assigningOrganization, o + 16, 8);
    text(d.densityName, o + 24, 8);
    text(d.description, o + 32, 20);
  });
  return out;
}

/** PREVENT ALLOW MEDIUM REMOVAL: `1E 00 00 00 PREVENT 00` (1 = prevent). */
export function buildPreventAllowMediumRemovalCdb(p: { prevent: boolean }): Uint8Array {
  return Uint8Array.of(Opcode.PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, p.prevent ? 0x01 : 0, 0);
}
