import { TapeFormatError } from "./errors.ts";

/**
 * JSON as PBS writes it with serde_json `to_string_pretty`: 2-space indent,
 * `"key": value`, no trailing newline. `sortKeys` reproduces serialization
 * through a generic JSON value (labels, reference §3.1): keys sorted
 * alphabetically at every level. Without it, member order is kept (archive
 * headers are serialized in struct order).
 */
export function prettyJson(value: unknown, sortKeys: boolean): string {
  return JSON.stringify(sortKeys ? sortDeep(value) : value, null, 2);
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareUtf8)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortDeep(v);
    }
    return out;
  }
  return value;
}

/** Byte-wise order of UTF-8 strings (what a Rust BTreeMap<String, _> uses). */
function compareUtf8(a: string, b: string): number {
  const ea = utf8.encode(a);
  const eb = utf8.encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return ea.length - eb.length;
}

export const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeUtf8(bytes: Uint8Array, field: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (err) {
    throw new TapeFormatError("invalid-field", `${field}: not valid UTF-8`, { field, cause: err });
  }
}

/** Parses a UTF-8 JSON object; anything else is an `invalid-json` error naming `what`. */
export function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  const text = decodeUtf8(bytes, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TapeFormatError("invalid-json", `${what}: invalid JSON: ${(err as Error).message}`, { field: what, cause: err });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TapeFormatError("invalid-json", `${what}: expected a JSON object`, { field: what });
  }
  return value as Record<string, unknown>;
}

export function requireString(obj: Record<string, unknown>, key: string, what: string): string {
  const v = obj[key];
  if (typeof v !== "string") {
    throw new TapeFormatError("invalid-json", `${what}.${key}: expected a string, got ${describe(v)}`, { field: key });
  }
  return v;
}

export function requireInteger(obj: Record<string, unknown>, key: string, what: string, min = Number.MIN_SAFE_INTEGER): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new TapeFormatError("invalid-json", `${what}.${key}: expected an integer >= ${min}, got ${describe(v)}`, { field: key });
  }
  return v;
}

export function optionalString(obj: Record<string, unknown>, key: string, what: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") {
    throw new TapeFormatError("invalid-json", `${what}.${key}: expected a string, got ${describe(v)}`, { field: key });
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing (missing)";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}
