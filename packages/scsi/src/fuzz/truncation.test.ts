import { describe, expect, it } from "vitest";
import { ScsiError } from "../errors.ts";
import { FUZZ_TARGETS } from "./targets.ts";

/** Targets whose first byte selects a kind or context rather than being data. */
const SELECTOR_TARGETS = new Set(["classifySense", "decodeDriveStatus", "decodeDiag"]);

describe("every decoder on truncated and over-long valid input", () => {
  for (const target of FUZZ_TARGETS.filter((t) => !SELECTOR_TARGETS.has(t.name))) {
    it(target.name, () => {
      expect(() => target.decode(new Uint8Array(0)), "empty input").toThrow(ScsiError);
      for (const seed of target.seeds) {
        const full = target.decode(seed);
        const longer = new Uint8Array(seed.length + 16).fill(0xa5);
        longer.set(seed);
        expect(target.decode(longer), "bytes past the structure are ignored").toEqual(full);
        for (let n = 0; n < seed.length; n++) {
          try {
            target.decode(seed.subarray(0, n));
          } catch (e) {
            expect(e, `prefix of ${n} bytes`).toBeInstanceOf(ScsiError);
            expect((e as ScsiError).code).toBe("DECODE");
          }
        }
      }
    });
  }
});
