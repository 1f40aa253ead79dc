import { BlockedWriter } from "./blocked-writer.ts";
import { ByteReader } from "./byte-reader.ts";
import { MAX_BLOB_SIZE, parseDataBlob, verifyChunk } from "./data-blob.ts";
import { TapeFormatError } from "./errors.ts";
import { parseJsonObject, prettyJson, requireString, utf8 } from "./json.ts";
import { CHUNK_ARCHIVE_ENTRY_MAGIC_1_0, CHUNK_ARCHIVE_MAGIC_1_1, bytesEqual, toHex } from "./magics.ts";
import type { MediaContentHeader } from "./media-content-header.ts";
import { readContentHeader, writeContentHeader, type ContentHeaderRead, type HeaderOptions } from "./tape-file.ts";
import type { BlockSink } from "./tape-io.ts";

/** A chunk archive is closed once more than this many bytes were written. @see reference §4.1 */
export const MAX_CHUNK_ARCHIVE_SIZE = 4 * 1024 * 1024 * 1024;
/** magic[8] + digest[32] + size u64 LE. */
export const CHUNK_ARCHIVE_ENTRY_HEADER_SIZE = 48;
/** Blob bytes are handed to the block writer in pieces of this size (LEOM is checked after each). */
const CHUNK_WRITE_PIECE = 262144;

export interface ChunkArchiveEntryHeader {
  digest: Uint8Array;
  /** Length of the raw DataBlob that follows. */
  size: number;
}

export function encodeChunkArchiveEntryHeader(h: ChunkArchiveEntryHeader): Uint8Array {
  if (h.digest.length !== 32) throw new TapeFormatError("invalid-field", `chunk entry digest: expected 32 bytes, got ${h.digest.length}`, { field: "digest" });
  if (!Number.isSafeInteger(h.size) || h.size < 0) throw new TapeFormatError("invalid-field", `chunk entry size: ${h.size} is not a u64`, { field: "size" });
  const out = new Uint8Array(CHUNK_ARCHIVE_ENTRY_HEADER_SIZE);
  out.set(CHUNK_ARCHIVE_ENTRY_MAGIC_1_0, 0);
  out.set(h.digest, 8);
  new DataView(out.buffer).setBigUint64(40, BigInt(h.size), true);
  return out;
}

export function decodeChunkArchiveEntryHeader(bytes: Uint8Array): ChunkArchiveEntryHeader {
  if (bytes.length < CHUNK_ARCHIVE_ENTRY_HEADER_SIZE) {
    throw new TapeFormatError("truncated", `chunk entry header: need 48 bytes, got ${bytes.length}`, { field: "chunk_entry_header" });
  }
  if (!bytesEqual(bytes.subarray(0, 8), CHUNK_ARCHIVE_ENTRY_MAGIC_1_0)) {
    throw new TapeFormatError("bad-magic", `chunk entry magic: wrong magic number ${toHex(bytes.subarray(0, 8))}`, { field: "magic" });
  }
  const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(40, true);
  if (size > BigInt(MAX_BLOB_SIZE)) {
    throw new TapeFormatError("invalid-field", `chunk entry size: ${size} exceeds MAX_BLOB_SIZE ${MAX_BLOB_SIZE}`, { field: "size" });
  }
  return { digest: bytes.slice(8, 40), size: Number(size) };
}

/** `{"store": …}` pretty-printed (struct order). */
export function encodeChunkArchiveHeaderJson(store: string): Uint8Array {
  return utf8.encode(prettyJson({ store }, false));
}

export function decodeChunkArchiveHeaderJson(bytes: Uint8Array): { store: string } {
  return { store: requireString(parseJsonObject(bytes, "chunk archive header"), "store", "chunk archive header") };
}

/**
 * Writes one chunk archive. At LEOM the archive is finished at once (without
 * INCOMPLETE); `writeChunk` then tells whether that chunk is completely on
 * tape (LEOM seen while writing its last piece) or must go to the next tape.
 * Memory: the BlockedWriter block buffer. @see reference §1.3, §4.1
 */
