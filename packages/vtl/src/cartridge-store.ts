/**
 * On-disk tape image of one cartridge: a data file of record payloads and an append-only
 * index of fixed 32-byte entries (one per logical object: record or filemark), so that
 * LOCATE and SPACE never read data. Appends are buffered and written in large batches;
 * `sync()` (filemarks, WRITE FILEMARKS 0) makes them durable. Like a drive that streams its
 * buffer to the medium while the host keeps writing, the data file is flushed to disk in the
 * background every `WRITEBACK_BYTES` written, so a sync waits only for the tail. On open, the index is
 * validated entry by entry and both files are truncated after the last intact record, so a
 * crash loses unsynced records but never leaves a torn one.
 *
 * Index entry (little endian):
 *   0  u64 data offset      8  u32 stored length     12 u32 logical length
 *   16 u32 filemarks before 20 u8 kind (1 record, 2 filemark)  21 u8 flags (bit 0 encrypted)
 *   22 u16 reserved         24 u32 key tag           28 u32 CRC-32 of bytes 0..27
 */
import { open, type FileHandle } from "node:fs/promises";
import { crc32 } from "./crc32.ts";

export const INDEX_ENTRY_SIZE = 32;
export const KIND_RECORD = 1;
export const KIND_FILEMARK = 2;
export const FLAG_ENCRYPTED = 0x01;

/**
 * Size of the append buffer: records are copied into it and written to the data file in
 * one write when it is full (a record larger than it is written on its own).
 */
const APPEND_BUFFER_SIZE = 8 * 1024 * 1024;
/**
 * Data bytes written to the file after which a background `fdatasync` of the data file starts
 * (at most one at a time, not awaited by appends): the disk works while the host writes, and
 * `sync()` only flushes what came after it. Without it the page cache holds everything since
 * the last sync and every sync waits for the disk to write all of it.
 */
export const WRITEBACK_BYTES = 8 * 1024 * 1024;
/** Index entries buffered before they are written (with the data before them). */
const APPEND_INDEX_ENTRIES = 4096;
/** Entries read per chunk while validating the index on open. */
const VALIDATE_CHUNK_ENTRIES = 32768;
/** Index entries read at once when reading or positioning (a read-ahead window). */
const READ_INDEX_ENTRIES = 2048;
/** Data bytes read at once when reading records in order (a read-ahead window). */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

export interface TapeObject {
  /** Logical object number (0-based position on tape). */
  position: number;
  kind: typeof KIND_RECORD | typeof KIND_FILEMARK;
  dataOffset: number;
  storedLength: number;
  logicalLength: number;
  encrypted: boolean;
  keyTag: number;
}

function encodeEntry(b: Buffer, at: number, o: Omit<TapeObject, "position">, filemarksBefore: number): void {
  b.writeUInt32LE(o.dataOffset % 0x100000000, at);
  b.writeUInt32LE(Math.floor(o.dataOffset / 0x100000000), at + 4);
  b.writeUInt32LE(o.storedLength, at + 8);
  b.writeUInt32LE(o.logicalLength, at + 12);
  b.writeUInt32LE(filemarksBefore, at + 16);
  b[at + 20] = o.kind;
  b[at + 21] = o.encrypted ? FLAG_ENCRYPTED : 0;
  b.writeUInt16LE(0, at + 22);
  b.writeUInt32LE(o.keyTag >>> 0, at + 24);
  b.writeUInt32LE(crc32(b, at, at + 28), at + 28);
}

function decodeEntry(b: Buffer, at: number, position: number): (TapeObject & { filemarksBefore: number }) | undefined {
  if (crc32(b, at, at + 28) !== b.readUInt32LE(at + 28)) return undefined;
  const kind = b[at + 20];
  if (kind !== KIND_RECORD && kind !== KIND_FILEMARK) return undefined;
  return {
    position,
    kind,
    dataOffset: b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 0x100000000,
    storedLength: b.readUInt32LE(at + 8),
    logicalLength: b.readUInt32LE(at + 12),
    filemarksBefore: b.readUInt32LE(at + 16),
    encrypted: (b[at + 21]! & FLAG_ENCRYPTED) !== 0,
    keyTag: b.readUInt32LE(at + 24),
  };
}

