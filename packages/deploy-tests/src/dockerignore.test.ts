import { describe, expect, it } from "vitest";
import { parseDockerIgnore } from "./dockerignore.ts";

describe("parseDockerIgnore", () => {
  const di = parseDockerIgnore(["# comment", "", ".git", "**/node_modules", "**/*.test.ts", "deploy/k8s", "docs/*.md", "!docs/keep.md", "file?.txt", "./var/"].join("\n"));

  it("lists the patterns in order, without comments", () => {
    expect(di.patterns).toEqual([".git", "**/node_modules", "**/*.test.ts", "deploy/k8s", "docs/*.md", "!docs/keep.md", "file?.txt", "./var/"]);
  });

  it.each([
    [".git", true],
    [".git/HEAD", true],
    [".github/x", false],
    ["node_modules", true],
    ["node_modules/x/index.js", true],
    ["packages/a/node_modules/y", true],
    ["packages/a/src/a.test.ts", true],
    ["a.test.ts", true],
    ["packages/a/src/a.ts", false],
    ["deploy/k8s/base/x.yaml", true],
    ["deploy/bin/migrate.ts", false],
    ["docs/a.md", true],
    ["docs/sub/a.md", false],
    ["docs/keep.md", false],
    ["file1.txt", true],
    ["file12.txt", false],
    ["var/x", true],
    ["./var", true],
  ])("%s ignored: %s", (path, ignored) => {
    expect(di.ignores(path)).toBe(ignored);
  });

  it("lets the last matching line win", () => {
    const d = parseDockerIgnore("!a/b\na");
    expect(d.ignores("a/b")).toBe(true);
    const e = parseDockerIgnore("a\n!a/b");
    expect(e.ignores("a/b")).toBe(false);
    expect(e.ignores("a/c")).toBe(true);
  });

  it("treats special characters literally and honours escapes", () => {
    const d = parseDockerIgnore("a+b.(c)\nx\\*y");
    expect(d.ignores("a+b.(c)")).toBe(true);
    expect(d.ignores("aab.(c)")).toBe(false);
    expect(d.ignores("x*y")).toBe(true);
    expect(d.ignores("xzy")).toBe(false);
  });
});