export class ChunkArchiveWriter {
  readonly uuid: Uint8Array;
  readonly store: string;
  readonly #writer: BlockedWriter;
  readonly #closeOnLeom: boolean;
  #closed = false;

  private constructor(writer: BlockedWriter, uuid: Uint8Array, store: string, closeOnLeom: boolean) {
    this.#writer = writer;
    this.uuid = uuid;
    this.store = store;
    this.#closeOnLeom = closeOnLeom;
  }

  /** Starts a new tape file with the chunk archive header. */
  static async start(sink: BlockSink, store: string, options: HeaderOptions & { closeOnLeom?: boolean } = {}): Promise<ChunkArchiveWriter> {
    const writer = new BlockedWriter(sink);
    const { uuid } = await writeContentHeader(writer, CHUNK_ARCHIVE_MAGIC_1_1, encodeChunkArchiveHeaderJson(store), options);
    return new ChunkArchiveWriter(writer, uuid, store, options.closeOnLeom ?? true);
  }

  /** The archive was closed (by LEOM or `finish`). */
  get closed(): boolean {
    return this.#closed;
  }

  get leom(): boolean {
    return this.#writer.leom;
  }

  get bytesWritten(): number {
    return this.#writer.bytesWritten;
  }

  /** True when the caller should stop adding chunks: LEOM seen or more than 4 GiB written. */
  get full(): boolean {
    return this.#closed || this.#writer.leom || this.#writer.bytesWritten > MAX_CHUNK_ARCHIVE_SIZE;
  }

  /**
   * Appends one entry (header + raw blob bytes as stored). Returns true when
   * the chunk is completely written, false when it is not (archive closed at
   * LEOM, or already closed): the chunk must then go to the next archive.
   */
  async writeChunk(digest: Uint8Array, blob: Uint8Array): Promise<boolean> {
    if (this.#closed) return false;
    await this.#writer.write(encodeChunkArchiveEntryHeader({ digest, size: blob.length }));
    for (let start = 0; start < blob.length; start += CHUNK_WRITE_PIECE) {
      const end = start + CHUNK_WRITE_PIECE;
      const last = end >= blob.length;
      const leom = await this.#writer.write(blob.subarray(start, Math.min(end, blob.length)));
      if (leom && this.#closeOnLeom) {
        await this.#writer.finish(false);
        this.#closed = true;
        return last;
      }
    }
    return true;
  }

  /** Finishes the archive (EOS block + filemark) if still open. Returns the LEOM flag. */
  async finish(): Promise<boolean> {
    if (!this.#closed) {
      this.#closed = true;
      return this.#writer.finish(false);
    }
    return this.#writer.leom;
  }
}

export interface ChunkArchiveEntry {
  digest: Uint8Array;
  /** The raw DataBlob bytes (CRC already verified). */
  blob: Uint8Array;
  /** Whether the digest was verified against the content (see `verifyDigest`). */
  digestChecked: boolean;
}

export interface ChunkArchiveDecoderOptions {
  /** Also check SHA-256 of the plaintext (unencrypted blobs, or encrypted with `key`). Default false. */
  verifyDigest?: boolean;
  key?: Uint8Array;
  /**
   * Check the CRC of every blob here (default true). False when the caller
   * verifies every blob itself (e.g. `verifyChunk` in worker threads, which
   * checks the CRC first): only the blob header is checked here, so the bytes
   * are not read twice on the reading thread. Ignored with `verifyDigest`.
   */
  verifyCrc?: boolean;
  /**
   * Where each blob is read into: a buffer of exactly `size` bytes that the
   * caller owns (e.g. from a pool of reused buffers). Default: a new buffer per
   * blob. Called before the blob is read; a truncated last entry's buffer is
   * handed to `releaseBlob`. `align`: the blob's first byte sits at this offset
   * modulo 8 in the tape block it is read from; a buffer at the same offset
   * modulo 8 is filled faster when it is shared memory (see `ByteReader.nextByteOffset`).
   */
  allocBlob?: (size: number, align: number) => Uint8Array;
  /** Takes back a buffer from `allocBlob` that is not returned in an entry. */
  releaseBlob?: (blob: Uint8Array) => void;
}

/**
 * Reads entries after the archive header. Stops cleanly at end of stream on an
 * entry boundary and on a truncated last entry (`truncated` tells). A bad entry
 * magic or CRC is an error. Memory: one blob.
 */
export class ChunkArchiveDecoder implements AsyncIterable<ChunkArchiveEntry> {
  readonly #input: ByteReader;
  readonly #options: ChunkArchiveDecoderOptions;
  #truncated = false;
  #done = false;
  #count = 0;

