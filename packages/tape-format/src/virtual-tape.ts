import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync, fstatSync, ftruncateSync } from "node:fs";
import { join } from "node:path";
import { TapeFormatError } from "./errors.ts";
import type { BlockReadResult, BlockSink, BlockSource } from "./tape-io.ts";

/** A tape for tests: write and read blocks and filemarks, position by file number. */
export interface VirtualTapeDevice extends BlockSink, BlockSource {
  /** Position at BOT (file 0). */
  rewind(): Promise<void>;
  /** Position at the start of file `n` (0 ≤ n ≤ number of files). */
  seekFile(n: number): Promise<void>;
  /** Number of tape files (the last one may lack its filemark). */
  readonly fileCount: number;
  /** Bytes of block data on the tape. */
  readonly bytesUsed: number;
}

export interface VirtualTapeOptions {
  /** LEOM (early warning) is reported for every block written once more than this many bytes are on tape. */
  earlyWarningBytes?: number;
  /** Writing beyond this many bytes fails with `end-of-medium` (the physical end). Default: early warning + 2 blocks. */
  capacityBytes?: number;
}

interface TapeFileState {
  blocks: Uint8Array[];
  filemark: boolean;
}

const DEFAULT_EARLY_WARNING = 64 * 1024 * 1024;
const EARLY_WARNING_ZONE = 2 * 262144;

/**
 * In-memory tape. Writing at a position discards everything after it (like a
 * real drive). LEOM semantics follow PBS's emulated tape: the write succeeds
 * and reports early warning once the early-warning size is exceeded.
 */
export class MemoryTape implements VirtualTapeDevice {
  readonly #files: TapeFileState[] = [];
  #file = 0;
  #block = 0;
  #used = 0;
  readonly earlyWarningBytes: number;
  readonly capacityBytes: number;

  constructor(options: VirtualTapeOptions = {}) {
    this.earlyWarningBytes = options.earlyWarningBytes ?? DEFAULT_EARLY_WARNING;
    this.capacityBytes = options.capacityBytes ?? this.earlyWarningBytes + EARLY_WARNING_ZONE;
  }

  get fileCount(): number {
    return this.#files.length;
  }
  get bytesUsed(): number {
    return this.#used;
  }
  /** The blocks of file `n` (for tests that inspect or corrupt the tape). */
  fileBlocks(n: number): Uint8Array[] {
    const f = this.#files[n];
    if (f === undefined) throw new TapeFormatError("invalid-state", `MemoryTape: no file ${n}`);
    return f.blocks;
  }
  hasFilemark(n: number): boolean {
    return this.#files[n]?.filemark ?? false;
  }

  async rewind(): Promise<void> {
    this.#file = 0;
    this.#block = 0;
  }

