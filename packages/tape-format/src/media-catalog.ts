import { TapeFormatError } from "./errors.ts";
import { decodeUtf8, utf8 } from "./json.ts";
import { MEDIA_CATALOG_MAGIC_1_0, MEDIA_CATALOG_MAGIC_1_1, bytesEqual, toHex } from "./magics.ts";
import { formatUuid, parseUuid } from "./uuid.ts";

/**
 * The media catalog `<media-uuid>.log` (PBS `MediaCatalog` v1.1): 8-byte magic,
 * then records of a 1-byte tag and a `#[repr(C)]` struct with padding
 * (zero when written, ignored when read), all integers LE. @see reference §5.1
 */
export const CATALOG_TAG_LABEL = 0x4c; // 'L'
export const CATALOG_TAG_CHUNK_ARCHIVE_START = 0x41; // 'A'
export const CATALOG_TAG_CHUNK = 0x43; // 'C'
export const CATALOG_TAG_CHUNK_ARCHIVE_END = 0x45; // 'E'
export const CATALOG_TAG_SNAPSHOT = 0x53; // 'S'

/** Struct sizes after the tag. */
export const CATALOG_LABEL_SIZE = 32;
export const CATALOG_CHUNK_ARCHIVE_START_SIZE = 32;
export const CATALOG_CHUNK_SIZE = 32;
export const CATALOG_CHUNK_ARCHIVE_END_SIZE = 24;
export const CATALOG_SNAPSHOT_SIZE = 32;

export type CatalogRecord =
  /** File 0: media uuid, seq 0; file 1: media set uuid and seq_nr. */
  | { type: "label"; fileNumber: number; uuid: string; seqNr: number }
  | { type: "chunk-archive-start"; fileNumber: number; uuid: string; store: string }
  | { type: "chunk"; digest: Uint8Array }
  | { type: "chunk-archive-end"; fileNumber: number; uuid: string }
  | { type: "snapshot"; fileNumber: number; uuid: string; store: string; snapshot: string };

function u64(dv: DataView, at: number, field: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TapeFormatError("invalid-field", `catalog ${field}: ${v} out of range`, { field });
  return Number(v);
}

function checkFileNumber(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TapeFormatError("invalid-field", `catalog file_number: ${n}`, { field: "file_number" });
}

