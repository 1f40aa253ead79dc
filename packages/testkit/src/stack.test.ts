import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureMasterKeyFile, STACK_SERVICES, startStack } from "./stack.ts";

const dir = mkdtempSync(join(tmpdir(), "tf-stack-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("master key file", () => {
  it("is created once, mode 0600, base64 of 32 bytes, and never overwritten", () => {
    const file = join(dir, "master-key");
    expect(ensureMasterKeyFile(file)).toBe(true);
    const first = readFileSync(file, "utf8");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(first.trim(), "base64")).toHaveLength(32);
    expect(ensureMasterKeyFile(file)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(first);
  });
});

describe("stack definition", () => {
  it("starts the gateway after every service it talks to", () => {
    const gateway = STACK_SERVICES.find((s) => s.name === "api-gateway")!;
    for (const s of STACK_SERVICES) if (s !== gateway) expect(s.level).toBeLessThan(gateway.level);
    expect(STACK_SERVICES.map((s) => s.name).sort()).toEqual(["api-gateway", "catalog", "device-agent", "inventory", "keyvault", "scheduler"]);
  });

  it("rejects a malformed gateway port before starting anything", async () => {
    await expect(startStack({ varDir: join(dir, "var"), env: { TAPEFLEET_HTTP_PORT: "80x" } })).rejects.toThrow("TAPEFLEET_HTTP_PORT: '80x' is not a port number");
  });
});
