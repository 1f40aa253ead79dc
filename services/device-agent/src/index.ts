export { DEFAULT_GRPC_ADDRESS, deviceAgentConfigSchema, loadDeviceAgentConfig, splitHostPort } from "./config.ts";
export type { DeviceAgentConfig } from "./config.ts";
export { AGENT_VERSION, deviceAgentImpl, GRPC_SHUTDOWN_GRACE_MS, startDeviceAgent } from "./agent.ts";
export type { RunningDeviceAgent, StartDeviceAgentOptions } from "./agent.ts";
export { deviceToProto, kindFromProto, NO_DEVICES, selectDevices, staticDevices } from "./devices.ts";
export type { AgentDevice, DeviceFilter, DeviceSource } from "./devices.ts";
export { deviceSourceFor } from "./device-source.ts";
export * as sg from "./sg/index.ts";
