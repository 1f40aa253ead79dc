import { createRequire } from "node:module";
import { compress as wasmCompress, decompress as wasmDecompress, init as wasmInit } from "@bokuweb/zstd-wasm";
import { TapeFormatError, asTapeFormatError } from "./errors.ts";

/**
 * zstd through the reference library: decompression natively
 * (`@toondepauw/node-zstd`, a Node-API addon whose prebuilt binaries are
 * npm packages per platform, nothing compiled or downloaded at install) for
 * single frames that record their content size within the limit — every blob
 * PBS and this package write —, and through the WebAssembly build (the .wasm
 * ships in its npm package) for everything else, for compression, and
 * wherever the addon does not load. Call-sites await `ensureZstd()` once;
 * after that compress/decompress are synchronous.
 */
let ready: Promise<void> | undefined;
let initialized = false;

export function ensureZstd(): Promise<void> {
  ready ??= wasmInit().then(() => {
    initialized = true;
  }, (err: unknown) => {
    ready = undefined;
    throw asTapeFormatError(err, "decompress-failed", "zstd: loading the WebAssembly module failed");
  });
  return ready;
}

interface NativeDecoder {
  decodeSync(data: Buffer): Buffer;
}

/** The native decoder: undefined until first asked for, null when it does not load or was switched off. */
let native: NativeDecoder | null | undefined;

function nativeDecoder(): NativeDecoder | null {
  if (native === undefined) {
    try {
      const addon = createRequire(import.meta.url)("@toondepauw/node-zstd") as { Decoder: new () => NativeDecoder };
      native = new addon.Decoder();
    } catch {
      native = null; // no prebuilt binary for this platform: the WebAssembly decoder does it all
    }
  }
  return native;
}

/**
 * Which decoder `zstdDecompress` uses for sized single frames: `native` when
 * the addon loads (the default), `wasm` when it does not or after
 * `useZstdDecoder("wasm")`. The setting is per thread (each worker has its own).
 */
export function zstdDecoder(): "native" | "wasm" {
  return nativeDecoder() === null ? "wasm" : "native";
}

/** Chooses the decoder for sized single frames (benchmarks and tests compare both); `native` falls back to `wasm` when the addon does not load. */
export function useZstdDecoder(kind: "native" | "wasm"): "native" | "wasm" {
  native = kind === "wasm" ? null : undefined;
  return zstdDecoder();
}

const ZSTD_FRAME_MAGIC = 0xfd2fb528;
/** Frame header descriptor bits. @see RFC 8878 §3.1.1.1.1 */
const FHD_CONTENT_CHECKSUM = 0x04;
/** Block types. @see RFC 8878 §3.1.1.2 */
const BLOCK_TYPE_RLE = 1;
const BLOCK_TYPE_RESERVED = 3;
/** zstd error code "destination buffer too small". */
const ZSTD_ERROR_DST_SIZE_TOO_SMALL = 70;
/** First output capacity tried for frames that do not record their content size. */
const UNKNOWN_SIZE_FIRST_TRY = 16 * 1024 * 1024;

/**
 * Reads the frame content size from a zstd frame header: a number, `null`
 * when the frame does not record it, or throws for a malformed header.
 */
export function zstdFrameContentSize(frame: Uint8Array): number | null {
  return frameHeader(frame).contentSize;
}

interface FrameHeader {
  contentSize: number | null;
  /** Bytes of the frame header (magic included): the first block header follows. */
  size: number;
  dictIdSize: number;
  checksum: boolean;
}

function frameHeader(frame: Uint8Array): FrameHeader {
  if (frame.length < 5) throw new TapeFormatError("decompress-failed", `zstd: frame of ${frame.length} bytes is too short`, { field: "zstd" });
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (dv.getUint32(0, true) !== ZSTD_FRAME_MAGIC) throw new TapeFormatError("decompress-failed", "zstd: bad frame magic", { field: "zstd" });
  const fhd = frame[4]!;
  if (fhd & 0x08) throw new TapeFormatError("decompress-failed", "zstd: reserved frame header bit set", { field: "zstd" });
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  const dictIdSize = [0, 1, 2, 4][fhd & 0x03]!;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdSize;
  if (frame.length < at + fcsSize) throw new TapeFormatError("decompress-failed", "zstd: truncated frame header", { field: "zstd" });
  let contentSize: number | null;
  switch (fcsSize) {
    case 0:
      contentSize = null;
      break;
    case 1:
      contentSize = frame[at]!;
      break;
    case 2:
      contentSize = dv.getUint16(at, true) + 256;
      break;
    case 4:
      contentSize = dv.getUint32(at, true);
      break;
    default: {
      const v = dv.getBigUint64(at, true);
      contentSize = v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
    }
  }
  return { contentSize, size: at + fcsSize, dictIdSize, checksum: (fhd & FHD_CONTENT_CHECKSUM) !== 0 };
}