  async seekFile(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0 || n > this.#files.length) {
      throw new TapeFormatError("invalid-state", `MemoryTape.seekFile: file ${n} does not exist (${this.#files.length} files)`);
    }
    this.#file = n;
    this.#block = 0;
  }

  #truncateHere(): TapeFileState {
    for (let i = this.#files.length - 1; i > this.#file; i--) this.#drop(i);
    let f = this.#files[this.#file];
    if (f === undefined) {
      f = { blocks: [], filemark: false };
      this.#files.push(f);
    }
    for (const b of f.blocks.splice(this.#block)) this.#used -= b.length;
    f.filemark = false;
    return f;
  }

  #drop(i: number): void {
    for (const b of this.#files[i]!.blocks) this.#used -= b.length;
    this.#files.splice(i, 1);
  }

  async writeBlock(block: Uint8Array): Promise<{ earlyWarning: boolean }> {
    if (this.#used + block.length > this.capacityBytes) {
      throw new TapeFormatError("end-of-medium", `MemoryTape: physical end of medium (${this.capacityBytes} bytes)`);
    }
    const f = this.#truncateHere();
    f.blocks.push(block);
    this.#used += block.length;
    this.#block++;
    return { earlyWarning: this.#used > this.earlyWarningBytes };
  }

  async writeFilemark(): Promise<void> {
    const f = this.#truncateHere();
    f.filemark = true;
    this.#file++;
    this.#block = 0;
  }

  async readBlock(): Promise<BlockReadResult> {
    const f = this.#files[this.#file];
    if (f === undefined) return { kind: "end-of-data" };
    const b = f.blocks[this.#block];
    if (b !== undefined) {
      this.#block++;
      return { kind: "data", data: b };
    }
    if (!f.filemark) return { kind: "end-of-data" };
    this.#file++;
    this.#block = 0;
    return { kind: "filemark" };
  }
}

/**
 * File-backed tape in a directory: `tape.json` (`{"files": [{"filemark": bool}]}`)
 * and one `tapefile-<n>.bin` per tape file holding length-prefixed blocks
 * (u32 LE length + data). Survives process restarts; same semantics as MemoryTape.
 */
export class FileTape implements VirtualTapeDevice {
  readonly dir: string;
  readonly earlyWarningBytes: number;
  readonly capacityBytes: number;
  #files: { filemark: boolean; size: number }[] = [];
  #file = 0;
  #offset = 0;

  constructor(dir: string, options: VirtualTapeOptions = {}) {
    this.dir = dir;
    this.earlyWarningBytes = options.earlyWarningBytes ?? DEFAULT_EARLY_WARNING;
    this.capacityBytes = options.capacityBytes ?? this.earlyWarningBytes + EARLY_WARNING_ZONE;
    try {
      mkdirSync(dir, { recursive: true });
      const meta = join(dir, "tape.json");
      if (existsSync(meta)) {
        const parsed = JSON.parse(readFileSync(meta, "utf8")) as { files: { filemark: boolean }[] };
        this.#files = parsed.files.map((f, i) => ({ filemark: f.filemark, size: fstatSize(this.#path(i)) }));
      }
    } catch (err) {
      throw new TapeFormatError("io", `FileTape: cannot open ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  #path(n: number): string {
    return join(this.dir, `tapefile-${n}.bin`);
  }

  #save(): void {
    writeFileSync(join(this.dir, "tape.json"), JSON.stringify({ files: this.#files.map((f) => ({ filemark: f.filemark })) }));
  }

  get fileCount(): number {
    return this.#files.length;
  }
  get bytesUsed(): number {
    return this.#files.reduce((s, f) => s + f.size, 0);
  }

  async rewind(): Promise<void> {
    this.#file = 0;
    this.#offset = 0;
  }

  async seekFile(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0 || n > this.#files.length) {
      throw new TapeFormatError("invalid-state", `FileTape.seekFile: file ${n} does not exist (${this.#files.length} files)`);
    }
    this.#file = n;
    this.#offset = 0;
  }

  #truncateHere(): void {
    for (let i = this.#files.length - 1; i > this.#file; i--) {
      rmSync(this.#path(i), { force: true });
      this.#files.pop();
    }
    if (this.#files[this.#file] === undefined) {
      this.#files.push({ filemark: false, size: 0 });
      writeFileSync(this.#path(this.#file), new Uint8Array(0));
    }
    const f = this.#files[this.#file]!;
    if (f.size !== this.#offset) {
      const fd = openSync(this.#path(this.#file), "r+");
      try {
        ftruncateSync(fd, this.#offset);
      } finally {
        closeSync(fd);
      }
      f.size = this.#offset;
    }
    f.filemark = false;
  }

  async writeBlock(block: Uint8Array): Promise<{ earlyWarning: boolean }> {
    const used = this.bytesUsed - ((this.#files[this.#file]?.size ?? 0) - this.#offset) - this.#sizesAfter();
    if (used + block.length + 4 > this.capacityBytes) {
      throw new TapeFormatError("end-of-medium", `FileTape: physical end of medium (${this.capacityBytes} bytes)`);
    }
    try {
      this.#truncateHere();
      const fd = openSync(this.#path(this.#file), "a");
      try {
        const len = new Uint8Array(4);
        new DataView(len.buffer).setUint32(0, block.length, true);
        writeSync(fd, len);
        writeSync(fd, block);
      } finally {
        closeSync(fd);
      }
      this.#offset += 4 + block.length;
      this.#files[this.#file]!.size = this.#offset;
      this.#save();
    } catch (err) {
      throw new TapeFormatError("io", `FileTape: write failed: ${(err as Error).message}`, { cause: err });
    }
    return { earlyWarning: this.bytesUsed > this.earlyWarningBytes };
  }

  #sizesAfter(): number {
    let n = 0;
    for (let i = this.#file + 1; i < this.#files.length; i++) n += this.#files[i]!.size;
    return n;
  }

  async writeFilemark(): Promise<void> {
    this.#truncateHere();
    this.#files[this.#file]!.filemark = true;
    this.#save();
    this.#file++;
    this.#offset = 0;
  }

  async readBlock(): Promise<BlockReadResult> {
    const f = this.#files[this.#file];
    if (f === undefined) return { kind: "end-of-data" };
    if (this.#offset < f.size) {
      const fd = openSync(this.#path(this.#file), "r");
      try {
        const len = new Uint8Array(4);
        if (readSync(fd, len, 0, 4, this.#offset) !== 4) throw new Error("short length prefix");
        const n = new DataView(len.buffer).getUint32(0, true);
        const data = new Uint8Array(n);
        if (readSync(fd, data, 0, n, this.#offset + 4) !== n) throw new Error("short block");
        this.#offset += 4 + n;
        return { kind: "data", data };
      } catch (err) {
        throw new TapeFormatError("io", `FileTape: read failed in file ${this.#file}: ${(err as Error).message}`, { cause: err });
      } finally {
        closeSync(fd);
      }
    }
    if (!f.filemark) return { kind: "end-of-data" };
    this.#file++;
    this.#offset = 0;
    return { kind: "filemark" };
  }
}

function fstatSize(path: string): number {
  const fd = openSync(path, "r");
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
