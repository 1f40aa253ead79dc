import { createReadStream } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Datastore } from "./datastore.ts";
import { DatastoreError, asDatastoreError } from "./errors.ts";
import { decodeManifestBlob, type BackupManifest } from "./manifest.ts";
import {
  CLIENT_LOG_BLOB_NAME,
  MANIFEST_BLOB_NAME,
  MAX_NAMESPACE_DEPTH,
  SAFE_ID_REGEX,
  checkNamespace,
  isNamespaceWithin,
  parseNamespace,
  parseSnapshotPath,
  snapshotPath,
  type Namespace,
  type SnapshotRef,
} from "./names.ts";
import { restoreSnapshot, type RestoreEntry, type WriterOptions } from "./snapshot-writer.ts";

/**
 * Restore parameters of PBS (§12.1): the datastore map `[source=]target,…`,
 * namespace mappings `store=…,source=…,target=…,max-depth=…`, snapshot lists
 * `store:[ns/…/]type/id/time`; and the restore temporary directory (§11.1).
 */

/** Longest item of a datastore map. */
export const MAX_DATASTORE_MAP_ITEM = 65;

/** Datastore names: safe id of 3 to 32 characters. */
export function checkDatastoreName(name: string, field = "store"): string {
  if (!SAFE_ID_REGEX.test(name) || name.length < 3 || name.length > 32) {
    throw new DatastoreError("invalid-name", `datastore name "${name}": expected 3 to 32 characters matching ${SAFE_ID_REGEX.source}`, { field });
  }
  return name;
}

export interface DatastoreMap {
  /** source datastore → target datastore */
  map: ReadonlyMap<string, string>;
  /** target for every source not in `map` */
  default: string | undefined;
}

/** Parses `a=b,e`: source `a` to `b`, everything else to `e`. At most one default; the first item for a source wins. */
export function parseDatastoreMap(text: string): DatastoreMap {
  const items = text.split(",").map((s) => s.trim());
  if (text.trim() === "" || items.some((s) => s === "")) throw new DatastoreError("invalid-field", `datastore map "${text}": empty item`, { field: "store" });
  const map = new Map<string, string>();
  let def: string | undefined;
  for (const item of items) {
    if (item.length > MAX_DATASTORE_MAP_ITEM) throw new DatastoreError("invalid-field", `datastore map item "${item}": longer than ${MAX_DATASTORE_MAP_ITEM} characters`, { field: "store" });
    const eq = item.indexOf("=");
    if (eq >= 0) {
      const source = checkDatastoreName(item.slice(0, eq));
      const target = checkDatastoreName(item.slice(eq + 1));
      if (!map.has(source)) map.set(source, target);
    } else {
      if (def !== undefined) throw new DatastoreError("invalid-field", `datastore map "${text}": multiple default stores given`, { field: "store" });
      def = checkDatastoreName(item);
    }
  }
  return { map, default: def };
}

/** The target datastore of a source datastore, or undefined when it is not restored. */
export function targetDatastore(m: DatastoreMap, source: string): string | undefined {
  return m.map.get(source) ?? m.default;
}

export interface NamespaceMapping {
  store: string;
  source: Namespace;
  target: Namespace;
  /** 0..7, default 7. */
  maxDepth: number;
}

/** Parses one `store=<ds>[,source=<ns>][,target=<ns>][,max-depth=<0..7>]`. */
export function parseNamespaceMapping(text: string): NamespaceMapping {
  const seen = new Map<string, string>();
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new DatastoreError("invalid-field", `namespace mapping "${text}": "${part}" is not key=value`, { field: "namespaces" });
    const key = part.slice(0, eq).trim();
    if (!["store", "source", "target", "max-depth"].includes(key)) throw new DatastoreError("invalid-field", `namespace mapping "${text}": unknown key "${key}"`, { field: "namespaces" });
    if (seen.has(key)) throw new DatastoreError("invalid-field", `namespace mapping "${text}": "${key}" given twice`, { field: "namespaces" });
    seen.set(key, part.slice(eq + 1).trim());
  }
  const store = seen.get("store");
  if (store === undefined) throw new DatastoreError("invalid-field", `namespace mapping "${text}": store is required`, { field: "namespaces" });
  const depthText = seen.get("max-depth");
  const maxDepth = depthText === undefined ? MAX_NAMESPACE_DEPTH : Number(depthText);
  if (!/^[0-9]+$/.test(depthText ?? "7") || maxDepth > MAX_NAMESPACE_DEPTH) {
    throw new DatastoreError("invalid-field", `namespace mapping "${text}": max-depth must be 0..${MAX_NAMESPACE_DEPTH}`, { field: "max-depth" });
  }
  return { store: checkDatastoreName(store), source: parseNamespace(seen.get("source") ?? ""), target: parseNamespace(seen.get("target") ?? ""), maxDepth };
}

