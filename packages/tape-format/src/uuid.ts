import { randomBytes } from "node:crypto";
import { TapeFormatError } from "./errors.ts";

/** UUIDs are raw 16 bytes in textual (RFC 4122) order on tape; lowercase hyphenated in JSON. */
export const UUID_LENGTH = 16;

/** The all-zero media set UUID: "unassigned" legacy reservation (reference §3.4). */
export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isUuidText(text: unknown): text is string {
  return typeof text === "string" && UUID_RE.test(text);
}

/** Formats 16 raw bytes as a lowercase hyphenated UUID. */
export function formatUuid(bytes: Uint8Array): string {
  if (bytes.length !== UUID_LENGTH) {
    throw new TapeFormatError("invalid-field", `uuid: expected 16 bytes, got ${bytes.length}`, { field: "uuid" });
  }
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Parses a hyphenated UUID into 16 raw bytes. */
export function parseUuid(text: string, field = "uuid"): Uint8Array {
  if (!isUuidText(text)) {
    throw new TapeFormatError("invalid-field", `${field}: not a hyphenated UUID: ${JSON.stringify(text)}`, { field });
  }
  const hex = text.replace(/-/g, "");
  const out = new Uint8Array(UUID_LENGTH);
  for (let i = 0; i < UUID_LENGTH; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A random (version 4) UUID as raw bytes. */
export function randomUuidBytes(): Uint8Array {
  const b = new Uint8Array(randomBytes(UUID_LENGTH));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b;
}
