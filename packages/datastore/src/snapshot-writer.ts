import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { toHex } from "./binary.ts";
import { parseBlob } from "./blob.ts";
import type { Datastore } from "./datastore.ts";
import { decodeDynamicIndex } from "./dynamic-index.ts";
import { DatastoreError, asDatastoreError } from "./errors.ts";
import { decodeFixedIndex } from "./fixed-index.ts";
import { reencodeManifestForRestore, type BackupManifest } from "./manifest.ts";
import {
  MANIFEST_BLOB_NAME,
  OWNER_FILE,
  checkArchiveName,
  checkAuthid,
  checkBackupId,
  checkBackupType,
  checkNamespace,
  formatSnapshotTime,
  groupPath,
  namespacePath,
  snapshotPath,
  type BackupGroupRef,
  type Namespace,
  type SnapshotRef,
} from "./names.ts";

/**
 * Write side for restores and ingest: namespaces, groups (owner file),
 * snapshot directories that must be new, snapshot files written as `*.tmp`
 * and renamed, and the manifest renamed last as the commit marker. A snapshot
 * interrupted at any step has no `index.json.blob`, so it never looks
 * finished. @see shared reference pbs-tape-format.md §4.2, §11.1, §12.2
 */

/** Steps a writer reports before doing them (tests interrupt here). */
export type WriteStep =
  | { step: "mkdir-snapshot"; path: string }
  | { step: "write-tmp"; name: string; tmp: string }
  | { step: "rename"; name: string; tmp: string }
  | { step: "write-manifest-tmp"; tmp: string }
  | { step: "rename-manifest"; tmp: string };

export interface WriterOptions {
  /** Called before each file-system step; a throw stops the writer there (simulated crash). */
  onStep?: (s: WriteStep) => void;
  /** fsync files before renaming them. Default false. */
  fsync?: boolean;
}

/** PBS tmp naming: the last extension is replaced, `x.img.fidx` → `x.img.tmp`. */
export function tmpNameFor(name: string): string {
  const dot = name.lastIndexOf(".");
  return `${dot > 0 ? name.slice(0, dot) : name}.tmp`;
}

async function mkdirOne(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (err) {
    if ((err as { code?: string }).code !== "EEXIST") throw asDatastoreError(err, `create ${path}`, "path");
  }
}

/** Creates the namespace directories (`ns/a/ns/b`), each level validated. */
export async function createNamespace(ds: Datastore, ns: Namespace): Promise<void> {
  checkNamespace(ns);
  let rel = "";
  for (const c of ns) {
    rel = rel === "" ? "ns" : `${rel}/ns`;
    await mkdirOne(ds.resolvePath(rel));
    rel = `${rel}/${c}`;
    await mkdirOne(ds.resolvePath(rel));
  }
}

