import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envNameOf } from "@tapefleet/common";
import { DeviceAgentService } from "@tapefleet/proto";
import { deviceAgentConfigSchema } from "./config.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("documents every configuration variable", () => {
    const keys = Object.keys(deviceAgentConfigSchema.shape);
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) expect(readme, envNameOf(key)).toContain(`\`${envNameOf(key)}\``);
    expect(readme).toContain("TAPEFLEET_CONFIG_FILE");
  });
});

describe("README rpc table", () => {
  it("documents every drive and changer rpc", () => {
    const rpcs = DeviceAgentService.methods.map((m) => m.name).filter((n) => !["WriteSession", "ReadTapeFile", "RestoreFromTape", "ScanTape"].includes(n));
    expect(rpcs.length).toBeGreaterThan(20);
    for (const name of rpcs) expect(readme, name).toContain(`\`${name}\``);
  });
});
