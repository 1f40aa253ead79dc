#!/usr/bin/env node
/**
 * `npm test`: the type check of every workspace (root tsconfig.json), then
 * every vitest project (unit + integration). Ends with one summary line,
 * `N passed, N failed`, where the type check counts as one test. Extra
 * arguments go to vitest (e.g. `npm test -- services/catalog`).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const outDir = join(root, "test-output");
const report = join(outDir, "vitest.json");
mkdirSync(outDir, { recursive: true });
rmSync(report, { force: true });

if (!existsSync(join(root, "node_modules", ".bin", "vitest"))) {
  console.log("== node_modules is missing: npm ci");
  const ci = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (ci.status !== 0) {
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

// Integration tests use the machine's PostgreSQL, Redis and NATS (started here when they do not answer).
const services = spawnSync("bash", [join(root, "scripts", "backing-services.sh")], { cwd: root, stdio: "inherit" });
if (services.status !== 0) console.log("backing services are not all up: integration tests will fail");

let passed = 0;
let failed = 0;

console.log("== type check: tsc -p tsconfig.json");
const tsc = spawnSync(bin("tsc"), ["-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
if (tsc.status === 0) {
  passed += 1;
  console.log("type check: passed");
} else {
  failed += 1;
  console.log(`type check: FAILED (exit ${tsc.status ?? tsc.signal})`);
}

console.log("== tests: vitest run");
const vitest = spawnSync(
  bin("vitest"),
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit" },
);

if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  // A test file that fails to load or fails in a hook has no failed test of its own: count it once.
  for (const file of r.testResults ?? []) {
    const failedInFile = (file.assertionResults ?? []).filter((a) => a.status === "failed").length;
    if (file.status === "failed" && failedInFile === 0) failed += 1;
  }
  if (vitest.status !== 0 && failed === 0) failed += 1;
} else {
  console.log(`vitest wrote no report (exit ${vitest.status ?? vitest.signal})`);
  failed += 1;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && vitest.status === 0 && tsc.status === 0 ? 0 : 1);
