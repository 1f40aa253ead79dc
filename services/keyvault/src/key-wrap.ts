import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { TapefleetError } from "@tapefleet/common";

/** Length of a tape encryption key (AES-256-GCM as LTO drives use it). */
export const TAPE_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Length of a wrapped tape key: IV, GCM tag, ciphertext. */
export const WRAPPED_KEY_BYTES = IV_BYTES + TAG_BYTES + TAPE_KEY_BYTES;

/** A wrapped key that does not open under this master key (wrong key or tampered data). */
export class KeyUnwrapError extends TapefleetError {
  constructor(message: string) {
    super("INTERNAL", message);
  }
}

/**
 * Encrypts a tape key under the master key with AES-256-GCM; the fingerprint
 * is bound as additional authenticated data, so a wrapped key cannot be moved
 * to another row.
 */
export function wrapKey(masterKey: Buffer, key: Buffer, fingerprint: string, iv: Buffer = randomBytes(IV_BYTES)): Buffer {
  if (key.length !== TAPE_KEY_BYTES) throw new TapefleetError("VALIDATION", `key must be ${TAPE_KEY_BYTES} bytes, got ${key.length}`);
  const cipher = createCipheriv("aes-256-gcm", masterKey, iv);
  cipher.setAAD(Buffer.from(fingerprint, "utf8"));
  const ct = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

/** Opens a key made by {@link wrapKey}; throws {@link KeyUnwrapError} when it does not authenticate. */
export function unwrapKey(masterKey: Buffer, wrapped: Uint8Array, fingerprint: string): Buffer {
  if (wrapped.length !== WRAPPED_KEY_BYTES) throw new KeyUnwrapError(`wrapped key must be ${WRAPPED_KEY_BYTES} bytes, got ${wrapped.length}`);
  const buf = Buffer.from(wrapped);
  const decipher = createDecipheriv("aes-256-gcm", masterKey, buf.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(fingerprint, "utf8"));
  decipher.setAuthTag(buf.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(buf.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new KeyUnwrapError(`key ${fingerprint} does not open under the master key (wrong master key or damaged data)`);
  }
}
