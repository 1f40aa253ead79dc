/** Helpers shared by this package's tests (not exported from the package). */
import { createHash } from "node:crypto";
import { BlockedReader } from "./blocked-reader.ts";
import { TapeFormatError } from "./errors.ts";
import type { BlockReadResult, BlockSource } from "./tape-io.ts";

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A BlockSource over a scripted list of READ results. */
export function scriptedSource(results: BlockReadResult[]): BlockSource & { reads: number } {
  const src = {
    reads: 0,
    async readBlock(): Promise<BlockReadResult> {
      const r = results[src.reads++];
      return r ?? { kind: "end-of-data" };
    },
  };
  return src;
}

export async function readAll(reader: BlockedReader): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of reader) parts.push(p.slice());
  return Uint8Array.from(Buffer.concat(parts));
}

export async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p.slice());
  return Uint8Array.from(Buffer.concat(parts));
}

/** Runs `fn` and returns the TapeFormatError it throws (fails if it does not throw one). */
export async function catchTapeError(fn: () => unknown): Promise<TapeFormatError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof TapeFormatError) return err;
    throw new Error(`expected a TapeFormatError, got ${String(err)}`, { cause: err });
  }
  throw new Error("expected a TapeFormatError, nothing was thrown");
}

export async function openStream(source: BlockSource, requireEndMarker = true): Promise<BlockedReader> {
  const r = await BlockedReader.open(source, { requireEndMarker });
  if (r.kind !== "stream") throw new Error(`expected a stream, got ${r.kind}`);
  return r.reader;
}

/** XORs one byte in place (test corruption helper). */
export function flip(bytes: Uint8Array, index: number, mask = 1): void {
  bytes[index] = (bytes[index] ?? 0) ^ mask;
}
