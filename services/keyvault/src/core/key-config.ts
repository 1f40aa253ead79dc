/**
 * The password-protected key file of Proxmox Backup Server (`KeyConfig`), its
 * key fingerprint and the per-media-set drive key. Pure apart from the KDFs
 * (node:crypto); every failure is a {@link KeyConfigError} naming the field.
 * @see ../../../../../shared/reference/pbs-tape-format.md §9.1–9.3
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2, pbkdf2Sync, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { TapefleetError } from "@tapefleet/common";

/** Length of a tape key (AES-256). */
export const RAW_KEY_BYTES = 32;
/** Scrypt parameters of new key files (§9.1). */
export const SCRYPT_DEFAULTS = { n: 65536, r: 8, p: 1 } as const;
/** Memory cap of scrypt, as PBS (1025 MiB): N=65536, r=8 needs 64 MiB, above node's 32 MiB default. */
export const SCRYPT_MAXMEM = 1025 * 1024 * 1024;
/** Salt length of new key files. */
export const KDF_SALT_BYTES = 32;
/** PBKDF2 iterations PBS uses for `{"PBKDF2": …}` key files. */
export const PBKDF2_ITERATIONS = 65535;
/** IV length of the AES-256-GCM key encryption (16, not the usual 12: PBS compatible). */
export const KEY_CONFIG_IV_BYTES = 16;
/** GCM tag length. */
export const KEY_CONFIG_TAG_BYTES = 16;
/** Shortest password accepted (bytes, UTF-8). */
export const MIN_PASSWORD_BYTES = 5;
/** SHA-256 of `Proxmox Backup Encryption Key Fingerprint` (§9.2). */
export const FINGERPRINT_INPUT = createHash("sha256").update("Proxmox Backup Encryption Key Fingerprint").digest();
/** Per-media-set key derivation: PBKDF2-HMAC-SHA256 iterations (§9.3). */
export const DRIVE_KEY_ITERATIONS = 10;

const FINGERPRINT_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){31}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Why a key file was refused. */
export type KeyConfigReason = "MALFORMED" | "WRONG_PASSWORD" | "PASSWORD_TOO_SHORT" | "FINGERPRINT_MISMATCH";

/** A key file that is malformed or does not open with the password. Never carries key material or the password. */
export class KeyConfigError extends TapefleetError {
  constructor(reason: KeyConfigReason, field: string, message: string) {
    super("VALIDATION", `${field}: ${message}`, { fields: [{ field, message }], reason });
  }
}

/** The key derivation of a key file (externally tagged, as serde writes it); `null`: the key is stored unprotected. */
export type Kdf = { Scrypt: { n: number; r: number; p: number; salt: string } } | { PBKDF2: { iter: number; salt: string } } | null;

/** PBS `KeyConfig` JSON. Members in PBS's order: that order is what the paper key prints. */
export interface KeyConfig {
  kdf: Kdf;
  /** RFC 3339, local time with offset. */
  created: string;
  modified: string;
  /** base64(IV(16) ‖ TAG(16) ‖ ciphertext(32)); the raw key when `kdf` is null. */
  data: string;
  fingerprint?: string;
  hint?: string;
}

/** The name of a KDF as `show` reports it: `scrypt`, `pbkdf2` or `none`. */
export function kdfName(kdf: Kdf): "scrypt" | "pbkdf2" | "none" {
  if (kdf === null) return "none";
  return "Scrypt" in kdf ? "scrypt" : "pbkdf2";
}

/**
 * PBS key fingerprint: `SHA-256(FINGERPRINT_INPUT ‖ PBKDF2-HMAC-SHA256(key, "_id_key", 10, 32))`,
 * as 32 lowercase hex bytes joined by `:` (§9.2).
 */
export function keyFingerprint(key: Uint8Array): string {
  const idKey = pbkdf2Sync(key, "_id_key", 10, 32, "sha256");
  const hex = createHash("sha256").update(FINGERPRINT_INPUT).update(idKey).digest("hex");
  return hex.match(/../g)!.join(":");
}

/** True when `text` is a fingerprint in `xx:xx:…` form (32 bytes). */
export function isFingerprint(text: string): boolean {
  return FINGERPRINT_RE.test(text);
}

/** The 16 raw bytes of a hyphenated UUID. */
export function uuidBytes(uuid: string): Buffer {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(uuid)) {
    throw new KeyConfigError("MALFORMED", "mediaSetUuid", "must be a hyphenated UUID");
  }
  return Buffer.from(uuid.replaceAll("-", ""), "hex");
}

/**
 * The key a drive gets for one media set: `PBKDF2-HMAC-SHA256(raw key, salt =
 * the set uuid's 16 bytes, 10, 32)` (§9.3). The raw key never goes to a drive.
 */
