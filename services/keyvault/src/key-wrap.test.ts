import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { keyFingerprint } from "./core/key-config.ts";
import { KeyUnwrapError, unwrapKey, WRAPPED_KEY_BYTES, wrapKey } from "./key-wrap.ts";

const master = Buffer.alloc(32, 0x11);
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));

describe("key wrapping", () => {
  it("round-trips any 32-byte key", () => {
    fc.assert(
      fc.property(key32, (key) => {
        const fp = keyFingerprint(key);
        const wrapped = wrapKey(master, key, fp);
        expect(wrapped.length).toBe(WRAPPED_KEY_BYTES);
        expect(unwrapKey(master, wrapped, fp).equals(key)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("refuses another master key, another fingerprint, a flipped bit and a wrong length", () => {
    const key = Buffer.alloc(32, 0x42);
    const fp = keyFingerprint(key);
    const wrapped = wrapKey(master, key, fp);
    expect(() => unwrapKey(Buffer.alloc(32, 0x12), wrapped, fp)).toThrow(KeyUnwrapError);
    expect(() => unwrapKey(master, wrapped, keyFingerprint(Buffer.alloc(32, 1)))).toThrow(KeyUnwrapError);
    for (let i = 0; i < wrapped.length; i += 7) {
      const bad = Buffer.from(wrapped);
      bad[i] = bad[i]! ^ 0x80;
      expect(() => unwrapKey(master, bad, fp)).toThrow(KeyUnwrapError);
    }
    expect(() => unwrapKey(master, wrapped.subarray(1), fp)).toThrow(/must be 60 bytes, got 59/);
    expect(() => unwrapKey(master, Buffer.concat([wrapped, Buffer.alloc(1)]), fp)).toThrow(/got 61/);
  });

  it("refuses to wrap a key of the wrong size", () => {
    expect(() => wrapKey(master, Buffer.alloc(16), "x")).toThrow(/32 bytes, got 16/);
  });
});
