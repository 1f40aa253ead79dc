import type { ByteReader } from "./byte-reader.ts";
import { TapeFormatError } from "./errors.ts";
import { sipHash24 } from "./siphash.ts";

/**
 * The minimal pxar v1 (pxar 0.10) subset PBS writes into snapshot archives:
 * a root directory ENTRY, then FILENAME/ENTRY/PAYLOAD per regular file, then
 * the root GOODBYE table. All integers LE. @see reference §4.2
 */
export const PXAR_ENTRY = 0xd5956474e588acefn;
export const PXAR_FILENAME = 0x16701121063917b3n;
export const PXAR_PAYLOAD = 0x28147a1b0b7c1a25n;
export const PXAR_GOODBYE = 0x2fec4fa642d5731dn;
/** Hash of the goodbye tail item. */
export const PXAR_GOODBYE_TAIL_MARKER = 0xef5eed5b753e1555n;
/** SipHash-2-4 keys for file name hashes. */
export const PXAR_HASH_KEY_1 = 0x83ac3f1cfbb450dbn;
export const PXAR_HASH_KEY_2 = 0xaa4f1b6879369fbdn;

export const PXAR_HEADER_SIZE = 16;
export const PXAR_STAT_SIZE = 40;
export const PXAR_GOODBYE_ITEM_SIZE = 24;
/** Longest file name accepted (bytes, without the NUL). */
export const PXAR_MAX_FILENAME = 4095;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
/** Mode of the root directory of tape snapshot archives (directory + 0664). */
export const PXAR_ROOT_MODE = 0o040664;

export interface PxarStat {
  /** Full st_mode including the file type bits. */
  mode: number;
  /** pxar feature flags; 0 for tape archives. */
  flags: number;
  uid: number;
  gid: number;
  mtimeSecs: number;
  mtimeNanos: number;
}

export interface GoodbyeItem {
  hash: bigint;
  offset: bigint;
  size: bigint;
}

export function pxarFilenameHash(name: Uint8Array): bigint {
  return sipHash24(PXAR_HASH_KEY_1, PXAR_HASH_KEY_2, name);
}

/**
 * Output slot → sorted index of the binary-search-tree array order of the
 * goodbye table (slot i has children 2i+1 and 2i+2).
 */
export function goodbyePermutation(n: number): number[] {
  const out = new Array<number>(n).fill(0);
  if (n === 0) return out;
  const rec = (count: number, offset: number, e: number, slot: number): void => {
    const p = 2 ** e;
    const t = p + Math.floor(p / 2) - 1;
    const m = count > t ? p - 1 : p - 1 - (t - count);
    out[slot] = offset + m;
    if (m > 0) rec(m, offset, e - 1, slot * 2 + 1);
    if (m + 1 < count) rec(count - m - 1, offset + m + 1, e - 1, slot * 2 + 2);
  };
  rec(n, 0, Math.floor(Math.log2(n)), 0);
  return out;
}

/** Sorts items by hash and permutes them into BST array order. */
export function arrangeGoodbyeItems(items: readonly GoodbyeItem[]): GoodbyeItem[] {
  const sorted = [...items].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  return goodbyePermutation(sorted.length).map((i) => sorted[i]!);
}

/** True when the hashes in array order form a valid binary search tree (in-order is non-decreasing). */
export function isGoodbyeBst(hashes: readonly bigint[]): boolean {
  let prev: bigint | undefined;
  let ok = true;
  const walk = (i: number): void => {
    if (i >= hashes.length || !ok) return;
    walk(2 * i + 1);
    const h = hashes[i]!;
    if (prev !== undefined && h < prev) ok = false;
    prev = h;
    walk(2 * i + 2);
  };
  walk(0);
  return ok;
}

function header(htype: bigint, fullSize: number): Uint8Array {
  const out = new Uint8Array(PXAR_HEADER_SIZE);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, htype, true);
  dv.setBigUint64(8, BigInt(fullSize), true);
  return out;
}

