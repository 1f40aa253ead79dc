import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const protoDir = dirname(dirname(fileURLToPath(import.meta.url)));

describe("README example", () => {
  it("is the code of examples/server-and-client.ts", async () => {
    const readme = await readFile(join(protoDir, "README.md"), "utf8");
    const match = /<!-- example: examples\/server-and-client\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(match, "README.md has no example block").not.toBeNull();
    expect(match?.[1]).toBe(await readFile(join(protoDir, "examples/server-and-client.ts"), "utf8"));
  });

  it("runs and prints what the README promises", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/server-and-client.ts"], { cwd: protoDir, timeout: 60_000 });
    expect(stdout.split("\n")).toEqual([
      "agent host-a 0.1.0",
      "drives 10WT012345 LTO-9",
      "watch 10WT012345",
      "error [INVALID_ARGUMENT] kinds: DEVICE_KIND_UNSPECIFIED is not a device kind",
      "stopped",
      "",
    ]);
  });
});
