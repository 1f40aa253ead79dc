import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fromHex, toHex } from "./binary.ts";
import { MAX_BLOB_SIZE, verifyChunkBlob, type ChunkCheck } from "./blob.ts";
import { DatastoreError, asDatastoreError } from "./errors.ts";
import { CHUNKS_DIR, DIGEST_HEX_REGEX, checkDigestHex } from "./names.ts";

/**
 * The chunk store `.chunks/<4 hex>/<64 hex>`: each file is one raw DataBlob
 * named by its digest. Reads are plain reads (atime behaves as for any
 * reader); writes go to `<digest>.tmp` and are renamed into place after the
 * digest was verified. @see shared reference pbs-tape-format.md §11.1
 */

export type DigestInput = Uint8Array | string;

export interface ChunkStat {
  size: number;
  /** Inode number: reading chunks in inode order is faster on most file systems. */
  ino: number;
  atimeMs: number;
  mtimeMs: number;
}

export interface InsertChunkResult {
  /** False when the chunk was already present (nothing written). */
  inserted: boolean;
  /** How the chunk was checked (absent when it was present and not read). */
  check?: ChunkCheck;
}

export interface InsertChunkOptions {
  /** fsync the chunk file before renaming it. Default false. */
  fsync?: boolean;
  /**
   * The caller built the blob itself from plaintext it hashed to this
   * digest (ingest, sample generation), or verified it against the digest
   * itself (a restore, in its digest workers): skip decoding it again. Never
   * set for data read from tape or another store that nothing verified.
   */
  trusted?: boolean;
  /** The caller found the chunk absent just before (`hasChunk`): skip looking again. */
  knownAbsent?: boolean;
}

export function digestHex(d: DigestInput): string {
  if (typeof d === "string") return checkDigestHex(d);
  if (d.length !== 32) throw new DatastoreError("invalid-name", `chunk digest: expected 32 bytes, got ${d.length}`, { field: "digest" });
  return toHex(d);
}

export class ChunkStore {
  /** Absolute path of the `.chunks` directory. */
  readonly dir: string;
  readonly #inFlight = new Map<string, Promise<InsertChunkResult>>();
  /** Chunk subdirectories known to exist (created or seen by an insert of this store). */
  readonly #dirs = new Set<string>();

  constructor(basePath: string) {
    this.dir = join(basePath, CHUNKS_DIR);
  }

  /** `.chunks/<first 4 hex>/<64 hex>` for a digest. */
  chunkPath(digest: DigestInput): string {
    const hex = digestHex(digest);
    return join(this.dir, hex.slice(0, 4), hex);
  }

  async hasChunk(digest: DigestInput): Promise<boolean> {
    try {
      return (await stat(this.chunkPath(digest))).isFile();
    } catch (err) {
      const e = asDatastoreError(err, `chunk ${digestHex(digest)}`);
      if (e.code === "not-found") return false;
      throw e;
    }
  }

  async stat(digest: DigestInput): Promise<ChunkStat> {
    try {
      const s = await stat(this.chunkPath(digest));
      return { size: s.size, ino: s.ino, atimeMs: s.atimeMs, mtimeMs: s.mtimeMs };
    } catch (err) {
      throw asDatastoreError(err, `chunk ${digestHex(digest)}`, "digest");
    }
  }

  /** The raw blob bytes of a chunk (not decoded, not verified). */
  async readChunk(digest: DigestInput): Promise<Uint8Array> {
    const path = this.chunkPath(digest);
    let fh;
    try {
      fh = await open(path, "r");
    } catch (err) {
      throw asDatastoreError(err, `chunk ${digestHex(digest)}`, "digest");
    }
    try {
      const { size } = await fh.stat();
      if (size > MAX_BLOB_SIZE) throw new DatastoreError("invalid-field", `chunk ${digestHex(digest)}: ${size} bytes exceeds MAX_BLOB_SIZE`, { field: "size" });
      const buf = new Uint8Array(size);
      let at = 0;
      while (at < size) {
        const { bytesRead } = await fh.read(buf, at, size - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return at === size ? buf : buf.subarray(0, at);
    } catch (err) {
      throw asDatastoreError(err, `read chunk ${digestHex(digest)}`, "digest");
    } finally {
      await fh.close();
    }
  }

  /**
   * Inserts a raw chunk: skipped when present; otherwise verified (CRC, and
   * SHA-256 of the plaintext for unencrypted chunks), written to
   * `<digest>.tmp` and renamed into place. A chunk whose content does not
   * match its digest is refused with `digest-mismatch`.
   */
  insertChunk(digest: DigestInput, raw: Uint8Array, options: InsertChunkOptions = {}): Promise<InsertChunkResult> {
    const hex = digestHex(digest);
    const running = this.#inFlight.get(hex);
    if (running) return running.then((r) => ({ inserted: false, ...(r.check ? { check: r.check } : {}) }));
    const p = this.#insert(hex, raw, options.fsync ?? false, options.trusted ?? false, options.knownAbsent ?? false).finally(() => this.#inFlight.delete(hex));
    this.#inFlight.set(hex, p);
    return p;
  }

  async #insert(hex: string, raw: Uint8Array, fsync: boolean, trusted: boolean, knownAbsent: boolean): Promise<InsertChunkResult> {
    if (!knownAbsent && (await this.hasChunk(hex))) return { inserted: false };
    const check = trusted ? undefined : await verifyChunkBlob(raw, fromHex(hex, "digest", 32));
    const sub = join(this.dir, hex.slice(0, 4));
    const final = join(sub, hex);
    const tmp = `${final}.tmp`;
    try {
      if (!this.#dirs.has(sub)) {
        await mkdir(sub, { recursive: true });
        this.#dirs.add(sub);
      }
      let fh;
      try {
        fh = await open(tmp, "w", 0o644);
      } catch (err) {
        // the subdirectory went away since it was seen: create it again, once
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        this.#dirs.delete(sub);
        await mkdir(sub, { recursive: true });
        this.#dirs.add(sub);
        fh = await open(tmp, "w", 0o644);
      }
      try {
        await fh.writeFile(raw);
        if (fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw asDatastoreError(err, `insert chunk ${hex}`, "digest");
    }
    return check ? { inserted: true, check } : { inserted: true };
  }

  /**
   * Creates the `.chunks` directory. Subdirectories are created when the
   * first chunk of each is inserted (PBS creates all 65536 up front).
   */
  async create(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (err) {
      throw asDatastoreError(err, "create chunk store", "path");
    }
  }

  /** Every chunk digest in the store, in directory then name order (reads one subdirectory at a time). */
  async *listChunks(): AsyncGenerator<string> {
    let subs: string[];
    try {
      subs = (await readdir(this.dir)).filter((n) => /^[0-9a-f]{4}$/.test(n)).sort();
    } catch (err) {
      const e = asDatastoreError(err, "list chunk store", "path");
      if (e.code === "not-found") return;
      throw e;
    }
    for (const sub of subs) {
      const names = (await readdir(join(this.dir, sub)).catch((err: unknown) => {
        throw asDatastoreError(err, `list ${sub}`, "path");
      })).filter((n) => DIGEST_HEX_REGEX.test(n) && n.startsWith(sub)).sort();
      yield* names;
    }
  }
}
