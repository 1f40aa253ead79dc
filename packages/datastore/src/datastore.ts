import { open, readFile, readdir, stat } from "node:fs/promises";
import type { SnapshotFile } from "@tapefleet/tape-format";
import { join, resolve } from "node:path";
import { decodeBlob } from "./blob.ts";
import { ChunkStore } from "./chunk-store.ts";
import { decodeDynamicIndex, dynamicDigest, type DynamicIndex } from "./dynamic-index.ts";
import { DatastoreError, asDatastoreError } from "./errors.ts";
import { decodeFixedIndex, fixedDigest, type FixedIndex } from "./fixed-index.ts";
import { applyGroupFilters, parseGroupFilter, type GroupFilter } from "./group-filter.ts";
import { decodeManifestBlob, type BackupManifest } from "./manifest.ts";
import {
  ARCHIVE_NAME_REGEX,
  BACKUP_TYPES,
  CLIENT_LOG_BLOB_NAME,
  GROUP_NOTES_FILE,
  MANIFEST_BLOB_NAME,
  MAX_NAMESPACE_DEPTH,
  OWNER_FILE,
  PROTECTED_MARKER,
  SAFE_ID_REGEX,
  SNAPSHOT_TIME_REGEX,
  checkArchiveName,
  checkNamespace,
  compareGroups,
  groupPath,
  namespacePath,
  parseSnapshotTime,
  snapshotPath,
  type BackupGroupRef,
  type Namespace,
  type SnapshotRef,
} from "./names.ts";

/**
 * Read access to a PBS datastore in place. Nothing is modified; reads are
 * ordinary reads. @see shared reference pbs-tape-format.md §11
 */

export interface SnapshotInfo extends SnapshotRef {
  /** Path relative to the datastore base. */
  path: string;
  /** `index.json.blob` exists. */
  finished: boolean;
  /** `.protected` exists. */
  protected: boolean;
}

export interface SelectOptions {
  /** Start namespace (default: the root). */
  ns?: Namespace;
  /** Levels below `ns` to include: 0 = only `ns`; default 7 (all). */
  maxDepth?: number;
  /** Group filters, parsed or as PBS text (`type:vm`, `exclude:regex:…`). */
  groupFilters?: ReadonlyArray<GroupFilter | string>;
  /** Only the newest finished snapshot of each group. @see reference §11.6 */
  latestOnly?: boolean;
  /** Also yield unfinished snapshots (never with latestOnly). Default false. */
  includeUnfinished?: boolean;
}

export type SnapshotIndex = FixedIndex | DynamicIndex;

export class Datastore {
  readonly name: string;
  /** Absolute base path. */
  readonly path: string;
  readonly chunks: ChunkStore;

  constructor(path: string, name: string) {
    this.path = resolve(path);
    this.name = name;
    this.chunks = new ChunkStore(this.path);
  }

  /** Absolute path of something relative to the base. */
  resolvePath(rel: string): string {
    return rel === "" ? this.path : join(this.path, rel);
  }

