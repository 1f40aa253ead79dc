import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKeyConfig, decryptKeyConfig, KeyConfigError, parseKeyConfig } from "./key-config.ts";
import { PAPERKEY_BEGIN, PAPERKEY_END, parseKeyImport } from "./paperkey.ts";

/** Runs `fn`; anything thrown must be a KeyConfigError. */
function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KeyConfigError);
  }
}

describe("key file decoding never throws anything but KeyConfigError", () => {
  it("on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => onlyTyped(() => parseKeyConfig(v))),
      { numRuns: 300 },
    );
  });

  it("on arbitrary key-config-shaped objects", () => {
    const kdf = fc.oneof(
      fc.constant(null),
      fc.record({ Scrypt: fc.record({ n: fc.integer(), r: fc.integer(), p: fc.integer(), salt: fc.string() }) }),
      fc.record({ PBKDF2: fc.record({ iter: fc.integer(), salt: fc.base64String() }) }),
      fc.anything(),
    );
    fc.assert(
      fc.property(
        fc.record({ kdf, created: fc.oneof(fc.string(), fc.constant("2020-01-01T00:00:00Z")), modified: fc.constant("2020-01-01T00:00:00+02:00"), data: fc.oneof(fc.base64String(), fc.string()), fingerprint: fc.option(fc.string()), hint: fc.option(fc.anything()) }),
        (v) => onlyTyped(() => parseKeyConfig(v)),
      ),
      { numRuns: 300 },
    );
  });

  it("on arbitrary text given to import, with and without the paper key markers", () => {
    fc.assert(
      fc.property(fc.string(), fc.boolean(), (s, wrap) => onlyTyped(() => parseKeyImport(wrap ? `${PAPERKEY_BEGIN}\n${s}\n${PAPERKEY_END}\n` : s))),
      { numRuns: 300 },
    );
  });

  it("decrypting truncated and over-long data fails with a typed error", async () => {
    const key = Buffer.alloc(32, 0x5a);
    const config = await createKeyConfig(key, "fuzz password");
    const data = Buffer.from(config.data, "base64");
    for (const bad of [data.subarray(0, 0), data.subarray(0, 31), data.subarray(0, 63), Buffer.concat([data, Buffer.alloc(1)])]) {
      const err = await decryptKeyConfig({ ...config, data: bad.toString("base64") }, "fuzz password").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeyConfigError);
      expect((err as KeyConfigError).reason).toMatch(/^(MALFORMED|WRONG_PASSWORD)$/);
    }
    for (const len of [0, 31, 33]) {
      const err = await decryptKeyConfig({ kdf: null, created: config.created, modified: config.modified, data: Buffer.alloc(len, 1).toString("base64") }, "").catch((e: unknown) => e);
      expect((err as KeyConfigError).reason).toBe("MALFORMED");
    }
  });
});
