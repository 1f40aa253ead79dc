import { DatastoreError } from "./errors.ts";

/**
 * Names and paths of the PBS datastore layout: namespaces, backup groups,
 * snapshot times, archive file names, chunk digests.
 * @see shared reference pbs-tape-format.md §11.1
 */

/** Backup types of PBS. */
export const BACKUP_TYPES = ["vm", "ct", "host"] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

/** At most 7 namespace levels below the root. */
export const MAX_NAMESPACE_DEPTH = 7;
/** The full API form `a/b/c` is at most 256 characters. */
export const MAX_NAMESPACE_LENGTH = 256;

/** PBS "safe id": namespace components and backup ids. */
export const SAFE_ID_REGEX = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
/** Snapshot folder names: RFC 3339 UTC with "Z". */
export const SNAPSHOT_TIME_REGEX = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
/** Files that count as snapshot files. */
export const ARCHIVE_NAME_REGEX = /^[A-Za-z0-9_][A-Za-z0-9._-]*\.(?:fidx|didx|blob)$/;
/** Chunk names: 64 lowercase hex characters. */
export const DIGEST_HEX_REGEX = /^[0-9a-f]{64}$/;

/** The manifest file; its presence marks a snapshot finished. */
export const MANIFEST_BLOB_NAME = "index.json.blob";
/** Optional client log, not listed in the manifest. */
export const CLIENT_LOG_BLOB_NAME = "client.log.blob";
/** Empty marker of a protected snapshot. */
export const PROTECTED_MARKER = ".protected";
export const OWNER_FILE = "owner";
export const GROUP_NOTES_FILE = "notes";
export const CHUNKS_DIR = ".chunks";

/** A namespace as its list of components; `[]` is the root namespace. */
export type Namespace = readonly string[];

export interface BackupGroupRef {
  ns: Namespace;
  type: BackupType;
  id: string;
}

export interface SnapshotRef extends BackupGroupRef {
  /** Backup time, seconds since the epoch (UTC). */
  time: number;
}

export function isBackupType(s: string): s is BackupType {
  return (BACKUP_TYPES as readonly string[]).includes(s);
}

export function checkBackupType(s: string): BackupType {
  if (!isBackupType(s)) throw new DatastoreError("invalid-name", `backup type: "${s}" is not one of vm, ct, host`, { field: "backup-type" });
  return s;
}

export function checkBackupId(s: string): string {
  if (!SAFE_ID_REGEX.test(s)) throw new DatastoreError("invalid-name", `backup id: "${s}" does not match ${SAFE_ID_REGEX.source}`, { field: "backup-id" });
  return s;
}

/** Validates namespace components (depth, each component, total length). */
export function checkNamespace(ns: Namespace): Namespace {
  if (ns.length > MAX_NAMESPACE_DEPTH) {
    throw new DatastoreError("invalid-name", `namespace "${ns.join("/")}": depth ${ns.length} exceeds ${MAX_NAMESPACE_DEPTH}`, { field: "ns" });
  }
  for (const c of ns) {
    if (!SAFE_ID_REGEX.test(c)) throw new DatastoreError("invalid-name", `namespace component "${c}" does not match ${SAFE_ID_REGEX.source}`, { field: "ns" });
  }
  if (ns.join("/").length > MAX_NAMESPACE_LENGTH) {
    throw new DatastoreError("invalid-name", `namespace "${ns.join("/")}": longer than ${MAX_NAMESPACE_LENGTH} characters`, { field: "ns" });
  }
  return ns;
}

/** Parses the API form `a/b` ("" is the root). */
export function parseNamespace(text: string): Namespace {
  if (text === "") return [];
  return checkNamespace(text.split("/"));
}

/** The API form `a/b` ("" for the root). */
export function formatNamespace(ns: Namespace): string {
  return ns.join("/");
}

/** The file-system form `ns/a/ns/b` ("" for the root). */
export function namespacePath(ns: Namespace): string {
  return ns.map((c) => `ns/${c}`).join("/");
}

/** Parses the file-system form `ns/a/ns/b`. */
export function parseNamespacePath(text: string): Namespace {
  if (text === "") return [];
  const parts = text.split("/");
  if (parts.length % 2 !== 0) throw new DatastoreError("invalid-name", `namespace path "${text}": expected ns/<name> pairs`, { field: "ns" });
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (parts[i] !== "ns") throw new DatastoreError("invalid-name", `namespace path "${text}": expected "ns" at level ${i / 2}`, { field: "ns" });
    out.push(parts[i + 1]!);
  }
  return checkNamespace(out);
}

