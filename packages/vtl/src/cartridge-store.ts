/**
 * On-disk tape image of one cartridge: a data file of record payloads and an append-only
 * index of fixed 32-byte entries (one per logical object: record or filemark), so that
 * LOCATE and SPACE never read data. Appends are buffered and written in large batches;
 * `sync()` (filemarks, WRITE FILEMARKS 0) makes them durable. On open, the index is
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

/** Buffered bytes that trigger a write to the files. */
const FLUSH_THRESHOLD = 8 * 1024 * 1024;
/** Entries read per chunk while validating the index on open. */
const VALIDATE_CHUNK_ENTRIES = 32768;

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
  private pendingData: Buffer[] = [];
  private pendingIndex: Buffer[] = [];
  private pendingBytes = 0;
  /** Objects already written to the index file. */
  private persistedCount = 0;
  private persistedDataEnd = 0;
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

  /** Append a record. The payload is copied. */
  async appendRecord(payload: Uint8Array, logicalLength: number, encrypted: boolean, keyTag: number): Promise<void> {
    this.assertOpen();
    const copy = Buffer.allocUnsafe(payload.length);
    copy.set(payload);
    const entry = Buffer.allocUnsafe(INDEX_ENTRY_SIZE);
    encodeEntry(entry, 0, { kind: KIND_RECORD, dataOffset: this.dataEnd, storedLength: copy.length, logicalLength, encrypted, keyTag }, this.filemarks.length);
    this.pendingData.push(copy);
    this.pendingIndex.push(entry);
    this.pendingBytes += copy.length;
    this.dataEnd += copy.length;
    this.count++;
    if (this.pendingBytes >= FLUSH_THRESHOLD) await this.flush();
  }

  /** Append a filemark (not yet synced). */
  appendFilemark(): void {
    this.assertOpen();
    const entry = Buffer.allocUnsafe(INDEX_ENTRY_SIZE);
    encodeEntry(entry, 0, { kind: KIND_FILEMARK, dataOffset: this.dataEnd, storedLength: 0, logicalLength: 0, encrypted: false, keyTag: 0 }, this.filemarks.length);
    this.pendingIndex.push(entry);
    this.filemarks.push(this.count);
    this.count++;
  }

  /** Write buffered objects to the files (data first, then index). */
  async flush(): Promise<void> {
    if (this.pendingIndex.length === 0) return;
    const data = this.pendingData;
    const index = this.pendingIndex;
    this.pendingData = [];
    this.pendingIndex = [];
    this.pendingBytes = 0;
    if (data.length > 0) await writeAll(this.data, data, this.persistedDataEnd);
    await writeAll(this.index, index, this.persistedCount * INDEX_ENTRY_SIZE);
    this.persistedDataEnd = this.dataEnd;
    this.persistedCount = this.count;
  }

  /** Flush and fsync both files (a sync point). */
  async sync(): Promise<void> {
    await this.flush();
    await this.data.sync();
    await this.index.sync();
  }

  /** Read the index entry of the object at `position` (< objectCount). */
  async entry(position: number): Promise<TapeObject> {
    this.assertOpen();
    if (position < 0 || position >= this.count) throw new RangeError(`position ${position} outside 0..${this.count - 1}`);
    await this.flush();
    const b = Buffer.allocUnsafe(INDEX_ENTRY_SIZE);
    await this.index.read(b, 0, INDEX_ENTRY_SIZE, position * INDEX_ENTRY_SIZE);
    const e = decodeEntry(b, 0, position);
    if (!e) throw new Error(`index entry ${position} is corrupt`);
    return e;
  }

  /** Read the stored bytes of a record. */
  async readStored(o: TapeObject): Promise<Buffer> {
    await this.flush();
    const b = Buffer.allocUnsafe(o.storedLength);
    let done = 0;
    while (done < b.length) {
      const { bytesRead } = await this.data.read(b, done, b.length - done, o.dataOffset + done);
      if (bytesRead === 0) throw new Error(`data file ends inside record ${o.position}`);
      done += bytesRead;
    }
    return b;
  }

  /** Discard every object at `position` and after (writing or erasing there). */
  async truncate(position: number): Promise<void> {
    this.assertOpen();
    if (position >= this.count) return;
    await this.flush();
    const e = await this.entry(position);
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
      await this.data.close();
      await this.index.close();
    }
  }

  /** Close without writing buffered objects (simulates losing power before a sync point). */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pendingData = [];
    this.pendingIndex = [];
    await this.data.close();
    await this.index.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("cartridge store is closed");
  }
}

async function writeAll(h: FileHandle, buffers: Buffer[], position: number): Promise<void> {
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
