import { readFileSync } from "node:fs";
import { envNameOf } from "@tapefleet/common";
import { describe, expect, it } from "vitest";
import { gatewayConfigSchema } from "./config.ts";

describe("gateway configuration", () => {
  it("documents every setting in the README's table", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const documented = [...readme.matchAll(/^\| `(TAPEFLEET_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(gatewayConfigSchema.shape).map(envNameOf).sort());
  });

  it("listens on 8007 and writes the admin token to ./var/admin-token by default", () => {
    const c = gatewayConfigSchema.parse({ databaseUrl: "postgres://x@h/db" });
    expect(c).toMatchObject({ httpPort: 8007, httpHost: "127.0.0.1", adminTokenFile: "./var/admin-token", requestTimeoutMs: 10000 });
    expect(gatewayConfigSchema.parse({ databaseUrl: "postgres://x@h/db", httpPort: "9000" }).httpPort).toBe(9000);
    expect(gatewayConfigSchema.safeParse({}).success).toBe(false);
  });
});
