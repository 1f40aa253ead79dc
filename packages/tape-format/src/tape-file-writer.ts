import { writeCatalogArchive, type CatalogArchiveHeader, type CatalogArchiveOutcome } from "./catalog-archive.ts";
import { ChunkArchiveWriter, MAX_CHUNK_ARCHIVE_SIZE } from "./chunk-archive.ts";
import type { HeaderOptions } from "./tape-file.ts";
import type { BlockSink } from "./tape-io.ts";
import { writeSnapshotArchive, type SnapshotArchiveHeader, type SnapshotArchiveOutcome, type SnapshotFile } from "./snapshot-archive.ts";

export interface ChunkToWrite {
  digest: Uint8Array;
  /** The raw DataBlob bytes, as stored in the chunk store. */
  blob: Uint8Array;
}

export interface ChunkArchiveOutcome {
  kind: "chunk-archive";
  /** Tape file number, when the writer was given `nextFileNumber`. */
  fileNumber?: number;
  uuid: Uint8Array;
  store: string;
  /** Digests completely on tape, in order: register these (A C* E). */
  written: Uint8Array[];
  /** The chunk cut off at LEOM: it is not on this tape; write it first on the next one. */
  pending?: ChunkToWrite;
  /** Why the archive was closed. */
  reason: "leom" | "max-size" | "no-more-chunks";
  /** LEOM was seen: the tape is full. */
  leom: boolean;
  bytesWritten: number;
}

/**
 * Writes archives as tape files to one sink (one tape, positioned for append)
 * and turns LEOM into the outcome each archive kind needs:
 * chunk archive → finished clean, cut-off chunk reported as pending;
 * snapshot archive → finished INCOMPLETE, "rewrite on next tape";
 * catalog archive → header at LEOM: INCOMPLETE, body at LEOM: keep writing.
 * After any LEOM `tapeFull` is true and the caller moves to the next tape.
 * @see reference §1.3
 */
export class TapeFileWriter {
  readonly #sink: BlockSink;
  readonly #maxChunkArchiveSize: number;
  #tapeFull = false;
  #files = 0;
  #nextFileNumber: number | undefined;

  /**
   * `nextFileNumber`: the tape file number the next archive gets (from READ
   * POSITION after positioning for append, ≥ 2); outcomes then carry
   * `fileNumber` for catalog registration.
   */
  constructor(sink: BlockSink, options: { maxChunkArchiveSize?: number; nextFileNumber?: number } = {}) {
    this.#sink = sink;
    this.#maxChunkArchiveSize = options.maxChunkArchiveSize ?? MAX_CHUNK_ARCHIVE_SIZE;
    this.#nextFileNumber = options.nextFileNumber;
  }

  /** File number of the next archive, when the writer was told where it started. */
  get nextFileNumber(): number | undefined {
    return this.#nextFileNumber;
  }

  #takeFileNumber(): { fileNumber?: number } {
    this.#files++;
    if (this.#nextFileNumber === undefined) return {};
    return { fileNumber: this.#nextFileNumber++ };
  }

  /** LEOM was seen on this tape. */
  get tapeFull(): boolean {
    return this.#tapeFull;
  }

  /** Tape files written through this writer. */
  get filesWritten(): number {
    return this.#files;
  }

  /**
   * Writes one chunk archive from `chunks` (pulled one at a time; the iterator
   * is left positioned after the last chunk taken). Returns null and writes
   * nothing when `first` is absent and the iterator is exhausted.
   */
  async writeChunkArchive(
    store: string,
    chunks: Iterator<ChunkToWrite> | AsyncIterator<ChunkToWrite>,
    options: HeaderOptions & { first?: ChunkToWrite } = {},
  ): Promise<ChunkArchiveOutcome | null> {
    let next: ChunkToWrite | undefined = options.first ?? (await pull(chunks));
    if (next === undefined) return null;
    const writer = await ChunkArchiveWriter.start(this.#sink, store, options);
    const fileNumber = this.#takeFileNumber();
    const written: Uint8Array[] = [];
    let pending: ChunkToWrite | undefined;
    let reason: ChunkArchiveOutcome["reason"] = "no-more-chunks";
    while (next !== undefined) {
      const complete = await writer.writeChunk(next.digest, next.blob);
      if (!complete) {
        pending = next;
        reason = "leom";
        break;
      }
      written.push(next.digest);
      if (writer.closed || writer.leom) {
        reason = "leom";
        break;
      }
      if (writer.bytesWritten > this.#maxChunkArchiveSize) {
        reason = "max-size";
        break;
      }
      next = await pull(chunks);
    }
    await writer.finish();
    if (writer.leom) this.#tapeFull = true;
    const out: ChunkArchiveOutcome = { kind: "chunk-archive", ...fileNumber, uuid: writer.uuid, store, written, reason, leom: writer.leom, bytesWritten: writer.bytesWritten };
    if (pending !== undefined) out.pending = pending;
    return out;
  }

  async writeSnapshotArchive(
    header: SnapshotArchiveHeader,
    files: Iterable<SnapshotFile> | AsyncIterable<SnapshotFile>,
    options: HeaderOptions = {},
  ): Promise<SnapshotArchiveOutcome & { fileNumber?: number }> {
    const fileNumber = this.#takeFileNumber();
    const out = await writeSnapshotArchive(this.#sink, header, files, options);
    if (out.leom) this.#tapeFull = true;
    return { ...out, ...fileNumber };
  }

  async writeCatalogArchive(
    header: CatalogArchiveHeader,
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array,
    options: HeaderOptions & { version?: "1.0" | "1.1"; size?: number } = {},
  ): Promise<CatalogArchiveOutcome & { fileNumber?: number }> {
    const fileNumber = this.#takeFileNumber();
    const out = await writeCatalogArchive(this.#sink, header, body, options);
    if (out.leom) this.#tapeFull = true;
    return { ...out, ...fileNumber };
  }
}

async function pull(it: Iterator<ChunkToWrite> | AsyncIterator<ChunkToWrite>): Promise<ChunkToWrite | undefined> {
  const r = await it.next();
  return r.done ? undefined : r.value;
}
