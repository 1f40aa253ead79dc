import { createHmac } from "node:crypto";
import { toHex } from "./binary.ts";
import { decodeBlob, encodeBlob } from "./blob.ts";
import { DatastoreError } from "./errors.ts";
import { checkArchiveName, checkBackupId, checkBackupType, type BackupType } from "./names.ts";

/**
 * The snapshot manifest `index.json.blob`: a DataBlob around pretty JSON.
 * @see shared reference pbs-tape-format.md §11.5, §4.2
 */

export const CRYPT_MODES = ["none", "encrypt", "sign-only"] as const;
export type CryptMode = (typeof CRYPT_MODES)[number];

export interface ManifestFile {
  filename: string;
  cryptMode: CryptMode;
  /** Index files: image/stream length; blobs: raw file length. */
  size: number;
  /** Index files: index_csum; blobs: SHA-256 of the raw blob file (64 hex). */
  csum: string;
}

export interface BackupManifest {
  backupType: BackupType;
  backupId: string;
  backupTime: number;
  files: ManifestFile[];
  /** Not covered by the signature: key-fingerprint, verify_state, notes, … */
  unprotected: Record<string, unknown>;
  /** HMAC-SHA256 hex, `null` or absent (`undefined`). */
  signature: string | null | undefined;
  /** Members this codec does not model, kept for re-encoding. */
  extra: Record<string, unknown>;
}

const KNOWN = new Set(["backup-type", "backup-id", "backup-time", "files", "unprotected", "signature"]);

function bad(message: string, field: string): DatastoreError {
  return new DatastoreError("invalid-manifest", `manifest ${field}: ${message}`, { field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkU64(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad(`expected an unsigned integer, got ${JSON.stringify(v)}`, field);
  return v;
}

/** Parses and validates manifest JSON text (bytes). */
export function decodeManifestJson(bytes: Uint8Array): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new DatastoreError("invalid-manifest", `manifest: not UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`, { field: "manifest", cause: err });
  }
  if (!isObject(value)) throw bad("expected a JSON object", "manifest");
  const type = value["backup-type"];
  const id = value["backup-id"];
  if (typeof type !== "string") throw bad("missing or not a string", "backup-type");
  if (typeof id !== "string") throw bad("missing or not a string", "backup-id");
  let backupType: BackupType;
  try {
    backupType = checkBackupType(type);
    checkBackupId(id);
  } catch (err) {
    throw new DatastoreError("invalid-manifest", `manifest: ${(err as Error).message}`, { field: (err as DatastoreError).field ?? "backup-id", cause: err });
  }
  const time = value["backup-time"];
  if (typeof time !== "number" || !Number.isSafeInteger(time)) throw bad(`expected an integer, got ${JSON.stringify(time)}`, "backup-time");
  const filesValue = value["files"];
  if (!Array.isArray(filesValue)) throw bad("missing or not an array", "files");
  const names = new Set<string>();
  const files = filesValue.map((f, i): ManifestFile => {
    const at = `files[${i}]`;
    if (!isObject(f)) throw bad("expected an object", at);
    const filename = f["filename"];
    if (typeof filename !== "string") throw bad("missing or not a string", `${at}.filename`);
    try {
      checkArchiveName(filename);
    } catch (err) {
      throw new DatastoreError("invalid-manifest", `manifest ${at}.filename: ${(err as Error).message}`, { field: `${at}.filename`, cause: err });
    }
    if (names.has(filename)) throw bad(`"${filename}" is listed twice`, `${at}.filename`);
    names.add(filename);
    const mode = f["crypt-mode"] ?? "none";
    if (typeof mode !== "string" || !(CRYPT_MODES as readonly string[]).includes(mode)) throw bad(`expected none, encrypt or sign-only, got ${JSON.stringify(mode)}`, `${at}.crypt-mode`);
    const size = checkU64(f["size"], `${at}.size`);
    const csum = f["csum"];
    if (typeof csum !== "string" || !/^[0-9a-fA-F]{64}$/.test(csum)) throw bad(`expected 64 hex characters, got ${JSON.stringify(csum)}`, `${at}.csum`);
    return { filename, cryptMode: mode as CryptMode, size, csum: csum.toLowerCase() };
  });
  const unprotected = value["unprotected"] ?? {};
  if (!isObject(unprotected)) throw bad("expected an object", "unprotected");
  const signature = value["signature"];
  if (signature !== undefined && signature !== null && (typeof signature !== "string" || !/^[0-9a-f]{64}$/.test(signature))) {
    throw bad(`expected 64 hex characters or null, got ${JSON.stringify(signature)}`, "signature");
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!KNOWN.has(k)) extra[k] = v;
  return { backupType, backupId: id, backupTime: time, files, unprotected: { ...unprotected }, signature: signature as string | null | undefined, extra };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

/** The manifest as a plain JSON value (keys as PBS writes them). */
export function manifestToJsonValue(m: BackupManifest): Record<string, unknown> {
  const v: Record<string, unknown> = {
    ...m.extra,
    "backup-type": m.backupType,
    "backup-id": m.backupId,
    "backup-time": m.backupTime,
    files: m.files.map((f) => ({ filename: f.filename, "crypt-mode": f.cryptMode, size: f.size, csum: f.csum })),
    unprotected: m.unprotected,
  };
  if (m.signature !== undefined) v["signature"] = m.signature;
  return v;
}

/** Pretty JSON with sorted keys, as PBS serializes a manifest through a generic JSON value. */
export function encodeManifestJson(m: BackupManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(sortKeys(manifestToJsonValue(m)), null, 2));
}

/** Canonical JSON (sorted keys, no whitespace) without `unprotected` and `signature`: the signed text. */
export function canonicalManifestJson(m: BackupManifest): string {
  const v = manifestToJsonValue(m);
  delete v["unprotected"];
  delete v["signature"];
  return JSON.stringify(sortKeys(v));
}

/** HMAC-SHA256(id_key, canonical JSON) as hex. */
export function manifestSignature(m: BackupManifest, idKey: Uint8Array): string {
  return toHex(new Uint8Array(createHmac("sha256", idKey).update(canonicalManifestJson(m)).digest()));
}

/** Decodes `index.json.blob` (CRC checked; the manifest blob is normally unencrypted). */
export async function decodeManifestBlob(raw: Uint8Array): Promise<BackupManifest> {
  return decodeManifestJson(await decodeBlob(raw, { context: "manifest blob" }));
}

/** Encodes a manifest as a zstd-compressed unencrypted blob. */
export async function encodeManifestBlob(m: BackupManifest): Promise<Uint8Array> {
  return encodeBlob(encodeManifestJson(m), { compress: true });
}

/**
 * The manifest as a restore writes it: `unprotected.verify_state` dropped,
 * re-encoded as a zstd blob; the signature stays valid (it does not cover
 * `unprotected`). @see reference §4.2
 */
export async function reencodeManifestForRestore(raw: Uint8Array): Promise<{ manifest: BackupManifest; blob: Uint8Array }> {
  const manifest = await decodeManifestBlob(raw);
  const { verify_state: _dropped, ...rest } = manifest.unprotected;
  const cleaned: BackupManifest = { ...manifest, unprotected: rest };
  return { manifest: cleaned, blob: await encodeManifestBlob(cleaned) };
}
