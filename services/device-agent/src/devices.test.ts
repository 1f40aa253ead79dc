import { describe, expect, it } from "vitest";
import { DeviceKind, DeviceState } from "@tapefleet/proto";
import { deviceToProto, kindFromProto, selectDevices, type AgentDevice } from "./devices.ts";
import { loadDeviceAgentConfig, splitHostPort } from "./config.ts";

function dev(id: string, kind: AgentDevice["kind"], path: string, state: AgentDevice["state"] = "online"): AgentDevice {
  return { id, kind, vendor: "V", model: "M", revision: "R", serial: id, path, state, virtual: false };
}

const devices = [
  dev("c1", "medium-changer", "/dev/tape/by-id/scsi-C1"),
  dev("d2", "tape-drive", "/dev/tape/by-id/scsi-D2-sg"),
  dev("d1", "tape-drive", "/dev/tape/by-id/scsi-D1-sg"),
  dev("d3", "tape-drive", "/dev/tape/by-id/scsi-D3-sg", "offline"),
];

describe("selectDevices", () => {
  it("orders by kind (drives first) then path, and hides offline devices unless asked", () => {
    expect(selectDevices(devices, { kinds: [], includeOffline: false }).map((d) => d.id)).toEqual(["d1", "d2", "c1"]);
    expect(selectDevices(devices, { kinds: [], includeOffline: true }).map((d) => d.id)).toEqual(["d1", "d2", "d3", "c1"]);
  });

  it("filters by kind", () => {
    expect(selectDevices(devices, { kinds: ["medium-changer"], includeOffline: true }).map((d) => d.id)).toEqual(["c1"]);
    expect(selectDevices(devices, { kinds: ["tape-drive", "medium-changer"], includeOffline: false })).toHaveLength(3);
    expect(selectDevices([], { kinds: [], includeOffline: true })).toEqual([]);
  });
});

describe("proto conversion", () => {
  it("maps kinds and states both ways", () => {
    expect(kindFromProto(DeviceKind.TAPE_DRIVE)).toBe("tape-drive");
    expect(kindFromProto(DeviceKind.MEDIUM_CHANGER)).toBe("medium-changer");
    expect(kindFromProto(DeviceKind.UNSPECIFIED)).toBeUndefined();
    const p = deviceToProto({ ...devices[3]!, generation: "LTO-9", virtual: true });
    expect(p).toMatchObject({ id: "d3", kind: DeviceKind.TAPE_DRIVE, state: DeviceState.OFFLINE, generation: "LTO-9", virtual: true });
    expect("generation" in deviceToProto(devices[0]!)).toBe(false);
  });
});

describe("device agent config", () => {
  it("defaults to loopback and accepts host:port forms", () => {
    const c = loadDeviceAgentConfig({ env: {} });
    expect(c.grpcAddress).toBe("127.0.0.1:8008");
    expect(c.hostId.length).toBeGreaterThan(0);
    expect(splitHostPort("[::1]:50051")).toEqual({ host: "[::1]", port: 50051 });
    expect(loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_ADDRESS: "0.0.0.0:0", TAPEFLEET_HOST_ID: "tape-host-1" } })).toMatchObject({ grpcAddress: "0.0.0.0:0", hostId: "tape-host-1" });
  });

  it("rejects a malformed address or host id, naming the variable", () => {
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_ADDRESS: "8008" } })).toThrow(/TAPEFLEET_GRPC_ADDRESS.*host:port/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_GRPC_ADDRESS: "127.0.0.1:70000" } })).toThrow(/at most 65535/);
    expect(() => loadDeviceAgentConfig({ env: { TAPEFLEET_HOST_ID: "-bad id" } })).toThrow(/TAPEFLEET_HOST_ID/);
  });
});
