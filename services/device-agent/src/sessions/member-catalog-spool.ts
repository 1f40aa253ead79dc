import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CATALOG_CHUNK_SIZE, CATALOG_TAG_CHUNK, decodeCatalogRecord, MEDIA_CATALOG_MAGIC_1_1, TapeFormatError } from "@tapefleet/tape-format";
import type { MemberCatalog } from "./write-session.ts";

/** Size of the pieces a spooled member catalog is read back in (one tape block). */
const READ_PIECE = 256 * 1024;

/**
 * The member catalogs a write session receives (`member_catalog` pieces),
 * spooled to files of a private temporary folder as they arrive instead of
 * held in memory: a set's catalogs take ≈ 33 bytes per chunk of every earlier
 * member (an LTO-9 tape of 4 MiB chunks: ≈ 150 MiB). `dispose()` removes them.
 */
export class MemberCatalogSpool {
  #dir: Promise<string> | undefined;
  #files = new Map<string, { seqNr: number; path: string; size: number; handle: FileHandle }>();
  readonly #parent: string;

  constructor(parent = tmpdir()) {
    this.#parent = parent;
  }

  /** Appends the next piece of a member's catalog. */
  async add(mediaUuid: string, seqNr: number, data: Uint8Array): Promise<void> {
    let f = this.#files.get(mediaUuid);
    if (f === undefined) {
      this.#dir ??= mkdtemp(join(this.#parent, "tf-member-catalogs-"));
      const path = join(await this.#dir, `${this.#files.size}.log`);
      f = { seqNr, path, size: 0, handle: await open(path, "w", 0o600) };
      this.#files.set(mediaUuid, f);
    }
    await f.handle.write(data);
    f.size += data.length;
  }

  /** The catalogs received, closed for writing. */
  async members(): Promise<MemberCatalog[]> {
    const out: MemberCatalog[] = [];
    for (const [mediaUuid, f] of this.#files) {
      await f.handle.close().catch(() => undefined);
      out.push({ mediaUuid, seqNr: f.seqNr, file: { path: f.path, size: f.size } });
    }
    return out;
  }

  async dispose(): Promise<void> {
    for (const f of this.#files.values()) await f.handle.close().catch(() => undefined);
    this.#files.clear();
    if (this.#dir !== undefined) await rm(await this.#dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Byte length of a member catalog. */
export function memberCatalogSize(m: MemberCatalog): number {
  return m.bytes?.length ?? m.file?.size ?? 0;
}

/** A member catalog in pieces (from memory or its spool file). */
export function memberCatalogPieces(m: MemberCatalog): AsyncIterable<Uint8Array> | Uint8Array {
  if (m.bytes !== undefined) return m.bytes;
  if (m.file === undefined) return new Uint8Array(0);
  return createReadStream(m.file.path, { highWaterMark: READ_PIECE }) as AsyncIterable<Uint8Array>;
}

/** A member catalog as one buffer (the loaded tape's own catalog, when appending). */
export async function memberCatalogBytes(m: MemberCatalog): Promise<Uint8Array> {
  if (m.bytes !== undefined) return m.bytes;
  return m.file === undefined ? new Uint8Array(0) : new Uint8Array(await readFile(m.file.path));
}

/**
 * The snapshot paths a member catalog lists for `store` (its `S` entries),
 * read in pieces: the skip check needs only these, not the chunk index
 * `MediaCatalog` builds. Stops at a cut-off record, as `MediaCatalog.load` does.
 */
export async function memberCatalogSnapshots(m: MemberCatalog, store: string): Promise<Set<string>> {
  const out = new Set<string>();
  let carry: Uint8Array = new Uint8Array(0);
  let magicChecked = false;
  const source = memberCatalogPieces(m);
  for await (const piece of source instanceof Uint8Array ? [source] : source) {
    let buf = carry.length === 0 ? piece : Buffer.concat([carry, piece]);
    if (!magicChecked) {
      if (buf.length < MEDIA_CATALOG_MAGIC_1_1.length) {
        carry = buf;
        continue;
      }
      if (!Buffer.from(buf.subarray(0, MEDIA_CATALOG_MAGIC_1_1.length)).equals(Buffer.from(MEDIA_CATALOG_MAGIC_1_1))) {
        throw new TapeFormatError("bad-magic", `member catalog of media ${m.mediaUuid}: not a media catalog v1.1`, { field: "member_catalog" });
      }
      buf = buf.subarray(MEDIA_CATALOG_MAGIC_1_1.length);
      magicChecked = true;
    }
    let offset = 0;
    for (;;) {
      // Chunk entries are most of a catalog: stepped over without decoding.
      if (buf[offset] === CATALOG_TAG_CHUNK && offset + 1 + CATALOG_CHUNK_SIZE <= buf.length) {
        offset += 1 + CATALOG_CHUNK_SIZE;
        continue;
      }
      const d = offset < buf.length ? decodeCatalogRecord(buf, offset) : null;
      if (d === null) break;
      offset += d.length;
      if (d.record.type === "snapshot" && d.record.store === store) out.add(d.record.snapshot);
    }
    carry = buf.subarray(offset);
  }
  return out;
}
