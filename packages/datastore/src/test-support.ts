/** Helpers shared by this package's tests (not exported from the package). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { DatastoreError, type DatastoreErrorCode } from "./errors.ts";

/** A fresh temporary directory, removed after the test file. */
export function useTmpDirs(): () => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  return async () => {
    const d = await mkdtemp(join(tmpdir(), "tapefleet-datastore-"));
    dirs.push(d);
    return d;
  };
}

/** Runs `fn` and returns the DatastoreError it throws (fails on anything else). */
export async function datastoreErrorOf(fn: () => unknown): Promise<DatastoreError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DatastoreError) return err;
    throw new Error(`expected a DatastoreError, got ${String(err)}`, { cause: err });
  }
  throw new Error("expected a DatastoreError, nothing was thrown");
}

export async function expectCode(fn: () => unknown, code: DatastoreErrorCode): Promise<DatastoreError> {
  const err = await datastoreErrorOf(fn);
  if (err.code !== code) throw new Error(`expected code ${code}, got ${err.code}: ${err.message}`);
  return err;
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

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}