/** True when `ns` is `parent` or below it. */
export function isNamespaceWithin(ns: Namespace, parent: Namespace): boolean {
  return parent.length <= ns.length && parent.every((c, i) => ns[i] === c);
}

/** Formats seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`. */
export function formatSnapshotTime(epoch: number): string {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > 253402300799) {
    throw new DatastoreError("invalid-field", `backup time: ${epoch} is not a whole number of seconds in years 1970..9999`, { field: "backup-time" });
  }
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Parses `YYYY-MM-DDTHH:MM:SSZ` (a real calendar date and time) into seconds since the epoch. */
export function parseSnapshotTime(text: string): number {
  if (!SNAPSHOT_TIME_REGEX.test(text)) {
    throw new DatastoreError("invalid-name", `snapshot time "${text}": expected YYYY-MM-DDTHH:MM:SSZ`, { field: "backup-time" });
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") !== text) {
    throw new DatastoreError("invalid-name", `snapshot time "${text}": not a valid date and time`, { field: "backup-time" });
  }
  return ms / 1000;
}

export function checkArchiveName(name: string): string {
  if (!ARCHIVE_NAME_REGEX.test(name)) {
    throw new DatastoreError("invalid-name", `archive name "${name}": expected a safe name ending in .fidx, .didx or .blob`, { field: "filename" });
  }
  return name;
}

export function checkDigestHex(hex: string): string {
  if (!DIGEST_HEX_REGEX.test(hex)) throw new DatastoreError("invalid-name", `chunk digest "${hex}": expected 64 lowercase hex characters`, { field: "digest" });
  return hex;
}

/** Owner file content: an Authid `user@realm` or `user@realm!token`. */
export const AUTHID_REGEX = /^[^\s:/@!]+@[A-Za-z0-9_][A-Za-z0-9._-]*(?:![A-Za-z0-9_][A-Za-z0-9._-]*)?$/;

export function checkAuthid(s: string): string {
  if (!AUTHID_REGEX.test(s)) throw new DatastoreError("invalid-name", `owner "${s}": expected user@realm or user@realm!token`, { field: "owner" });
  return s;
}

/** Group path relative to the datastore base: `[ns/a/]type/id`. */
export function groupPath(g: BackupGroupRef): string {
  const ns = namespacePath(g.ns);
  return `${ns === "" ? "" : `${ns}/`}${g.type}/${g.id}`;
}

/** Snapshot path relative to the datastore base: `[ns/a/]type/id/YYYY-MM-DDTHH:MM:SSZ`. */
export function snapshotPath(s: SnapshotRef): string {
  return `${groupPath(s)}/${formatSnapshotTime(s.time)}`;
}

/** Parses `[ns/x/ns/y/]type/id/YYYY-MM-DDTHH:MM:SSZ` (the tape snapshot archive form). */
export function parseSnapshotPath(text: string): SnapshotRef {
  const parts = text.split("/");
  if (parts.length < 3) throw new DatastoreError("invalid-name", `snapshot path "${text}": expected [ns/…/]type/id/time`, { field: "snapshot" });
  const time = parseSnapshotTime(parts[parts.length - 1]!);
  const id = checkBackupId(parts[parts.length - 2]!);
  const type = checkBackupType(parts[parts.length - 3]!);
  const ns = parseNamespacePath(parts.slice(0, -3).join("/"));
  return { ns, type, id, time };
}

/** Type order of PBS (the historical alphabetical order): ct, host, vm. */
const TYPE_ORDER: Record<BackupType, number> = { ct: 0, host: 1, vm: 2 };

/**
 * Group order of PBS: by type (ct, host, vm), then by id: numerically when
 * both ids are unsigned integers, numbers before other ids, else by text.
 */
export function compareGroups(a: BackupGroupRef, b: BackupGroupRef): number {
  if (a.type !== b.type) return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
  const na = /^[0-9]+$/.test(a.id);
  const nb = /^[0-9]+$/.test(b.id);
  if (na && nb) {
    const x = BigInt(a.id);
    const y = BigInt(b.id);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (na !== nb) return na ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
