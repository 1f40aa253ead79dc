import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { createSampleDatastore } from "./sample.ts";
import { useTmpDirs } from "./test-support.ts";

const run = promisify(execFile);
const tmp = useTmpDirs();
const pkg = resolve(fileURLToPath(import.meta.url), "../..");
const tsx = resolve(pkg, "../../node_modules/.bin/tsx");
let store: string;

async function tool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(tsx, [join(pkg, "bin/datastore.ts"), ...args], { cwd: pkg });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

beforeAll(async () => {
  store = await tmp();
  await createSampleDatastore(store, { size: 512 * 1024, seed: 4 });
});

describe("development tool and README", () => {
  it("lists and verifies a datastore, and creates samples", async () => {
    const ls = await tool("ls", store);
    expect(ls.code).toBe(0);
    expect(ls.out).toContain("namespace dev/ci/nightly");
    expect(ls.out).toContain("[protected]");
    expect(ls.out).toContain("[unfinished]");
    expect(ls.out).toMatch(/vm\/100 {2}owner root@pam/);
    const verify = await tool("verify", store);
    expect(verify.code).toBe(0);
    expect(verify.out).toMatch(/bad: 0\n/);
    expect(verify.out).toContain("missing chunks: 0");
    const sample = await tool("sample", join(await tmp(), "s"), "--size", "300KiB", "--seed", "2");
    expect(sample.code).toBe(0);
    expect(sample.out).toContain("finished snapshots");
    const bad = await tool("ls", join(store, "nope"));
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("error (not-found)");
    expect((await tool("frobnicate", store)).code).toBe(2);
  }, 120_000);

  it("runs the README reading example", async () => {
    const readme = await readFile(join(pkg, "README.md"), "utf8");
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    const program = snippet
      .replace('"@tapefleet/datastore"', JSON.stringify(join(pkg, "src/index.ts")))
      .replace('"/mnt/datastore/store1"', JSON.stringify(store))
      .concat('\nconsole.log("README example done");\n');
    const file = join(await tmp(), "readme-example.mts");
    await writeFile(file, program);
    const { stdout } = await run(tsx, [file], { cwd: pkg });
    expect(stdout).toContain("README example done");
  }, 120_000);
});
