export { DEFAULT_GRPC_ADDRESS, DEFAULT_READY_POLL_MS, deviceAgentConfigSchema, deviceConfigSchema, grpcExposureProblem, loadDeviceAgentConfig, splitHostPort } from "./config.ts";
export type { DeviceAgentConfig, DeviceConfig } from "./config.ts";
export { AGENT_VERSION, deviceAgentImpl, EVENTS_STREAM, GRPC_SHUTDOWN_GRACE_MS, startDeviceAgent } from "./agent.ts";
export type { DeviceAgentParts, RunningDeviceAgent, StartDeviceAgentOptions } from "./agent.ts";
export { deviceToProto, kindFromProto, NO_DEVICES, selectDevices, staticDevices } from "./devices.ts";
export type { AgentDevice, DeviceFilter, DeviceSource } from "./devices.ts";
export { deviceSourceFor } from "./device-source.ts";
export { combineSources, generationFromProduct, PROBE_TTL_MS, sgDevicesSource } from "./sg-devices.ts";
export type { SgDevicesOptions } from "./sg-devices.ts";
export * as sg from "./sg/index.ts";
export { openOrCreateLibrary, virtualLibraryDevices, virtualLibrarySource, VTL_SOCKET_NAME, VTL_STATE_FILE } from "./vtl-devices.ts";
export type { VirtualLibrarySource } from "./vtl-devices.ts";
export { ANNOUNCE_REFRESH_MS, announceDevice, announceDevices, CLEAN_REQUESTED_EVENT, CleanRequestTracker, DEVICE_SCAN_SUBJECT, scanAnswer } from "./fleet.ts";
export type { AnnouncedDevice, CleanRequestedEvent, DeviceScanAnswer } from "./fleet.ts";
export { operationsImpl } from "./handlers/operations.ts";
export type { OperationsImpl, OperationsOptions } from "./handlers/operations.ts";
export { serviceSessionDrives } from "./session-drives-adapter.ts";
// Core: drives, changers, their operations, locks and errors (no proto types).
export { checkpoint, DeviceError, sleep, toDeviceError } from "./core/device-error.ts";
export type { DeviceErrorCode } from "./core/device-error.ts";
export { DeviceLocks } from "./core/device-locks.ts";
export type { AcquireOptions, Release } from "./core/device-locks.ts";
export type { DriveStatusReport, EndOfDataResult, FormatResult, LabelResult, MamEntry, OperationContext, Progress, TapeDrive, TapeLabels, TapePosition } from "./core/tape-drive.ts";
export {
  CALIBRATION_TIMEOUT_MS,
  FORMAT_CLEARED_ATTRIBUTES,
  MAM_APPLICATION_NAME,
  MAM_APPLICATION_VENDOR,
  READY_POLL_MS,
  READY_TIMEOUT_MS,
  ScsiTapeDrive,
  TAPE_BLOCK_SIZE,
  volumeStatisticsInBytes,
} from "./core/scsi-tape-drive.ts";
export type { DriveMemory, ScsiTapeDriveOptions } from "./core/scsi-tape-drive.ts";
export { DEFAULT_CHANGER_CONFIG } from "./core/media-changer.ts";
export type { ChangerConfig, ChangerIdentity, MediaChanger } from "./core/media-changer.ts";
export { ScsiMediaChanger } from "./core/scsi-media-changer.ts";
export { CLEANING_PREFIX, cleanDrive, exportMedia, isCleaningTag, loadMedia, onlineLabels, transferMedia, unloadDrive } from "./core/changer-operations.ts";
export type { ChangerSession, CleanOutcome, LoadOutcome, LoadRequest, MoveSerializer, UnloadOutcome } from "./core/changer-operations.ts";
export { CLEANING_REQUEST_FLAGS, DeviceService, MOVE_QUEUE_WAIT_MS } from "./core/device-service.ts";
export type { ChangerRequestBase, DeviceServiceOptions, LockOptions } from "./core/device-service.ts";
