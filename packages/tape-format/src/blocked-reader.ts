import { BLOCK_HEADER_SIZE, TAPE_BLOCK_SIZE, decodeBlockHeader } from "./block-header.ts";
import { TapeFormatError, asTapeFormatError } from "./errors.ts";
import type { BlockReadResult, BlockSource } from "./tape-io.ts";

/** What opening a tape file found. @see reference §1.1, §7.4 */
export type OpenTapeFileResult =
  | { kind: "stream"; reader: BlockedReader }
  /** A filemark where the first block was expected (EndOfFile). */
  | { kind: "end-of-file" }
  /** Blank tape / end of recorded data (EndOfStream). */
  | { kind: "end-of-stream" };

export interface BlockedReaderOptions {
  /**
   * When true (default) a filemark before the END_OF_STREAM block makes
   * `read()` throw `missing-end-marker` (the stream was aborted). When false,
   * such a stream just ends; `hasEndMarker` tells the difference.
   */
  requireEndMarker?: boolean;
}

async function readFrom(source: BlockSource): Promise<BlockReadResult> {
  try {
    return await source.readBlock();
  } catch (err) {
    throw asTapeFormatError(err, "io", "read block");
  }
}

/**
 * Reads one PBS tape file: checks block size, magic, sequence numbers, payload
 * sizes, and that a filemark follows the END_OF_STREAM block. Memory: the
 * current block.
 */
export class BlockedReader implements AsyncIterable<Uint8Array> {
  readonly #source: BlockSource;
  readonly #requireEndMarker: boolean;
  #pending: Uint8Array | null;
  #seqNr = 1;
  #foundEndMarker = false;
  #incomplete = false;
  #gotEof = false;
  #failed = false;
  #bytesRead = 0;

  private constructor(source: BlockSource, first: Uint8Array, requireEndMarker: boolean) {
    this.#source = source;
    this.#pending = first;
    this.#requireEndMarker = requireEndMarker;
  }

  /** Reads the first block of a tape file. */
  static async open(source: BlockSource, options: BlockedReaderOptions = {}): Promise<OpenTapeFileResult> {
    const r = await readFrom(source);
    if (r.kind === "filemark") return { kind: "end-of-file" };
    if (r.kind === "end-of-data") return { kind: "end-of-stream" };
    const reader = new BlockedReader(source, new Uint8Array(0), options.requireEndMarker ?? true);
    reader.#pending = await reader.#accept(r.data, 0);
    return { kind: "stream", reader };
  }

  /** True once the end of this tape file has been reached. */
  get atEnd(): boolean {
    return this.#gotEof && this.#pending === null;
  }

  /** Payload bytes returned so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Whether the stream ended with an END_OF_STREAM block. Valid once the end was reached. */
  get hasEndMarker(): boolean {
    if (!this.#gotEof) throw new TapeFormatError("invalid-state", "hasEndMarker: end of the tape file not reached");
    return this.#foundEndMarker;
  }

  /** INCOMPLETE flag of the END_OF_STREAM block. Valid once the end was reached and an end marker was found. */
  get isIncomplete(): boolean {
    if (!this.#gotEof) throw new TapeFormatError("invalid-state", "isIncomplete: end of the tape file not reached");
    if (!this.#foundEndMarker) throw new TapeFormatError("invalid-state", "isIncomplete: no end marker found");
    return this.#incomplete;
  }

  /** Next payload piece (a view into one block), or null at the end of the tape file. */
  async read(): Promise<Uint8Array | null> {
    if (this.#failed) throw new TapeFormatError("invalid-state", "BlockedReader.read: read after an error");
    try {
      while (true) {
        if (this.#pending !== null) {
          const p = this.#pending;
          this.#pending = null;
          if (p.length === 0) continue;
          this.#bytesRead += p.length;
          return p;
        }
        if (this.#gotEof) return null;
        this.#pending = await this.#next(this.#requireEndMarker);
      }
    } catch (err) {
      this.#failed = true;
      throw err;
    }
  }

  /** Reads to the end of the tape file without requiring an end marker; returns the payload bytes skipped. */
  async skipData(): Promise<number> {
    let n = this.#pending?.length ?? 0;
    this.#pending = null;
    while (!this.#gotEof) {
      const p = await this.#next(false);
      n += p?.length ?? 0;
    }
    this.#bytesRead += n;
    return n;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    while (true) {
      const p = await this.read();
      if (p === null) return;
      yield p;
    }
  }

  async #next(checkEndMarker: boolean): Promise<Uint8Array | null> {
    const r = await readFrom(this.#source);
    if (r.kind === "filemark") {
      this.#gotEof = true;
      if (checkEndMarker) {
        throw new TapeFormatError("missing-end-marker", "tape stream without end marker (filemark before the END_OF_STREAM block)");
      }
      return null;
    }
    if (r.kind === "end-of-data") {
      throw new TapeFormatError("unexpected-end-of-data", `got unexpected end of tape after block ${this.#seqNr - 1}`);
    }
    const seq = this.#seqNr++;
    return this.#accept(r.data, seq);
  }

  async #accept(block: Uint8Array, expectedSeq: number): Promise<Uint8Array> {
    if (block.length !== TAPE_BLOCK_SIZE) {
      throw new TapeFormatError("bad-block-size", `block ${expectedSeq}: got ${block.length} bytes, expected ${TAPE_BLOCK_SIZE}`, { field: "block" });
    }
    const h = decodeBlockHeader(block);
    if (h.seqNr !== expectedSeq) {
      throw new TapeFormatError("bad-sequence", `block seq_nr: wrong sequence number (${expectedSeq} != ${h.seqNr})`, { field: "seq_nr" });
    }
    if (h.endOfStream) {
      this.#foundEndMarker = true;
      this.#incomplete = h.incomplete;
      const after = await readFrom(this.#source);
      if (after.kind === "data") {
        throw new TapeFormatError("data-after-end-marker", "detected tape block after block-stream end marker");
      }
      if (after.kind === "end-of-data") {
        throw new TapeFormatError("unexpected-end-of-data", "got unexpected end of tape after the END_OF_STREAM block (filemark missing)");
      }
      this.#gotEof = true;
    }
    return block.subarray(BLOCK_HEADER_SIZE, BLOCK_HEADER_SIZE + h.size);
  }
}