export class CartridgeStore {
  /** Object positions of the filemarks, ascending (bounded by the number of tape files). */
  private filemarks: number[] = [];
  private count = 0;
  private dataEnd = 0;
  /** Append buffers, reused: record payloads and index entries not yet written. */
  private appendData: Buffer = Buffer.allocUnsafe(APPEND_BUFFER_SIZE);
  private appendIndex: Buffer = Buffer.allocUnsafe(APPEND_INDEX_ENTRIES * INDEX_ENTRY_SIZE);
  /** The spare pair, swapped in while a flush writes the other one. */
  private spareData: Buffer | undefined = Buffer.allocUnsafe(APPEND_BUFFER_SIZE);
  private spareIndex: Buffer | undefined = Buffer.allocUnsafe(APPEND_INDEX_ENTRIES * INDEX_ENTRY_SIZE);
  private pendingBytes = 0;
  private pendingEntries = 0;
  /** The writes in progress (one at a time, in order; never rejects). */
  private flushing: Promise<void> = Promise.resolve();
  /** The first failed write: the image on disk misses objects, nothing more is accepted. */
  private failure: unknown;
  /** Data bytes written to the file since the last background flush or sync started. */
  private unflushedBytes = 0;
  /** The background `fdatasync` in progress (never rejects: a failure is kept in `failure`). */
  private writeback: Promise<void> | undefined;
  private writebacksStarted = 0;
  /** Objects already written to the index file. */
  private persistedCount = 0;
  private persistedDataEnd = 0;
  /** Read-ahead windows (only ever cover written objects; dropped on truncate). */
  private indexCache: { first: number; count: number; bytes: Buffer } | undefined;
  private dataCache: { offset: number; bytes: Buffer } | undefined;
  /** The read-ahead window `readStored` reuses (allocated on the first read). */
  private readWindow: Buffer | undefined;
  private closed = false;

  private constructor(
    private readonly data: FileHandle,
    private readonly index: FileHandle,
  ) {}

  /** Open (creating when missing) a cartridge image, repairing a torn tail. */
  static async open(dataPath: string, indexPath: string): Promise<CartridgeStore> {
    const data = await open(dataPath, "a+").then(async (h) => {
      await h.close();
      return open(dataPath, "r+");
    });
    const index = await open(indexPath, "a+").then(async (h) => {
      await h.close();
      return open(indexPath, "r+");
    });
    const store = new CartridgeStore(data, index);
    try {
      await store.recover();
    } catch (e) {
      await data.close();
      await index.close();
      throw e;
    }
    return store;
  }

  private async recover(): Promise<void> {
    const dataSize = (await this.data.stat()).size;
    const indexSize = (await this.index.stat()).size;
    const total = Math.floor(indexSize / INDEX_ENTRY_SIZE);
    const buf = Buffer.allocUnsafe(VALIDATE_CHUNK_ENTRIES * INDEX_ENTRY_SIZE);
    let valid = 0;
    let offset = 0;
    let fm = 0;
    outer: while (valid < total) {
      const n = Math.min(VALIDATE_CHUNK_ENTRIES, total - valid);
      const { bytesRead } = await this.index.read(buf, 0, n * INDEX_ENTRY_SIZE, valid * INDEX_ENTRY_SIZE);
      const got = Math.floor(bytesRead / INDEX_ENTRY_SIZE);
      for (let i = 0; i < got; i++) {
        const e = decodeEntry(buf, i * INDEX_ENTRY_SIZE, valid);
        if (!e || e.dataOffset !== offset || e.filemarksBefore !== fm || offset + e.storedLength > dataSize) break outer;
        if (e.kind === KIND_FILEMARK) {
          if (e.storedLength !== 0) break outer;
          this.filemarks.push(valid);
          fm++;
        }
        offset += e.storedLength;
        valid++;
      }
      if (got < n) break;
    }
    this.count = this.persistedCount = valid;
    this.dataEnd = this.persistedDataEnd = offset;
    if (indexSize !== valid * INDEX_ENTRY_SIZE) await this.index.truncate(valid * INDEX_ENTRY_SIZE);
    if (dataSize !== offset) await this.data.truncate(offset);
  }