async function writeFileAtomic(path: string, data: Uint8Array | string, fsync: boolean): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w", 0o644);
  try {
    await fh.writeFile(data);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/**
 * Creates the group directory (and its namespace) with an owner file; when
 * the group exists its owner must be `owner` (`owner-mismatch` otherwise).
 */
export async function createGroup(ds: Datastore, group: BackupGroupRef, owner: string, options: { fsync?: boolean } = {}): Promise<void> {
  checkBackupType(group.type);
  checkBackupId(group.id);
  checkAuthid(owner);
  await createNamespace(ds, group.ns);
  const base = namespacePath(group.ns);
  const typeDir = ds.resolvePath(base === "" ? group.type : `${base}/${group.type}`);
  await mkdirOne(typeDir);
  const dir = ds.resolvePath(groupPath(group));
  await mkdirOne(dir);
  const existing = await ds.readOwner(group);
  if (existing === undefined) {
    try {
      await writeFileAtomic(join(dir, OWNER_FILE), `${owner}\n`, options.fsync ?? false);
    } catch (err) {
      throw asDatastoreError(err, `write owner of ${groupPath(group)}`, "owner");
    }
  } else if (existing !== owner) {
    throw new DatastoreError("owner-mismatch", `group ${groupPath(group)} is owned by ${existing}, not ${owner}`, { field: "owner" });
  }
}

/**
 * Writes one new snapshot directory. Files go to `*.tmp` and are renamed;
 * `commit()` checks the manifest against the files written and renames the
 * manifest last. `abort()` removes the directory.
 */
export class SnapshotWriter {
  readonly ds: Datastore;
  readonly ref: SnapshotRef;
  /** Absolute snapshot directory. */
  readonly dir: string;
  readonly #options: WriterOptions;
  readonly #written = new Map<string, { size: number; csum: string; indexSize?: number }>();
  #state: "open" | "committed" | "aborted" = "open";

  private constructor(ds: Datastore, ref: SnapshotRef, options: WriterOptions) {
    this.ds = ds;
    this.ref = ref;
    this.dir = ds.resolvePath(snapshotPath(ref));
    this.#options = options;
  }

  /**
   * Creates the group (owner check) and the snapshot directory, which must
   * not exist yet (`already-exists`), as PBS skips snapshots that exist.
   * With `replaceUnfinished`, a directory without manifest (left by an
   * interrupted restore) is removed first; a finished snapshot never is.
   */
  static async create(ds: Datastore, ref: SnapshotRef, options: WriterOptions & { owner: string; replaceUnfinished?: boolean }): Promise<SnapshotWriter> {
    formatSnapshotTime(ref.time);
    await createGroup(ds, ref, options.owner, options);
    const w = new SnapshotWriter(ds, ref, options);
    if (options.replaceUnfinished) {
      const existing = await ds.snapshotInfo(ref).catch((err: unknown) => {
        if (err instanceof DatastoreError && err.code === "not-found") return undefined;
        throw err;
      });
      if (existing && !existing.finished) {
        await rm(w.dir, { recursive: true, force: true }).catch((err: unknown) => {
          throw asDatastoreError(err, `remove unfinished ${snapshotPath(ref)}`, "snapshot");
        });
      }
    }
    w.#options.onStep?.({ step: "mkdir-snapshot", path: w.dir });
    try {
      await mkdir(w.dir);
    } catch (err) {
      const e = asDatastoreError(err, `create snapshot ${snapshotPath(ref)}`, "snapshot");
      if (e.code === "already-exists") throw new DatastoreError("already-exists", `snapshot ${snapshotPath(ref)} already exists in datastore ${ds.name}`, { field: "snapshot", cause: err });
      throw e;
    }
    return w;
  }

  #checkOpen(): void {
    if (this.#state !== "open") throw new DatastoreError("invalid-state", `snapshot writer for ${snapshotPath(this.ref)} is ${this.#state}`);
  }

  /**
   * Writes a snapshot file (`*.fidx`, `*.didx`, `*.blob`, not the manifest)
   * from bytes or a stream of pieces: `<tmp name>` first, renamed when complete.
   */
  async writeFile(name: string, data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    this.#checkOpen();
    checkArchiveName(name);
    if (name === MANIFEST_BLOB_NAME) throw new DatastoreError("invalid-state", "the manifest is written by commit(), last", { field: "filename" });
    if (this.#written.has(name)) throw new DatastoreError("already-exists", `snapshot file ${name} was already written`, { field: "filename" });
    const tmp = join(this.dir, tmpNameFor(name));
    const final = join(this.dir, name);
    const hash = createHash("sha256");
    let size = 0;
    this.#options.onStep?.({ step: "write-tmp", name, tmp });
    try {
      const fh = await open(tmp, "w", 0o644);
      try {
        const pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = data instanceof Uint8Array ? [data] : data;
        for await (const p of pieces) {
          hash.update(p);
          size += p.length;
          await fh.write(p);
        }
        if (this.#options.fsync) await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw asDatastoreError(err, `write ${snapshotPath(this.ref)}/${name}`, "filename");
    }
    this.#options.onStep?.({ step: "rename", name, tmp });
    try {
      await rename(tmp, final);
    } catch (err) {
      throw asDatastoreError(err, `rename ${snapshotPath(this.ref)}/${name}`, "filename");
    }
    this.#written.set(name, { size, csum: toHex(new Uint8Array(hash.digest())) });
  }

  /** Names written so far. */
  get writtenFiles(): string[] {
    return [...this.#written.keys()];
  }

  /**
   * Checks every file the manifest lists (present; blobs: size and SHA-256;
   * indexes: decodable with the listed size and index_csum), then writes the
   * manifest: re-encoded without `unprotected.verify_state` unless `reencode`
   * is false, to `index.json.tmp`, renamed to `index.json.blob` last.
   */
  async commit(manifestRaw: Uint8Array, options: { reencode?: boolean } = {}): Promise<BackupManifest> {
    this.#checkOpen();
    parseBlob(manifestRaw, "manifest blob");
    const { manifest, blob } = await reencodeManifestForRestore(manifestRaw);
    if (manifest.backupType !== this.ref.type || manifest.backupId !== this.ref.id || manifest.backupTime !== this.ref.time) {
      throw new DatastoreError(
        "invalid-manifest",
        `manifest is for ${manifest.backupType}/${manifest.backupId}/${manifest.backupTime}, not ${this.ref.type}/${this.ref.id}/${this.ref.time}`,
        { field: "manifest" },
      );
    }
    for (const f of manifest.files) await this.#checkListed(f.filename, f.size, f.csum);
    const out = options.reencode === false ? manifestRaw : blob;
    const tmp = join(this.dir, tmpNameFor(MANIFEST_BLOB_NAME));
    try {
      this.#options.onStep?.({ step: "write-manifest-tmp", tmp });
      const fh = await open(tmp, "w", 0o644);
      try {
        await fh.writeFile(out);
        if (this.#options.fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      this.#options.onStep?.({ step: "rename-manifest", tmp });
      await rename(tmp, join(this.dir, MANIFEST_BLOB_NAME));
    } catch (err) {
      throw asDatastoreError(err, `commit ${snapshotPath(this.ref)}`, "manifest");
    }
    this.#state = "committed";
    return manifest;
  }

  async #checkListed(name: string, size: number, csum: string): Promise<void> {
    const w = this.#written.get(name);
    const where = `${snapshotPath(this.ref)}/${name}`;
    if (!w) throw new DatastoreError("not-found", `manifest lists ${name}, which was not written to ${snapshotPath(this.ref)}`, { field: "files" });
    if (name.endsWith(".blob")) {
      if (w.size !== size || w.csum !== csum) {
        throw new DatastoreError("checksum-mismatch", `${where}: ${w.size} bytes with sha256 ${w.csum}, manifest says ${size} bytes with ${csum}`, { field: "files" });
      }
      return;
    }
    const bytes = new Uint8Array(await readFile(join(this.dir, name)).catch((err: unknown) => {
      throw asDatastoreError(err, `read ${where}`, "files");
    }));
    const index = name.endsWith(".fidx") ? decodeFixedIndex(bytes) : decodeDynamicIndex(bytes);
    if (index.size !== size || toHex(index.indexCsum) !== csum) {
      throw new DatastoreError("checksum-mismatch", `${where}: size ${index.size} index_csum ${toHex(index.indexCsum)}, manifest says ${size} and ${csum}`, { field: "files" });
    }
  }

  /** Removes the snapshot directory (a restore that failed before commit). */
  async abort(): Promise<void> {
    if (this.#state === "committed") throw new DatastoreError("invalid-state", `snapshot ${snapshotPath(this.ref)} is committed`);
    this.#state = "aborted";
    await rm(this.dir, { recursive: true, force: true }).catch((err: unknown) => {
      throw asDatastoreError(err, `remove ${snapshotPath(this.ref)}`, "snapshot");
    });
  }
}

export interface RestoreEntry {
  name: string;
  data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/**
 * Restores one snapshot from a stream of files (the order of a tape snapshot
 * archive: the manifest first, then the manifest's files, then
 * `client.log.blob`). The manifest is held and committed last. On any error
 * the partial snapshot directory is removed and the error rethrown.
 */
export async function restoreSnapshot(
  ds: Datastore,
  ref: SnapshotRef,
  entries: AsyncIterable<RestoreEntry> | Iterable<RestoreEntry>,
  options: WriterOptions & { owner: string; replaceUnfinished?: boolean },
): Promise<BackupManifest> {
  const writer = await SnapshotWriter.create(ds, ref, options);
  try {
    let manifestRaw: Uint8Array | undefined;
    for await (const e of entries) {
      if (e.name === MANIFEST_BLOB_NAME) {
        if (manifestRaw) throw new DatastoreError("invalid-state", "two manifests in one snapshot", { field: "manifest" });
        manifestRaw = await collect(e.data);
      } else {
        await writer.writeFile(e.name, e.data);
      }
    }
    if (!manifestRaw) throw new DatastoreError("not-found", `snapshot ${snapshotPath(ref)}: no ${MANIFEST_BLOB_NAME} in the restored files`, { field: "manifest" });
    return await writer.commit(manifestRaw);
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw err;
  }
}

async function collect(data: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  const parts: Uint8Array[] = [];
  for await (const p of data) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}