  constructor(input: ByteReader, options: ChunkArchiveDecoderOptions = {}) {
    this.#input = input;
    this.#options = options;
  }

  /** True when the stream ended inside an entry (the last chunk was cut off at LEOM). */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** Number of complete entries returned so far. */
  get count(): number {
    return this.#count;
  }

  async next(): Promise<ChunkArchiveEntry | null> {
    if (this.#done) return null;
    const head = await this.#input.readUpTo(CHUNK_ARCHIVE_ENTRY_HEADER_SIZE);
    if (head.length < CHUNK_ARCHIVE_ENTRY_HEADER_SIZE) {
      this.#done = true;
      this.#truncated = head.length > 0;
      return null;
    }
    const h = decodeChunkArchiveEntryHeader(head);
    let owned: Uint8Array;
    if (this.#options.allocBlob !== undefined) {
      owned = this.#options.allocBlob(h.size, ((await this.#input.nextByteOffset()) ?? 0) % 8);
      if (owned.length !== h.size) throw new TapeFormatError("invalid-state", `allocBlob(${h.size}) returned ${owned.length} bytes`);
      if ((await this.#input.readInto(owned)) < h.size) {
        this.#options.releaseBlob?.(owned);
        this.#done = true;
        this.#truncated = true;
        return null;
      }
    } else {
      owned = await this.#input.readOwnedUpTo(h.size);
      if (owned.length < h.size) {
        this.#done = true;
        this.#truncated = true;
        return null;
      }
    }
    let digestChecked = false;
    if (this.#options.verifyDigest) {
      const opts = this.#options.key === undefined ? {} : { key: this.#options.key };
      digestChecked = (await verifyChunk(owned, h.digest, opts)).digestChecked;
    } else {
      parseDataBlob(owned, { verifyCrc: this.#options.verifyCrc ?? true });
    }
    this.#count++;
    return { digest: h.digest, blob: owned, digestChecked };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ChunkArchiveEntry> {
    while (true) {
      const e = await this.next();
      if (e === null) return;
      yield e;
    }
  }
}

export interface OpenedChunkArchive {
  header: MediaContentHeader;
  store: string;
  entries: ChunkArchiveDecoder;
}

/** Reads the content header (must be Chunk Archive v1.1) and JSON, returns the entry decoder. */
export async function openChunkArchive(input: ByteReader, options: ChunkArchiveDecoderOptions = {}): Promise<OpenedChunkArchive> {
  return chunkArchiveFromHeader(await readContentHeader(input), input, options);
}

/** Like `openChunkArchive` when the content header was already read. */
export function chunkArchiveFromHeader(read: ContentHeaderRead, input: ByteReader, options: ChunkArchiveDecoderOptions = {}): OpenedChunkArchive {
  const { header, type, data } = read;
  if (type.kind !== "chunk-archive") throw new TapeFormatError("bad-magic", `chunk archive: content magic is a ${type.kind}`, { field: "content_magic" });
  if (!type.supported) throw new TapeFormatError("unsupported-version", `chunk archive: version ${type.version} is not supported`, { field: "content_magic" });
  const { store } = decodeChunkArchiveHeaderJson(data);
  return { header, store, entries: new ChunkArchiveDecoder(input, options) };
}
