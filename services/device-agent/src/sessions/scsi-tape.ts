import { MediumError, NotReadyError, ScsiDevice, ScsiError, UnitAttentionError, type ScsiTransport } from "@tapefleet/scsi";
import { TAPE_BLOCK_SIZE, type BlockReadResult, type BlockSink, type BlockSource } from "@tapefleet/tape-format";
import { SessionError } from "./session-error.ts";

/** How often TEST UNIT READY is retried while the drive reports UNIT ATTENTION or "becoming ready". */
export const READY_ATTEMPTS = 30;
/** Pause between those retries. */
export const READY_POLL_MS = 1000;
/**
 * Longest stretch of block reads and writes (ms) before the tape lets the event
 * loop run. Against the in-process virtual library a command completes without
 * waiting for I/O while its buffers have room, so a write session would copy
 * many MiB in one macrotask and hold timers, gRPC and NATS back for as long.
 */
export const YIELD_AFTER_MS = 4;
/**
 * Blocks are read into a ring of this many reused buffers (4 MiB): a block's bytes
 * stay valid while the next `READ_BUFFER_RING - 1` blocks are read (see `BlockSource`).
 */
export const READ_BUFFER_RING = 16;

/**
 * A PBS tape over a SCSI drive: the `BlockSink`/`BlockSource` of
 * `@tapefleet/tape-format` (WRITE(6)/READ(6) of 256 KiB variable blocks) plus
 * PBS positioning. Sense 0/00/02 on WRITE is early warning, 0/00/01 on READ a
 * filemark, 8/00/05 end of data (classified by `@tapefleet/scsi`). A file ends
 * with WRITE FILEMARKS 1 IMMED=1; `sync()` is WRITE FILEMARKS 0 IMMED=0.
 * The tape keeps track of the file number and the block within the file so a
 * medium error names both. @see reference §1.2, §7.2, §7.4
 */
export class ScsiTape implements BlockSink, BlockSource {
  readonly device: ScsiDevice;
  /** A WRITE(6) has copied or written the block when it completes: writers may reuse their buffer. */
  readonly releasesBlocks = true;
  #file = 0;
  #block = 0;
  /** LOCATE vendor offset, calibrated on the first LOCATE (IBM and HP drives differ by one). */
  #locateOffset: number | undefined;
  #pollMs: number;
  readonly #yieldAfterMs: number;
  /** When the event loop last had a turn (as far as this tape knows). */
  #lastYield = performance.now();
  /** Read buffers (allocated on the first read) and the next one to use. */
  #ring: Uint8Array[] = [];
  #ringNext = 0;

  constructor(transport: ScsiTransport | ScsiDevice, options: { readyPollMs?: number; yieldAfterMs?: number } = {}) {
    this.device = transport instanceof ScsiDevice ? transport : new ScsiDevice(transport);
    this.#pollMs = options.readyPollMs ?? READY_POLL_MS;
    this.#yieldAfterMs = options.yieldAfterMs ?? YIELD_AFTER_MS;
  }

  /** Lets the event loop run once `yieldAfterMs` passed since it last did (see `YIELD_AFTER_MS`). */
  async #letLoopRun(): Promise<void> {
    if (performance.now() - this.#lastYield < this.#yieldAfterMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#lastYield = performance.now();
  }

  /** Tape file number of the current position (as tracked since the last positioning). */
  get fileNumber(): number {
    return this.#file;
  }

  /** Block within the current tape file. */
  get blockInFile(): number {
    return this.#block;
  }

  /** Waits until the drive is ready: clears UNIT ATTENTION, waits out "becoming ready". */
  async waitReady(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.device.testUnitReady();
        return;
      } catch (err) {
        const retry = err instanceof UnitAttentionError || (err instanceof NotReadyError && err.reason === "becomingReady");
        if (err instanceof NotReadyError && err.reason === "noMedium") throw new SessionError("wrong-medium", "no tape in the drive", { cause: err });
        if (!retry || attempt >= READY_ATTEMPTS) throw this.#wrap(err, "TEST UNIT READY");
        if (err instanceof NotReadyError) await new Promise((r) => setTimeout(r, this.#pollMs));
      }
    }
  }

  async writeBlock(block: Uint8Array): Promise<{ earlyWarning: boolean }> {
    try {
      const r = await this.device.writeBlock(block);
      this.#block++;
      await this.#letLoopRun();
      return r;
    } catch (err) {
      throw this.#wrap(err, "WRITE(6)");
    }
  }

  /** Ends the current tape file: WRITE FILEMARKS 1, IMMED=1 (the drive buffers it). */
  async writeFilemark(): Promise<void> {
    try {
      await this.device.writeFilemarks(1, true);
    } catch (err) {
      throw this.#wrap(err, "WRITE FILEMARKS");
    }
    this.#file++;
    this.#block = 0;
  }

