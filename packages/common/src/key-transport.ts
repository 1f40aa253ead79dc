import { createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from "node:crypto";
import { ValidationError } from "./errors.ts";

/**
 * Key transport for drive keys: a secret travels on the bus only sealed to a
 * one-time X25519 key of its recipient (ECDH with a one-time key of the
 * sender, HKDF-SHA256, AES-256-GCM with the context as associated data). Only
 * the process holding the recipient's private key opens it; a sealed box for
 * one context (fingerprint, media set, drive) does not open for another.
 */

/** HKDF info prefix of the box key (versioned). */
export const KEY_TRANSPORT_INFO = "tapefleet key transport v1";
const X25519_RAW_BYTES = 32;
/** DER prefix of an X25519 SubjectPublicKeyInfo (RFC 8410) before the 32 raw bytes. */
const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed secret: base64 fields (sender's one-time public key, IV, GCM tag, ciphertext). */
export interface SealedSecret {
  ephemeralKey: string;
  iv: string;
  tag: string;
  data: string;
}

function publicKeyFromRaw(raw: Buffer, field: string): KeyObject {
  if (raw.length !== X25519_RAW_BYTES) throw ValidationError.field(field, `must be base64 of a ${X25519_RAW_BYTES}-byte X25519 public key`);
  try {
    return createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
  } catch {
    throw ValidationError.field(field, "is not an X25519 public key");
  }
}

function rawOf(key: KeyObject): Buffer {
  const der = key.export({ format: "der", type: "spki" });
  return Buffer.from(der.subarray(der.length - X25519_RAW_BYTES));
}

function boxKey(shared: Buffer, senderPub: Buffer, recipientPub: Buffer, context: string): Buffer {
  const salt = Buffer.concat([senderPub, recipientPub]);
  return Buffer.from(hkdfSync("sha256", shared, salt, Buffer.from(`${KEY_TRANSPORT_INFO}\n${context}`, "utf8"), 32));
}

function decodeBase64(v: unknown, field: string): Buffer {
  if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw ValidationError.field(field, "must be base64");
  return Buffer.from(v, "base64");
}

/** Seals `secret` to `recipientKey` (base64 of a raw X25519 public key), bound to `context`. */
export function sealSecret(recipientKey: string, secret: Uint8Array, context: string, field = "recipientKey"): SealedSecret {
  const recipientRaw = decodeBase64(recipientKey, field);
  const recipient = publicKeyFromRaw(recipientRaw, field);
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const senderRaw = rawOf(publicKey);
  const shared = diffieHellman({ privateKey, publicKey: recipient });
  const key = boxKey(shared, senderRaw, recipientRaw, context);
  try {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv("aes-256-gcm", key, iv);
    c.setAAD(Buffer.from(context, "utf8"));
    const data = Buffer.concat([c.update(secret), c.final()]);
    return { ephemeralKey: senderRaw.toString("base64"), iv: iv.toString("base64"), tag: c.getAuthTag().toString("base64"), data: data.toString("base64") };
  } finally {
    key.fill(0);
    shared.fill(0);
  }
}

/** A one-time recipient: its public key goes into the request, `open` unseals the reply (once). */
export interface SecretRecipient {
  /** Base64 of the raw 32-byte X25519 public key. */
  readonly publicKey: string;
  /** Opens a box sealed to this recipient for `context`; throws a ValidationError naming `sealed` when it does not open. */
  open(sealed: SealedSecret, context: string): Buffer;
}

export function createSecretRecipient(): SecretRecipient {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const ownRaw = rawOf(publicKey);
  let used = false;
  return {
    publicKey: ownRaw.toString("base64"),
    open(sealed, context) {
      if (used) throw ValidationError.field("sealed", "this recipient key was used already");
      used = true;
      const senderRaw = decodeBase64(sealed?.ephemeralKey, "sealed.ephemeralKey");
      const sender = publicKeyFromRaw(senderRaw, "sealed.ephemeralKey");
      const iv = decodeBase64(sealed.iv, "sealed.iv");
      const tag = decodeBase64(sealed.tag, "sealed.tag");
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw ValidationError.field("sealed", "iv or tag has the wrong length");
      const shared = diffieHellman({ privateKey: privateKey as KeyObject, publicKey: sender });
      const key = boxKey(shared, senderRaw, ownRaw, context);
      try {
        const d = createDecipheriv("aes-256-gcm", key, iv);
        d.setAAD(Buffer.from(context, "utf8"));
        d.setAuthTag(tag);
        return Buffer.concat([d.update(decodeBase64(sealed.data, "sealed.data")), d.final()]);
      } catch {
        throw ValidationError.field("sealed", "does not open with this recipient key and context");
      } finally {
        key.fill(0);
        shared.fill(0);
      }
    },
  };
}

/** The context a drive key is sealed for: fingerprint, media set and drive (all must match on open). */
export function driveKeyContext(req: { fingerprint: string; mediaSetUuid: string; drive: string }): string {
  return `drive-key\n${req.fingerprint.toLowerCase()}\n${req.mediaSetUuid.toLowerCase()}\n${req.drive}`;
}
