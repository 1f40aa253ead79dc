import { z } from "zod";
import { fingerprint, safeId } from "./fields.ts";
import { uuid } from "./media.ts";

/**
 * The keyvault's bus contract (queue group `keyvault`): tape encryption keys
 * as PBS keeps them, a raw key wrapped under the master key plus its
 * password-protected KeyConfig. Keys are camelCase on the bus.
 *
 * Passwords travel only in request payloads (NATS must use TLS in
 * production); no reply carries a key or a password. `release` answers the
 * per-media-set drive key sealed to the requesting device agent's one-time
 * X25519 key (`recipientKey`), so it never crosses the bus in clear.
 * @see ../../../shared/reference/pbs-tape-format.md §9
 */
export const KEYVAULT_SUBJECTS = {
  /** `KeyCreateRequest` → `KeyListEntry` of a new random key. */
  create: "keyvault.keys.create",
  /** `{}` → `KeyListEntry[]`, oldest first. */
  list: "keyvault.keys.list",
  /** `KeyFingerprintRequest` → `KeyShowReply`. */
  show: "keyvault.keys.show",
  /** `KeyUpdateRequest` → `KeyShowReply`. */
  update: "keyvault.keys.update",
  /** `KeyRemoveRequest` → `{ fingerprint }`. */
  remove: "keyvault.keys.remove",
  /** `KeyPaperkeyRequest` → `{ fingerprint, format, document }`. */
  paperkey: "keyvault.keys.paperkey",
  /** `KeyImportRequest` → `KeyShowReply`. */
  import: "keyvault.keys.import",
  /**
   * `KeyFingerprintRequest` → the key's password-protected KeyConfig JSON (PBS
   * shape), for the `key-config` member of an encrypted media set label.
   */
  keyConfig: "keyvault.keys.key-config",
  /** `KeyReleaseRequest` → `KeyReleaseReply` (device agents only; audited). */
  release: "keyvault.keys.release",
  /**
   * `KeyRestoreRequest` → `KeyShowReply`: restore a key from the tape loaded
   * in a drive (its set label's `key-config`, read without the key through
   * the scheduler's `read-label`), opened with the password and stored.
   */
  restore: "keyvault.keys.restore",
} as const;

/**
 * The scheduler's lease question the keyvault asks before a release:
 * `{ job, drive }` → `{ held: boolean }` (does `job` hold the lease of `drive`).
 */
export const SCHEDULER_LEASE_CHECK_SUBJECT = "scheduler.lease.check";

/** Stable `reason` sub-codes of keyvault errors. */
export const KEY_REASONS = {
  /** CONFLICT: a media pool encrypts with the key (remove without `force`). */
  KEY_IN_USE: "KEY_IN_USE",
  /** FORBIDDEN: the job does not hold the drive's lease. */
  NO_LEASE: "NO_LEASE",
  /** UNAVAILABLE: nobody answered the lease check. */
  LEASE_CHECK_UNAVAILABLE: "LEASE_CHECK_UNAVAILABLE",
  /** VALIDATION: the password does not open the key. */
  WRONG_PASSWORD: "WRONG_PASSWORD",
  /** VALIDATION: shorter than `MIN_KEY_PASSWORD_BYTES`. */
  PASSWORD_TOO_SHORT: "PASSWORD_TOO_SHORT",
  /** NOT_FOUND: a key stored before key files existed has no KeyConfig (no paper key, no password); or a tape's set label carries none. */
  NO_KEY_CONFIG: "NO_KEY_CONFIG",
} as const;

/** Shortest key password (bytes, UTF-8; PBS). */
export const MIN_KEY_PASSWORD_BYTES = 5;
/** Longest key password (characters). */
export const MAX_KEY_PASSWORD_LENGTH = 1024;
/** Longest password hint (PBS `PASSWORD_HINT_SCHEMA`). */
export const MAX_KEY_HINT_LENGTH = 64;

export const keyPassword = z
  .string()
  .superRefine((v, ctx) => {
    if (Buffer.byteLength(v, "utf8") < MIN_KEY_PASSWORD_BYTES) ctx.addIssue({ code: "custom", message: `must be at least ${MIN_KEY_PASSWORD_BYTES} bytes` });
    else if (v.length > MAX_KEY_PASSWORD_LENGTH) ctx.addIssue({ code: "custom", message: `must be at most ${MAX_KEY_PASSWORD_LENGTH} characters` });
  })
  .meta({ description: "Password protecting the key file (at least 5 bytes).", format: "password", writeOnly: true });

