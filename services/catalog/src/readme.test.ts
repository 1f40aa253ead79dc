import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envNameOf } from "@tapefleet/common";
import * as tapeFormat from "@tapefleet/tape-format";
import { catalogConfigSchema } from "./config.ts";
import * as pkg from "./index.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("documents every configuration variable", () => {
    const keys = Object.keys(catalogConfigSchema.shape);
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) expect(readme, envNameOf(key)).toContain(`\`${envNameOf(key)}\``);
    expect(readme).toContain("TAPEFLEET_CONFIG_FILE");
  });

  it("runs the example: catalog records from a media catalog and the same bytes back", async () => {
    const block = /<!-- readme-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const code = block![1]!
      .replace(/^import \{([^}]*)\} from "@tapefleet\/tape-format";$/m, (_m, names: string) => `const {${names}} = tapeFormat;`)
      .replace(/^import \{([^}]*)\} from "@tapefleet\/catalog";$/m, (_m, names: string) => `const {${names}} = pkg;`);
    expect(code).not.toContain("import ");
    const lines: unknown[][] = [];
    const fakeConsole = { log: (...args: unknown[]) => lines.push(args) };
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
    await new AsyncFunction("tapeFormat", "pkg", "console", code)(tapeFormat, pkg, fakeConsole);
    expect(lines).toEqual([["media-set-joined 0:media-label 1:media-set-label 2:chunk-archive 3:snapshot-archive"], [true]]);
  });
});