/** Checks a list of mappings: one (store, source) pair at most once. */
export function checkNamespaceMappings(list: readonly NamespaceMapping[]): readonly NamespaceMapping[] {
  const keys = new Set<string>();
  for (const m of list) {
    const key = `${m.store}\0${m.source.join("/")}`;
    if (keys.has(key)) throw new DatastoreError("invalid-field", `namespace mapping: duplicate mapping for store ${m.store}, source "${m.source.join("/")}"`, { field: "namespaces" });
    keys.add(key);
  }
  return list;
}

/**
 * Target namespaces of a snapshot in namespace `ns` of source datastore
 * `store`: `target + (ns minus source)` for each mapping of the store whose
 * source is a prefix of `ns` within its max-depth. Results that would be
 * deeper than 7 levels or longer than 256 characters are dropped.
 */
export function targetNamespaces(mappings: readonly NamespaceMapping[], store: string, ns: Namespace): Namespace[] {
  const out: Namespace[] = [];
  for (const m of mappings) {
    if (m.store !== store || !isNamespaceWithin(ns, m.source) || ns.length - m.source.length > m.maxDepth) continue;
    const mapped = [...m.target, ...ns.slice(m.source.length)];
    try {
      out.push(checkNamespace(mapped));
    } catch {
      // too deep or too long: not a target (PBS drops such mappings too)
    }
  }
  return out;
}

/** Parses `store:[ns/x/]type/id/YYYY-MM-DDTHH:MM:SSZ` (the `snapshots` restore parameter). */
export function parseRestoreSnapshot(text: string): { store: string; ref: SnapshotRef } {
  const colon = text.indexOf(":");
  if (colon < 0) throw new DatastoreError("invalid-name", `restore snapshot "${text}": expected store:[ns/…/]type/id/time`, { field: "snapshots" });
  return { store: checkDatastoreName(text.slice(0, colon), "snapshots"), ref: parseSnapshotPath(text.slice(colon + 1)) };
}

/** `<base>/.tmp/<media-set-uuid>/<source-store>/<snapshot path>`: where selective restores unpack snapshot archives. */
export function restoreTmpPath(ds: Datastore, mediaSetUuid: string, sourceStore: string, ref: SnapshotRef): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(mediaSetUuid)) {
    throw new DatastoreError("invalid-name", `media set uuid "${mediaSetUuid}": expected lowercase hyphenated UUID`, { field: "media-set" });
  }
  return ds.resolvePath(join(".tmp", mediaSetUuid, checkDatastoreName(sourceStore), snapshotPath(ref)));
}

/**
 * Copies an unpacked snapshot (a directory holding `index.json.blob`, the
 * files it lists and maybe `client.log.blob`) into a new snapshot of `ds`,
 * streaming each file, the manifest last (phase 3 of a selective restore).
 */
export async function restoreSnapshotFromDir(ds: Datastore, ref: SnapshotRef, dir: string, options: WriterOptions & { owner: string }): Promise<BackupManifest> {
  let manifestRaw: Uint8Array;
  let present: Set<string>;
  try {
    manifestRaw = new Uint8Array(await readFile(join(dir, MANIFEST_BLOB_NAME)));
    present = new Set(await readdir(dir));
  } catch (err) {
    throw asDatastoreError(err, `read unpacked snapshot ${dir}`, "path");
  }
  const manifest = await decodeManifestBlob(manifestRaw);
  const names = manifest.files.map((f) => f.filename);
  if (present.has(CLIENT_LOG_BLOB_NAME) && !names.includes(CLIENT_LOG_BLOB_NAME)) names.push(CLIENT_LOG_BLOB_NAME);
  function* entries(): Generator<RestoreEntry> {
    yield { name: MANIFEST_BLOB_NAME, data: manifestRaw };
    for (const name of names) {
      if (!present.has(name)) continue; // commit() reports listed files that are missing
      yield { name, data: createReadStream(join(dir, name)) as AsyncIterable<Uint8Array> };
    }
  }
  return restoreSnapshot(ds, ref, entries(), options);
}
