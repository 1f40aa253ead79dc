import { open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { Datastore } from "@tapefleet/datastore";
import { MAX_BLOB_SIZE, type ChunkToWrite } from "@tapefleet/tape-format";
import { SessionError } from "./session-error.ts";

/**
 * Concurrent chunk file readers per drive, by default: one per core the process may use,
 * 2 to 4. On two cores a third and fourth reader only compete with the event loop for the
 * CPU (their copies out of the page cache are kernel work); a seek-bound store (spinning
 * disks) wants more: `TAPEFLEET_CHUNK_READERS` of the agent, or `readers` of a session.
 */
export const DEFAULT_CHUNK_READERS = Math.min(4, Math.max(2, availableParallelism()));
/** Chunks read ahead (held in memory) per drive, by default. */
export const DEFAULT_QUEUE_DEPTH = 16;

export interface ChunkFeederOptions {
  /** Concurrent readers (1..64). */
  readers?: number;
  /** Chunks in the window: read, being read or waiting to be read (≥ readers). */
  queueDepth?: number;
  /**
   * Read chunks into the buffers of this pool and take each one back when the next chunk
   * is asked for (or the feeder is closed): a blob is then only valid until the next call
   * of `next()` or `return()`. Saves allocating (and collecting) a buffer per chunk.
   */
  blobPool?: BlobPool;
}

/** Smallest buffer a `BlobPool` allocates (a fixed-size chunk of 4 MiB fits). */
const POOL_BUFFER_MIN = 4 * 1024 * 1024 + 64 * 1024;

/**
 * How long the process-wide pools keep idle buffers (ms) after their last use: long enough
 * for the next snapshot, archive or session of a job to find them, short enough that a host
 * which backs up once a day does not hold its chunk buffers all day.
 */
export const POOL_IDLE_MS = 60_000;

export interface BlobPoolOptions {
  /** Idle buffers kept (more are dropped when given back). */
  maxFree?: number;
  /** Drop every idle buffer once the pool was not used (take or give) for this long (ms); kept forever when absent. */
  idleMs?: number;
}

/**
 * Reusable chunk buffers for `ChunkFeeder`s (one pool per writing drive, shared by the
 * feeders of its snapshots). Holds at most `maxFree` idle buffers, and none once it sat
 * unused for `idleMs` (the collector can then give their memory back).
 */
export class BlobPool {
  #free: Uint8Array[] = [];
  readonly #maxFree: number;
  readonly #idleMs: number | undefined;
  #lastUse = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: BlobPoolOptions = {}) {
    this.#maxFree = options.maxFree ?? DEFAULT_QUEUE_DEPTH + 2;
    this.#idleMs = options.idleMs;
    if (this.#idleMs !== undefined && !(Number.isFinite(this.#idleMs) && this.#idleMs > 0)) throw new RangeError(`idleMs: ${this.#idleMs} (must be > 0)`);
  }

  /** Idle buffers held now. */
  get idle(): number {
    return this.#free.length;
  }

  /**
   * A buffer of exactly `size` bytes (a view of a pooled buffer), contents undefined,
   * starting at `align` (0..7) in it (see `SharedBlobPool`).
   */
  take(size: number, align = 0): Uint8Array {
    if (!Number.isInteger(align) || align < 0 || align > 7) throw new RangeError(`align: ${align} (must be 0..7)`);
    const need = size + align;
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const b = this.#free[i]!;
      if (b.byteLength >= need && (best < 0 || b.byteLength < this.#free[best]!.byteLength)) best = i;
    }
    const buf = best >= 0 ? this.#free.splice(best, 1)[0]! : this.allocate(Math.max(need, POOL_BUFFER_MIN));
    this.#lastUse = performance.now();
    return buf.subarray(align, align + size);
  }

  /** A new buffer of `size` bytes for the pool. */
  protected allocate(size: number): Uint8Array {
    return new Uint8Array(size);
  }

  /** Gives a buffer from `take` back. */
  give(view: Uint8Array): void {
    this.#lastUse = performance.now();
    if (this.#free.length >= this.#maxFree) return;
    this.#free.push(new Uint8Array(view.buffer, 0, view.buffer.byteLength));
    if (this.#idleMs !== undefined) this.#armIdleTimer(this.#idleMs, this.#idleMs);
  }

  /** Checks after `delay` whether the pool has been unused for `idleMs` (one timer at a time, never keeping the process alive). */
  #armIdleTimer(delay: number, idleMs: number): void {
    if (this.#idleTimer !== undefined) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      const idleFor = performance.now() - this.#lastUse;
      if (idleFor >= idleMs) this.#free = [];
      else if (this.#free.length > 0) this.#armIdleTimer(idleMs - idleFor, idleMs);
    }, delay);
    this.#idleTimer.unref();
  }
}

let sharedPool: BlobPool | undefined;

/**
 * The process-wide pool the write sessions read chunks into: buffers outlive a session,
 * so a new session does not allocate (and the collector does not chase) its window of
 * chunk buffers again. Idle buffers kept: two sessions' windows, for `POOL_IDLE_MS`.
 */
export function sharedChunkBlobPool(): BlobPool {
  sharedPool ??= new BlobPool({ maxFree: 2 * (DEFAULT_QUEUE_DEPTH + 2), idleMs: POOL_IDLE_MS });
  return sharedPool;
}

interface Slot {
  digest: string;
  ino: number | undefined;
  size: number | undefined;
  started: boolean;
  done: Promise<Uint8Array>;
  resolve: (b: Uint8Array) => void;
  reject: (e: unknown) => void;
}

/**
 * Feeds chunks to a tape writer in index order while `readers` readers load
 * chunk files concurrently, in inode order (from `stat`) within a window of
 * `queueDepth` chunks, so that a slow or seeky source still keeps the drive
 * streaming. Memory: at most `queueDepth` chunk blobs in the window, plus the
 * one the consumer holds (each ≤ the datastore's largest chunk; PBS's limit
 * is 128 MiB, fixed-size chunks are ≤ 4 MiB).
 * `readBytes` counts the bytes read from the datastore.
 */
export class ChunkFeeder implements AsyncIterableIterator<ChunkToWrite> {
  readonly #ds: Datastore;
  readonly #source: AsyncIterator<string>;
  readonly #readers: number;
  readonly #depth: number;
  #window: Slot[] = [];
  #sourceDone = false;
  #filling: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #stopped = false;
  #error: unknown;
  readonly #pool: BlobPool | undefined;
  /** The blob last delivered (given back to the pool on the next `next()`). */
  #delivered: Uint8Array | undefined;
  readBytes = 0;

  constructor(ds: Datastore, digests: AsyncIterable<string> | Iterable<string>, options: ChunkFeederOptions = {}) {
    this.#ds = ds;
    this.#source = (Symbol.asyncIterator in digests ? digests[Symbol.asyncIterator]() : toAsync(digests as Iterable<string>));
    this.#readers = options.readers ?? DEFAULT_CHUNK_READERS;
    this.#depth = Math.max(options.queueDepth ?? DEFAULT_QUEUE_DEPTH, this.#readers);
    this.#pool = options.blobPool;
    if (!Number.isInteger(this.#readers) || this.#readers < 1 || this.#readers > 64) {
      throw new SessionError("invalid-request", `readers: ${this.#readers} (must be 1..64)`, { field: "readers" });
    }
    for (let i = 0; i < this.#readers; i++) void this.#reader();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ChunkToWrite> {
    return this;
  }

  /** Stops reading ahead (the chunks in the window are dropped). */
  async return(): Promise<IteratorResult<ChunkToWrite>> {
    this.#stopped = true;
    this.#recycle();
    this.#wake?.();
    await this.#source.return?.().catch(() => undefined);
    return { done: true, value: undefined };
  }

  async next(): Promise<IteratorResult<ChunkToWrite>> {
    this.#recycle();
    await this.#fill();
    const head = this.#window[0];
    if (head === undefined) {
      if (this.#error !== undefined) throw this.#error;
      return { done: true, value: undefined };
    }
    const blob = await head.done;
    this.#window.shift();
    if (this.#pool !== undefined) this.#delivered = blob;
    void this.#fill();
    return { done: false, value: { digest: Buffer.from(head.digest, "hex"), blob } };
  }

  #recycle(): void {
    if (this.#delivered === undefined) return;
    this.#pool!.give(this.#delivered);
    this.#delivered = undefined;
  }

  /** Tops the window up from the digest source (one filler at a time). */
  #fill(): Promise<void> {
    if (this.#filling) return this.#filling;
    const p = this.#topUp();
    this.#filling = p;
    void p.finally(() => {
      if (this.#filling === p) this.#filling = undefined;
    });
    return p;
  }

  async #topUp(): Promise<void> {
    while (!this.#sourceDone && !this.#stopped && this.#window.length < this.#depth) {
      let r: IteratorResult<string>;
      try {
        r = await this.#source.next();
      } catch (err) {
        this.#sourceDone = true;
        this.#error = err;
        break;
      }
      if (r.done) {
        this.#sourceDone = true;
        break;
      }
      let resolve!: (b: Uint8Array) => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<Uint8Array>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => undefined);
      const slot: Slot = { digest: r.value, ino: undefined, size: undefined, started: false, done, resolve, reject };
      this.#window.push(slot);
      try {
        const st = await this.#ds.chunks.stat(r.value);
        slot.ino = st.ino;
        slot.size = st.size;
      } catch {
        slot.ino = Number.MAX_SAFE_INTEGER; // the read reports the error in order
      }
      this.#wake?.();
    }
    if (this.#sourceDone) this.#wake?.();
  }

  /** One reader: takes the unstarted chunk with the lowest inode in the window. */
  async #reader(): Promise<void> {
    while (!this.#stopped) {
      let best: Slot | undefined;
      for (const s of this.#window) if (!s.started && s.ino !== undefined && (best === undefined || s.ino < best.ino!)) best = s;
      if (best === undefined) {
        if (this.#sourceDone && this.#window.every((s) => s.started)) return;
        await new Promise<void>((r) => {
          const prev = this.#wake;
          this.#wake = () => {
            this.#wake = undefined;
            prev?.();
            r();
          };
        });
        continue;
      }
      best.started = true;
      try {
        const blob = best.size === undefined ? await this.#ds.chunks.readChunk(best.digest) : await this.#read(best.digest, best.size);
        this.readBytes += blob.length;
        best.resolve(blob);
      } catch (err) {
        best.reject(new SessionError("datastore", `chunk ${best.digest}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      }
    }
  }

  /** Reads a chunk file of known size (from `stat`): open, read, close; into a pooled buffer when there is a pool. */
  async #read(digest: string, size: number): Promise<Uint8Array> {
    if (size > MAX_BLOB_SIZE) throw new SessionError("datastore", `${size} bytes exceeds MAX_BLOB_SIZE`, { field: "size" });
    const fh = await open(this.#ds.chunks.chunkPath(digest), "r");
    const buf = this.#pool !== undefined ? this.#pool.take(size) : new Uint8Array(size);
    try {
      let at = 0;
      while (at < size) {
        const { bytesRead } = await fh.read(buf, at, size - at, at);
        if (bytesRead === 0) throw new SessionError("datastore", `file ends after ${at} of ${size} bytes`);
        at += bytesRead;
      }
      return buf;
    } catch (err) {
      this.#pool?.give(buf);
      throw err;
    } finally {
      await fh.close();
    }
  }
}

async function* toAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}
