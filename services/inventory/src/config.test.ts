import { readFileSync } from "node:fs";
import { envNameOf } from "@tapefleet/common";
import { describe, expect, it } from "vitest";
import { inventoryConfigSchema } from "./config.ts";

describe("inventory configuration", () => {
  it("documents every setting in the README's table", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const documented = [...readme.matchAll(/^\| `(TAPEFLEET_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(inventoryConfigSchema.shape).map(envNameOf).sort());
  });

  it("requires a database URL and applies defaults", () => {
    expect(inventoryConfigSchema.safeParse({}).success).toBe(false);
    const c = inventoryConfigSchema.parse({ databaseUrl: "postgres://x@h/db" });
    expect(c).toMatchObject({ natsPrefix: "tf", httpPort: 0, slowRequestMs: 2000 });
  });
});
