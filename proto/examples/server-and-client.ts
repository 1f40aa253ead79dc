import { Server, ServerCredentials, credentials } from "@grpc/grpc-js";
import {
  DeviceAgentService,
  DeviceKind,
  DeviceState,
  GrpcCode,
  GrpcError,
  Health,
  addPartialService,
  addService,
  closeClient,
  createClient,
  createHealthService,
} from "@tapefleet/proto";

// Server: one handler per rpc, typed from the generated descriptor.
const server = new Server();
const health = createHealthService();
addPartialService(server, DeviceAgentService, {
  async getAgentInfo() {
    return { agent: { hostId: "host-a", agentVersion: "0.1.0", grpcAddress: "127.0.0.1:7443" } };
  },
  async listDevices(request) {
    if (request.kinds.includes(DeviceKind.UNSPECIFIED)) {
      throw new GrpcError(GrpcCode.INVALID_ARGUMENT, "kinds: DEVICE_KIND_UNSPECIFIED is not a device kind");
    }
    return {
      devices: [{ id: "10WT012345", kind: DeviceKind.TAPE_DRIVE, serial: "10WT012345", state: DeviceState.ONLINE, generation: "LTO-9" }],
    };
  },
  async *watchDevices() {
    yield { device: { id: "10WT012345", kind: DeviceKind.TAPE_DRIVE } };
  },
});
addService(server, Health, health.implementation);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
);
health.setStatus(DeviceAgentService.typeName, "SERVING");

// Client: promises for unary rpcs, async iterables for streams.
const agent = createClient(DeviceAgentService, `127.0.0.1:${port}`, credentials.createInsecure(), { defaultTimeoutMs: 5_000 });
const info = await agent.getAgentInfo({});
console.log(`agent ${info.agent?.hostId} ${info.agent?.agentVersion}`);
const { devices } = await agent.listDevices({ kinds: [DeviceKind.TAPE_DRIVE] }, { timeoutMs: 1_000 });
console.log(`drives ${devices.map((d) => `${d.serial} ${d.generation ?? "?"}`).join(", ")}`);
for await (const change of agent.watchDevices({}, { signal: AbortSignal.timeout(5_000) })) {
  console.log(`watch ${change.device?.id}`);
}
try {
  await agent.listDevices({ kinds: [DeviceKind.UNSPECIFIED] });
} catch (error) {
  if (error instanceof GrpcError) console.log(`error ${error.message}`);
}
closeClient(agent);
health.enterShutdown();
server.tryShutdown(() => console.log("stopped"));