/** Encodes one record (tag + struct + trailer) byte-exactly. */
export function encodeCatalogRecord(r: CatalogRecord): Uint8Array {
  switch (r.type) {
    case "label": {
      checkFileNumber(r.fileNumber);
      if (!Number.isSafeInteger(r.seqNr) || r.seqNr < 0) throw new TapeFormatError("invalid-field", `catalog seq_nr: ${r.seqNr}`, { field: "seq_nr" });
      const out = new Uint8Array(1 + CATALOG_LABEL_SIZE);
      const dv = new DataView(out.buffer);
      out[0] = CATALOG_TAG_LABEL;
      dv.setBigUint64(1, BigInt(r.fileNumber), true);
      out.set(parseUuid(r.uuid), 9);
      dv.setBigUint64(25, BigInt(r.seqNr), true);
      return out;
    }
    case "chunk-archive-start": {
      checkFileNumber(r.fileNumber);
      const store = utf8.encode(r.store);
      if (store.length > 255) throw new TapeFormatError("invalid-field", `catalog store name: ${store.length} bytes > 255`, { field: "store" });
      const out = new Uint8Array(1 + CATALOG_CHUNK_ARCHIVE_START_SIZE + store.length);
      const dv = new DataView(out.buffer);
      out[0] = CATALOG_TAG_CHUNK_ARCHIVE_START;
      dv.setBigUint64(1, BigInt(r.fileNumber), true);
      out.set(parseUuid(r.uuid), 9);
      out[25] = store.length;
      out.set(store, 1 + CATALOG_CHUNK_ARCHIVE_START_SIZE);
      return out;
    }
    case "chunk": {
      if (r.digest.length !== 32) throw new TapeFormatError("invalid-field", `catalog chunk digest: ${r.digest.length} bytes`, { field: "digest" });
      const out = new Uint8Array(1 + CATALOG_CHUNK_SIZE);
      out[0] = CATALOG_TAG_CHUNK;
      out.set(r.digest, 1);
      return out;
    }
    case "chunk-archive-end": {
      checkFileNumber(r.fileNumber);
      const out = new Uint8Array(1 + CATALOG_CHUNK_ARCHIVE_END_SIZE);
      out[0] = CATALOG_TAG_CHUNK_ARCHIVE_END;
      new DataView(out.buffer).setBigUint64(1, BigInt(r.fileNumber), true);
      out.set(parseUuid(r.uuid), 9);
      return out;
    }
    case "snapshot": {
      checkFileNumber(r.fileNumber);
      const store = utf8.encode(r.store);
      const snap = utf8.encode(r.snapshot);
      if (store.length > 255) throw new TapeFormatError("invalid-field", `catalog store name: ${store.length} bytes > 255`, { field: "store" });
      if (snap.length > 0xffff) throw new TapeFormatError("invalid-field", `catalog snapshot path: ${snap.length} bytes > 65535`, { field: "snapshot" });
      const out = new Uint8Array(1 + CATALOG_SNAPSHOT_SIZE + store.length + 1 + snap.length);
      const dv = new DataView(out.buffer);
      out[0] = CATALOG_TAG_SNAPSHOT;
      dv.setBigUint64(1, BigInt(r.fileNumber), true);
      out.set(parseUuid(r.uuid), 9);
      out[25] = store.length;
      dv.setUint16(27, snap.length, true);
      let at = 1 + CATALOG_SNAPSHOT_SIZE;
      out.set(store, at);
      at += store.length;
      out[at++] = 0x3a; // ':'
      out.set(snap, at);
      return out;
    }
  }
}

/**
 * Decodes the record at `offset`. Returns null when the bytes end inside the
 * record (a truncated last record); throws for an unknown tag or bad content.
 */
export function decodeCatalogRecord(bytes: Uint8Array, offset: number): { record: CatalogRecord; length: number } | null {
  if (offset >= bytes.length) return null;
  const tag = bytes[offset]!;
  const body = (size: number): DataView | null =>
    offset + 1 + size <= bytes.length ? new DataView(bytes.buffer, bytes.byteOffset + offset + 1, size) : null;
  const uuidAt = (at: number): string => formatUuid(bytes.subarray(offset + 1 + at, offset + 1 + at + 16));
  switch (tag) {
    case CATALOG_TAG_LABEL: {
      const dv = body(CATALOG_LABEL_SIZE);
      if (dv === null) return null;
      return { record: { type: "label", fileNumber: u64(dv, 0, "file_number"), uuid: uuidAt(8), seqNr: u64(dv, 24, "seq_nr") }, length: 1 + CATALOG_LABEL_SIZE };
    }
    case CATALOG_TAG_CHUNK_ARCHIVE_START: {
      const dv = body(CATALOG_CHUNK_ARCHIVE_START_SIZE);
      if (dv === null) return null;
      const nameLen = dv.getUint8(24);
      const at = offset + 1 + CATALOG_CHUNK_ARCHIVE_START_SIZE;
      if (at + nameLen > bytes.length) return null;
      return {
        record: { type: "chunk-archive-start", fileNumber: u64(dv, 0, "file_number"), uuid: uuidAt(8), store: decodeUtf8(bytes.subarray(at, at + nameLen), "store") },
        length: 1 + CATALOG_CHUNK_ARCHIVE_START_SIZE + nameLen,
      };
    }
    case CATALOG_TAG_CHUNK: {
      if (body(CATALOG_CHUNK_SIZE) === null) return null;
      return { record: { type: "chunk", digest: bytes.slice(offset + 1, offset + 1 + CATALOG_CHUNK_SIZE) }, length: 1 + CATALOG_CHUNK_SIZE };
    }
    case CATALOG_TAG_CHUNK_ARCHIVE_END: {
      const dv = body(CATALOG_CHUNK_ARCHIVE_END_SIZE);
      if (dv === null) return null;
      return { record: { type: "chunk-archive-end", fileNumber: u64(dv, 0, "file_number"), uuid: uuidAt(8) }, length: 1 + CATALOG_CHUNK_ARCHIVE_END_SIZE };
    }
    case CATALOG_TAG_SNAPSHOT: {
      const dv = body(CATALOG_SNAPSHOT_SIZE);
      if (dv === null) return null;
      const storeLen = dv.getUint8(24);
      const nameLen = dv.getUint16(26, true);
      const at = offset + 1 + CATALOG_SNAPSHOT_SIZE;
      if (at + storeLen + 1 + nameLen > bytes.length) return null;
      if (bytes[at + storeLen] !== 0x3a) {
        throw new TapeFormatError("invalid-field", `catalog snapshot record at ${offset}: missing ':' after the store name`, { field: "snapshot" });
      }
      return {
        record: {
          type: "snapshot",
          fileNumber: u64(dv, 0, "file_number"),
          uuid: uuidAt(8),
          store: decodeUtf8(bytes.subarray(at, at + storeLen), "store"),
          snapshot: decodeUtf8(bytes.subarray(at + storeLen + 1, at + storeLen + 1 + nameLen), "snapshot"),
        },
        length: 1 + CATALOG_SNAPSHOT_SIZE + storeLen + 1 + nameLen,
      };
    }
    default:
      throw new TapeFormatError("invalid-field", `catalog record at ${offset}: unknown entry type 0x${tag.toString(16).padStart(2, "0")}`, { field: "type" });
  }
}