  async #dirEntries(rel: string): Promise<{ name: string; dir: boolean; file: boolean }[]> {
    try {
      const entries = await readdir(this.resolvePath(rel), { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, dir: e.isDirectory(), file: e.isFile() }));
    } catch (err) {
      const e = asDatastoreError(err, `list ${rel === "" ? "datastore" : rel}`, "path");
      if (e.code === "not-found") return [];
      throw e;
    }
  }

  async #exists(rel: string): Promise<boolean> {
    try {
      await stat(this.resolvePath(rel));
      return true;
    } catch (err) {
      const e = asDatastoreError(err, rel, "path");
      if (e.code === "not-found") return false;
      throw e;
    }
  }

  /** Direct child namespaces of `ns`, sorted. */
  async childNamespaces(ns: Namespace): Promise<Namespace[]> {
    if (ns.length >= MAX_NAMESPACE_DEPTH) return [];
    const base = namespacePath(ns);
    const rel = base === "" ? "ns" : `${base}/ns`;
    const out: Namespace[] = [];
    for (const e of await this.#dirEntries(rel)) {
      if (e.dir && SAFE_ID_REGEX.test(e.name)) out.push([...ns, e.name]);
    }
    return out.sort((a, b) => (a[a.length - 1]! < b[b.length - 1]! ? -1 : 1));
  }

  /** `ns` and the namespaces below it down to `maxDepth` levels, depth first, sorted. */
  async listNamespaces(options: { ns?: Namespace; maxDepth?: number } = {}): Promise<Namespace[]> {
    const start = checkNamespace(options.ns ?? []);
    const maxDepth = checkMaxDepth(start, options.maxDepth);
    if (start.length > 0 && !(await this.#exists(namespacePath(start)))) {
      throw new DatastoreError("not-found", `namespace "${start.join("/")}" does not exist in datastore ${this.name}`, { field: "ns" });
    }
    const out: Namespace[] = [];
    const walk = async (ns: Namespace): Promise<void> => {
      out.push(ns);
      if (ns.length - start.length >= maxDepth) return;
      for (const child of await this.childNamespaces(ns)) await walk(child);
    };
    await walk(start);
    return out;
  }

  /** Backup groups directly in `ns`, in PBS order (ct, host, vm; ids numerically). */
  async listGroups(ns: Namespace = []): Promise<BackupGroupRef[]> {
    checkNamespace(ns);
    const base = namespacePath(ns);
    const out: BackupGroupRef[] = [];
    for (const type of BACKUP_TYPES) {
      for (const e of await this.#dirEntries(base === "" ? type : `${base}/${type}`)) {
        if (e.dir && SAFE_ID_REGEX.test(e.name)) out.push({ ns, type, id: e.name });
      }
    }
    return out.sort(compareGroups);
  }

  /** The owner (Authid) of a group, or undefined when there is no owner file. */
  async readOwner(group: BackupGroupRef): Promise<string | undefined> {
    return (await this.#readText(`${groupPath(group)}/${OWNER_FILE}`))?.split("\n")[0];
  }

  /** Group notes, or undefined. */
  async readGroupNotes(group: BackupGroupRef): Promise<string | undefined> {
    return this.#readText(`${groupPath(group)}/${GROUP_NOTES_FILE}`);
  }

  async #readText(rel: string): Promise<string | undefined> {
    try {
      return await readFile(this.resolvePath(rel), "utf8");
    } catch (err) {
      const e = asDatastoreError(err, rel, "path");
      if (e.code === "not-found") return undefined;
      throw e;
    }
  }

  /** Snapshots of a group, oldest first (only RFC 3339 folder names count). */
  async listSnapshots(group: BackupGroupRef): Promise<SnapshotInfo[]> {
    const gp = groupPath(group);
    const out: SnapshotInfo[] = [];
    for (const e of await this.#dirEntries(gp)) {
      if (!e.dir || !SNAPSHOT_TIME_REGEX.test(e.name)) continue;
      let time: number;
      try {
        time = parseSnapshotTime(e.name);
      } catch {
        continue;
      }
      const path = `${gp}/${e.name}`;
      const names = new Set((await this.#dirEntries(path)).filter((x) => x.file).map((x) => x.name));
      out.push({ ns: group.ns, type: group.type, id: group.id, time, path, finished: names.has(MANIFEST_BLOB_NAME), protected: names.has(PROTECTED_MARKER) });
    }
    return out.sort((a, b) => a.time - b.time);
  }

  /** Information about one snapshot; `not-found` when its directory does not exist. */
  async snapshotInfo(ref: SnapshotRef): Promise<SnapshotInfo> {
    const path = snapshotPath(ref);
    if (!(await this.#exists(path))) throw new DatastoreError("not-found", `snapshot ${path} does not exist in datastore ${this.name}`, { field: "snapshot" });
    const [finished, prot] = await Promise.all([this.#exists(`${path}/${MANIFEST_BLOB_NAME}`), this.#exists(`${path}/${PROTECTED_MARKER}`)]);
    return { ns: ref.ns, type: ref.type, id: ref.id, time: ref.time, path, finished, protected: prot };
  }

  /**
   * Snapshots selected the way a tape backup job selects them: namespaces
   * from `ns` down `maxDepth` levels, groups in PBS order passing the group
   * filters, finished snapshots oldest first (or only the newest one).
   */
  async *selectSnapshots(options: SelectOptions = {}): AsyncGenerator<SnapshotInfo> {
    const filters = (options.groupFilters ?? []).map((f) => (typeof f === "string" ? parseGroupFilter(f) : f));
    for (const ns of await this.listNamespaces({ ...(options.ns ? { ns: options.ns } : {}), ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}) })) {
      for (const group of await this.listGroups(ns)) {
        if (!applyGroupFilters(group, filters)) continue;
        const snaps = await this.listSnapshots(group);
        if (options.latestOnly) {
          const finished = snaps.filter((s) => s.finished);
          const latest = finished[finished.length - 1];
          if (latest) yield latest;
          continue;
        }
        for (const s of snaps) if (s.finished || options.includeUnfinished) yield s;
      }
    }
  }

  /** Snapshot files (`*.fidx`, `*.didx`, `*.blob`) present in the directory, sorted. */
  async listSnapshotFiles(ref: SnapshotRef): Promise<string[]> {
    return (await this.#dirEntries(snapshotPath(ref))).filter((e) => e.file && ARCHIVE_NAME_REGEX.test(e.name)).map((e) => e.name).sort();
  }

  /** Raw bytes of a snapshot file (manifest, index or blob). */
  async readSnapshotFile(ref: SnapshotRef, name: string): Promise<Uint8Array> {
    checkArchiveName(name);
    const rel = `${snapshotPath(ref)}/${name}`;
    try {
      return new Uint8Array(await readFile(this.resolvePath(rel)));
    } catch (err) {
      throw asDatastoreError(err, `read ${rel}`, "filename");
    }
  }

  /** Decoded manifest of a snapshot; `not-found` when the snapshot is not finished. */
  async readManifest(ref: SnapshotRef): Promise<BackupManifest> {
    return decodeManifestBlob(await this.readSnapshotFile(ref, MANIFEST_BLOB_NAME));
  }

  /** A decoded and checked `.fidx` / `.didx`. */
  async readIndex(ref: SnapshotRef, name: string): Promise<SnapshotIndex> {
    if (name.endsWith(".fidx")) return decodeFixedIndex(await this.readSnapshotFile(ref, name));
    if (name.endsWith(".didx")) return decodeDynamicIndex(await this.readSnapshotFile(ref, name));
    throw new DatastoreError("invalid-name", `"${name}" is not an index file (.fidx or .didx)`, { field: "filename" });
  }

  /** True when the snapshot has a client log blob. */
  async hasClientLog(ref: SnapshotRef): Promise<boolean> {
    return this.#exists(`${snapshotPath(ref)}/${CLIENT_LOG_BLOB_NAME}`);
  }

  /**
   * The digests a snapshot references: the indexes listed in its manifest,
   * in manifest order, each in index order, every digest once (hex).
   */
  async *snapshotDigests(ref: SnapshotRef): AsyncGenerator<string> {
    const manifest = await this.readManifest(ref);
    const seen = new Set<string>();
    for (const f of manifest.files) {
      if (!f.filename.endsWith(".fidx") && !f.filename.endsWith(".didx")) continue;
      const index = await this.readIndex(ref, f.filename);
      for (let i = 0; i < index.count; i++) {
        const d = index.kind === "fixed" ? fixedDigest(index, i) : dynamicDigest(index, i);
        const hex = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("hex");
        if (seen.has(hex)) continue;
        seen.add(hex);
        yield hex;
      }
    }
  }

  /**
   * The files of a snapshot archive in tape order (§4.2): `index.json.blob`,
   * the manifest's files in manifest order, then `client.log.blob` when
   * present; each with its stat (full st_mode, uid, gid, mtime with
   * nanoseconds) and streamed content. Only regular files are accepted.
   */
  async snapshotArchiveFiles(ref: SnapshotRef): Promise<SnapshotFile[]> {
    const manifest = await this.readManifest(ref);
    const names = [MANIFEST_BLOB_NAME, ...manifest.files.map((f) => f.filename)];
    if (!names.includes(CLIENT_LOG_BLOB_NAME) && (await this.hasClientLog(ref))) names.push(CLIENT_LOG_BLOB_NAME);
    const dir = this.resolvePath(snapshotPath(ref));
    const out: SnapshotFile[] = [];
    for (const name of names) {
      const path = join(dir, name);
      let st;
      try {
        st = await stat(path, { bigint: true });
      } catch (err) {
        throw asDatastoreError(err, `snapshot ${snapshotPath(ref)}: ${name}`, "filename");
      }
      if (!st.isFile()) throw new DatastoreError("invalid-field", `snapshot ${snapshotPath(ref)}: ${name} is not a regular file`, { field: "filename" });
      out.push({
        name,
        size: Number(st.size),
        stat: {
          mode: Number(st.mode),
          flags: 0,
          uid: Number(st.uid),
          gid: Number(st.gid),
          mtimeSecs: Number(st.mtimeNs / 1_000_000_000n),
          mtimeNanos: Number(st.mtimeNs % 1_000_000_000n),
        },
        content: streamFile(path, Number(st.size)),
      });
    }
    return out;
  }

  /** Streams an index's content (image or archive stream) from its chunks, chunk by chunk. */
  async *readIndexContent(ref: SnapshotRef, name: string, options: { key?: Uint8Array } = {}): AsyncGenerator<Uint8Array> {
    const index = await this.readIndex(ref, name);
    for (let i = 0; i < index.count; i++) {
      const d = index.kind === "fixed" ? fixedDigest(index, i) : dynamicDigest(index, i);
      const raw = await this.chunks.readChunk(d);
      yield await decodeBlob(raw, { ...(options.key ? { key: options.key } : {}), context: `chunk ${Buffer.from(d).toString("hex")}` });
    }
  }
}

/** Largest piece `streamFile` reads at once. */
const STREAM_PIECE = 1024 * 1024;

/**
 * Reads a file in pieces of at most 1 MiB; the file is opened on the first read,
 * not before. Each piece is a buffer of its own of the size read (sized from
 * `expectedSize`, the size `stat` gave): a small file costs a small buffer, not a
 * stream's 1 MiB read buffer. Reads on to the end of the file whatever its size.
 */
async function* streamFile(path: string, expectedSize: number): AsyncGenerator<Uint8Array> {
  let fh;
  try {
    fh = await open(path, "r");
    let position = 0;
    for (;;) {
      // past the expected size: a small read that finds the end (or that the file grew)
      const want = expectedSize > position ? Math.min(STREAM_PIECE, expectedSize - position) : 4096;
      const buf = new Uint8Array(want);
      const { bytesRead } = await fh.read(buf, 0, want, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
  } catch (err) {
    throw asDatastoreError(err, `read ${path}`, "filename");
  } finally {
    await fh?.close();
  }
}

function checkMaxDepth(start: Namespace, maxDepth: number | undefined): number {
  const d = maxDepth ?? MAX_NAMESPACE_DEPTH;
  if (!Number.isInteger(d) || d < 0 || d > MAX_NAMESPACE_DEPTH) {
    throw new DatastoreError("invalid-field", `max-depth: ${d} is not in 0..${MAX_NAMESPACE_DEPTH}`, { field: "max-depth" });
  }
  if (maxDepth !== undefined && start.length + d > MAX_NAMESPACE_DEPTH) {
    throw new DatastoreError("invalid-field", `max-depth: namespace depth ${start.length} + ${d} exceeds ${MAX_NAMESPACE_DEPTH}`, { field: "max-depth" });
  }
  return d;
}

/** Opens a datastore directory read-only; `not-found` unless it has a `.chunks` directory. */
export async function openDatastore(path: string, options: { name: string }): Promise<Datastore> {
  const ds = new Datastore(path, options.name);
  try {
    const s = await stat(ds.chunks.dir);
    if (!s.isDirectory()) throw new DatastoreError("not-found", `${ds.chunks.dir} is not a directory`, { field: "path" });
  } catch (err) {
    throw asDatastoreError(err, `datastore ${options.name} at ${ds.path}: no .chunks directory`, "path");
  }
  return ds;
}