  /** Number of logical objects (records + filemarks); the end-of-data position. */
  get objectCount(): number {
    return this.count;
  }

  /** Bytes stored (the tape space in use). */
  get usedBytes(): number {
    return this.dataEnd;
  }

  /** Background flushes of the data file started so far (see `WRITEBACK_BYTES`). */
  get writebacks(): number {
    return this.writebacksStarted;
  }

  get filemarkCount(): number {
    return this.filemarks.length;
  }

  /** Number of filemarks before `position` (the logical file number there). */
  fileNumberAt(position: number): number {
    return lowerBound(this.filemarks, position);
  }

  /** Position of filemark `k` (0-based), or undefined. */
  filemarkPosition(k: number): number | undefined {
    return this.filemarks[k];
  }

  /** Index (in filemark order) of the first filemark at or after `position`. */
  firstFilemarkAtOrAfter(position: number): number {
    return lowerBound(this.filemarks, position);
  }

  /**
   * Append a record. The payload is copied into the append buffer; a full buffer is written
   * behind (while the next records fill the spare one), so a record waits for the disk only
   * when both buffers are full.
   */
  async appendRecord(payload: Uint8Array, logicalLength: number, encrypted: boolean, keyTag: number): Promise<void> {
    this.assertOpen();
    this.assertWritable();
    const length = payload.length;
    if (this.pendingBytes + length > APPEND_BUFFER_SIZE || this.pendingEntries === APPEND_INDEX_ENTRIES) await this.makeRoom();
    const entry = { kind: KIND_RECORD, dataOffset: this.dataEnd, storedLength: length, logicalLength, encrypted, keyTag } as const;
    if (length > APPEND_BUFFER_SIZE) {
      // larger than the buffer: written on its own, then its index entry
      await this.flush();
      await writeAll(this.data, [payload], this.dataEnd);
      this.dataEnd += length;
      this.persistedDataEnd = this.dataEnd;
      encodeEntry(this.appendIndex, this.pendingEntries * INDEX_ENTRY_SIZE, entry, this.filemarks.length);
      this.pendingEntries++;
      this.count++;
      return;
    }
    this.appendData.set(payload, this.pendingBytes);
    encodeEntry(this.appendIndex, this.pendingEntries * INDEX_ENTRY_SIZE, entry, this.filemarks.length);
    this.pendingBytes += length;
    this.pendingEntries++;
    this.dataEnd += length;
    this.count++;
    if (this.pendingBytes === APPEND_BUFFER_SIZE) await this.makeRoom();
  }

  /** Waits for the write in progress (its buffers become the spares), then writes the current ones behind. */
  private async makeRoom(): Promise<void> {
    await this.flushing;
    this.assertWritable();
    this.startFlush();
  }

  /** Append a filemark (not yet synced). */
  appendFilemark(): void {
    this.assertOpen();
    if (this.pendingEntries === APPEND_INDEX_ENTRIES) {
      // the index buffer is full: keep the entries in a fresh buffer until the next flush
      const grown = Buffer.allocUnsafe(this.appendIndex.length * 2);
      this.appendIndex.copy(grown);
      this.appendIndex = grown;
    }
    encodeEntry(this.appendIndex, this.pendingEntries * INDEX_ENTRY_SIZE, { kind: KIND_FILEMARK, dataOffset: this.dataEnd, storedLength: 0, logicalLength: 0, encrypted: false, keyTag: 0 }, this.filemarks.length);
    this.pendingEntries++;
    this.filemarks.push(this.count);
    this.count++;
  }