export const keyHint = z
  .string()
  .superRefine((v, ctx) => {
    if (v.length < 1 || v.length > MAX_KEY_HINT_LENGTH) ctx.addIssue({ code: "custom", message: `must be 1-${MAX_KEY_HINT_LENGTH} characters` });
    else if (/[\u0000-\u001f\u007f]/.test(v)) ctx.addIssue({ code: "custom", message: "must not contain control characters" });
  })
  .meta({ description: "Password hint.", maxLength: MAX_KEY_HINT_LENGTH });

export const keyCreateRequest = z.strictObject({ hint: keyHint.optional(), password: keyPassword });
export const keyFingerprintRequest = z.strictObject({ fingerprint });
export const keyUpdateRequest = z
  .strictObject({ fingerprint, hint: keyHint.optional(), oldPassword: z.string().optional(), newPassword: keyPassword.optional() })
  .superRefine((v, ctx) => {
    if ((v.oldPassword === undefined) !== (v.newPassword === undefined)) {
      ctx.addIssue({ code: "custom", path: [v.oldPassword === undefined ? "oldPassword" : "newPassword"], message: "oldPassword and newPassword go together" });
    }
    if (v.hint === undefined && v.newPassword === undefined) ctx.addIssue({ code: "custom", path: ["hint"], message: "nothing to change: give hint or oldPassword and newPassword" });
  });
export const keyRemoveRequest = z.strictObject({ fingerprint, force: z.boolean().optional() });
export const PAPERKEY_FORMATS = ["text", "html"] as const;
export const keyPaperkeyRequest = z.strictObject({ fingerprint, format: z.enum(PAPERKEY_FORMATS).default("text") });
export const keyImportRequest = z.strictObject({
  /** A paper key text, KeyConfig JSON text, or the KeyConfig object. */
  keyConfig: z.union([z.string().min(1).max(64 * 1024), z.record(z.string(), z.unknown())]),
  password: z.string().max(MAX_KEY_PASSWORD_LENGTH),
  hint: keyHint.optional(),
});
export const keyReleaseRequest = z.strictObject({
  fingerprint,
  mediaSetUuid: uuid,
  drive: safeId("device", "Drive the key is loaded into."),
  job: z.string().min(1).max(256),
  /** Who asks (the device agent's instance id), for the audit. */
  agent: z.string().min(1).max(256).optional(),
  /**
   * Base64 of the raw 32-byte X25519 public key of a one-time key pair of the
   * requesting agent: the drive key is sealed to it (`sealSecret` of
   * `@tapefleet/common`, context `driveKeyContext`).
   */
  recipientKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, "must be base64 of a 32-byte X25519 public key"),
});

export const keyRestoreRequest = z.strictObject({
  drive: safeId("device", "Drive holding the tape whose media set label carries the key config."),
  password: z.string().max(MAX_KEY_PASSWORD_LENGTH),
  hint: keyHint.optional(),
});

export type KeyCreateRequest = z.output<typeof keyCreateRequest>;
export type KeyRestoreRequest = z.output<typeof keyRestoreRequest>;
export type KeyUpdateRequest = z.output<typeof keyUpdateRequest>;
export type KeyRemoveRequest = z.output<typeof keyRemoveRequest>;
export type KeyPaperkeyRequest = z.output<typeof keyPaperkeyRequest>;
export type KeyImportRequest = z.output<typeof keyImportRequest>;
export type KeyReleaseRequest = z.output<typeof keyReleaseRequest>;
export type PaperkeyFormatName = (typeof PAPERKEY_FORMATS)[number];

/** A key in `list`. Times are epoch seconds (as PBS `KeyInfo`). */
export interface KeyListEntry {
  fingerprint: string;
  hint?: string;
  created: number;
}

/** A key in `show`: PBS `KeyInfo` (kdf `scrypt`, `pbkdf2` or `none`). */
export interface KeyShowReply extends KeyListEntry {
  kdf: "scrypt" | "pbkdf2" | "none";
  modified: number;
}

export interface KeyPaperkeyReply {
  fingerprint: string;
  format: PaperkeyFormatName;
  document: string;
}

/**
 * The per-media-set drive key (never the raw key), sealed to the request's
 * `recipientKey` for the context (fingerprint, media set, drive): base64
 * fields of the sender's one-time public key, the IV, the GCM tag and the
 * ciphertext.
 */
export interface KeyReleaseReply {
  fingerprint: string;
  mediaSetUuid: string;
  sealedDriveKey: { ephemeralKey: string; iv: string; tag: string; data: string };
}
