import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentials, logVerbosity, setLogVerbosity } from "@grpc/grpc-js";
import { Bus, createLogger, type ServiceAnnouncement } from "@tapefleet/common";
import { closeClient, createClient, DeviceAgentService, DeviceChangeKind, DeviceKind, Health, HealthCheckResponse_ServingStatus } from "@tapefleet/proto";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { AGENT_VERSION, loadDeviceAgentConfig, NO_DEVICES, startDeviceAgent, staticDevices, type AgentDevice } from "../../src/index.ts";

let env: TestEnv;
// The address clash below is expected: keep grpc-js from printing its own error line for it.
setLogVerbosity(logVerbosity.NONE);

beforeAll(async () => {
  env = await provisionTestEnv("agent");
});
afterAll(async () => {
  await env?.cleanup();
});

const changer: AgentDevice = { id: "TFLIB00001", kind: "medium-changer", vendor: "TAPEFLT", model: "VLIB", revision: "0100", serial: "TFLIB00001", path: "vtl:lib1/changer", state: "online", virtual: true };
const drive: AgentDevice = { id: "TFD9000001", kind: "tape-drive", vendor: "IBM", model: "ULTRIUM-HH9", revision: "Q3B0", serial: "TFD9000001", path: "vtl:lib1/drive0", state: "online", generation: "LTO-9", virtual: true };

function config(extra: Record<string, string> = {}) {
  return loadDeviceAgentConfig({ env: { ...env.serviceEnv(), TAPEFLEET_GRPC_ADDRESS: "127.0.0.1:0", TAPEFLEET_HOST_ID: "host-a", TAPEFLEET_LOG_LEVEL: "silent", ...extra } });
}

describe("device agent", () => {
  it("serves agent info, devices, watch and health over gRPC, and announces its address on NATS", async () => {
    const agent = await startDeviceAgent(config(), { devices: staticDevices("test", [changer, drive]), installSignalHandlers: false });
    const client = createClient(DeviceAgentService, agent.grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 10_000 });
    const health = createClient(Health, agent.grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 10_000 });
    const bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "agent-test", logger: createLogger({ service: "t", level: "silent" }) });
    try {
      expect(agent.grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(agent.grpcAddress).not.toBe("127.0.0.1:0");
      const info = await client.getAgentInfo({});
      expect(info.agent).toMatchObject({ hostId: "host-a", agentVersion: AGENT_VERSION, grpcAddress: agent.grpcAddress });

      const all = await client.listDevices({});
      expect(all.devices.map((d) => d.id)).toEqual(["TFD9000001", "TFLIB00001"]);
      expect(all.devices[0]).toMatchObject({ kind: DeviceKind.TAPE_DRIVE, generation: "LTO-9", virtual: true, path: "vtl:lib1/drive0" });
      const changers = await client.listDevices({ kinds: [DeviceKind.MEDIUM_CHANGER] });
      expect(changers.devices.map((d) => d.id)).toEqual(["TFLIB00001"]);

      const abort = new AbortController();
      const seen: string[] = [];
      const stream = client.watchDevices({}, { signal: abort.signal });
      await expect(
        (async () => {
          for await (const change of stream) {
            expect(change.change).toBe(DeviceChangeKind.ADDED);
            seen.push(change.device!.id);
            if (seen.length === 2) abort.abort();
          }
        })(),
      ).rejects.toMatchObject({ code: 1 });
      expect(seen.sort()).toEqual(["TFD9000001", "TFLIB00001"]);

      expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      expect((await health.check({ service: "tapefleet.device.v1.DeviceAgentService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);

      const announced = await bus.gather<ServiceAnnouncement>("svc.ping", {}, 1000);
      const me = announced.find((a) => a.service === "device-agent");
      expect(me?.info).toMatchObject({ hostId: "host-a", grpcAddress: agent.grpcAddress });
      expect(me?.ready).toBe(true);
    } finally {
      closeClient(client);
      closeClient(health);
      await bus.close();
      await agent.stop();
    }
  });

  it("reports no devices when none are configured, and fails clearly when the address is taken", async () => {
    const agent = await startDeviceAgent(config(), { devices: NO_DEVICES, installSignalHandlers: false });
    const client = createClient(DeviceAgentService, agent.grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 10_000 });
    try {
      expect((await client.listDevices({ includeOffline: true })).devices).toEqual([]);
      const clash = await startDeviceAgent(config({ TAPEFLEET_GRPC_ADDRESS: agent.grpcAddress }), { installSignalHandlers: false }).catch((e: unknown) => e);
      expect(clash).toMatchObject({ code: "UNAVAILABLE" });
      expect(String((clash as Error).message)).toContain("TAPEFLEET_GRPC_ADDRESS");
    } finally {
      closeClient(client);
      await agent.stop();
    }
  });
});