export function mediaSetDriveKey(key: Uint8Array, mediaSetUuid: string): Buffer {
  return pbkdf2Sync(key, uuidBytes(mediaSetUuid), DRIVE_KEY_ITERATIONS, RAW_KEY_BYTES, "sha256");
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** RFC 3339 in local time with a ±HH:MM offset (PBS `epoch_to_rfc3339`), whole seconds. */
export function rfc3339Local(date: Date): string {
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const abs = Math.abs(off);
  return (
    `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}` +
    `T${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}` +
    `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  );
}

function checkPassword(password: string): Buffer {
  const bytes = Buffer.from(password, "utf8");
  if (bytes.length < MIN_PASSWORD_BYTES) {
    throw new KeyConfigError("PASSWORD_TOO_SHORT", "password", `must be at least ${MIN_PASSWORD_BYTES} bytes`);
  }
  return bytes;
}

async function deriveKey(kdf: NonNullable<Kdf>, password: Buffer): Promise<Buffer> {
  if ("Scrypt" in kdf) {
    const { n, r, p, salt } = kdf.Scrypt;
    return new Promise((resolve, reject) => {
      scrypt(password, Buffer.from(salt, "base64"), RAW_KEY_BYTES, { N: n, r, p, maxmem: SCRYPT_MAXMEM }, (err, out) => {
        if (err) reject(new KeyConfigError("MALFORMED", "kdf", `scrypt parameters rejected: ${err.message}`));
        else resolve(out);
      });
    });
  }
  const { iter, salt } = kdf.PBKDF2;
  return new Promise((resolve, reject) => {
    pbkdf2(password, Buffer.from(salt, "base64"), iter, RAW_KEY_BYTES, "sha256", (err, out) => {
      if (err) reject(new KeyConfigError("MALFORMED", "kdf", `PBKDF2 parameters rejected: ${err.message}`));
      else resolve(out);
    });
  });
}

/** Inputs of {@link createKeyConfig} that tests pin; defaults are random/now. */
export interface CreateKeyConfigOptions {
  hint?: string | undefined;
  now?: Date;
  salt?: Buffer;
  iv?: Buffer;
}

/**
 * Encrypts a 32-byte key with a password into a new KeyConfig: scrypt
 * (N=65536, r=8, p=1, 32-byte salt), AES-256-GCM with a 16-byte IV and empty
 * AAD (§9.1).
 */
export async function createKeyConfig(key: Uint8Array, password: string, options: CreateKeyConfigOptions = {}): Promise<KeyConfig> {
  if (key.length !== RAW_KEY_BYTES) throw new KeyConfigError("MALFORMED", "key", `must be ${RAW_KEY_BYTES} bytes, got ${key.length}`);
  const pw = checkPassword(password);
  const kdf: NonNullable<Kdf> = { Scrypt: { ...SCRYPT_DEFAULTS, salt: (options.salt ?? randomBytes(KDF_SALT_BYTES)).toString("base64") } };
  const derived = await deriveKey(kdf, pw);
  const iv = options.iv ?? randomBytes(KEY_CONFIG_IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", derived, iv);
  const ct = Buffer.concat([cipher.update(key), cipher.final()]);
  derived.fill(0);
  const stamp = rfc3339Local(options.now ?? new Date());
  const config: KeyConfig = {
    kdf,
    created: stamp,
    modified: stamp,
    data: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64"),
    fingerprint: keyFingerprint(key),
  };
  if (options.hint !== undefined) config.hint = options.hint;
  return config;
}

/**
 * Opens a KeyConfig with its password: the raw key and its fingerprint. A
 * password under 5 bytes, a wrong password and a fingerprint that does not
 * match the key are refused (§9.1). A `null` kdf needs no password.
 */
export async function decryptKeyConfig(config: KeyConfig, password: string): Promise<{ key: Buffer; fingerprint: string }> {
  const data = Buffer.from(config.data, "base64");
  let key: Buffer;
  if (config.kdf === null) {
    key = data;
  } else {
    const pw = checkPassword(password);
    if (data.length < KEY_CONFIG_IV_BYTES + KEY_CONFIG_TAG_BYTES) throw new KeyConfigError("MALFORMED", "data", "is too short for IV and tag");
    const derived = await deriveKey(config.kdf, pw);
    const decipher = createDecipheriv("aes-256-gcm", derived, data.subarray(0, KEY_CONFIG_IV_BYTES));
    decipher.setAuthTag(data.subarray(KEY_CONFIG_IV_BYTES, KEY_CONFIG_IV_BYTES + KEY_CONFIG_TAG_BYTES));
    try {
      key = Buffer.concat([decipher.update(data.subarray(KEY_CONFIG_IV_BYTES + KEY_CONFIG_TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyConfigError("WRONG_PASSWORD", "password", "does not open the key (wrong password?)");
    } finally {
      derived.fill(0);
    }
  }
  if (key.length !== RAW_KEY_BYTES) throw new KeyConfigError("MALFORMED", "data", `holds a key of ${key.length} bytes, expected ${RAW_KEY_BYTES}`);
  const fingerprint = keyFingerprint(key);
  if (config.fingerprint !== undefined) {
    const a = Buffer.from(fingerprint);
    const b = Buffer.from(config.fingerprint);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      key.fill(0);
      throw new KeyConfigError("FINGERPRINT_MISMATCH", "fingerprint", `does not match the key (the key's is ${fingerprint})`);
    }
  }
  return { key, fingerprint };
}

/** Re-encrypts a KeyConfig under a new password (new salt and IV); `created` and `hint` stay, `modified` is now. */
export async function changeKeyConfigPassword(config: KeyConfig, oldPassword: string, newPassword: string, now: Date = new Date()): Promise<KeyConfig> {
  checkPassword(newPassword);
  const { key } = await decryptKeyConfig(config, oldPassword);
  try {
    const next = await createKeyConfig(key, newPassword, { hint: config.hint, now });
    next.created = config.created;
    return next;
  } finally {
    key.fill(0);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function base64Field(v: unknown, field: string): string {
  if (typeof v !== "string" || !BASE64_RE.test(v)) throw new KeyConfigError("MALFORMED", field, "must be base64");
  return v;
}

function positiveInt(v: unknown, field: string, max: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1 || v > max) throw new KeyConfigError("MALFORMED", field, `must be an integer from 1 to ${max}`);
  return v;
}

function parseKdf(v: unknown): Kdf {
  if (v === null) return null;
  if (!isObject(v) || Object.keys(v).length !== 1) throw new KeyConfigError("MALFORMED", "kdf", 'must be null, {"Scrypt": {…}} or {"PBKDF2": {…}}');
  if (isObject(v["Scrypt"])) {
    const s = v["Scrypt"];
    const n = positiveInt(s["n"], "kdf.Scrypt.n", 1 << 24);
    if ((n & (n - 1)) !== 0 || n < 2) throw new KeyConfigError("MALFORMED", "kdf.Scrypt.n", "must be a power of two");
    const r = positiveInt(s["r"], "kdf.Scrypt.r", 64);
    const p = positiveInt(s["p"], "kdf.Scrypt.p", 64);
    if (128 * n * r * p > SCRYPT_MAXMEM) throw new KeyConfigError("MALFORMED", "kdf.Scrypt", "needs more than 1025 MiB of memory");
    return { Scrypt: { n, r, p, salt: base64Field(s["salt"], "kdf.Scrypt.salt") } };
  }
  if (isObject(v["PBKDF2"])) {
    const s = v["PBKDF2"];
    return { PBKDF2: { iter: positiveInt(s["iter"], "kdf.PBKDF2.iter", 10_000_000), salt: base64Field(s["salt"], "kdf.PBKDF2.salt") } };
  }
  throw new KeyConfigError("MALFORMED", "kdf", 'must be null, {"Scrypt": {…}} or {"PBKDF2": {…}}');
}

function stamp(v: unknown, field: string): string {
  if (typeof v !== "string" || !RFC3339_RE.test(v) || Number.isNaN(Date.parse(v))) throw new KeyConfigError("MALFORMED", field, "must be an RFC 3339 time");
  return v;
}

/** Validates a parsed KeyConfig JSON value (unknown members are dropped). */
export function parseKeyConfig(value: unknown): KeyConfig {
  if (!isObject(value)) throw new KeyConfigError("MALFORMED", "keyConfig", "must be a JSON object");
  if (!("kdf" in value)) throw new KeyConfigError("MALFORMED", "kdf", "is missing");
  const config: KeyConfig = {
    kdf: parseKdf(value["kdf"]),
    created: stamp(value["created"], "created"),
    modified: stamp(value["modified"], "modified"),
    data: base64Field(value["data"], "data"),
  };
  const fp = value["fingerprint"];
  if (fp !== undefined && fp !== null) {
    if (typeof fp !== "string" || !isFingerprint(fp)) throw new KeyConfigError("MALFORMED", "fingerprint", "must be 32 hex bytes joined by ':'");
    config.fingerprint = fp;
  }
  const hint = value["hint"];
  if (hint !== undefined && hint !== null) {
    if (typeof hint !== "string") throw new KeyConfigError("MALFORMED", "hint", "must be a string");
    config.hint = hint;
  }
  return config;
}

/** The KeyConfig as PBS pretty-prints it (2-space indent, PBS member order, absent members left out). */
export function formatKeyConfig(config: KeyConfig): string {
  const ordered: KeyConfig = { kdf: config.kdf, created: config.created, modified: config.modified, data: config.data };
  if (config.fingerprint !== undefined) ordered.fingerprint = config.fingerprint;
  if (config.hint !== undefined) ordered.hint = config.hint;
  return JSON.stringify(ordered, null, 2);
}
