/**
 * Positioning: READ POSITION (short and long form), LOCATE(10)/(16), SPACE(6)/(16), REWIND.
 *
 * @see SSC-4 6.7 (READ POSITION; 7.6.2 short form, 7.6.3 long form), 6.5 (LOCATE(10)),
 *      6.6 (LOCATE(16)), 6.11/6.12 (SPACE(6)/(16)), 7.7 (REWIND); PBS reference §7.2
 */
import { ByteReader, checkRange, putI64, putU24, putU32 } from "../bytes.ts";
import { Opcode, ServiceAction } from "../constants/opcodes.ts";
import { ScsiArgumentError } from "../errors.ts";

export type ReadPositionForm = "short" | "long";

/** READ POSITION (10 bytes): `34 SA 00 …`; PBS uses service action 0x06 (long form). */
export function buildReadPositionCdb(p: { form?: ReadPositionForm } = {}): Uint8Array {
  const cdb = new Uint8Array(10);
  cdb[0] = Opcode.READ_POSITION;
  cdb[1] = (p.form ?? "long") === "long" ? ServiceAction.READ_POSITION_LONG : ServiceAction.READ_POSITION_SHORT;
  return cdb;
}

/** Short form READ POSITION data (20 bytes, SSC-4 7.6.2). */
export interface ShortPosition {
  /** BOP: at beginning of partition. */
  beginningOfPartition: boolean;
  /** EOP: between early warning and end of partition. */
  endOfPartition: boolean;
  /** BPEW: beyond programmable early warning. */
  beyondProgrammableEarlyWarning: boolean;
  /** PERR: a position field overflowed. */
  positionError: boolean;
  partition: number;
  /** First logical object (block) location, undefined when LOLU (location unknown) is set. */
  firstBlock?: number;
  lastBlock?: number;
  /** Objects / bytes in the buffer, undefined when LOCU / BYCU is set. */
  blocksInBuffer?: number;
  bytesInBuffer?: number;
}

export function decodeReadPositionShort(bytes: Uint8Array): ShortPosition {
  const r = new ByteReader(bytes, "READ POSITION short form");
  if (r.length < 20) r.fail(r.length, `needs 20 bytes, got ${r.length}`);
  const f = r.u8(0, "flags");
  const out: ShortPosition = {
    beginningOfPartition: (f & 0x80) !== 0,
    endOfPartition: (f & 0x40) !== 0,
    beyondProgrammableEarlyWarning: (f & 0x01) !== 0,
    positionError: (f & 0x02) !== 0,
    partition: r.u8(1, "PARTITION NUMBER"),
  };
  if ((f & 0x04) === 0) {
    out.firstBlock = r.u32(4, "FIRST LOGICAL OBJECT LOCATION");
    out.lastBlock = r.u32(8, "LAST LOGICAL OBJECT LOCATION");
  }
  if ((f & 0x20) === 0) out.blocksInBuffer = r.u24(13, "NUMBER OF LOGICAL OBJECTS IN OBJECT BUFFER");
  if ((f & 0x10) === 0) out.bytesInBuffer = r.u32(16, "NUMBER OF BYTES IN OBJECT BUFFER");
  return out;
}

/** Long form READ POSITION data (32 bytes, SSC-4 7.6.3), as PBS reads it. */
export interface LongPosition {
  beginningOfPartition: boolean;
  endOfPartition: boolean;
  beyondProgrammableEarlyWarning: boolean;
  /** MPU: mark position unknown (file number invalid). */
  markPositionUnknown: boolean;
  /** LONU: logical object number unknown (block number invalid). */
  blockNumberUnknown: boolean;
  partition: number;
  /** LOGICAL OBJECT NUMBER: blocks plus filemarks from BOP. */
  blockNumber: number;
  /** LOGICAL FILE IDENTIFIER: filemarks from BOP. */
  fileNumber: number;
}

export function decodeReadPositionLong(bytes: Uint8Array): LongPosition {
  const r = new ByteReader(bytes, "READ POSITION long form");
  if (r.length < 32) r.fail(r.length, `needs 32 bytes, got ${r.length}`);
  const f = r.u8(0, "flags");
  return {
    beginningOfPartition: (f & 0x80) !== 0,
    endOfPartition: (f & 0x40) !== 0,
    beyondProgrammableEarlyWarning: (f & 0x01) !== 0,
    markPositionUnknown: (f & 0x08) !== 0,
    blockNumberUnknown: (f & 0x04) !== 0,
    partition: r.u32(4, "PARTITION NUMBER"),
    blockNumber: r.u64(8, "LOGICAL OBJECT NUMBER"),
    fileNumber: r.u64(16, "LOGICAL FILE IDENTIFIER"),
  };
}

/** Encodes long form position data (response side; tests and the virtual library). */
export function encodeReadPositionLong(p: Partial<LongPosition> & { blockNumber: number; fileNumber: number }): Uint8Array {
  const out = new Uint8Array(32);
  out[0] =
    (p.beginningOfPartition ? 0x80 : 0) |
    (p.endOfPartition ? 0x40 : 0) |
    (p.markPositionUnknown ? 0x08 : 0) |
    (p.blockNumberUnknown ? 0x04 : 0) |
    (p.beyondProgrammableEarlyWarning ? 0x01 : 0);
  putU32(out, 4, checkRange("partition", p.partition ?? 0, 0, 0xffffffff));
  putI64(out, 8, checkRange("blockNumber", p.blockNumber, 0, Number.MAX_SAFE_INTEGER));
  putI64(out, 16, checkRange("fileNumber", p.fileNumber, 0, Number.MAX_SAFE_INTEGER));
  return out;
}

