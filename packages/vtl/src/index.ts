export { createLibrary, openLibrary, libraryExists, VirtualLibrary, type LibraryOptions } from "./library.ts";
export { createVtlTransport } from "./transport.ts";
export { connectVtlSocket, listVtlDevices, vtlOperator } from "./socket-transport.ts";
export { startVtlServer, type VtlServer, type VtlServerOptions } from "./server.ts";
export {
  defaultSiteSpec,
  validateSpec,
  DEFAULT_CAPACITY_BYTES,
  type SiteSpec,
  type LibrarySpec,
  type DriveSpec,
  type StandaloneDriveSpec,
  type CartridgeSpec,
  type CartridgeKind,
  type TimingSpec,
  type FaultSpec,
} from "./spec.ts";
export { VtlError, VtlSpecError, VtlProtocolError, type VtlErrorCode } from "./errors.ts";
export { ManualClock, systemClock, type VtlClock } from "./clock.ts";
export { VirtualTapeDrive, DeviceActivity, type MediumState } from "./tape-drive.ts";
export { VirtualChanger } from "./changer.ts";
export { VirtualDevice } from "./device.ts";
export {
  ElementMap,
  ElementType,
  TRANSPORT_ADDRESS,
  FIRST_IE_ADDRESS,
  FIRST_DRIVE_ADDRESS,
  FIRST_STORAGE_ADDRESS,
} from "./elements.ts";
export { DRIVE_MODELS, MEDIA, CHANGER_MODEL, mediaFromBarcode, type DriveGeneration, type MediaType } from "./generations.ts";
export {
  MessageType,
  OpenResult,
  FrameDecoder,
  frame,
  encodeClientMessage,
  decodeClientMessage,
  encodeServerMessage,
  decodeServerMessage,
  type DeviceInfo,
  type ClientMessage,
  type ServerMessage,
  type OperatorAction,
} from "./wire.ts";
export type { CartridgeRecord } from "./state.ts";
