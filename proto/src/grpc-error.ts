import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { anyIs, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Metadata, status as grpcStatus } from "@grpc/grpc-js";
import type { StatusObject } from "@grpc/grpc-js";
import { StatusSchema } from "../gen/ts/google/rpc/status_pb.ts";
import { ErrorInfoSchema } from "../gen/ts/google/rpc/error_details_pb.ts";

/** A gRPC status code (0 = OK … 16 = UNAUTHENTICATED), as numbered by `grpc.status`. */
export type GrpcStatusCode = grpcStatus;

/** The gRPC status codes by name (`GrpcCode.NOT_FOUND === 5`); the same object as grpc-js `status`. */
export const GrpcCode = grpcStatus;

/** Trailer that carries the binary google.rpc.Status with typed details. */
export const STATUS_DETAILS_TRAILER = "grpc-status-details-bin";

/** Header/trailer carrying the request id that ties a call to server logs. */
export const REQUEST_ID_KEY = "x-request-id";

/** Domain written into the google.rpc.ErrorInfo of tapefleet errors. */
export const ERROR_DOMAIN = "tapefleet";

const MAX_STATUS_CODE = 16;

/** True when `value` is an integer gRPC status code other than OK (1–16). */
export function isErrorStatusCode(value: unknown): value is GrpcStatusCode {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_STATUS_CODE;
}

/** Name of a status code ("NOT_FOUND"), or "CODE_<n>" for numbers outside the table. */
export function statusCodeName(code: number): string {
  const name = (grpcStatus as unknown as Record<number, string | undefined>)[code];
  return name ?? `CODE_${code}`;
}

/** Packs one typed error detail (an ErrorInfo, a BadRequest, any message) for {@link GrpcError}. */
export function errorDetail<D extends DescMessage>(schema: D, value: MessageInitShape<D>): Any {
  return anyPack(schema, create(schema, value));
}

/** Options of {@link GrpcError} beyond code, message and details. */
export interface GrpcErrorOptions {
  /** Trailers to send with the status (server) or trailers received (client). */
  metadata?: Metadata;
  /** The error that caused this one (kept locally, never sent). */
  cause?: unknown;
}

/**
 * An error with a gRPC status. Thrown by service implementations to choose the
 * status a client sees, and raised by clients for every failed call.
 *
 * `details` are typed messages (packed in `google.protobuf.Any`) carried in the
 * `grpc-status-details-bin` trailer, as in the gRPC rich error model; read them
 * back with {@link GrpcError.findDetails}.
 */
export class GrpcError extends Error {
  override readonly name = "GrpcError";
  /** The gRPC status code. */
  readonly code: GrpcStatusCode;
  /** The status message as sent on the wire, without the code prefix. */
  readonly rawMessage: string;
  /** Typed details, each packed in an Any. */
  readonly details: readonly Any[];
  /** Trailers sent (server side) or received (client side). */
  readonly metadata: Metadata;

  constructor(code: GrpcStatusCode, message: string, details: readonly Any[] = [], options: GrpcErrorOptions = {}) {
    super(`[${statusCodeName(code)}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.details = details;
    this.metadata = options.metadata ?? new Metadata();
  }

  /** The details of type `schema`, unpacked; an empty array when there are none. */
  findDetails<D extends DescMessage>(schema: D): MessageShape<D>[] {
    const found: MessageShape<D>[] = [];
    for (const any of this.details) {
      if (anyIs(any, schema)) {
        const unpacked = anyUnpack(any, schema);
        if (unpacked !== undefined) found.push(unpacked);
      }
    }
    return found;
  }

  /** The `reason` of the first google.rpc.ErrorInfo detail (the sender's stable error code), if any. */
  get reason(): string | undefined {
    return this.findDetails(ErrorInfoSchema)[0]?.reason;
  }

  /** The request id the server attached (trailer `x-request-id`), if any. */
  get requestId(): string | undefined {
    const value = this.metadata.get(REQUEST_ID_KEY)[0];
    return typeof value === "string" ? value : undefined;
  }

  /** The grpc-js status object to send for this error: code, message, trailers with the details. */
  toStatus(): StatusObject {
    const metadata = this.metadata.clone();
    if (this.details.length > 0) {
      metadata.set(STATUS_DETAILS_TRAILER, Buffer.from(encodeStatusDetails(this.code, this.rawMessage, this.details)));
    }
    return { code: this.code, details: this.rawMessage, metadata };
  }

  /**
   * Builds a GrpcError from a status received by a client (a grpc-js
   * `ServiceError` or `StatusObject`), decoding `grpc-status-details-bin`.
   * Unreadable details are dropped rather than hiding the status.
   */
  static fromStatus(status: { code: number; details: string; metadata?: Metadata | null }, cause?: unknown): GrpcError {
    const code: GrpcStatusCode = isErrorStatusCode(status.code) ? status.code : grpcStatus.UNKNOWN;
    const metadata = status.metadata ?? new Metadata();
    const raw = metadata.get(STATUS_DETAILS_TRAILER)[0];
    const details = raw instanceof Buffer ? decodeStatusDetails(raw) : [];
    return new GrpcError(code, status.details, details, { metadata, cause });
  }
}

/** Encodes a google.rpc.Status (the `grpc-status-details-bin` trailer value). */
export function encodeStatusDetails(code: GrpcStatusCode, message: string, details: readonly Any[]): Uint8Array {
  return toBinary(StatusSchema, create(StatusSchema, { code, message, details: [...details] }));
}

/** Decodes the details of a `grpc-status-details-bin` trailer; an empty array when the bytes are not a google.rpc.Status. */
export function decodeStatusDetails(bytes: Uint8Array): Any[] {
  try {
    return fromBinary(StatusSchema, bytes).details;
  } catch {
    return [];
  }
}