  /** Write buffered objects to the files (data first, then index) and wait until they are written. */
  async flush(): Promise<void> {
    this.startFlush();
    await this.flushing;
    this.assertWritable();
  }

  /**
   * Starts writing the buffered objects; the next appends go to the spare buffers meanwhile.
   * Writes run one after the other; the first failure is kept and fails every later
   * append, flush and sync.
   */
  private startFlush(): void {
    if (this.pendingEntries === 0) return;
    const data = this.appendData.subarray(0, this.pendingBytes);
    const index = this.appendIndex.subarray(0, this.pendingEntries * INDEX_ENTRY_SIZE);
    const dataAt = this.dataEnd - this.pendingBytes;
    const indexAt = (this.count - this.pendingEntries) * INDEX_ENTRY_SIZE;
    const count = this.count;
    const dataEnd = this.dataEnd;
    const fullData = this.appendData;
    const fullIndex = this.appendIndex;
    this.appendData = this.spareData ?? Buffer.allocUnsafe(APPEND_BUFFER_SIZE);
    this.appendIndex = this.spareIndex ?? Buffer.allocUnsafe(APPEND_INDEX_ENTRIES * INDEX_ENTRY_SIZE);
    this.spareData = undefined;
    this.spareIndex = undefined;
    this.pendingBytes = 0;
    this.pendingEntries = 0;
    this.flushing = this.flushing.then(async () => {
      try {
        if (this.failure !== undefined) return;
        if (data.length > 0) await writeAll(this.data, [data], dataAt);
        await writeAll(this.index, [index], indexAt);
        this.unflushedBytes += data.length;
        if (this.unflushedBytes >= WRITEBACK_BYTES && this.writeback === undefined) this.startWriteback();
        this.persistedDataEnd = Math.max(this.persistedDataEnd, dataEnd);
        this.persistedCount = Math.max(this.persistedCount, count);
      } catch (err) {
        this.failure = err;
      } finally {
        this.spareData = fullData;
        this.spareIndex = fullIndex.length === APPEND_INDEX_ENTRIES * INDEX_ENTRY_SIZE ? fullIndex : undefined;
      }
    });
  }

  /** Starts flushing the data file to disk in the background (the next writes go on meanwhile). */
  private startWriteback(): void {
    this.unflushedBytes = 0;
    this.writebacksStarted++;
    const p: Promise<void> = this.data.datasync().then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    this.writeback = p;
    void p.finally(() => {
      if (this.writeback === p) this.writeback = undefined;
    });
  }

