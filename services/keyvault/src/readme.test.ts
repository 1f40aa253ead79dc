import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envNameOf } from "@tapefleet/common";
import { keyvaultConfigSchema } from "./config.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("documents every configuration variable", () => {
    const keys = Object.keys(keyvaultConfigSchema.shape);
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) expect(readme, envNameOf(key)).toContain(`\`${envNameOf(key)}\``);
    expect(readme).toContain("TAPEFLEET_CONFIG_FILE");
  });
});
