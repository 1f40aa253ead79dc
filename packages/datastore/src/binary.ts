import { createHash } from "node:crypto";
import { DatastoreError } from "./errors.ts";

/** Little-endian helpers shared by the index codecs. */
export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Reads a u64 LE that must fit a safe integer. */
export function readU64(b: Uint8Array, at: number, field: string): number {
  const v = view(b).getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DatastoreError("invalid-field", `${field}: ${v} exceeds 2^53-1`, { field });
  return Number(v);
}

export function readI64(b: Uint8Array, at: number, field: string): number {
  const v = view(b).getBigInt64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DatastoreError("invalid-field", `${field}: ${v} is outside the safe integer range`, { field });
  }
  return Number(v);
}

export function writeU64(b: Uint8Array, at: number, v: number): void {
  view(b).setBigUint64(at, BigInt(v), true);
}

export function writeI64(b: Uint8Array, at: number, v: number): void {
  view(b).setBigInt64(at, BigInt(v), true);
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function fromHex(hex: string, field: string, length?: number): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex) || (length !== undefined && hex.length !== length * 2)) {
    throw new DatastoreError("invalid-field", `${field}: "${hex}" is not ${length === undefined ? "" : `${length} bytes of `}hex`, { field });
  }
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
