import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "@tapefleet/common";

/** Length of the master key-encryption key (AES-256). */
export const MASTER_KEY_BYTES = 32;

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes a master key given as base64 text (surrounding whitespace ignored).
 * Throws a ConfigError naming `field` when it is not base64 of exactly 32
 * bytes. The message never contains the key.
 */
export function decodeMasterKey(text: string, field: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new ConfigError([{ field, message: "is empty; expected base64 of 32 random bytes" }]);
  if (!BASE64_RE.test(trimmed) || trimmed.length % 4 !== 0) {
    throw new ConfigError([{ field, message: "is not base64; expected base64 of 32 random bytes (e.g. `openssl rand -base64 32`)" }]);
  }
  const bytes = Buffer.from(trimmed, "base64");
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new ConfigError([{ field, message: `decodes to ${bytes.length} bytes; expected ${MASTER_KEY_BYTES}` }]);
  }
  if (bytes.every((b) => b === bytes[0])) throw new ConfigError([{ field, message: "is a constant byte pattern, not a random key" }]);
  return bytes;
}

/** Reads the master key from the file or the variable named by the configuration. */
export function readMasterKey(source: { masterKeyFile?: string | undefined; masterKey?: string | undefined }): Buffer {
  if (source.masterKeyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.masterKeyFile, "utf8");
    } catch (err) {
      throw new ConfigError([{ field: "TAPEFLEET_MASTER_KEY_FILE", message: `cannot read ${source.masterKeyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
    }
    return decodeMasterKey(text, "TAPEFLEET_MASTER_KEY_FILE");
  }
  if (source.masterKey !== undefined) return decodeMasterKey(source.masterKey, "TAPEFLEET_MASTER_KEY");
  throw new ConfigError([{ field: "TAPEFLEET_MASTER_KEY_FILE", message: "a master key is required" }]);
}

/**
 * A fingerprint that identifies the master key without revealing it
 * (HMAC-SHA256 of a fixed label under the key, first 16 bytes, hex). Stored at
 * first boot; a later boot with another key is refused.
 */
export function masterKeyFingerprint(key: Buffer): string {
  return createHmac("sha256", key).update("tapefleet keyvault master key fingerprint v1").digest().subarray(0, 16).toString("hex");
}
