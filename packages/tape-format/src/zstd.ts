import { compress as wasmCompress, decompress as wasmDecompress, init as wasmInit } from "@bokuweb/zstd-wasm";
import { TapeFormatError, asTapeFormatError } from "./errors.ts";

/**
 * zstd through the WebAssembly build of the reference library (no native
 * addon, no network: the .wasm ships in the npm package). Call-sites await
 * `ensureZstd()` once; after that compress/decompress are synchronous.
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
