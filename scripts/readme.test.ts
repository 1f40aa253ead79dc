import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../", import.meta.url);
const readme = readFileSync(new URL("README.md", root), "utf8");
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { scripts: Record<string, string> };

describe("root README", () => {
  it("has a two-command quick start that matches the root scripts", () => {
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const commands = quick
      .split("\n")
      .map((l) => l.replace(/#.*$/, "").trim())
      .filter((l) => l !== "");
    expect(commands).toEqual(["npm ci && npm start", "npm test"]);
    expect(pkg.scripts["start"]).toBe("tsx packages/testkit/src/bin/stack.ts");
    expect(pkg.scripts["test"]).toBe("node scripts/test.mjs");
    expect(existsSync(new URL("packages/testkit/src/bin/stack.ts", root))).toBe(true);
    expect(readFileSync(new URL(".ci/run", root), "utf8")).toMatch(/\nnpm test\n/);
  });

  it("links the README of every service", () => {
    const services = readdirSync(new URL("services/", root));
    expect(services.length).toBeGreaterThanOrEqual(6);
    for (const s of services) {
      expect(existsSync(new URL(`services/${s}/README.md`, root)), s).toBe(true);
      expect(readme, s).toContain(`(services/${s}/README.md)`);
    }
  });

  it("documents every variable the launcher reads", () => {
    const launcher = readFileSync(new URL("packages/testkit/src/stack.ts", root), "utf8") + readFileSync(new URL("packages/testkit/src/bin/stack.ts", root), "utf8");
    const read = new Set([...launcher.matchAll(/env\["((?:TAPEFLEET_)?[A-Z_]+)"\]/g)].map((m) => m[1]!));
    expect(read.size).toBeGreaterThan(5);
    for (const name of read) expect(readme, name).toContain(`\`${name}\``);
  });
});
