import {
  BLOCK_FLAG_END_OF_STREAM,
  BLOCK_FLAG_INCOMPLETE,
  BLOCK_HEADER_SIZE,
  BLOCK_PAYLOAD_SIZE,
  TAPE_BLOCK_SIZE,
  encodeBlockHeader,
} from "./block-header.ts";
import { TapeFormatError, asTapeFormatError } from "./errors.ts";
import type { BlockSink } from "./tape-io.ts";

/**
 * Turns a byte stream into one PBS tape file: 262144-byte blocks with the
 * 16-byte header, a final END_OF_STREAM block and one filemark.
 * Memory: one block buffer (reused when the sink `releasesBlocks`, else a
 * fresh one per block handed to the sink). @see reference §1.1, §1.3
 */
export class BlockedWriter {
  readonly #sink: BlockSink;
  #block: Uint8Array = new Uint8Array(TAPE_BLOCK_SIZE);
  #pos = 0;
  /** The block buffer holds bytes of an earlier block (reused for a sink that `releasesBlocks`). */
  #dirty = false;
  #seqNr = 0;
  #leom = false;
  #bytesWritten = 0;
  #state: "open" | "finished" | "failed" = "open";

  constructor(sink: BlockSink) {
    this.#sink = sink;
  }

  /** Logical end of medium seen on any block of this file (sticky). */
  get leom(): boolean {
    return this.#leom;
  }

  /** Whole blocks written × 262144. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  get finished(): boolean {
    return this.#state !== "open";
  }

  /** Appends stream bytes; returns the sticky LEOM flag. */
  async write(data: Uint8Array): Promise<boolean> {
    this.#checkOpen("write");
    let off = 0;
    while (off < data.length) {
      const n = Math.min(BLOCK_PAYLOAD_SIZE - this.#pos, data.length - off);
      this.#block.set(data.subarray(off, off + n), BLOCK_HEADER_SIZE + this.#pos);
      this.#pos += n;
      off += n;
      if (this.#pos === BLOCK_PAYLOAD_SIZE) await this.#writeBlock(0);
    }
    return this.#leom;
  }

  /**
   * Writes the final block (END_OF_STREAM, plus INCOMPLETE when the stream was
   * cut off) and one filemark. Returns the sticky LEOM flag.
   */
  async finish(incomplete: boolean): Promise<boolean> {
    this.#checkOpen("finish");
    await this.#writeBlock(BLOCK_FLAG_END_OF_STREAM | (incomplete ? BLOCK_FLAG_INCOMPLETE : 0));
    await this.#filemark();
    this.#state = "finished";
    return this.#leom;
  }

  /**
   * Ends the file without an END_OF_STREAM block (what a dropped PBS writer
   * does): buffered bytes are discarded and one filemark is written, so readers
   * report "no end marker".
   */
  async abort(): Promise<void> {
    this.#checkOpen("abort");
    this.#state = "failed";
    await this.#filemark();
    this.#state = "finished";
  }

  async #filemark(): Promise<void> {
    try {
      await this.#sink.writeFilemark();
    } catch (err) {
      this.#state = "failed";
      throw asTapeFormatError(err, "io", "write filemark");
    }
  }

  async #writeBlock(flags: number): Promise<void> {
    const block = this.#block;
    encodeBlockHeader(block, { flags, size: this.#pos, seqNr: this.#seqNr });
    // unused payload bytes after `size` are zero, as in a fresh block
    if (this.#pos < BLOCK_PAYLOAD_SIZE && this.#dirty) block.fill(0, BLOCK_HEADER_SIZE + this.#pos);
    const reuse = this.#sink.releasesBlocks === true;
    if (!reuse) this.#block = new Uint8Array(TAPE_BLOCK_SIZE);
    this.#dirty = reuse;
    this.#pos = 0;
    this.#seqNr++;
    let result: { earlyWarning: boolean };
    try {
      result = await this.#sink.writeBlock(block);
    } catch (err) {
      this.#state = "failed";
      throw asTapeFormatError(err, "io", `write block ${this.#seqNr - 1}`);
    }
    this.#bytesWritten += TAPE_BLOCK_SIZE;
    if (result.earlyWarning) this.#leom = true;
  }

  #checkOpen(op: string): void {
    if (this.#state !== "open") {
      throw new TapeFormatError("invalid-state", `BlockedWriter.${op}: the tape file is already finished`);
    }
  }
}
