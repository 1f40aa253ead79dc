import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { TapeFormatError, verifyChunk, type TapeFormatErrorCode } from "@tapefleet/tape-format";
import { BlobPool, POOL_IDLE_MS, type BlobPoolOptions } from "./chunk-feeder.ts";

/** One chunk to verify (posted to a worker; `blob` is transferred). */
export interface DigestJob {
  id: number;
  blob: Uint8Array;
  digest: Uint8Array;
  key?: Uint8Array;
}

/** A worker's answer (`blob` transferred back; absent for a blob in shared memory, which never left). */
export interface DigestReply {
  id: number;
  blob?: Uint8Array;
  digestChecked: boolean;
  error?: { code: TapeFormatErrorCode; message: string; field?: string };
}

export interface VerifiedChunk {
  /** The blob as given (its bytes travelled to the worker and back, never copied). */
  blob: Uint8Array;
  digestChecked: boolean;
}

interface Pending {
  /** The blob when it lives in a SharedArrayBuffer (not transferred, not sent back). */
  shared?: Uint8Array;
  resolve: (v: VerifiedChunk) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Settles when the worker has loaded (or failed to). */
  ready: Promise<void>;
}

/** Workers of the shared pool: one per core the process may use, at most 8. */
export const DEFAULT_DIGEST_WORKERS = Math.min(8, Math.max(1, availableParallelism()));

/**
 * A small pool of worker threads that verify chunk digests (CRC, zstd
 * decompression, SHA-256 of the plaintext: `verifyChunk` of
 * `@tapefleet/tape-format`), so that reading a tape back is not bound by one
 * core and the event loop stays free. Blobs are transferred to the worker and
 * back (no copy). Workers start on first use and do not keep the process
 * alive while idle. With `workers: 0` chunks are verified on the calling
 * thread. Errors are the `TapeFormatError`s `verifyChunk` throws.
 */
