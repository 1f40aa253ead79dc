/**
 * @tapefleet/proto: generated protobuf-es messages and services of the
 * tapefleet buf module, and the adapter that serves and calls them with
 * @grpc/grpc-js.
 */

// Adapter: descriptors → grpc-js.
export { createServiceDefinition, createMethodDefinition, methodPath, toMessage } from "./service-definition.ts";
export { addPartialService, addService, errorToGrpcError } from "./server.ts";
export type {
  AddServiceOptions,
  BidiStreamingImpl,
  CallFailure,
  ClientStreamingImpl,
  HandlerContext,
  MethodImpl,
  ServerCall,
  ServerStreamingImpl,
  PartialServiceImpl,
  ServiceImpl,
  UnaryImpl,
} from "./server.ts";
export { closeClient, createClient, grpcClientOf } from "./client.ts";
export type { BidiStreamingFn, CallOptions, Client, ClientMethod, ClientOptions, ClientStreamingFn, RequestSource, ServerStreamingFn, UnaryFn } from "./client.ts";
export {
  ERROR_DOMAIN,
  GrpcCode,
  GrpcError,
  REQUEST_ID_KEY,
  STATUS_DETAILS_TRAILER,
  decodeStatusDetails,
  encodeStatusDetails,
  errorDetail,
  isErrorStatusCode,
  statusCodeName,
} from "./grpc-error.ts";
export type { GrpcErrorOptions, GrpcStatusCode } from "./grpc-error.ts";
export { SERVER_HEALTH, createHealthService } from "./health.ts";
export type { HealthService, ServingStatusInput } from "./health.ts";
export { EnvelopeError, PROTOBUF_CONTENT_TYPE, createEnvelope, decodeEnvelope, encodeEnvelope, openEnvelope } from "./envelope.ts";
export type { EnvelopeErrorCode, EnvelopeFields } from "./envelope.ts";

// Generated code (proto/gen/ts, never edited by hand).
export * from "../gen/ts/tapefleet/device/v1/device_agent_pb.ts";
export * from "../gen/ts/tapefleet/device/v1/session_pb.ts";
export * from "../gen/ts/tapefleet/device/v1/datastore_pb.ts";
export * from "../gen/ts/tapefleet/device/v1/device_agent_service_pb.ts";
export * from "../gen/ts/tapefleet/events/v1/envelope_pb.ts";
export * from "../gen/ts/grpc/health/v1/health_pb.ts";
export * from "../gen/ts/google/rpc/error_details_pb.ts";
export { StatusSchema as RpcStatusSchema, file_google_rpc_status } from "../gen/ts/google/rpc/status_pb.ts";
export type { Status as RpcStatus } from "../gen/ts/google/rpc/status_pb.ts";
