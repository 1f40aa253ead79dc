import { Server, ServerCredentials } from "@grpc/grpc-js";
import { ConfigError, readTlsFiles, startService, UnavailableError, type RunningService } from "@tapefleet/common";
import { addService, createHealthService, DeviceAgentService, DeviceChangeKind, Health, HealthCheckResponse_ServingStatus, SERVER_HEALTH, type ServiceImpl } from "@tapefleet/proto";
import { grpcExposureProblem, splitHostPort, type DeviceAgentConfig } from "./config.ts";
import { CLEANING_REQUEST_FLAGS, DeviceService } from "./core/device-service.ts";
import { deviceToProto, kindFromProto, NO_DEVICES, selectDevices, type AgentDevice, type DeviceSource } from "./devices.ts";
import { ANNOUNCE_REFRESH_MS, announceDevices, CLEAN_REQUESTED_EVENT, CleanRequestTracker, DEVICE_SCAN_SUBJECT, scanAnswer, type AnnouncedDevice, type CleanRequestedEvent } from "./fleet.ts";
import { datastoreImpl } from "./handlers/datastore.ts";
import { operationsImpl, type OperationsImpl } from "./handlers/operations.ts";
import { serviceSessionDrives } from "./session-drives-adapter.ts";
import { busKeySource, natsCommitPublisher, sessionServiceImpl, type CommitPublisher, type SessionServiceImpl, type TapeKeySource } from "./sessions/index.ts";
import { DeviceAgentMetrics } from "./metrics.ts";

/** Version reported by GetAgentInfo. */
export const AGENT_VERSION = "0.1.0";
/** JetStream stream (relative name) capturing `events.>`, where clean requests are published. */
export const EVENTS_STREAM = "events";
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

/**
 * The listener's credentials: TLS with the configured certificate, client
 * certificates required (and checked against `grpcTlsCa`) when a CA is
 * given; plaintext only where {@link grpcExposureProblem} allows it.
 */
export function grpcServerCredentials(config: DeviceAgentConfig): ServerCredentials {
  const problem = grpcExposureProblem(config);
  if (problem !== undefined) throw new ConfigError([{ field: "grpcAddress (TAPEFLEET_GRPC_ADDRESS)", message: problem }]);
  if (config.grpcTlsCert === undefined) return ServerCredentials.createInsecure();
  const tls = readTlsFiles({
    ca: config.grpcTlsCa !== undefined ? { file: config.grpcTlsCa, setting: "TAPEFLEET_GRPC_TLS_CA" } : undefined,
    cert: { file: config.grpcTlsCert, setting: "TAPEFLEET_GRPC_TLS_CERT" },
    key: config.grpcTlsKey !== undefined ? { file: config.grpcTlsKey, setting: "TAPEFLEET_GRPC_TLS_KEY" } : undefined,
  });
  return ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert!, private_key: tls.key! }], tls.ca !== undefined);
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
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

/** Handlers of the rpc groups beyond discovery: drive/changer operations and tape data path sessions. */
export interface DeviceAgentParts {
  operations?: OperationsImpl;
  sessions?: SessionServiceImpl;
}

/**
 * The DeviceAgentService handlers over a device source: discovery, the drive
 * and changer operations (default: over a DeviceService of `source`) and the
 * data path sessions (default: over the same drive locks).
 */
