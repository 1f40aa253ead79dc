import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as pkg from "./index.ts";

/** Runs the README example against this package so the docs stay true. */
describe("README example", () => {
  it("runs and prints the expected summary", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /<!-- readme-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const code = block![1]!.replace(
      /^import \{([^}]*)\} from "@tapefleet\/tape-format";$/m,
      (_m, names: string) => `const {${names}} = pkg;`,
    );
    expect(code).not.toContain("import ");
    const lines: unknown[][] = [];
    const fakeConsole = { log: (...args: unknown[]) => lines.push(args) };
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
    await new AsyncFunction("pkg", "console", code)(pkg, fakeConsole);
    expect(lines).toEqual([["labeled", 1, 1]]);
  });
});
