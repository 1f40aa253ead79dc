import { compress as wasmCompress, decompress as wasmDecompress, init as wasmInit } from "@bokuweb/zstd-wasm";
import { TapeFormatError, asTapeFormatError } from "./errors.ts";
import { loadNativeZstd, type NativeZstd } from "./zstd-native.ts";

/**
 * zstd through the system library where it loads (`zstd-native.ts`), else
 * through the WebAssembly build of the reference library (no native addon, no
 * network: the .wasm ships in the npm package). `TAPEFLEET_ZSTD=wasm` forces
 * the WebAssembly build. Call-sites await `ensureZstd()` once; after that
 * compress/decompress are synchronous. Both produce and accept standard zstd
 * frames with the content size recorded.
 */
let ready: Promise<void> | undefined;
let initialized = false;
let native: NativeZstd | undefined;

export type ZstdBackend = "native" | "wasm";

export function ensureZstd(): Promise<void> {
  ready ??= (async () => {
    const wanted = process.env["TAPEFLEET_ZSTD"];
    if (wanted !== undefined && wanted !== "" && wanted !== "native" && wanted !== "wasm" && wanted !== "auto") {
      throw new TapeFormatError("invalid-field", `TAPEFLEET_ZSTD: '${wanted}' is not one of auto, native, wasm`, { field: "TAPEFLEET_ZSTD" });
    }
    if (wanted !== "wasm") native = loadNativeZstd();
    if (native === undefined && wanted === "native") {
      throw new TapeFormatError("invalid-state", "TAPEFLEET_ZSTD=native: libzstd.so.1 cannot be loaded", { field: "TAPEFLEET_ZSTD" });
    }
    if (native === undefined) await wasmInit();
    initialized = true;
  })().catch((err: unknown) => {
    ready = undefined;
    throw err instanceof TapeFormatError ? err : asTapeFormatError(err, "decompress-failed", "zstd: loading the WebAssembly module failed");
  });
  return ready;
}

/** Which zstd is in use (after `ensureZstd()`), with the library version for the native one. */
export function zstdBackend(): { backend: ZstdBackend; version?: string } {
  if (!initialized) throw new TapeFormatError("invalid-state", "zstd: ensureZstd() has not been awaited");
  return native === undefined ? { backend: "wasm" } : { backend: "native", version: native.version };
}

const ZSTD_FRAME_MAGIC = 0xfd2fb528;
/** zstd error code "destination buffer too small". */
const ZSTD_ERROR_DST_SIZE_TOO_SMALL = 70;
/** First output capacity tried for frames that do not record their content size. */
const UNKNOWN_SIZE_FIRST_TRY = 16 * 1024 * 1024;

/**
 * Reads the frame content size from a zstd frame header: a number, `null`
 * when the frame does not record it, or throws for a malformed header.
 */
export function zstdFrameContentSize(frame: Uint8Array): number | null {
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
  switch (fcsSize) {
    case 0:
      return null;
    case 1:
      return frame[at]!;
    case 2:
      return dv.getUint16(at, true) + 256;
    case 4:
      return dv.getUint32(at, true);
    default: {
      const v = dv.getBigUint64(at, true);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
    }
  }
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
  const declared = zstdFrameContentSize(frame);
  if (declared !== null && declared > maxSize) {
    throw new TapeFormatError("decompress-failed", `zstd: frame content size ${declared} exceeds the limit ${maxSize}`, { field: "zstd" });
  }
  const tries = declared !== null ? [declared] : [...new Set([Math.min(UNKNOWN_SIZE_FIRST_TRY, maxSize), maxSize])];
  if (native !== undefined) return nativeDecompress(native, frame, declared, tries, maxSize);
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

/** The buffer `zstdDecompressScratch` reuses (one per thread: module state is per worker). */
let scratch: Uint8Array | undefined;
/** Scratch buffers up to this size are kept between calls; larger outputs get a buffer of their own. */
const SCRATCH_KEEP_MAX = 16 * 1024 * 1024;

/**
 * Like `zstdDecompress`, but the result is a view of a buffer that the next call
 * on this thread reuses: for output that is consumed at once (hashed, copied).
 * Saves allocating, page-faulting and freeing a chunk-sized buffer per frame.
 */
export function zstdDecompressScratch(frame: Uint8Array, maxSize: number): Uint8Array {
  if (!initialized) throw new TapeFormatError("invalid-state", "zstd: ensureZstd() has not been awaited");
  const declared = zstdFrameContentSize(frame);
  if (native === undefined || declared === null || declared > SCRATCH_KEEP_MAX) return zstdDecompress(frame, maxSize);
  if (declared > maxSize) {
    throw new TapeFormatError("decompress-failed", `zstd: frame content size ${declared} exceeds the limit ${maxSize}`, { field: "zstd" });
  }
  if (scratch === undefined || scratch.byteLength < declared) scratch = uninitialized(Math.max(declared, 4 * 1024 * 1024 + 64 * 1024));
  const dst = scratch.subarray(0, Math.max(1, declared));
  const n = native.decompressInto(dst, frame);
  const code = native.errorCode(n);
  if (code !== 0) throw new TapeFormatError("decompress-failed", "zstd: corrupt data", { field: "zstd", cause: new Error(native.errorName(n)) });
  if (Number(n) !== declared) throw new TapeFormatError("decompress-failed", `zstd: decompressed ${Number(n)} bytes, frame header says ${declared}`, { field: "zstd" });
  return dst.subarray(0, declared);
}

/** Compresses into one zstd frame (records the content size). Requires `ensureZstd()`. */
export function zstdCompress(data: Uint8Array, level: number): Uint8Array {
  if (!initialized) throw new TapeFormatError("invalid-state", "zstd: ensureZstd() has not been awaited");
  if (native !== undefined) {
    const dst = uninitialized(native.bound(data.byteLength));
    const n = native.compressInto(dst, data, level);
    if (native.errorCode(n) !== 0) throw new TapeFormatError("decompress-failed", `zstd: compression failed: ${native.errorName(n)}`);
    return dst.slice(0, Number(n));
  }
  try {
    return wasmCompress(data, level);
  } catch (err) {
    throw asTapeFormatError(err, "decompress-failed", "zstd: compression failed");
  }
}

/** A plain Uint8Array of `size` bytes that owns its ArrayBuffer, not zero-filled (it is written over). */
function uninitialized(size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function nativeDecompress(z: NativeZstd, frame: Uint8Array, declared: number | null, tries: number[], maxSize: number): Uint8Array {
  for (let i = 0; i < tries.length; i++) {
    const dst = uninitialized(Math.max(1, tries[i]!));
    const n = z.decompressInto(dst, frame);
    const code = z.errorCode(n);
    if (code === 0) {
      const len = Number(n);
      if (declared !== null) {
        if (len !== declared) throw new TapeFormatError("decompress-failed", `zstd: decompressed ${len} bytes, frame header says ${declared}`, { field: "zstd" });
      }
      return len === dst.byteLength ? dst : dst.slice(0, len);
    }
    if (code === ZSTD_ERROR_DST_SIZE_TOO_SMALL && i + 1 < tries.length) continue;
    const reason = code === ZSTD_ERROR_DST_SIZE_TOO_SMALL ? `output exceeds the limit ${maxSize}` : "corrupt data";
    throw new TapeFormatError("decompress-failed", `zstd: ${reason}`, { field: "zstd", cause: new Error(z.errorName(n)) });
  }
  /* c8 ignore next */
  throw new TapeFormatError("decompress-failed", "zstd: no output capacity to try");
}
