import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { DeviceAgentService } from "../gen/ts/tapefleet/device/v1/device_agent_service_pb.ts";
import { DeviceKind, ListDevicesRequestSchema, ListDevicesResponseSchema } from "../gen/ts/tapefleet/device/v1/device_agent_pb.ts";
import { Health } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { createServiceDefinition, methodPath, toMessage } from "./service-definition.ts";

describe("createServiceDefinition", () => {
  it("keys methods by local name with /<package>.<Service>/<Method> paths and streaming flags", () => {
    const def = createServiceDefinition(DeviceAgentService);
    expect(Object.keys(def).slice(0, 3)).toEqual(["getAgentInfo", "listDevices", "watchDevices"]);
    for (const [name, method] of Object.entries(def)) {
      expect(method.path).toBe(`/tapefleet.device.v1.DeviceAgentService/${name[0]!.toUpperCase()}${name.slice(1)}`);
    }
    expect(def["writeSession"]).toMatchObject({ requestStream: true, responseStream: true });
    expect(def["getAgentInfo"]).toMatchObject({
      path: "/tapefleet.device.v1.DeviceAgentService/GetAgentInfo",
      requestStream: false,
      responseStream: false,
      originalName: "GetAgentInfo",
    });
    expect(def["watchDevices"]).toMatchObject({ path: "/tapefleet.device.v1.DeviceAgentService/WatchDevices", requestStream: false, responseStream: true });
    expect(createServiceDefinition(Health)["watch"]?.path).toBe("/grpc.health.v1.Health/Watch");
  });

  it("is cached per descriptor", () => {
    expect(createServiceDefinition(DeviceAgentService)).toBe(createServiceDefinition(DeviceAgentService));
  });

  it("encodes with toBinary and decodes with fromBinary, accepting init objects", () => {
    const def = createServiceDefinition(DeviceAgentService)["listDevices"];
    if (def === undefined) throw new Error("listDevices missing");
    const fromInit = def.requestSerialize({ kinds: [DeviceKind.MEDIUM_CHANGER], includeOffline: true } as never);
    const expected = toBinary(ListDevicesRequestSchema, create(ListDevicesRequestSchema, { kinds: [DeviceKind.MEDIUM_CHANGER], includeOffline: true }));
    expect(new Uint8Array(fromInit)).toEqual(expected);
    const decoded = def.requestDeserialize(fromInit) as { $typeName: string; kinds: DeviceKind[]; includeOffline: boolean };
    expect(decoded.$typeName).toBe("tapefleet.device.v1.ListDevicesRequest");
    expect(decoded.kinds).toEqual([DeviceKind.MEDIUM_CHANGER]);
    expect(decoded.includeOffline).toBe(true);
    const response = def.responseDeserialize(def.responseSerialize(create(ListDevicesResponseSchema, { devices: [{ serial: "S1" }] })));
    expect((response as { devices: { serial: string }[] }).devices[0]?.serial).toBe("S1");
  });

  it("fails to decode truncated bytes", () => {
    const def = createServiceDefinition(DeviceAgentService)["listDevices"];
    if (def === undefined) throw new Error("listDevices missing");
    const bytes = def.responseSerialize(create(ListDevicesResponseSchema, { devices: [{ serial: "S1", model: "ULTRIUM-HH9" }] }));
    expect(() => def.responseDeserialize(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});

describe("methodPath and toMessage", () => {
  it("builds the HTTP/2 path from the descriptor", () => {
    expect(methodPath(Health.method.check)).toBe("/grpc.health.v1.Health/Check");
  });

  it("returns message instances unchanged and creates messages from init objects", () => {
    const message = create(ListDevicesRequestSchema, { includeOffline: true });
    expect(toMessage(ListDevicesRequestSchema, message)).toBe(message);
    const created = toMessage(ListDevicesRequestSchema, { includeOffline: true });
    expect(created.$typeName).toBe("tapefleet.device.v1.ListDevicesRequest");
    expect(created.kinds).toEqual([]);
  });
});