  /** Flushes the drive buffer to the medium: WRITE FILEMARKS 0, IMMED=0. */
  async sync(): Promise<void> {
    try {
      await this.device.writeFilemarks(0, false);
    } catch (err) {
      throw this.#wrap(err, "WRITE FILEMARKS 0 (sync)");
    }
  }

  async readBlock(): Promise<BlockReadResult> {
    let r;
    try {
      if (this.#ring.length === 0) for (let i = 0; i < READ_BUFFER_RING; i++) this.#ring.push(new Uint8Array(TAPE_BLOCK_SIZE));
      const into = this.#ring[this.#ringNext]!;
      this.#ringNext = (this.#ringNext + 1) % READ_BUFFER_RING;
      r = await this.device.readBlock(TAPE_BLOCK_SIZE, into);
    } catch (err) {
      throw this.#wrap(err, "READ(6)");
    }
    if (r.kind === "data") this.#block++;
    else if (r.kind === "filemark") {
      this.#file++;
      this.#block = 0;
    }
    await this.#letLoopRun();
    return r;
  }

  async rewind(): Promise<void> {
    try {
      await this.device.rewind();
    } catch (err) {
      throw this.#wrap(err, "REWIND");
    }
    this.#file = 0;
    this.#block = 0;
  }

  /** READ POSITION (long form): the drive's file and block numbers. */
  async position(): Promise<{ fileNumber: number; blockNumber: number }> {
    try {
      const p = await this.device.readPosition();
      return { fileNumber: p.fileNumber, blockNumber: p.blockNumber };
    } catch (err) {
      throw this.#wrap(err, "READ POSITION");
    }
  }

  /**
   * Positions at the start of tape file `n`: REWIND for 0, REWIND + SPACE 1
   * filemark for 1, otherwise LOCATE(16) to file id n-1 (+ vendor offset) and
   * SPACE 1 filemark. The first LOCATE is checked with READ POSITION and the
   * offset calibrated once. @see reference §7.2 locate_file
   */
  async locateFile(n: number): Promise<void> {
    if (!Number.isSafeInteger(n) || n < 0) throw new SessionError("invalid-request", `file number ${n}: must be a non-negative integer`, { field: "file_number" });
    await this.rewind();
    if (n === 0) return;
    try {
      if (n === 1) {
        await this.#spaceFilemarks(1);
      } else {
        const offset = this.#locateOffset ?? 0;
        await this.device.locateFile(n - 1 + offset);
        await this.#spaceFilemarks(1);
        let pos = await this.device.readPosition();
        if (this.#locateOffset === undefined) {
          this.#locateOffset = pos.fileNumber === n ? 0 : n - pos.fileNumber;
          if (pos.fileNumber !== n) {
            await this.device.locateFile(n - 1 + this.#locateOffset);
            await this.#spaceFilemarks(1);
            pos = await this.device.readPosition();
          }
        }
        if (pos.fileNumber !== n) throw new SessionError("position", `locate file ${n}: the drive is at file ${pos.fileNumber}`);
      }
    } catch (err) {
      throw this.#wrap(err, `locate file ${n}`);
    }
    this.#file = n;
    this.#block = 0;
  }

  async #spaceFilemarks(count: number): Promise<void> {
    const r = await this.device.space("filemarks", count);
    if (r.kind === "end-of-data") throw new SessionError("position", `SPACE ${count} filemark(s): end of data reached`);
  }

  /**
   * Moves to end of data for appending (SPACE to EOD, then `check_filemark`:
   * when the last object is a data block, an interrupted write left no
   * filemark: one is written with IMMED=0). Returns the file number the next
   * file gets. @see reference §1.2, §7.2
   */
  async moveToEndOfData(): Promise<{ fileNumber: number; repairedFilemark: boolean }> {
    let repaired = false;
    try {
      await this.device.space("end-of-data", 0);
      const pos = await this.device.readPosition();
      if (pos.blockNumber > 0) {
        const back = await this.device.space("blocks", -1);
        if (back.kind === "filemark") {
          await this.device.space("filemarks", 1);
        } else {
          await this.device.space("blocks", 1);
          await this.device.writeFilemarks(1, false);
          repaired = true;
        }
      }
      const end = await this.device.readPosition();
      this.#file = end.fileNumber;
      this.#block = 0;
      return { fileNumber: end.fileNumber, repairedFilemark: repaired };
    } catch (err) {
      throw this.#wrap(err, "move to end of data");
    }
  }

  #wrap(err: unknown, what: string): Error {
    if (err instanceof SessionError) return err;
    if (err instanceof MediumError) {
      return new SessionError("medium-error", `medium error at tape file ${this.#file}, block ${this.#block}: ${what}: ${err.message}`, {
        fileNumber: this.#file,
        block: this.#block,
        cause: err,
      });
    }
    if (err instanceof ScsiError) return new SessionError("io", `${what}: ${err.message}`, { cause: err });
    return new SessionError("io", `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
