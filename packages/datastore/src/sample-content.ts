import { createCipheriv, createHash } from "node:crypto";

/**
 * Deterministic content for sample datastores: 64 KiB blocks that are random
 * (AES-256-CTR keystream), log-like text, zeros or repeated records, chosen
 * by a hash of (key, block). Any byte range of a keyed stream can be produced
 * without producing what comes before it.
 */

export const CONTENT_BLOCK = 64 * 1024;

/** Percentages of block kinds; the rest are repeated records. */
export interface ContentProfile {
  random: number;
  text: number;
  zero: number;
}

/** 32-bit hash of a few integers (deterministic, well mixed). */
export function mix(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "backup restore chunk index snapshot datastore tape drive library changer slot barcode media pool " +
  "kernel eth0 link up down systemd started stopped service nginx postgres query commit checkpoint " +
  "vacuum write read sync flush error warning info debug user login session token request response " +
  "GET POST /api/v1/items 200 404 500 latency ms bytes cpu memory disk usage load average"
).split(" ");

function buildCorpus(seed: number, size: number): Uint8Array {
  const rnd = prng(mix(seed, 0x7e47));
  const parts: string[] = [];
  let len = 0;
  let t = 1767225600 + Math.floor(rnd() * 1e6);
  while (len < size) {
    t += Math.floor(rnd() * 5);
    const n = 4 + Math.floor(rnd() * 10);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rnd() * WORDS.length)]!);
    const line = `${new Date(t * 1000).toISOString()} host${Math.floor(rnd() * 8)} ${words.join(" ")} id=${Math.floor(rnd() * 100000)}\n`;
    parts.push(line);
    len += line.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, size);
}

export class ContentGenerator {
  readonly seed: number;
  readonly corpus: Uint8Array;
  readonly #key: Buffer;
  readonly #zeros = new Uint8Array(CONTENT_BLOCK);
  readonly #scratch = new Uint8Array(CONTENT_BLOCK);
  #cached: { key: number; block: number; profile: ContentProfile } | undefined;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#key = createHash("sha256").update(`tapefleet sample ${this.seed}`).digest();
    this.corpus = buildCorpus(this.seed, 1024 * 1024);
  }

  /** Writes block `block` of stream `key` into `out` (CONTENT_BLOCK bytes). */
  block(key: number, block: number, profile: ContentProfile, out: Uint8Array): void {
    const h = mix(this.seed, key, block);
    const pick = h % 100;
    if (pick < profile.random) {
      const iv = Buffer.alloc(16);
      iv.writeUInt32LE(key >>> 0, 0);
      iv.writeUInt32LE(block >>> 0, 4);
      iv.writeUInt32LE(h, 8);
      const ks = createCipheriv("aes-256-ctr", this.#key, iv).update(this.#zeros);
      out.set(ks.subarray(0, out.length));
    } else if (pick < profile.random + profile.text) {
      const at = mix(h, 1) % (this.corpus.length - CONTENT_BLOCK);
      out.set(this.corpus.subarray(at, at + out.length));
    } else if (pick < profile.random + profile.text + profile.zero) {
      out.fill(0);
    } else {
      const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const base = mix(h, 2);
      for (let i = 0; i + 16 <= out.length; i += 16) {
        dv.setUint32(i, base, true);
        dv.setUint32(i + 4, i >>> 4, true);
        dv.setUint32(i + 8, key >>> 0, true);
        dv.setUint32(i + 12, 0x0a0d0a0d, true);
      }
    }
  }

  /** Bytes `[start, start + out.length)` of stream `key`. */
  fill(key: number, start: number, out: Uint8Array, profile: ContentProfile): void {
    let pos = start;
    let at = 0;
    while (at < out.length) {
      const block = Math.floor(pos / CONTENT_BLOCK);
      const off = pos - block * CONTENT_BLOCK;
      const n = Math.min(CONTENT_BLOCK - off, out.length - at);
      if (off === 0 && n === CONTENT_BLOCK) {
        this.block(key, block, profile, out.subarray(at, at + n));
      } else {
        const c = this.#cached;
        if (!c || c.key !== key || c.block !== block || c.profile !== profile) {
          this.block(key, block, profile, this.#scratch);
          this.#cached = { key, block, profile };
        }
        out.set(this.#scratch.subarray(off, off + n), at);
      }
      at += n;
      pos += n;
    }
  }

  /** Log-like text of about `size` bytes starting at a keyed place in the corpus. */
  text(key: number, size: number): Uint8Array {
    const n = Math.min(size, this.corpus.length);
    const at = mix(this.seed, key, 3) % (this.corpus.length - n + 1);
    return this.corpus.slice(at, at + n);
  }
}