export class DigestPool {
  readonly size: number;
  #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: { workers?: number } = {}) {
    const n = options.workers ?? DEFAULT_DIGEST_WORKERS;
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new RangeError(`workers: ${n} (must be 0..64)`);
    this.size = n;
  }

  /**
   * Verifies one chunk. The blob's memory moves to a worker while it is checked
   * (the caller must not touch it meanwhile) and comes back in the result; a blob
   * sharing its buffer with other data is copied first. A blob in a
   * SharedArrayBuffer (see `SharedBlobPool`) is neither copied nor moved: the
   * worker reads it in place and the result is the same view.
   */
  async verify(blob: Uint8Array, digest: Uint8Array, options: { key?: Uint8Array } = {}): Promise<VerifiedChunk> {
    if (this.#closed) throw new TapeFormatError("invalid-state", "digest pool is closed");
    let slot: Slot | undefined;
    try {
      if (this.size > 0) slot = this.#pick();
    } catch {
      slot = undefined; // no worker can be started here (no tsx): verify on this thread
    }
    if (slot === undefined) {
      const { digestChecked } = await verifyChunk(blob, digest, options);
      return { blob, digestChecked };
    }
    if (typeof SharedArrayBuffer !== "undefined" && blob.buffer instanceof SharedArrayBuffer) {
      const id = this.#nextId++;
      const job: DigestJob = { id, blob, digest: new Uint8Array(digest), ...(options.key === undefined ? {} : { key: options.key }) };
      const target = slot;
      return new Promise<VerifiedChunk>((resolve, reject) => {
        target.pending.set(id, { shared: blob, resolve, reject });
        if (target.pending.size === 1) target.worker.ref();
        target.worker.postMessage(job);
      });
    }
    // a Buffer's slice() is a view: copy explicitly unless the blob owns its whole buffer
    const own = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength && blob.buffer instanceof ArrayBuffer ? blob : new Uint8Array(blob);
    const id = this.#nextId++;
    // the digest is copied: a view would drag its whole buffer through the structured clone
    const job: DigestJob = { id, blob: own, digest: new Uint8Array(digest), ...(options.key === undefined ? {} : { key: options.key }) };
    const target = slot;
    return new Promise<VerifiedChunk>((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      if (target.pending.size === 1) target.worker.ref();
      target.worker.postMessage(job, [own.buffer as ArrayBuffer]);
    });
  }

  /**
   * Starts every worker and waits until each has loaded (a few hundred ms each: the
   * TypeScript of the format is compiled per worker), so the first reads do not pay for
   * it. Optional: workers otherwise start on first use.
   */
  async start(): Promise<void> {
    if (this.#closed) throw new TapeFormatError("invalid-state", "digest pool is closed");
    while (this.#slots.length < this.size) this.#start();
    await Promise.all(this.#slots.map((s) => s.ready));
  }

  /** Stops the workers; chunks being verified fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.#slots) if (best === undefined || s.pending.size < best.pending.size) best = s;
    if (best !== undefined && (best.pending.size === 0 || this.#slots.length >= this.size)) return best;
    return this.#start();
  }

  #start(): Slot {
    const worker = startWorker();
    let loaded!: () => void;
    const slot: Slot = { worker, pending: new Map(), ready: new Promise<void>((r) => (loaded = r)) };
    worker.unref();
    worker.on("message", (reply: DigestReply) => {
      if (reply.id === 0) return loaded();
      const p = slot.pending.get(reply.id);
      if (p === undefined) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if (reply.error !== undefined) {
        const { code, message, field } = reply.error;
        p.reject(new TapeFormatError(code, message, field === undefined ? undefined : { field }));
      } else p.resolve({ blob: p.shared ?? reply.blob!, digestChecked: reply.digestChecked });
    });
    const fail = (err: unknown) => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      for (const p of slot.pending.values()) p.reject(new TapeFormatError("io", `digest worker failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      slot.pending.clear();
      loaded();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`exited with code ${code}`)));
    this.#slots.push(slot);
    return slot;
  }
}

/**
 * Starts `digest-worker.ts`. Processes run TypeScript through tsx, whose loader
 * a worker thread does not inherit: the worker registers it before importing.
 */
function startWorker(): Worker {
  const target = new URL("./digest-worker.ts", import.meta.url).href;
  const tsx = tsxEsmApi();
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(code, { eval: true });
}

let tsxApi: string | undefined;

/** URL of tsx's ESM `register` entry (`tsx/esm/api`, import condition), from its package exports. */
function tsxEsmApi(): string {
  if (tsxApi !== undefined) return tsxApi;
  const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
  const exports = (JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, { import: { default: string } }> }).exports;
  const entry = exports["./esm/api"]?.import.default;
  if (entry === undefined) throw new Error("tsx: no ./esm/api export");
  tsxApi = pathToFileURL(join(dirname(manifest), entry)).href;
  return tsxApi;
}

let shared: DigestPool | undefined;

/** The process-wide pool (`DEFAULT_DIGEST_WORKERS` workers, started on first use). */
export function sharedDigestPool(): DigestPool {
  shared ??= new DigestPool();
  return shared;
}

let sharedBlobs: SharedBlobPool | undefined;

/**
 * The process-wide pool of shared chunk buffers that reads draw from (idle buffers kept:
 * 4 per digest worker, so at most 16 × 4 MiB idle with 4 workers, whatever the number of
 * reads that ran; none once no read used them for `POOL_IDLE_MS`).
 */
export function sharedBlobPool(): SharedBlobPool {
  sharedBlobs ??= new SharedBlobPool({ maxFree: 4 * DEFAULT_DIGEST_WORKERS + 4, idleMs: POOL_IDLE_MS });
  return sharedBlobs;
}

/**
 * Reusable chunk buffers in shared memory for reading tapes back: a blob read into
 * one is verified by a digest worker in place (no transfer, no copy), and the
 * buffer is taken back when the reader is done with the chunk. Reusing them keeps
 * the agent from allocating (and the collector from chasing) a buffer per chunk.
 * Copies from a source at the same offset modulo 8 as the view `take(size, align)`
 * gives run word by word (misaligned copies into shared memory go byte by byte).
 * Holds at most `maxFree` idle buffers.
 */
export class SharedBlobPool extends BlobPool {
  constructor(options: BlobPoolOptions = {}) {
    super({ ...options, maxFree: options.maxFree ?? 2 * DEFAULT_DIGEST_WORKERS + 4 });
  }

  protected override allocate(size: number): Uint8Array {
    return new Uint8Array(new SharedArrayBuffer(size));
  }

  /** Gives back a view from `take` (other buffers are ignored). */
  override give(view: Uint8Array): void {
    if (view.buffer instanceof SharedArrayBuffer) super.give(view);
  }
}
