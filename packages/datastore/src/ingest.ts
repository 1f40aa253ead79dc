import { open, stat } from "node:fs/promises";
import { sha256, toHex } from "./binary.ts";
import { encodeBlob } from "./blob.ts";
import type { Datastore } from "./datastore.ts";
import { DatastoreError, asDatastoreError } from "./errors.ts";
import { DEFAULT_FIXED_CHUNK_SIZE, encodeFixedIndex, isPowerOfTwo } from "./fixed-index.ts";
import { encodeManifestBlob, type BackupManifest, type ManifestFile } from "./manifest.ts";
import { checkBackupId, checkBackupType, type BackupType, type Namespace, type SnapshotRef } from "./names.ts";
import { SnapshotWriter } from "./snapshot-writer.ts";

/**
 * Creates a snapshot from files: large files become fixed-chunk images
 * (`<name>.img.fidx`, 4 MiB chunks, each chunk zstd-compressed only when that
 * is smaller), small files become `<name>.blob`; then the manifest.
 */

export interface IngestFile {
  /** Archive base name, e.g. `drive-scsi0` or `qemu-server.conf`. */
  name: string;
  /** Source file path (streamed), or the bytes. */
  path?: string;
  data?: Uint8Array;
  /** Force the kind; default: image when larger than `blobLimit`. */
  as?: "image" | "blob";
}

export interface IngestOptions {
  ns?: Namespace;
  type: BackupType;
  id: string;
  /** Backup time (seconds); default now. */
  time?: number;
  files: readonly IngestFile[];
  /** Default `root@pam`. */
  owner?: string;
  /** Image chunk size (power of two); default 4 MiB. */
  chunkSize?: number;
  /** Files up to this size become blobs; default 1 MiB. */
  blobLimit?: number;
  /** Snapshot notes (`unprotected.notes`). */
  notes?: string;
}

export interface IngestResult {
  ref: SnapshotRef;
  manifest: BackupManifest;
  /** Chunks written / already present. */
  chunksWritten: number;
  chunksReused: number;
  /** Bytes of chunk files written. */
  bytesWritten: number;
}

export const DEFAULT_BLOB_LIMIT = 1024 * 1024;

async function sizeOf(f: IngestFile): Promise<number> {
  if (f.data) return f.data.length;
  if (!f.path) throw new DatastoreError("invalid-field", `ingest file ${f.name}: needs path or data`, { field: "files" });
  try {
    return (await stat(f.path)).size;
  } catch (err) {
    throw asDatastoreError(err, `ingest ${f.path}`, "files");
  }
}

/** Reads a file in `size`-byte pieces (the last one shorter); one piece in memory at a time. */
async function* pieces(f: IngestFile, size: number): AsyncGenerator<Uint8Array> {
  if (f.data) {
    for (let at = 0; at < f.data.length; at += size) yield f.data.subarray(at, Math.min(at + size, f.data.length));
    return;
  }
  const fh = await open(f.path!, "r");
  try {
    for (;;) {
      const buf = new Uint8Array(size);
      let got = 0;
      while (got < size) {
        const { bytesRead } = await fh.read(buf, got, size - got, null);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got === 0) return;
      yield got === size ? buf : buf.subarray(0, got);
      if (got < size) return;
    }
  } finally {
    await fh.close();
  }
}

export function archiveNameFor(name: string, kind: "image" | "blob"): string {
  if (kind === "blob") return `${name}.blob`;
  return name.endsWith(".img") ? `${name}.fidx` : `${name}.img.fidx`;
}

export async function ingestFiles(store: Datastore, options: IngestOptions): Promise<IngestResult> {
  const type = checkBackupType(options.type);
  const id = checkBackupId(options.id);
  const chunkSize = options.chunkSize ?? DEFAULT_FIXED_CHUNK_SIZE;
  if (!isPowerOfTwo(chunkSize)) throw new DatastoreError("invalid-field", `chunk size ${chunkSize} is not a power of two`, { field: "chunkSize" });
  const blobLimit = options.blobLimit ?? DEFAULT_BLOB_LIMIT;
  const time = options.time ?? Math.floor(Date.now() / 1000);
  const ref: SnapshotRef = { ns: options.ns ?? [], type, id, time };
  const writer = await SnapshotWriter.create(store, ref, { owner: options.owner ?? "root@pam" });
  const files: ManifestFile[] = [];
  let chunksWritten = 0;
  let chunksReused = 0;
  let bytesWritten = 0;
  try {
    for (const f of options.files) {
      const size = await sizeOf(f);
      const kind = f.as ?? (size > blobLimit ? "image" : "blob");
      const archive = archiveNameFor(f.name, kind);
      if (kind === "blob") {
        const parts: Uint8Array[] = [];
        for await (const p of pieces(f, 1024 * 1024)) parts.push(p);
        const blob = await encodeBlob(new Uint8Array(Buffer.concat(parts)));
        await writer.writeFile(archive, blob);
        files.push({ filename: archive, cryptMode: "none", size: blob.length, csum: toHex(sha256(blob)) });
        continue;
      }
      const digests: Uint8Array[] = [];
      let total = 0;
      for await (const piece of pieces(f, chunkSize)) {
        total += piece.length;
        const digest = sha256(piece);
        digests.push(digest);
        if (await store.chunks.hasChunk(digest)) {
          chunksReused++;
          continue;
        }
        const blob = await encodeBlob(piece);
        const r = await store.chunks.insertChunk(digest, blob, { trusted: true });
        if (r.inserted) {
          chunksWritten++;
          bytesWritten += blob.length;
        } else chunksReused++;
      }
      if (total !== size) throw new DatastoreError("invalid-state", `ingest ${f.name}: read ${total} bytes, expected ${size} (file changed)`, { field: "files" });
      const fidx = encodeFixedIndex({ size: total, chunkSize, digests, ctime: time });
      await writer.writeFile(archive, fidx);
      files.push({ filename: archive, cryptMode: "none", size: total, csum: toHex(sha256(fidx.subarray(4096))) });
    }
    const manifest: BackupManifest = {
      backupType: type,
      backupId: id,
      backupTime: time,
      files,
      unprotected: options.notes !== undefined ? { notes: options.notes } : {},
      signature: null,
      extra: {},
    };
    const committed = await writer.commit(await encodeManifestBlob(manifest));
    return { ref, manifest: committed, chunksWritten, chunksReused, bytesWritten };
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw err;
  }
}
