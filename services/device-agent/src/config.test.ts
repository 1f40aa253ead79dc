import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDeviceAgentConfig } from "./config.ts";

describe("device agent config", () => {
  it("takes devices as a JSON list from the environment and from the config file", () => {
    const c = loadDeviceAgentConfig({ env: { TAPEFLEET_DEVICES: JSON.stringify([{ path: "/dev/tape/by-id/scsi-X-sg" }, { vtl: "/var/lib/vtl2", spec: "/etc/vtl2.json" }]) } });
    expect(c.devices).toEqual([{ path: "/dev/tape/by-id/scsi-X-sg" }, { vtl: "/var/lib/vtl2", spec: "/etc/vtl2.json" }]);
    expect(c.readyPollMs).toBe(1000);
    const dir = mkdtempSync(join(tmpdir(), "tf-agent-config-"));
    const file = join(dir, "agent.json");
    writeFileSync(file, JSON.stringify({ devices: [{ path: "/dev/tape/by-id/scsi-Y" }], vtlDir: "/srv/vtl", readyPollMs: 50 }));
    const f = loadDeviceAgentConfig({ env: { TAPEFLEET_CONFIG_FILE: file } });
    expect(f).toMatchObject({ devices: [{ path: "/dev/tape/by-id/scsi-Y" }], vtlDir: "/srv/vtl", readyPollMs: 50 });
  });

  it("takes the default number of chunk readers from TAPEFLEET_CHUNK_READERS, 1 to 64", () => {
    expect(loadDeviceAgentConfig({ env: {} }).chunkReaders).toBeUndefined();
    expect(loadDeviceAgentConfig({ env: { TAPEFLEET_CHUNK_READERS: "8" } }).chunkReaders).toBe(8);
    for (const bad of ["0", "65", "2.5", "many"]) expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_CHUNK_READERS: bad } })).toThrow(/chunkReaders|CHUNK_READERS/);
  });

  it("rejects relative paths, unknown keys, duplicates and a spec without a folder, naming the field", () => {
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_DEVICES: JSON.stringify([{ path: "dev/sg0" }]) } })).toThrow(/devices/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_DEVICES: JSON.stringify([{ path: "/dev/sg0", serial: "x" }]) } })).toThrow(/devices/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_DEVICES: JSON.stringify([{ path: "/dev/sg0" }, { path: "/dev/sg0" }]) } })).toThrow(/configured twice/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_VTL_DIR: "/a", TAPEFLEET_DEVICES: JSON.stringify([{ vtl: "/a" }]) } })).toThrow(/configured twice/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_VTL_SPEC: "/spec.json" } })).toThrow(/vtlSpec|VTL_SPEC/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_DEVICES: "not json" } })).toThrow(/devices|DEVICES/);
  });
});