  private assertWritable(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Flush and fsync both files (a sync point). */
  async sync(): Promise<void> {
    await this.flush();
    await this.writeback;
    this.assertWritable();
    this.unflushedBytes = 0;
    await this.data.sync();
    await this.index.sync();
  }

  /** Read the index entry of the object at `position` (< objectCount). */
  async entry(position: number): Promise<TapeObject> {
    this.assertOpen();
    if (position < 0 || position >= this.count) throw new RangeError(`position ${position} outside 0..${this.count - 1}`);
    await this.flush();
    let c = this.indexCache;
    if (c === undefined || position < c.first || position >= c.first + c.count) {
      const n = Math.min(READ_INDEX_ENTRIES, this.count - position);
      const bytes = c !== undefined && c.bytes.length >= n * INDEX_ENTRY_SIZE ? c.bytes : Buffer.allocUnsafe(READ_INDEX_ENTRIES * INDEX_ENTRY_SIZE);
      const { bytesRead } = await this.index.read(bytes, 0, n * INDEX_ENTRY_SIZE, position * INDEX_ENTRY_SIZE);
      c = { first: position, count: Math.floor(bytesRead / INDEX_ENTRY_SIZE), bytes };
      this.indexCache = c.count > 0 ? c : undefined;
      if (c.count === 0) throw new Error(`index entry ${position} is missing`);
    }
    const e = decodeEntry(c.bytes, (position - c.first) * INDEX_ENTRY_SIZE, position);
    if (!e) throw new Error(`index entry ${position} is corrupt`);
    return e;
  }

  /**
   * Read the stored bytes of a record. Records are read ahead in windows of a few MiB, so a
   * sequential read costs one file read per window. The result is a view of the read
   * window, which the next `readStored` may overwrite: the caller copies what it keeps
   * (the drive hands the host a copy, see `deliver` in device.ts). One window buffer is
   * reused for the life of the store, so reading allocates nothing per record.
   */
  async readStored(o: TapeObject): Promise<Buffer> {
    await this.flush();
    const end = o.dataOffset + o.storedLength;
    const c = this.dataCache;
    if (c !== undefined && o.dataOffset >= c.offset && end <= c.offset + c.bytes.length) {
      return c.bytes.subarray(o.dataOffset - c.offset, end - c.offset);
    }
    if (o.storedLength >= READ_AHEAD_BYTES) return this.readRange(o.dataOffset, o.storedLength, o.position);
    const length = Math.max(Math.min(READ_AHEAD_BYTES, this.persistedDataEnd - o.dataOffset), o.storedLength);
    this.dataCache = undefined; // the window is refilled: its old contents are gone even if the read fails
    this.readWindow ??= Buffer.allocUnsafe(READ_AHEAD_BYTES);
    const bytes = await this.readRange(o.dataOffset, length, o.position, this.readWindow);
    this.dataCache = { offset: o.dataOffset, bytes };
    return bytes.subarray(0, o.storedLength);
  }

  private async readRange(offset: number, length: number, position: number, into?: Buffer): Promise<Buffer> {
    const b = into !== undefined && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.data.read(b, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`data file ends inside record ${position}`);
      done += bytesRead;
    }
    return b;
  }

  /** Discard every object at `position` and after (writing or erasing there). */
  async truncate(position: number): Promise<void> {
    this.assertOpen();
    if (position >= this.count) return;
    await this.flush();
    await this.writeback;
    const e = await this.entry(position);
    this.indexCache = undefined;
    this.dataCache = undefined;
    this.count = this.persistedCount = position;
    this.dataEnd = this.persistedDataEnd = e.dataOffset;
    this.filemarks.length = lowerBound(this.filemarks, position);
    await this.index.truncate(position * INDEX_ENTRY_SIZE);
    await this.data.truncate(e.dataOffset);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.sync();
    } finally {
      this.closed = true;
      await this.writeback;
      await this.data.close();
      await this.index.close();
    }
  }

  /** Close without writing buffered objects (simulates losing power before a sync point). */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pendingBytes = 0;
    this.pendingEntries = 0;
    await this.flushing;
    await this.writeback;
    await this.data.close();
    await this.index.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("cartridge store is closed");
  }
}

async function writeAll(h: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let pos = position;
  for (let i = 0; i < buffers.length; i += 512) {
    const batch = buffers.slice(i, i + 512);
    const total = batch.reduce((s, b) => s + b.length, 0);
    const { bytesWritten } = await h.writev(batch, pos);
    pos += bytesWritten;
    if (bytesWritten === total) continue;
    // short write: finish the rest buffer by buffer
    let skip = bytesWritten;
    for (const b of batch) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      let part = b.subarray(skip);
      skip = 0;
      while (part.length > 0) {
        const w = await h.write(part, 0, part.length, pos);
        pos += w.bytesWritten;
        part = part.subarray(w.bytesWritten);
      }
    }
  }
}

/** First index i with a[i] >= x (a ascending). */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
