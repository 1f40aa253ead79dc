import { compress as wasmCompress, decompress as wasmDecompress, init as wasmInit } from "@bokuweb/zstd-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { catchTapeError, pseudoRandom } from "./test-support.ts";
import { loadNativeZstd } from "./zstd-native.ts";
import { ensureZstd, zstdBackend, zstdCompress, zstdDecompress } from "./zstd.ts";

const native = loadNativeZstd();

/** Compressible test data: runs of pseudo-random bytes repeated. */
function compressible(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const unit = pseudoRandom(3000, seed);
  for (let at = 0; at < size; at += unit.length) out.set(unit.subarray(0, Math.min(unit.length, size - at)), at);
  return out;
}

describe("native zstd (libzstd.so.1)", () => {
  beforeAll(async () => {
    await wasmInit();
    await ensureZstd();
  });

  it("is the backend in use on this machine, unless TAPEFLEET_ZSTD=wasm", () => {
    expect(native, "libzstd.so.1 (Debian libzstd1) should load here").toBeDefined();
    expect(zstdBackend().backend).toBe(process.env["TAPEFLEET_ZSTD"] === "wasm" ? "wasm" : "native");
    expect(native!.version).toMatch(/^1\.\d+\.\d+$/);
  });

  it("frames it writes decode with the WebAssembly build and the other way round", () => {
    for (const [size, seed] of [[0, 1], [1, 2], [4095, 3], [4 * 1024 * 1024, 4]] as const) {
      const data = compressible(size, seed);
      const viaNative = zstdCompress(data, 1);
      expect(Buffer.from(wasmDecompress(viaNative, { defaultHeapSize: Math.max(1, size) })).equals(Buffer.from(data))).toBe(true);
      const viaWasm = wasmCompress(data, 1);
      const back = zstdDecompress(viaWasm, 16 * 1024 * 1024);
      expect(back.length).toBe(size);
      expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
      // a plain Uint8Array owning its buffer (transferable to a worker without a copy)
      expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
      expect(back.byteOffset).toBe(0);
      expect(back.buffer.byteLength).toBe(back.byteLength);
    }
  });

  it("reports corrupt frames and output over the limit as decompress-failed", async () => {
    const data = compressible(100_000, 9);
    const frame = zstdCompress(data, 1);
    expect((await catchTapeError(() => zstdDecompress(frame, 99_999))).message).toMatch(/exceeds the limit 99999/);
    const bad = frame.slice();
    bad.fill(0xff, 18); // past the frame header (≤ 18 bytes): no valid block
    const err = await catchTapeError(() => zstdDecompress(bad, 1 << 20));
    expect(err.code).toBe("decompress-failed");
    const cut = frame.subarray(0, frame.length - 5);
    expect((await catchTapeError(() => zstdDecompress(cut, 1 << 20))).code).toBe("decompress-failed");
  });

  it("returns a length or an error code the binding tells apart", () => {
    const z = native!;
    const data = compressible(10_000, 5);
    const dst = new Uint8Array(z.bound(data.length));
    const n = z.compressInto(dst, data, 1);
    expect(z.errorCode(n)).toBe(0);
    const small = new Uint8Array(10);
    const r = z.decompressInto(small, dst.subarray(0, Number(n)));
    expect(z.errorCode(r)).toBe(70);
    expect(z.errorName(r)).toMatch(/too small/i);
  });
});
