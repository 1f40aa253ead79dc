import { describe, expect, it } from "vitest";
import { checkName, checkNamespace } from "./names.ts";

describe("names", () => {
  it("accepts safe ids", () => {
    expect(checkName("id", "daily")).toBeUndefined();
    expect(checkName("pool", "d1")).toBeUndefined();
    expect(checkName("labelText", "TF0001L9")).toBeUndefined();
  });
  it("rejects traversal, separators and bad lengths", () => {
    expect(checkName("id", "../etc")).toMatch(/invalid characters/);
    expect(checkName("id", "a/b")).toMatch(/invalid characters/);
    expect(checkName("id", "-ab")).toMatch(/invalid characters/);
    expect(checkName("id", "ab")).toMatch(/at least 3/);
    expect(checkName("id", "a".repeat(33))).toMatch(/at most 32/);
    expect(checkName("id", 5)).toMatch(/string/);
  });
  it("validates namespaces", () => {
    expect(checkNamespace("")).toBeUndefined();
    expect(checkNamespace("a/b/c")).toBeUndefined();
    expect(checkNamespace("a/../b")).toMatch(/'\.\.'/);
    expect(checkNamespace("a/b/c/d/e/f/g/h")).toMatch(/7 levels/);
    expect(checkNamespace("a//b")).toMatch(/component ''/);
  });
});