/** Compact map key for a digest (32 one-byte chars). */
function digestKey(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString("latin1");
}

interface StoreIndex {
  snapshots: Map<string, number>;
  chunks: Map<string, number>;
}

export interface CatalogExpectations {
  mediaUuid?: string;
  mediaSetUuid?: string;
  seqNr?: number;
  /** Require both label entries (catalogs restored from tape, reference §5.5). */
  requireMediaSetLabel?: boolean;
}

/**
 * A media catalog in memory: validates records as PBS does (labels 0 then 1;
 * A C* E nesting; archive file numbers ≥ 2 and increasing), keeps the index
 * per datastore (snapshot → file, digest → file), and the encoded bytes.
 */
export class MediaCatalog {
  #parts: Uint8Array[] = [];
  #pending: Uint8Array[] = [];
  #length = 0;
  #stores = new Map<string, StoreIndex>();
  #mediaUuid: string | undefined;
  #mediaSetUuid: string | undefined;
  #seqNr: number | undefined;
  #lastFile: number | undefined;
  #open: { fileNumber: number; uuid: string; store: string; chunks: string[] } | undefined;
  #expect: CatalogExpectations;
  #truncatedTail = false;

  private constructor(expect: CatalogExpectations) {
    this.#expect = expect;
  }

  /** A new catalog for a freshly labeled tape: magic + L(0, media uuid, 0). */
  static create(mediaUuid: string): MediaCatalog {
    const c = new MediaCatalog({ mediaUuid: mediaUuid.toLowerCase() });
    c.#push(MEDIA_CATALOG_MAGIC_1_1);
    c.append({ type: "label", fileNumber: 0, uuid: mediaUuid, seqNr: 0 });
    return c;
  }

  /** A catalog for a tape joining a set: magic + L(0) + L(1, set uuid, seq_nr). */
  static createForMediaSet(mediaUuid: string, mediaSetUuid: string, seqNr: number): MediaCatalog {
    const c = MediaCatalog.create(mediaUuid);
    c.append({ type: "label", fileNumber: 1, uuid: mediaSetUuid, seqNr });
    return c;
  }

