import { createRequire } from "node:module";

/**
 * zstd through the system's shared library (`libzstd.so.1`, Debian package
 * `libzstd1`, which dpkg itself depends on), called with koffi: about three
 * times the speed of the WebAssembly build per CPU second, and the output is
 * decompressed straight into a buffer of the frame's content size (no copy out
 * of a WebAssembly heap). `loadNativeZstd()` returns undefined where the
 * library or koffi cannot be loaded; the caller then uses WebAssembly.
 */
export interface NativeZstd {
  readonly version: string;
  /** Decompresses one frame into `dst`: the number of bytes written, or an error from `errorOf`. */
  decompressInto(dst: Uint8Array, frame: Uint8Array): number | bigint;
  /** Compresses into `dst` (at least `bound(src.length)` bytes): bytes written or an error. */
  compressInto(dst: Uint8Array, src: Uint8Array, level: number): number | bigint;
  bound(srcSize: number): number;
  /** zstd's error code of a result (0 when it is a length), e.g. 70 "destination buffer too small". */
  errorCode(result: number | bigint): number;
  errorName(result: number | bigint): string;
}

/** The oldest library accepted: 1.4.0 (ZSTD_getErrorCode and content sizes in every simple-API frame). */
const MIN_VERSION = 10400;

export function loadNativeZstd(): NativeZstd | undefined {
  try {
    const koffi = createRequire(import.meta.url)("koffi") as typeof import("koffi");
    const lib = koffi.load("libzstd.so.1");
    const versionNumber = lib.func("unsigned int ZSTD_versionNumber(void)") as () => number;
    const v = versionNumber();
    if (v < MIN_VERSION) return undefined;
    const decompress = lib.func("size_t ZSTD_decompress(void *dst, size_t dstCapacity, const void *src, size_t srcSize)");
    const compress = lib.func("size_t ZSTD_compress(void *dst, size_t dstCapacity, const void *src, size_t srcSize, int level)");
    const bound = lib.func("size_t ZSTD_compressBound(size_t srcSize)");
    const isError = lib.func("unsigned int ZSTD_isError(size_t code)");
    const getErrorCode = lib.func("int ZSTD_getErrorCode(size_t functionResult)");
    const getErrorName = lib.func("const char *ZSTD_getErrorName(size_t code)");
    return {
      version: `${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}.${v % 100}`,
      decompressInto: (dst, frame) => decompress(dst, dst.byteLength, frame, frame.byteLength) as number | bigint,
      compressInto: (dst, src, level) => compress(dst, dst.byteLength, src, src.byteLength, level) as number | bigint,
      bound: (n) => Number(bound(n)),
      errorCode: (r) => (isError(r) ? (getErrorCode(r) as number) : 0),
      errorName: (r) => getErrorName(r) as string,
    };
  } catch {
    return undefined;
  }
}
