import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentials } from "@grpc/grpc-js";
import { closeClient, createClient, DeviceAgentService, DeviceKind, DeviceState } from "@tapefleet/proto";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { listVtlDevices } from "@tapefleet/vtl";
import { deviceSourceFor, loadDeviceAgentConfig, startDeviceAgent, VTL_SOCKET_NAME, type VirtualLibrarySource } from "../../src/index.ts";

let env: TestEnv;
let dir: string;

beforeAll(async () => {
  env = await provisionTestEnv("agentvtl");
  dir = mkdtempSync(join(tmpdir(), "tf-agent-vtl-"));
});
afterAll(async () => {
  await env?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("device agent over the virtual library", () => {
  it("creates the default library on first start, lists its devices over gRPC, serves its socket, and reopens it", async () => {
    const vtlDir = join(dir, "vtl");
    const config = loadDeviceAgentConfig({ env: { ...env.serviceEnv(), TAPEFLEET_GRPC_ADDRESS: "127.0.0.1:0", TAPEFLEET_VTL_DIR: vtlDir, TAPEFLEET_LOG_LEVEL: "silent" } });
    const source = (await deviceSourceFor(config)) as VirtualLibrarySource;
    expect(source.created).toBe(true);
    const agent = await startDeviceAgent(config, { devices: source, installSignalHandlers: false });
    const client = createClient(DeviceAgentService, agent.grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 10_000 });
    try {
      const { devices } = await client.listDevices({});
      expect(devices.map((d) => [d.path, d.kind, d.generation ?? "-"])).toEqual([
        ["vtl:lib1/drive0", DeviceKind.TAPE_DRIVE, "LTO-9"],
        ["vtl:lib1/drive1", DeviceKind.TAPE_DRIVE, "LTO-8"],
        ["vtl:lib1/changer", DeviceKind.MEDIUM_CHANGER, "-"],
      ]);
      expect(devices.every((d) => d.virtual && d.state === DeviceState.ONLINE)).toBe(true);
      expect(devices.map((d) => d.serial)).toEqual(["TFD9000001", "TFD8000002", "TFLIB00001"]);
      const onSocket = await listVtlDevices(join(vtlDir, VTL_SOCKET_NAME));
      expect(onSocket.map((d) => d.id).sort()).toEqual(["lib1/changer", "lib1/drive0", "lib1/drive1"]);

      source.library.setOffline("lib1/drive1");
      expect((await client.listDevices({})).devices.map((d) => d.path)).not.toContain("vtl:lib1/drive1");
      const all = await client.listDevices({ includeOffline: true });
      expect(all.devices.find((d) => d.path === "vtl:lib1/drive1")?.state).toBe(DeviceState.OFFLINE);
    } finally {
      closeClient(client);
      await agent.stop();
    }
    expect(existsSync(join(vtlDir, VTL_SOCKET_NAME))).toBe(false);

    const again = (await deviceSourceFor(config)) as VirtualLibrarySource;
    try {
      expect(again.created).toBe(false);
      expect((await again.list()).map((d) => d.id)).toHaveLength(3);
    } finally {
      await again.close!();
    }
  });
});
