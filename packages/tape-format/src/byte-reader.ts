import { TapeFormatError } from "./errors.ts";

/** Anything that hands out byte pieces: a BlockedReader, an async iterable, a single buffer. */
export type ByteInput = { read(): Promise<Uint8Array | null> } | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

/**
 * Pull reader over a stream of byte pieces with exact-length reads. Holds at
 * most the current piece plus what a caller asks for at once.
 */
export class ByteReader {
  readonly #pull: () => Promise<Uint8Array | null>;
  #piece: Uint8Array = new Uint8Array(0);
  #eof = false;
  #position = 0;

  constructor(input: ByteInput) {
    if (input instanceof Uint8Array) {
      let done = false;
      this.#pull = async () => {
        if (done) return null;
        done = true;
        return input;
      };
    } else if ("read" in input && typeof input.read === "function") {
      this.#pull = () => input.read();
    } else if (Symbol.asyncIterator in input) {
      const it = (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      this.#pull = async () => {
        const r = await it.next();
        return r.done ? null : r.value;
      };
    } else {
      const it = (input as Iterable<Uint8Array>)[Symbol.iterator]();
      this.#pull = async () => {
        const r = it.next();
        return r.done ? null : r.value;
      };
    }
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.#position;
  }

  async #fill(): Promise<boolean> {
    while (this.#piece.length === 0) {
      if (this.#eof) return false;
      const p = await this.#pull();
      if (p === null) {
        this.#eof = true;
        return false;
      }
      this.#piece = p;
    }
    return true;
  }

  /** True when no byte is left. */
  async atEof(): Promise<boolean> {
    return !(await this.#fill());
  }

  /**
   * Reads up to `n` bytes; fewer only at the end of the stream. The result may
   * be a view into the current input piece; use `readOwnedUpTo` to keep it.
   */
  async readUpTo(n: number): Promise<Uint8Array> {
    return this.#readUpTo(n, false);
  }

  /** Like `readUpTo`, but the result never aliases an input piece. */
  async readOwnedUpTo(n: number): Promise<Uint8Array> {
    return this.#readUpTo(n, true);
  }

  async #readUpTo(n: number, owned: boolean): Promise<Uint8Array> {
    if (n === 0 || !(await this.#fill())) return new Uint8Array(0);
    // copied with `new Uint8Array`: `slice()` of a Buffer piece would be a view
    if (this.#piece.length >= n) return owned ? new Uint8Array(this.#take(n)) : this.#take(n);
    // every byte is written before it is exposed: skip zero-filling (a plain Uint8Array, not a Buffer)
    const out = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
    let got = 0;
    while (got < n && (await this.#fill())) {
      const part = this.#take(Math.min(n - got, this.#piece.length));
      out.set(part, got);
      got += part.length;
    }
    return got === n ? out : out.subarray(0, got);
  }

  /**
   * Offset of the next byte within its input piece's ArrayBuffer (undefined at the end of
   * the stream). A destination whose offset agrees modulo 8 is copied into word by word
   * even when it lives in a SharedArrayBuffer (misaligned copies into shared memory go
   * byte by byte, several times slower).
   */
  async nextByteOffset(): Promise<number | undefined> {
    return (await this.#fill()) ? this.#piece.byteOffset : undefined;
  }

  /**
   * Reads up to `out.length` bytes into `out` (fewer only at the end of the
   * stream); returns how many. `out` never aliases an input piece.
   */
  async readInto(out: Uint8Array): Promise<number> {
    let got = 0;
    while (got < out.length && (await this.#fill())) {
      const part = this.#take(Math.min(out.length - got, this.#piece.length));
      out.set(part, got);
      got += part.length;
    }
    return got;
  }

  /** Reads exactly `n` bytes or throws `truncated` naming `what`. */
  async readExact(n: number, what: string): Promise<Uint8Array> {
    const b = await this.readUpTo(n);
    if (b.length !== n) {
      throw new TapeFormatError("truncated", `${what}: stream ended after ${b.length} of ${n} bytes`, { field: what });
    }
    return b;
  }

  /** Yields the next `n` bytes in pieces (no copy); throws `truncated` when the stream ends early. */
  async *stream(n: number, what: string): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (!(await this.#fill())) {
        throw new TapeFormatError("truncated", `${what}: stream ended ${left} bytes short of ${n}`, { field: what });
      }
      const part = this.#take(Math.min(left, this.#piece.length));
      left -= part.length;
      yield part;
    }
  }

  /** Skips `n` bytes; returns how many were really skipped (fewer at the end of the stream). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0 && (await this.#fill())) left -= this.#take(Math.min(left, this.#piece.length)).length;
    return n - left;
  }

  #take(n: number): Uint8Array {
    const out = this.#piece.subarray(0, n);
    this.#piece = this.#piece.subarray(n);
    this.#position += n;
    return out;
  }
}
