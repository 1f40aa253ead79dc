import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as engine from "./index.ts";

const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");

describe("README", () => {
  it("runs the example and prints the output it shows", () => {
    const section = readme.slice(readme.indexOf("## Example"));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const output = /Output:\n\n```text\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toBeDefined();
    expect(output).toBeDefined();
    const index = fileURLToPath(new URL("./index.ts", import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), "pool-engine-readme-"));
    try {
      const file = join(dir, "example.ts");
      writeFileSync(file, (code as string).replace('"./pool-engine/index.ts"', JSON.stringify(index)));
      const out = execFileSync(process.execPath, ["--import", "tsx", file], {
        cwd: fileURLToPath(new URL("../../../../", import.meta.url)),
        encoding: "utf8",
      });
      expect(out).toBe(output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists only functions the module exports", () => {
    const table = readme.slice(readme.indexOf("## Functions"), readme.indexOf("## Example"));
    const firstCells = [...table.matchAll(/^\| (.+?) \| .+ \|$/gm)].map((m) => m[1] as string).filter((c) => c.startsWith("`"));
    const names = firstCells.flatMap((cell) => [...cell.matchAll(/`(\w+)/g)].map((m) => m[1] as string));
    expect(names.length).toBeGreaterThanOrEqual(20);
    for (const name of names) expect(Object.keys(engine), name).toContain(name);
  });

  it("names every error code", () => {
    for (const code of ["NO_USABLE_MEDIA", "MEDIA_SET_INCONSISTENT", "WORM_POLICY", "INVALID_POOL_CONFIG", "INVALID_MEDIUM", "INVALID_ARGUMENT"]) {
      expect(readme).toContain(`| \`${code}\` |`);
    }
  });
});
