import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentials } from "@grpc/grpc-js";
import { Bus, createLogger } from "@tapefleet/common";
import { closeClient, createClient, DeviceAgentService } from "@tapefleet/proto";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { CLEAN_REQUESTED_EVENT, deviceSourceFor, loadDeviceAgentConfig, startDeviceAgent, type CleanRequestedEvent, type VirtualLibrarySource } from "../../src/index.ts";

let env: TestEnv;
let dir: string;

beforeAll(async () => {
  env = await provisionTestEnv("agentclean");
  dir = mkdtempSync(join(tmpdir(), "tf-agent-clean-"));
});
afterAll(async () => {
  await env?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("clean requests", () => {
  it("publishes device.drive.clean-requested once when a drive raises CLEAN NOW", async () => {
    const config = loadDeviceAgentConfig({ env: { ...env.serviceEnv(), TAPEFLEET_GRPC_ADDRESS: "127.0.0.1:0", TAPEFLEET_VTL_DIR: join(dir, "vtl"), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_READY_POLL_MS: "20" } });
    const source = (await deviceSourceFor(config)) as VirtualLibrarySource;
    const agent = await startDeviceAgent(config, { devices: source, installSignalHandlers: false });
    const client = createClient(DeviceAgentService, agent.grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 30_000 });
    const bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "clean-test", logger: createLogger({ service: "t", level: "silent" }) });
    const events: Array<{ type: string; subject: string; data: CleanRequestedEvent }> = [];
    bus.subscribe(`events.${CLEAN_REQUESTED_EVENT}`, (e) => events.push(e as (typeof events)[number]));
    try {
      for await (const m of client.loadMedia({ device: "TFLIB00001", driveNumber: 1, source: { case: "slot", value: 9 }, waitReady: true })) void m;
      source.library.setTapeAlert("lib1/drive1", 0x14);
      const s1 = await client.getDriveStatus({ device: "TFD8000002" });
      expect(s1.status?.alertFlags).toContain("CLEAN_NOW");
      await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1);
      expect(events[0]).toMatchObject({ type: CLEAN_REQUESTED_EVENT, subject: "TFD8000002", data: { hostId: config.hostId, serial: "TFD8000002", path: "vtl:lib1/drive1", flags: expect.arrayContaining(["CLEAN_NOW"]) } });
      await client.getDriveStatus({ device: "TFD8000002" });
      // Still raised: not published again.
      await bus.gather("svc.ping", {}, 300);
      expect(events).toHaveLength(1);
    } finally {
      await bus.close();
      closeClient(client);
      await agent.stop();
    }
  });
});