  /**
   * Loads `.log` bytes. A record cut off at the end, and a chunk archive
   * without its `E` record at the end, are dropped (`truncatedTail`,
   * `byteLength` tells where the valid data ends).
   */
  static load(bytes: Uint8Array, expect: CatalogExpectations = {}): MediaCatalog {
    if (bytes.length < 8) throw new TapeFormatError("truncated", `media catalog: ${bytes.length} bytes, no magic`, { field: "magic" });
    const magic = bytes.subarray(0, 8);
    if (bytesEqual(magic, MEDIA_CATALOG_MAGIC_1_0)) throw new TapeFormatError("unsupported-version", "media catalog: old v1.0 format is not supported", { field: "magic" });
    if (!bytesEqual(magic, MEDIA_CATALOG_MAGIC_1_1)) throw new TapeFormatError("bad-magic", `media catalog magic: ${toHex(magic)}`, { field: "magic" });
    const c = new MediaCatalog(expect);
    let offset = 8;
    let openStartOffset = 0;
    while (offset < bytes.length) {
      const d = decodeCatalogRecord(bytes, offset);
      if (d === null) {
        c.#truncatedTail = true;
        break;
      }
      if (d.record.type === "chunk-archive-start") openStartOffset = offset;
      c.#apply(d.record, offset);
      offset += d.length;
    }
    if (expect.requireMediaSetLabel && c.#mediaSetUuid === undefined) {
      throw new TapeFormatError("catalog-order", "media catalog: the media set label entry (file 1) is missing", { field: "label" });
    }
    if (c.#open !== undefined) {
      // drop the unterminated archive: keep the bytes before its 'A' record
      c.#truncatedTail = true;
      c.#open = undefined;
      offset = openStartOffset;
    }
    c.#parts = [bytes.slice(0, offset)];
    c.#length = offset;
    c.#pending = [];
    return c;
  }