/** LOCATE(10): `2B BT|CP|IMMED 00 BLOCK(4) 00 PARTITION 00`. */
export function buildLocate10Cdb(p: { block: number; immed?: boolean; partition?: number; blockTypeVendor?: boolean }): Uint8Array {
  const cdb = new Uint8Array(10);
  cdb[0] = Opcode.LOCATE_10;
  cdb[1] = (p.blockTypeVendor ? 0x04 : 0) | (p.partition !== undefined ? 0x02 : 0) | (p.immed ? 0x01 : 0);
  putU32(cdb, 3, checkRange("block", p.block, 0, 0xffffffff));
  cdb[8] = checkRange("partition", p.partition ?? 0, 0, 0xff);
  return cdb;
}

/** DEST_TYPE of LOCATE(16) (SSC-4 table 19). */
export const LocateDestination = {
  LOGICAL_OBJECT: 0,
  LOGICAL_FILE: 1,
  END_OF_DATA: 3,
} as const;

export type LocateTarget = "block" | "file" | "end-of-data";

/**
 * LOCATE(16): `92 DEST_TYPE<<3|CP<<1|IMMED 00 PARTITION ID(8) 00 00 00 00`.
 * PBS locates files with `92 08 …` (DEST_TYPE 1, logical file identifier).
 */
export function buildLocate16Cdb(p: { target: LocateTarget; value: number | bigint; immed?: boolean; partition?: number }): Uint8Array {
  const cdb = new Uint8Array(16);
  cdb[0] = Opcode.LOCATE_16;
  const dest =
    p.target === "block" ? LocateDestination.LOGICAL_OBJECT : p.target === "file" ? LocateDestination.LOGICAL_FILE : LocateDestination.END_OF_DATA;
  cdb[1] = (dest << 3) | (p.partition !== undefined ? 0x02 : 0) | (p.immed ? 0x01 : 0);
  cdb[3] = checkRange("partition", p.partition ?? 0, 0, 0xff);
  const v = BigInt(p.value);
  if (v < 0n || v > 0xffffffffffffffffn) throw new ScsiArgumentError("value", `must be in 0..2^64-1, got ${v}`);
  putI64(cdb, 4, v);
  return cdb;
}

/** SPACE CODE (SSC-4 table 26). */
export const SpaceCode = {
  BLOCKS: 0,
  FILEMARKS: 1,
  SEQUENTIAL_FILEMARKS: 2,
  END_OF_DATA: 3,
} as const;

export type SpaceKind = "blocks" | "filemarks" | "sequential-filemarks" | "end-of-data";
const SPACE_CODES: Record<SpaceKind, number> = {
  blocks: SpaceCode.BLOCKS,
  filemarks: SpaceCode.FILEMARKS,
  "sequential-filemarks": SpaceCode.SEQUENTIAL_FILEMARKS,
  "end-of-data": SpaceCode.END_OF_DATA,
};

/** Largest |count| SPACE(6) can carry (24-bit two's complement); PBS uses SPACE(16) beyond. */
export const SPACE6_MAX_COUNT = 0x7fffff;

/** SPACE(6): `11 CODE COUNT(24-bit two's complement) 00`; negative counts move toward BOP. */
export function buildSpace6Cdb(p: { kind: SpaceKind; count: number }): Uint8Array {
  const count = checkRange("count", p.count, -0x800000, SPACE6_MAX_COUNT);
  const cdb = new Uint8Array(6);
  cdb[0] = Opcode.SPACE_6;
  cdb[1] = SPACE_CODES[p.kind];
  putU24(cdb, 2, count & 0xffffff);
  return cdb;
}

/** SPACE(16): `91 CODE 00 00 COUNT(8, two's complement) 00 00 00 00`. */
export function buildSpace16Cdb(p: { kind: SpaceKind; count: number | bigint }): Uint8Array {
  const v = BigInt(p.count);
  if (v < -(1n << 63n) || v >= 1n << 63n) throw new ScsiArgumentError("count", `must fit 64-bit two's complement, got ${v}`);
  const cdb = new Uint8Array(16);
  cdb[0] = Opcode.SPACE_16;
  cdb[1] = SPACE_CODES[p.kind];
  putI64(cdb, 4, v);
  return cdb;
}

/** SPACE(6) when the count fits, SPACE(16) otherwise (as PBS does). */
export function buildSpaceCdb(p: { kind: SpaceKind; count: number }): Uint8Array {
  if (!Number.isSafeInteger(p.count)) throw new ScsiArgumentError("count", `must be a safe integer, got ${String(p.count)}`);
  return Math.abs(p.count) < SPACE6_MAX_COUNT ? buildSpace6Cdb(p) : buildSpace16Cdb(p);
}

/** REWIND: `01 IMMED 00 00 00 00`. */
export function buildRewindCdb(p: { immed?: boolean } = {}): Uint8Array {
  return Uint8Array.of(Opcode.REWIND, p.immed ? 0x01 : 0, 0, 0, 0, 0);
}
