import * as fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHexInput } from "../diag/hex-input.ts";
import { FUZZ_TARGETS, checkDecoder, checkHexInput, fuzzInput } from "./targets.ts";

/** Cases per decoder in the suite; `npm run fuzz -w packages/scsi` runs far more. */
const RUNS = 100_000;
/** Runs per fast-check call; the test yields between chunks so the worker stays responsive. */
const CHUNK = 25_000;

async function assertChunked<T>(arb: fc.Arbitrary<T>, check: (v: T) => boolean): Promise<void> {
  for (let done = 0, chunk = 0; done < RUNS; done += CHUNK, chunk++) {
    fc.assert(fc.property(arb, check), { numRuns: Math.min(CHUNK, RUNS - done), seed: 0x5c51 + chunk });
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("decoders on arbitrary bytes return or throw only ScsiError", () => {
  // Stack traces are the main cost of the rejected inputs and are not under test here.
  const stackTraceLimit = Error.stackTraceLimit;
  beforeAll(() => {
    Error.stackTraceLimit = 0;
  });
  afterAll(() => {
    Error.stackTraceLimit = stackTraceLimit;
  });

  it("covers every decoder once", () => {
    expect(FUZZ_TARGETS.length).toBeGreaterThanOrEqual(38);
    expect(new Set(FUZZ_TARGETS.map((t) => t.name)).size).toBe(FUZZ_TARGETS.length);
  });

  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: ${RUNS} cases`, async () => {
      for (const seed of target.seeds) expect(() => target.decode(seed), `${target.name} on its seed`).not.toThrow();
      await assertChunked(fuzzInput(target.seeds), (bytes) => checkDecoder(target, bytes));
    });
  }

  it(`parseHexInput: ${RUNS} cases of arbitrary text`, async () => {
    await assertChunked(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9a-fA-F ,\t\-#x\n\r]{0,40}$/)), (t) => checkHexInput(parseHexInput, t));
  });
});
