/**
 * The boundary between the on-tape format and a drive (real or virtual).
 * Filemark, end of data and early warning are typed results, not exceptions.
 */

/** Where whole tape blocks are written (a drive positioned for append). */
export interface BlockSink {
  /**
   * Writes one block (exactly 262144 bytes for PBS streams). The sink takes
   * ownership of `block` unless it `releasesBlocks`. `earlyWarning` is true when the drive reported
   * logical end of medium (sense 0/00/02): the write still succeeded.
   */
  writeBlock(block: Uint8Array): Promise<{ earlyWarning: boolean }>;
  /**
   * True when the sink is done with a block once `writeBlock` settles (a drive
   * copies it or has written it): writers then reuse one block buffer instead
   * of handing over a fresh one per block. Absent or false: the sink keeps
   * the blocks it is given.
   */
  readonly releasesBlocks?: boolean;
  /** Writes one filemark (terminates the current tape file). */
  writeFilemark(): Promise<void>;
}

/** One READ of a tape block. */
export type BlockReadResult =
  | { kind: "data"; data: Uint8Array }
  /** Sense 0/00/01: a filemark was read (end of the current tape file). */
  | { kind: "filemark" }
  /** Sense 8/00/05 BLANK CHECK: end of recorded data. */
  | { kind: "end-of-data" };

/**
 * Where tape blocks are read from (a drive positioned at the start of a file).
 * A source may reuse a block's memory once later blocks were read (a `ScsiTape`
 * after `READ_BUFFER_RING - 1` more): the readers of this package parse or copy
 * a block's bytes before they read much further, and hand out copies of what a
 * caller keeps (chunk blobs, file contents).
 */
export interface BlockSource {
  readBlock(): Promise<BlockReadResult>;
}