export function encodePxarStat(stat: PxarStat): Uint8Array {
  const out = new Uint8Array(PXAR_STAT_SIZE);
  const dv = new DataView(out.buffer);
  const u32 = (v: number, f: string): number => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TapeFormatError("invalid-field", `pxar stat ${f}: ${v} is not a u32`, { field: f });
    return v;
  };
  if (!Number.isSafeInteger(stat.mode) || stat.mode < 0) throw new TapeFormatError("invalid-field", `pxar stat mode: ${stat.mode}`, { field: "mode" });
  if (!Number.isSafeInteger(stat.flags) || stat.flags < 0) throw new TapeFormatError("invalid-field", `pxar stat flags: ${stat.flags}`, { field: "flags" });
  if (!Number.isSafeInteger(stat.mtimeSecs)) throw new TapeFormatError("invalid-field", `pxar stat mtime: ${stat.mtimeSecs}`, { field: "mtime" });
  dv.setBigUint64(0, BigInt(stat.mode), true);
  dv.setBigUint64(8, BigInt(stat.flags), true);
  dv.setUint32(16, u32(stat.uid, "uid"), true);
  dv.setUint32(20, u32(stat.gid, "gid"), true);
  dv.setBigInt64(24, BigInt(stat.mtimeSecs), true);
  dv.setUint32(32, u32(stat.mtimeNanos, "mtime_nanos"), true);
  return out;
}

export function decodePxarStat(bytes: Uint8Array): PxarStat {
  if (bytes.length < PXAR_STAT_SIZE) throw new TapeFormatError("truncated", `pxar stat: need 40 bytes, got ${bytes.length}`, { field: "stat" });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mode = dv.getBigUint64(0, true);
  const flags = dv.getBigUint64(8, true);
  const mtime = dv.getBigInt64(24, true);
  const safe = (v: bigint, f: string): number => {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new TapeFormatError("invalid-field", `pxar stat ${f}: ${v} out of range`, { field: f });
    }
    return Number(v);
  };
  return {
    mode: safe(mode, "mode"),
    flags: safe(flags, "flags"),
    uid: dv.getUint32(16, true),
    gid: dv.getUint32(20, true),
    mtimeSecs: safe(mtime, "mtime"),
    mtimeNanos: dv.getUint32(32, true),
  };
}

const utf8 = new TextEncoder();

/** Checks a file name for pxar: non-empty, no '/', no NUL, not '.' or '..'. */
export function checkPxarFilename(name: Uint8Array): void {
  const bad = (why: string): never => {
    throw new TapeFormatError("pxar-structure", `pxar filename: ${why}`, { field: "filename" });
  };
  if (name.length === 0) bad("empty");
  if (name.length > PXAR_MAX_FILENAME) bad(`longer than ${PXAR_MAX_FILENAME} bytes`);
  if (name.includes(0)) bad("contains a NUL byte");
  if (name.includes(0x2f)) bad("contains '/'");
  if ((name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e)) bad("is '.' or '..'");
}

/** Output function of the writer; resolves when the bytes are accepted. */
export type PxarOutput = (bytes: Uint8Array) => Promise<void>;

/**
 * Streaming pxar v1 encoder for one directory of regular files. File contents
 * are passed through piece by piece (never held whole).
 */
export class PxarWriter {
  readonly #out: PxarOutput;
  #pos = 0;
  #items: GoodbyeItem[] = [];
  #names = new Set<string>();
  #state: "new" | "open" | "finished" = "new";
  readonly #rootStat: PxarStat;

  constructor(out: PxarOutput, rootStat: PxarStat = { mode: PXAR_ROOT_MODE, flags: 0, uid: 0, gid: 0, mtimeSecs: 0, mtimeNanos: 0 }) {
    this.#out = out;
    this.#rootStat = rootStat;
  }

  /** Bytes written so far (the pxar stream offset). */
  get position(): number {
    return this.#pos;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    this.#pos += bytes.length;
    await this.#out(bytes);
  }