export function deviceAgentImpl(source: DeviceSource, agent: { hostId: string; grpcAddress: () => string }, parts: DeviceAgentParts = {}): ServiceImpl<typeof DeviceAgentService> {
  const core = parts.operations === undefined || parts.sessions === undefined ? new DeviceService(source) : undefined;
  const operations = parts.operations ?? operationsImpl(core!, { applicationVersion: AGENT_VERSION });
  const sessions = parts.sessions ?? sessionServiceImpl({ drives: serviceSessionDrives(core!) });
  const filtered = async (kinds: readonly number[], includeOffline: boolean): Promise<AgentDevice[]> => {
    const wanted = kinds.map(kindFromProto);
    const selectable = wanted.filter((k): k is AgentDevice["kind"] => k !== undefined);
    if (wanted.length > 0 && selectable.length === 0) return [];
    return selectDevices(await source.list(), { kinds: selectable, includeOffline });
  };
  return {
    ...operations,
    ...sessions,
    ...datastoreImpl(),
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
 * and grpc.health.v1.Health on `grpcAddress`, TLS per {@link grpcServerCredentials}), then NATS with an
 * announcement carrying the host id and the gRPC address.
 */
export async function startDeviceAgent(config: DeviceAgentConfig, options: StartDeviceAgentOptions = {}): Promise<RunningDeviceAgent> {
  const source = options.devices ?? NO_DEVICES;
  const { host } = splitHostPort(config.grpcAddress);
  let credentials: ServerCredentials;
  try {
    credentials = grpcServerCredentials(config);
  } catch (err) {
    await source.close?.().catch(() => {});
    throw err;
  }
  const server = new Server();
  const health = createHealthService({ [SERVER_HEALTH]: "NOT_SERVING" });
  let grpcAddress = config.grpcAddress;
  let log: ((err: unknown, method: string, requestId: string) => void) | undefined;
  let running: RunningService<Record<string, never>> | undefined;
  const cleanRequests = new CleanRequestTracker();
  const agentMetrics = new DeviceAgentMetrics();
  let eventsStream: Promise<unknown> | undefined;
  const raiseCleanRequest = async (drive: AgentDevice, flags: string[]) => {
    const bus = running?.bus;
    if (!bus) return;
    eventsStream ??= bus.ensureStream(EVENTS_STREAM, ["events.>"]);
    await eventsStream;
    const data: CleanRequestedEvent = { hostId: config.hostId, grpcAddress, serial: drive.serial, path: drive.path, flags };
    await bus.publishEvent(CLEAN_REQUESTED_EVENT, drive.serial, data);
  };
  const core = new DeviceService(source, {
    pollMs: config.readyPollMs,
    onTapeAlert: (drive, flags) => {
      agentMetrics.noteTapeAlerts(drive, flags);
      if (!cleanRequests.update(drive.serial, flags.map((f) => f.number), CLEANING_REQUEST_FLAGS)) return;
      raiseCleanRequest(drive, flags.map((f) => f.name)).catch((err: unknown) => running?.logger.warn({ err, serial: drive.serial }, "cannot publish the clean request"));
    },
  });
  let commitPublisher: Promise<CommitPublisher> | undefined;
  const publisher: CommitPublisher = {
    publish: async (records) => {
      if (!running) throw new UnavailableError("NATS is not connected yet: commit records cannot be published");
      commitPublisher ??= natsCommitPublisher(running.bus);
      await (await commitPublisher).publish(records);
    },
  };
  // Drive keys of encrypted media sets come from the key vault, sealed to this agent (never on the bus in clear).
  const keySource = (): TapeKeySource => {
    if (!running) throw new UnavailableError("NATS is not connected yet: no key vault to ask for drive keys");
    return busKeySource(running.bus, { agent: `${config.hostId}/${running.instanceId}` });
  };
  const keys: TapeKeySource = {
    keyConfig: (fingerprint) => keySource().keyConfig(fingerprint),
    driveKey: (req) => keySource().driveKey(req),
  };
  const parts: DeviceAgentParts = {
    operations: operationsImpl(core, {
      applicationVersion: AGENT_VERSION,
      onAbandoned: (method, requestId, outcome) =>
        running?.logger.info({ method, requestId, outcome: outcome instanceof Error ? outcome.message : outcome }, "client left a long operation: it stopped at a safe point"),
    }),
    sessions: sessionServiceImpl({
      drives: agentMetrics.meterDrives(serviceSessionDrives(core), core),
      publisher,
      readyPollMs: config.readyPollMs,
      keys,
      ...(config.chunkReaders === undefined ? {} : { chunkReaders: config.chunkReaders }),
    }),
  };
  addService(server, DeviceAgentService, deviceAgentImpl(source, { hostId: config.hostId, grpcAddress: () => grpcAddress }, parts), {
    onError: (err, f) => log?.(err, f.method.name, f.requestId),
  });
  addService(server, Health, health.implementation);
  let port: number;
  try {
    port = await bind(server, config.grpcAddress, credentials);
  } catch (err) {
    server.forceShutdown();
    await source.close?.().catch(() => {});
    throw new UnavailableError(`cannot bind gRPC on ${config.grpcAddress} (TAPEFLEET_GRPC_ADDRESS): ${(err as Error).message}`, err);
  }
  grpcAddress = `${host}:${port}`;
  let service: RunningService<Record<string, never>>;
  const listAnnounced = async (): Promise<AnnouncedDevice[]> => announceDevices(await source.list());
  // The heartbeat carries this object: its device list is refreshed in place.
  const info: { hostId: string; grpcAddress: string; deviceSource: string; devices: AnnouncedDevice[] } = {
    hostId: config.hostId,
    grpcAddress,
    deviceSource: source.name,
    devices: await listAnnounced().catch(() => []),
  };
  try {
    service = await startService({
      name: "device-agent",
      config,
      info,
      ...(options.installSignalHandlers === undefined ? {} : { installSignalHandlers: options.installSignalHandlers }),
    });
  } catch (err) {
    server.forceShutdown();
    await source.close?.().catch(() => {});
    throw err;
  }
  running = service;
  agentMetrics.register(service.metrics, core);
  log = (err, method, requestId) => service.logger.warn({ err, method, requestId }, "gRPC call failed");
  service.bus.serve(DEVICE_SCAN_SUBJECT, async (payload) => scanAnswer(config.hostId, grpcAddress, await source.list(), payload));
  const refresh = setInterval(() => {
    listAnnounced().then(
      (devices) => (info.devices = devices),
      (err: unknown) => service.logger.warn({ err }, "cannot list devices for the announcement"),
    );
  }, ANNOUNCE_REFRESH_MS);
  refresh.unref();
  service.lifecycle.onShutdown("announce-devices", async () => clearInterval(refresh));
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
  service.logger.info({ grpcAddress, hostId: config.hostId, devices: source.name, count: info.devices.length }, "device agent serving gRPC");
  return { service, grpcAddress, stop: () => service.stop() };
}
