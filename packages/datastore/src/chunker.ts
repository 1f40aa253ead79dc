import { createHash } from "node:crypto";
import { DatastoreError } from "./errors.ts";

/**
 * Content-defined chunking with a gear hash (`h = (h << 1) + G[byte]`, so the
 * hash covers the last 32 bytes). A cut is made where the hash falls below a
 * threshold that gives the requested average, never before `minSize` and at
 * the latest at `maxSize`. Boundaries depend only on the bytes of the chunk,
 * so unchanged data after an edit falls back onto the same boundaries.
 */

export interface ChunkerParams {
  /** Target average chunk size. */
  avgSize: number;
  /** Default avgSize / 4. */
  minSize?: number;
  /** Default avgSize * 4. */
  maxSize?: number;
}

const GEAR = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const d = createHash("sha256").update(`tapefleet gear ${i}`).digest();
    t[i] = d.readUInt32LE(0);
  }
  return t;
})();

/** Streaming gear-hash chunker: feed the bytes of the current chunk, get the cut. */
export class GearChunker {
  readonly avgSize: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly #threshold: number;
  #len = 0;
  #h = 0;

  constructor(params: ChunkerParams) {
    const avg = params.avgSize;
    const min = params.minSize ?? Math.floor(avg / 4);
    const max = params.maxSize ?? avg * 4;
    if (!Number.isSafeInteger(avg) || avg < 64 || !Number.isSafeInteger(min) || min < 1 || min >= avg || !Number.isSafeInteger(max) || max <= avg) {
      throw new DatastoreError("invalid-field", `chunker: need 1 <= min < avg < max and avg >= 64 (min ${min}, avg ${avg}, max ${max})`, { field: "chunker" });
    }
    this.avgSize = avg;
    this.minSize = min;
    this.maxSize = max;
    this.#threshold = Math.floor(2 ** 32 / (avg - min));
  }

  /** Starts a new chunk. */
  reset(): void {
    this.#len = 0;
    this.#h = 0;
  }

  /**
   * Scans the next bytes of the current chunk. Returns the number of bytes
   * of `buf` that complete the chunk (then the state is reset), or -1 when
   * all of `buf` belongs to the chunk and more is needed.
   */
  scan(buf: Uint8Array): number {
    const min = this.minSize;
    const max = this.maxSize;
    const thr = this.#threshold;
    let len = this.#len;
    let h = this.#h;
    let i = 0;
    const n = buf.length;
    // Bytes more than 32 positions before minSize cannot influence the hash at minSize.
    const skipTo = min - 32;
    if (len < skipTo) {
      const skip = Math.min(n, skipTo - len);
      i += skip;
      len += skip;
    }
    for (; i < n; i++) {
      h = ((h << 1) + GEAR[buf[i]!]!) | 0;
      len++;
      if (len >= min && ((h >>> 0) < thr || len >= max)) {
        this.reset();
        return i + 1;
      }
    }
    this.#len = len;
    this.#h = h;
    return -1;
  }
}

/** Splits a byte stream into content-defined chunks (each yielded as its own copy). */
export async function* chunkStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, params: ChunkerParams): AsyncGenerator<Uint8Array> {
  const chunker = new GearChunker(params);
  let pending: Uint8Array[] = [];
  for await (let buf of source) {
    while (buf.length > 0) {
      const cut = chunker.scan(buf);
      if (cut < 0) {
        pending.push(buf.slice());
        break;
      }
      pending.push(buf.subarray(0, cut));
      yield new Uint8Array(Buffer.concat(pending));
      pending = [];
      buf = buf.subarray(cut);
    }
  }
  if (pending.length > 0) yield new Uint8Array(Buffer.concat(pending));
}
