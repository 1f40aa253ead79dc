/**
 * Long fuzz run: `npm run fuzz -w packages/scsi [-- --runs N] [--target substring] [--seed S]`.
 * Runs every decoder of {@link FUZZ_TARGETS} (default 2,000,000 cases each) with a random seed
 * unless one is given, prints one line per decoder and exits non-zero on the first failure
 * (with the seed and counterexample that fast-check reports).
 */
import * as fc from "fast-check";
import { parseHexInput } from "../diag/hex-input.ts";
import { FUZZ_TARGETS, checkDecoder, checkHexInput, fuzzInput } from "./targets.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(arg("runs") ?? 2_000_000);
const filter = arg("target");
const seed = arg("seed") !== undefined ? Number(arg("seed")) : Date.now() % 0x7fffffff;
Error.stackTraceLimit = 0;

console.log(`fuzzing ${runs} cases per decoder, seed ${seed}`);
let failed = 0;
const targets = FUZZ_TARGETS.filter((t) => !filter || t.name.includes(filter));
for (const target of targets) {
  const start = performance.now();
  const result = fc.check(fc.property(fuzzInput(target.seeds), (bytes) => checkDecoder(target, bytes)), { numRuns: runs, seed });
  const ms = Math.round(performance.now() - start);
  if (result.failed) {
    failed++;
    console.log(`FAIL ${target.name} after ${result.numRuns} cases (${ms} ms): ${fc.defaultReportMessage(result) ?? ""}`);
  } else {
    console.log(`ok   ${target.name}: ${result.numRuns} cases in ${ms} ms`);
  }
}
if (!filter || "parseHexInput".includes(filter)) {
  const result = fc.check(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[0-9a-fA-F ,\t\-#x\n\r]{0,80}$/)), (t) => checkHexInput(parseHexInput, t)), { numRuns: runs, seed });
  if (result.failed) {
    failed++;
    console.log(`FAIL parseHexInput: ${fc.defaultReportMessage(result) ?? ""}`);
  } else {
    console.log(`ok   parseHexInput: ${result.numRuns} cases`);
  }
}
console.log(failed === 0 ? `${targets.length + 1} passed, 0 failed` : `${targets.length + 1 - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
