import { Server, ServerCredentials } from "@grpc/grpc-js";
import { startService, UnavailableError, type RunningService } from "@tapefleet/common";
import { addService, createHealthService, DeviceAgentService, DeviceChangeKind, Health, HealthCheckResponse_ServingStatus, SERVER_HEALTH, type ServiceImpl } from "@tapefleet/proto";
import { splitHostPort, type DeviceAgentConfig } from "./config.ts";
import { deviceToProto, kindFromProto, NO_DEVICES, selectDevices, type AgentDevice, type DeviceSource } from "./devices.ts";

/** Version reported by GetAgentInfo. */
export const AGENT_VERSION = "0.1.0";
/** How long a stopping agent lets calls in flight finish before cancelling them. */
export const GRPC_SHUTDOWN_GRACE_MS = 5000;

export interface StartDeviceAgentOptions {
  /** Where the devices come from (default: {@link NO_DEVICES}). */
  devices?: DeviceSource;
  installSignalHandlers?: boolean;
}

export interface RunningDeviceAgent {
  service: RunningService<Record<string, never>>;
  /** The address the gRPC server is bound to (`host:port`, the real port when 0 was asked for). */
  grpcAddress: string;
  stop(): Promise<void>;
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, GRPC_SHUTDOWN_GRACE_MS);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The DeviceAgentService handlers over a device source. */
export function deviceAgentImpl(source: DeviceSource, agent: { hostId: string; grpcAddress: () => string }): ServiceImpl<typeof DeviceAgentService> {
  const filtered = async (kinds: readonly number[], includeOffline: boolean): Promise<AgentDevice[]> => {
    const wanted = kinds.map(kindFromProto);
    const selectable = wanted.filter((k): k is AgentDevice["kind"] => k !== undefined);
    if (wanted.length > 0 && selectable.length === 0) return [];
    return selectDevices(await source.list(), { kinds: selectable, includeOffline });
  };
  return {
    getAgentInfo: () => ({ agent: { hostId: agent.hostId, agentVersion: AGENT_VERSION, grpcAddress: agent.grpcAddress() } }),
    listDevices: async (req) => ({ devices: (await filtered(req.kinds, req.includeOffline)).map(deviceToProto) }),
    async *watchDevices(req, ctx) {
      for (const d of await filtered(req.kinds, true)) yield { change: DeviceChangeKind.ADDED, device: deviceToProto(d) };
      // The device set of a source does not change while the agent runs: hold the stream until the client leaves.
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    },
  };
}

/**
 * Starts the device agent in this process: the gRPC server (DeviceAgentService
 * and grpc.health.v1.Health, plaintext on `grpcAddress`), then NATS with an
 * announcement carrying the host id and the gRPC address.
 */
export async function startDeviceAgent(config: DeviceAgentConfig, options: StartDeviceAgentOptions = {}): Promise<RunningDeviceAgent> {
  const source = options.devices ?? NO_DEVICES;
  const { host } = splitHostPort(config.grpcAddress);
  const server = new Server();
  const health = createHealthService({ [SERVER_HEALTH]: "NOT_SERVING" });
  let grpcAddress = config.grpcAddress;
  let log: ((err: unknown, method: string, requestId: string) => void) | undefined;
  addService(server, DeviceAgentService, deviceAgentImpl(source, { hostId: config.hostId, grpcAddress: () => grpcAddress }), {
    onError: (err, f) => log?.(err, f.method.name, f.requestId),
  });
  addService(server, Health, health.implementation);
  let port: number;
  try {
    port = await bind(server, config.grpcAddress);
  } catch (err) {
    server.forceShutdown();
    await source.close?.().catch(() => {});
    throw new UnavailableError(`cannot bind gRPC on ${config.grpcAddress} (TAPEFLEET_GRPC_ADDRESS): ${(err as Error).message}`, err);
  }
  grpcAddress = `${host}:${port}`;
  let service: RunningService<Record<string, never>>;
  try {
    service = await startService({
      name: "device-agent",
      config,
      info: { hostId: config.hostId, grpcAddress, devices: source.name },
      ...(options.installSignalHandlers === undefined ? {} : { installSignalHandlers: options.installSignalHandlers }),
    });
  } catch (err) {
    server.forceShutdown();
    await source.close?.().catch(() => {});
    throw err;
  }
  log = (err, method, requestId) => service.logger.warn({ err, method, requestId }, "gRPC call failed");
  // Hooks run in reverse: the gRPC server stops before the device source closes.
  if (source.close !== undefined) service.lifecycle.onShutdown("devices", () => source.close!());
  service.lifecycle.onShutdown("grpc", async () => {
    health.enterShutdown();
    await shutdown(server);
  });
  health.setStatus(SERVER_HEALTH, "SERVING");
  health.setStatus(DeviceAgentService.typeName, "SERVING");
  service.addReadinessCheck("grpc", () => health.getStatus(SERVER_HEALTH) === HealthCheckResponse_ServingStatus.SERVING);
  service.markReady();
  service.logger.info({ grpcAddress, hostId: config.hostId, devices: source.name }, "device agent serving gRPC");
  return { service, grpcAddress, stop: () => service.stop() };
}
