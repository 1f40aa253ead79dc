import { TapeFormatError } from "./errors.ts";
import { BLOCK_HEADER_MAGIC_1_0, bytesEqual } from "./magics.ts";

/** Every READ and WRITE transfers exactly one block of this size. @see reference §1.1 */
export const TAPE_BLOCK_SIZE = 262144;
/** Size of the PBS header at the start of each block. */
export const BLOCK_HEADER_SIZE = 16;
/** Stream bytes carried by one block. */
export const BLOCK_PAYLOAD_SIZE = TAPE_BLOCK_SIZE - BLOCK_HEADER_SIZE;

/** Block header flag bits (byte 8). */
export const BLOCK_FLAG_END_OF_STREAM = 0x01;
export const BLOCK_FLAG_INCOMPLETE = 0x02;

export interface BlockHeader {
  /** Flags byte as stored (bit 0 END_OF_STREAM, bit 1 INCOMPLETE). */
  flags: number;
  endOfStream: boolean;
  incomplete: boolean;
  /** Valid payload bytes in this block (24-bit LE). */
  size: number;
  /** Sequence number inside the tape file, from 0. */
  seqNr: number;
}

/** Writes the 16-byte header into the start of `block`. */
export function encodeBlockHeader(block: Uint8Array, h: { flags: number; size: number; seqNr: number }): void {
  if (!Number.isInteger(h.size) || h.size < 0 || h.size > BLOCK_PAYLOAD_SIZE) {
    throw new TapeFormatError("invalid-field", `block size: ${h.size} not in 0..${BLOCK_PAYLOAD_SIZE}`, { field: "size" });
  }
  if (!Number.isInteger(h.seqNr) || h.seqNr < 0 || h.seqNr > 0xffffffff) {
    throw new TapeFormatError("invalid-field", `block seq_nr: ${h.seqNr} is not a u32`, { field: "seq_nr" });
  }
  block.set(BLOCK_HEADER_MAGIC_1_0, 0);
  block[8] = h.flags & 0xff;
  block[9] = h.size & 0xff;
  block[10] = (h.size >>> 8) & 0xff;
  block[11] = (h.size >>> 16) & 0xff;
  new DataView(block.buffer, block.byteOffset, block.byteLength).setUint32(12, h.seqNr, true);
}

/**
 * Decodes and checks a block header: magic, payload size (≤ 262128, and 0 only
 * with END_OF_STREAM). The caller checks the sequence number.
 */
export function decodeBlockHeader(block: Uint8Array): BlockHeader {
  if (block.length < BLOCK_HEADER_SIZE) {
    throw new TapeFormatError("truncated", `block header: need 16 bytes, got ${block.length}`, { field: "block" });
  }
  if (!bytesEqual(block.subarray(0, 8), BLOCK_HEADER_MAGIC_1_0)) {
    throw new TapeFormatError("bad-magic", "block header magic: wrong magic number - not written by proxmox tape", { field: "magic" });
  }
  const flags = block[8]!;
  const size = block[9]! | (block[10]! << 8) | (block[11]! << 16);
  const seqNr = new DataView(block.buffer, block.byteOffset, block.byteLength).getUint32(12, true);
  const endOfStream = (flags & BLOCK_FLAG_END_OF_STREAM) !== 0;
  if (size > BLOCK_PAYLOAD_SIZE) {
    throw new TapeFormatError("bad-payload-size", `block size: ${size} > ${BLOCK_PAYLOAD_SIZE}`, { field: "size" });
  }
  if (size === 0 && !endOfStream) {
    throw new TapeFormatError("bad-payload-size", "block size: zero payload size without END_OF_STREAM", { field: "size" });
  }
  return { flags, endOfStream, incomplete: (flags & BLOCK_FLAG_INCOMPLETE) !== 0, size, seqNr };
}