  #push(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#pending.push(bytes);
    this.#length += bytes.length;
  }

  get mediaUuid(): string | undefined {
    return this.#mediaUuid;
  }
  get mediaSetUuid(): string | undefined {
    return this.#mediaSetUuid;
  }
  get seqNr(): number | undefined {
    return this.#seqNr;
  }
  /** Highest file number registered (labels included). */
  get lastFileNumber(): number | undefined {
    return this.#lastFile;
  }
  /** Length of the valid catalog bytes. */
  get byteLength(): number {
    return this.#length;
  }
  /** True when `load` dropped a cut-off record or an unterminated chunk archive. */
  get truncatedTail(): boolean {
    return this.#truncatedTail;
  }
  /** A chunk archive is open (A seen, E not yet). */
  get inChunkArchive(): boolean {
    return this.#open !== undefined;
  }

  /** Validates and appends one record. */
  append(record: CatalogRecord): void {
    this.#apply(record, this.#length);
    this.#push(encodeCatalogRecord(record));
  }

  startChunkArchive(fileNumber: number, uuid: string, store: string): void {
    this.append({ type: "chunk-archive-start", fileNumber, uuid, store });
  }
  registerChunk(digest: Uint8Array): void {
    this.append({ type: "chunk", digest });
  }
  endChunkArchive(): void {
    if (this.#open === undefined) throw new TapeFormatError("catalog-order", "media catalog: no chunk archive is open");
    this.append({ type: "chunk-archive-end", fileNumber: this.#open.fileNumber, uuid: this.#open.uuid });
  }
  registerSnapshot(fileNumber: number, uuid: string, store: string, snapshot: string): void {
    this.append({ type: "snapshot", fileNumber, uuid, store, snapshot });
  }

  /** The whole catalog file. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out.subarray(0, this.#length);
  }

  /** Bytes appended since the last call (to append + fsync at a commit point). */
  takePending(): Uint8Array {
    const n = this.#pending.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of this.#pending) {
      out.set(p, at);
      at += p.length;
    }
    this.#pending = [];
    return out;
  }

  snapshotFile(store: string, snapshot: string): number | undefined {
    return this.#stores.get(store)?.snapshots.get(snapshot);
  }
  chunkFile(store: string, digest: Uint8Array): number | undefined {
    return this.#stores.get(store)?.chunks.get(digestKey(digest));
  }
  hasChunk(store: string, digest: Uint8Array): boolean {
    return this.chunkFile(store, digest) !== undefined;
  }
  stores(): string[] {
    return [...this.#stores.keys()];
  }
  snapshots(store: string): Array<{ snapshot: string; fileNumber: number }> {
    return [...(this.#stores.get(store)?.snapshots ?? new Map<string, number>())].map(([snapshot, fileNumber]) => ({ snapshot, fileNumber }));
  }
  chunkCount(store: string): number {
    return this.#stores.get(store)?.chunks.size ?? 0;
  }

  #store(name: string): StoreIndex {
    let s = this.#stores.get(name);
    if (s === undefined) {
      s = { snapshots: new Map(), chunks: new Map() };
      this.#stores.set(name, s);
    }
    return s;
  }

  #apply(r: CatalogRecord, offset: number): void {
    const fail = (msg: string): never => {
      throw new TapeFormatError("catalog-order", `media catalog record at ${offset}: ${msg}`, { field: r.type });
    };
    if (r.type === "chunk") {
      if (this.#open === undefined) fail("chunk outside a chunk archive");
      this.#open!.chunks.push(digestKey(r.digest));
      return;
    }
    if (r.type === "chunk-archive-end") {
      const open = this.#open;
      if (open === undefined) return fail("archive end without an open chunk archive");
      if (open.fileNumber !== r.fileNumber || open.uuid !== r.uuid.toLowerCase()) fail(`archive end (file ${r.fileNumber}) does not match the open archive (file ${open.fileNumber})`);
      const s = this.#store(open.store);
      for (const d of open.chunks) s.chunks.set(d, open.fileNumber);
      this.#open = undefined;
      this.#lastFile = open.fileNumber;
      return;
    }
    if (this.#open !== undefined) fail(`${r.type} inside an open chunk archive`);
    if (r.type === "label") {
      const expected = this.#lastFile === undefined ? 0 : this.#lastFile + 1;
      if (r.fileNumber > 1) fail(`label with file number ${r.fileNumber} (labels are files 0 and 1)`);
      if (r.fileNumber !== expected) fail(`label file number ${r.fileNumber}, expected ${expected}`);
      const uuid = r.uuid.toLowerCase();
      if (r.fileNumber === 0) {
        if (r.seqNr !== 0) fail("media label entry must have seq_nr 0");
        if (this.#expect.mediaUuid !== undefined && this.#expect.mediaUuid.toLowerCase() !== uuid) fail(`media uuid ${uuid} does not match ${this.#expect.mediaUuid}`);
        this.#mediaUuid = uuid;
      } else {
        if (this.#expect.mediaSetUuid !== undefined && this.#expect.mediaSetUuid.toLowerCase() !== uuid) fail(`media set uuid ${uuid} does not match ${this.#expect.mediaSetUuid}`);
        if (this.#expect.seqNr !== undefined && this.#expect.seqNr !== r.seqNr) fail(`media set seq_nr ${r.seqNr} does not match ${this.#expect.seqNr}`);
        this.#mediaSetUuid = uuid;
        this.#seqNr = r.seqNr;
      }
      this.#lastFile = r.fileNumber;
      return;
    }
    // chunk-archive-start or snapshot
    if (this.#mediaSetUuid === undefined) fail(`${r.type} before the media set label entry (file 1)`);
    if (r.fileNumber < 2) fail(`${r.type} with file number ${r.fileNumber} < 2`);
    if (this.#lastFile !== undefined && r.fileNumber <= this.#lastFile) fail(`${r.type} file number ${r.fileNumber} is not after ${this.#lastFile}`);
    if (r.type === "chunk-archive-start") {
      this.#open = { fileNumber: r.fileNumber, uuid: r.uuid.toLowerCase(), store: r.store, chunks: [] };
      return;
    }
    this.#store(r.store).snapshots.set(r.snapshot, r.fileNumber);
    this.#lastFile = r.fileNumber;
  }
}