  async #start(): Promise<void> {
    if (this.#state === "new") {
      this.#state = "open";
      await this.#write(concat(header(PXAR_ENTRY, PXAR_HEADER_SIZE + PXAR_STAT_SIZE), encodePxarStat(this.#rootStat)));
    }
  }

  /** Writes the root ENTRY (done automatically by the first addFile/finish). */
  async begin(): Promise<void> {
    if (this.#state === "finished") throw new TapeFormatError("invalid-state", "PxarWriter: already finished");
    await this.#start();
  }

  /**
   * Adds one regular file. `content` must yield exactly `size` bytes
   * (otherwise `size-mismatch`).
   */
  async addFile(name: string | Uint8Array, stat: PxarStat, size: number, content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    if (this.#state === "finished") throw new TapeFormatError("invalid-state", "PxarWriter: already finished");
    const nameBytes = typeof name === "string" ? utf8.encode(name) : name;
    checkPxarFilename(nameBytes);
    if ((stat.mode & S_IFMT) !== S_IFREG) throw new TapeFormatError("invalid-field", `pxar: '${String(name)}' is not a regular file (mode ${stat.mode.toString(8)})`, { field: "mode" });
    if (!Number.isSafeInteger(size) || size < 0) throw new TapeFormatError("invalid-field", `pxar: file size ${size}`, { field: "size" });
    const key = Buffer.from(nameBytes).toString("latin1");
    if (this.#names.has(key)) throw new TapeFormatError("pxar-structure", `pxar: duplicate file name '${String(name)}'`, { field: "filename" });
    this.#names.add(key);
    await this.#start();
    const start = this.#pos;
    const fname = new Uint8Array(nameBytes.length + 1);
    fname.set(nameBytes, 0);
    await this.#write(concat(
      header(PXAR_FILENAME, PXAR_HEADER_SIZE + fname.length),
      fname,
      header(PXAR_ENTRY, PXAR_HEADER_SIZE + PXAR_STAT_SIZE),
      encodePxarStat(stat),
      header(PXAR_PAYLOAD, PXAR_HEADER_SIZE + size),
    ));
    let written = 0;
    for await (const piece of content as AsyncIterable<Uint8Array>) {
      if (written + piece.length > size) {
        throw new TapeFormatError("size-mismatch", `pxar: file '${String(name)}' changed while reading (more than ${size} bytes)`, { field: "size" });
      }
      written += piece.length;
      if (piece.length > 0) await this.#write(piece);
    }
    if (written !== size) {
      throw new TapeFormatError("size-mismatch", `pxar: file '${String(name)}' shrunk while reading (${written} of ${size} bytes)`, { field: "size" });
    }
    this.#items.push({ hash: pxarFilenameHash(nameBytes), offset: BigInt(start), size: BigInt(this.#pos - start) });
  }

  /** Writes the root goodbye table (BST order + tail item). */
  async finish(): Promise<void> {
    if (this.#state === "finished") throw new TapeFormatError("invalid-state", "PxarWriter: already finished");
    await this.#start();
    this.#state = "finished";
    const goodbyeStart = BigInt(this.#pos);
    const n = this.#items.length;
    const fullSize = PXAR_HEADER_SIZE + PXAR_GOODBYE_ITEM_SIZE * (n + 1);
    const arranged = arrangeGoodbyeItems(this.#items.map((it) => ({ hash: it.hash, offset: goodbyeStart - it.offset, size: it.size })));
    arranged.push({ hash: PXAR_GOODBYE_TAIL_MARKER, offset: goodbyeStart, size: BigInt(fullSize) });
    const out = new Uint8Array(fullSize);
    out.set(header(PXAR_GOODBYE, fullSize), 0);
    const dv = new DataView(out.buffer);
    arranged.forEach((it, i) => {
      const at = PXAR_HEADER_SIZE + i * PXAR_GOODBYE_ITEM_SIZE;
      dv.setBigUint64(at, it.hash, true);
      dv.setBigUint64(at + 8, it.offset, true);
      dv.setBigUint64(at + 16, it.size, true);
    });
    await this.#write(out);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export type PxarEntry =
  | { kind: "directory"; stat: PxarStat }
  | {
      kind: "file";
      /** File name bytes (without NUL). */
      nameBytes: Uint8Array;
      /** File name decoded as UTF-8 (invalid sequences replaced). */
      name: string;
      stat: PxarStat;
      size: number;
      /**
       * The file content in pieces. Consume it before asking for the next
       * entry; whatever is left is skipped then.
       */
      payload: AsyncIterable<Uint8Array>;
    };

const lossyUtf8 = new TextDecoder("utf-8");

/**
 * Sequential decoder for tape snapshot archives: the first entry must be a
 * directory, every following one a regular file in it, then the root goodbye
 * table, which is validated (hashes, offsets, sizes, BST order, tail), then
 * the end of the stream. Memory: one 24-byte record per file.
 */
export class PxarDecoder implements AsyncIterable<PxarEntry> {
  readonly #in: ByteReader;
  readonly #base: number;
  #state: "start" | "files" | "done" = "start";
  #files: { start: number; end: number; hash: bigint }[] = [];
  #names = new Set<string>();
  #pendingSkip: { left: () => number; what: string } | undefined;

  constructor(input: ByteReader) {
    this.#in = input;
    this.#base = input.position;
  }

  get #pos(): number {
    return this.#in.position - this.#base;
  }

  async #header(what: string): Promise<{ htype: bigint; fullSize: number }> {
    const b = await this.#in.readExact(PXAR_HEADER_SIZE, what);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const htype = dv.getBigUint64(0, true);
    const full = dv.getBigUint64(8, true);
    if (full < BigInt(PXAR_HEADER_SIZE) || full > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new TapeFormatError("pxar-structure", `pxar ${what}: full_size ${full} is invalid`, { field: "full_size" });
    }
    return { htype, fullSize: Number(full) };
  }

  async #stat(what: string): Promise<PxarStat> {
    const h = await this.#header(what);
    if (h.htype !== PXAR_ENTRY) throw new TapeFormatError("pxar-structure", `pxar: expected ENTRY for ${what}, got item type 0x${h.htype.toString(16)}`, { field: "htype" });
    if (h.fullSize !== PXAR_HEADER_SIZE + PXAR_STAT_SIZE) throw new TapeFormatError("pxar-structure", `pxar ${what} ENTRY: full_size ${h.fullSize} != 56`, { field: "full_size" });
    return decodePxarStat(await this.#in.readExact(PXAR_STAT_SIZE, `${what} stat`));
  }

  async next(): Promise<PxarEntry | null> {
    if (this.#pendingSkip !== undefined) {
      const { left, what } = this.#pendingSkip;
      this.#pendingSkip = undefined;
      const n = left();
      if (n > 0 && (await this.#in.skip(n)) !== n) throw new TapeFormatError("truncated", `pxar payload of '${what}': stream ended early`, { field: "payload" });
    }
    if (this.#state === "done") return null;
    if (this.#state === "start") {
      const stat = await this.#stat("root directory");
      if ((stat.mode & S_IFMT) !== S_IFDIR) throw new TapeFormatError("pxar-structure", `pxar: first entry is not a directory (mode ${stat.mode.toString(8)})`, { field: "mode" });
      this.#state = "files";
      return { kind: "directory", stat };
    }
    const start = this.#pos;
    const h = await this.#header("item");
    if (h.htype === PXAR_GOODBYE) {
      await this.#goodbye(start, h.fullSize);
      this.#state = "done";
      return null;
    }
    if (h.htype !== PXAR_FILENAME) {
      throw new TapeFormatError("pxar-structure", `pxar: expected FILENAME or GOODBYE, got item type 0x${h.htype.toString(16)}`, { field: "htype" });
    }
    const len = h.fullSize - PXAR_HEADER_SIZE;
    if (len < 2 || len > PXAR_MAX_FILENAME + 1) throw new TapeFormatError("pxar-structure", `pxar FILENAME: length ${len} out of range`, { field: "filename" });
    const raw = await this.#in.readExact(len, "filename");
    if (raw[len - 1] !== 0) throw new TapeFormatError("pxar-structure", "pxar FILENAME: missing NUL terminator", { field: "filename" });
    const nameBytes = raw.slice(0, len - 1);
    checkPxarFilename(nameBytes);
    const key = Buffer.from(nameBytes).toString("latin1");
    if (this.#names.has(key)) throw new TapeFormatError("pxar-structure", "pxar: duplicate file name", { field: "filename" });
    this.#names.add(key);
    const name = lossyUtf8.decode(nameBytes);
    const stat = await this.#stat(`'${name}'`);
    if ((stat.mode & S_IFMT) !== S_IFREG) throw new TapeFormatError("pxar-structure", `pxar: '${name}' is not a regular file (mode ${stat.mode.toString(8)})`, { field: "mode" });
    const ph = await this.#header("payload");
    if (ph.htype !== PXAR_PAYLOAD) throw new TapeFormatError("pxar-structure", `pxar: expected PAYLOAD for '${name}', got item type 0x${ph.htype.toString(16)}`, { field: "htype" });
    const size = ph.fullSize - PXAR_HEADER_SIZE;
    const payloadStart = this.#pos;
    this.#files.push({ start, end: payloadStart + size, hash: pxarFilenameHash(nameBytes) });
    let consumed = 0;
    let started = false;
    const input = this.#in;
    const self = this;
    const payload: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        if (started) throw new TapeFormatError("invalid-state", `pxar payload of '${name}' can be read once`);
        if (self.#pendingSkip === undefined || self.#files.at(-1)?.start !== start) {
          throw new TapeFormatError("invalid-state", `pxar payload of '${name}' read after moving to the next entry`);
        }
        started = true;
        for await (const piece of input.stream(size - consumed, `payload of '${name}'`)) {
          consumed += piece.length;
          yield piece;
        }
      },
    };
    this.#pendingSkip = { left: () => size - consumed, what: name };
    return { kind: "file", nameBytes, name, stat, size, payload };
  }

  async #goodbye(start: number, fullSize: number): Promise<void> {
    const n = this.#files.length;
    const expected = PXAR_HEADER_SIZE + PXAR_GOODBYE_ITEM_SIZE * (n + 1);
    if (fullSize !== expected) {
      throw new TapeFormatError("pxar-goodbye", `pxar goodbye: full_size ${fullSize} != ${expected} for ${n} entries`, { field: "full_size" });
    }
    const b = await this.#in.readExact(fullSize - PXAR_HEADER_SIZE, "goodbye table");
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const items: GoodbyeItem[] = [];
    for (let i = 0; i <= n; i++) {
      const at = i * PXAR_GOODBYE_ITEM_SIZE;
      items.push({ hash: dv.getBigUint64(at, true), offset: dv.getBigUint64(at + 8, true), size: dv.getBigUint64(at + 16, true) });
    }
    const tail = items.pop()!;
    if (tail.hash !== PXAR_GOODBYE_TAIL_MARKER) throw new TapeFormatError("pxar-goodbye", "pxar goodbye: missing tail marker", { field: "tail" });
    if (tail.offset !== BigInt(start)) throw new TapeFormatError("pxar-goodbye", `pxar goodbye tail: offset ${tail.offset} != ${start}`, { field: "tail" });
    if (tail.size !== BigInt(fullSize)) throw new TapeFormatError("pxar-goodbye", `pxar goodbye tail: size ${tail.size} != ${fullSize}`, { field: "tail" });
    const byStart = new Map<number, { start: number; end: number; hash: bigint }>();
    for (const f of this.#files) byStart.set(f.start, f);
    const seen = new Set<number>();
    for (const it of items) {
      const fileStart = BigInt(start) - it.offset;
      const f = it.offset <= BigInt(start) ? byStart.get(Number(fileStart)) : undefined;
      if (f === undefined || seen.has(f.start)) throw new TapeFormatError("pxar-goodbye", `pxar goodbye: item offset ${it.offset} points to no entry`, { field: "offset" });
      seen.add(f.start);
      if (it.hash !== f.hash) throw new TapeFormatError("pxar-goodbye", `pxar goodbye: hash of the entry at ${f.start} does not match its name`, { field: "hash" });
      if (it.size !== BigInt(f.end - f.start)) throw new TapeFormatError("pxar-goodbye", `pxar goodbye: size ${it.size} != ${f.end - f.start} for the entry at ${f.start}`, { field: "size" });
    }
    if (!isGoodbyeBst(items.map((i) => i.hash))) throw new TapeFormatError("pxar-goodbye", "pxar goodbye: items are not in binary search tree order", { field: "order" });
    if (!(await this.#in.atEof())) throw new TapeFormatError("trailing-data", "pxar: data after the root goodbye table");
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PxarEntry> {
    while (true) {
      const e = await this.next();
      if (e === null) return;
      yield e;
    }
  }
}