/**
 * True when `frame` is exactly one zstd frame: its block headers, walked from
 * the header to the last block (plus the checksum), end at the last byte.
 * Then the frame content size bounds the output (zstd checks it), while a
 * second frame after it could declare any size.
 */
function isSingleFrame(frame: Uint8Array, header: FrameHeader): boolean {
  let at = header.size;
  for (;;) {
    if (at + 3 > frame.length) return false;
    const bh = frame[at]! | (frame[at + 1]! << 8) | (frame[at + 2]! << 16);
    const type = (bh >> 1) & 3;
    if (type === BLOCK_TYPE_RESERVED) return false;
    at += 3 + (type === BLOCK_TYPE_RLE ? 1 : bh >>> 3);
    if (bh & 1) break;
  }
  if (header.checksum) at += 4;
  return at === frame.length;
}

function errorCodeOf(err: unknown): number | undefined {
  const m = /code (-?\d+)/.exec(err instanceof Error ? err.message : String(err));
  if (!m) return undefined;
  const n = Number(m[1]);
  return n < 0 ? -n : 2 ** 32 - n;
}

/** Decompresses one zstd frame; refuses output larger than `maxSize`. Requires `ensureZstd()`. */
export function zstdDecompress(frame: Uint8Array, maxSize: number): Uint8Array {
  if (!initialized) throw new TapeFormatError("invalid-state", "zstd: ensureZstd() has not been awaited");
  const header = frameHeader(frame);
  const declared = header.contentSize;
  if (declared !== null && declared > maxSize) {
    throw new TapeFormatError("decompress-failed", `zstd: frame content size ${declared} exceeds the limit ${maxSize}`, { field: "zstd" });
  }
  const dec = declared !== null && header.dictIdSize === 0 ? nativeDecoder() : null;
  if (dec !== null && isSingleFrame(frame, header)) {
    let out: Buffer;
    try {
      out = dec.decodeSync(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    } catch (err) {
      throw new TapeFormatError("decompress-failed", "zstd: corrupt data", { field: "zstd", cause: err });
    }
    if (out.length !== declared) {
      throw new TapeFormatError("decompress-failed", `zstd: decompressed ${out.length} bytes, frame header says ${declared}`, { field: "zstd" });
    }
    // a plain Uint8Array over the same memory, like the WebAssembly path returns (Buffer's slice() is a view)
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  const tries = declared !== null ? [declared] : [...new Set([Math.min(UNKNOWN_SIZE_FIRST_TRY, maxSize), maxSize])];
  for (let i = 0; i < tries.length; i++) {
    try {
      const out = wasmDecompress(frame, { defaultHeapSize: Math.max(1, tries[i]!) });
      if (declared !== null && out.length !== declared) {
        throw new TapeFormatError("decompress-failed", `zstd: decompressed ${out.length} bytes, frame header says ${declared}`, { field: "zstd" });
      }
      return out;
    } catch (err) {
      if (err instanceof TapeFormatError) throw err;
      if (i + 1 < tries.length && errorCodeOf(err) === ZSTD_ERROR_DST_SIZE_TOO_SMALL) continue;
      const reason = errorCodeOf(err) === ZSTD_ERROR_DST_SIZE_TOO_SMALL ? `output exceeds the limit ${maxSize}` : "corrupt data";
      throw new TapeFormatError("decompress-failed", `zstd: ${reason}`, { field: "zstd", cause: err });
    }
  }
  /* c8 ignore next */
  throw new TapeFormatError("decompress-failed", "zstd: no output capacity to try");
}

/** Compresses into one zstd frame (records the content size). Requires `ensureZstd()`. */
export function zstdCompress(data: Uint8Array, level: number): Uint8Array {
  if (!initialized) throw new TapeFormatError("invalid-state", "zstd: ensureZstd() has not been awaited");
  try {
    return wasmCompress(data, level);
  } catch (err) {
    throw asTapeFormatError(err, "decompress-failed", "zstd: compression failed");
  }
}
