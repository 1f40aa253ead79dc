import { describe, expect, it } from "vitest";
import { Metadata } from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema } from "../gen/ts/google/rpc/error_details_pb.ts";
import {
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
import { errorToGrpcError } from "./server.ts";

describe("GrpcError", () => {
  it("carries code, message and typed details through toStatus and fromStatus", () => {
    const error = new GrpcError(GrpcCode.FAILED_PRECONDITION, "tape is write protected", [
      errorDetail(ErrorInfoSchema, { reason: "WRITE_PROTECTED", domain: "tapefleet", metadata: { barcode: "ABC123L9" } }),
      errorDetail(BadRequestSchema, { fieldViolations: [{ field: "barcode", description: "write protected" }] }),
    ]);
    expect(error.message).toBe("[FAILED_PRECONDITION] tape is write protected");
    const status = error.toStatus();
    expect(status.code).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(status.details).toBe("tape is write protected");
    expect(status.metadata.get(STATUS_DETAILS_TRAILER)[0]).toBeInstanceOf(Buffer);

    const received = GrpcError.fromStatus(status);
    expect(received.code).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(received.rawMessage).toBe("tape is write protected");
    expect(received.reason).toBe("WRITE_PROTECTED");
    expect(received.findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({ barcode: "ABC123L9" });
    expect(received.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("barcode");
  });

  it("sends no details trailer when there are no details", () => {
    expect(new GrpcError(GrpcCode.NOT_FOUND, "x").toStatus().metadata.get(STATUS_DETAILS_TRAILER)).toEqual([]);
  });

  it("keeps the status when the details trailer is garbage", () => {
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_TRAILER, Buffer.from([0xff, 0xff, 0xff]));
    metadata.set(REQUEST_ID_KEY, "req-1");
    const error = GrpcError.fromStatus({ code: GrpcCode.ABORTED, details: "conflict", metadata });
    expect(error.code).toBe(GrpcCode.ABORTED);
    expect(error.details).toEqual([]);
    expect(error.requestId).toBe("req-1");
  });

  it("maps a status code outside 1-16 to UNKNOWN", () => {
    expect(GrpcError.fromStatus({ code: 99, details: "odd" }).code).toBe(GrpcCode.UNKNOWN);
    expect(GrpcError.fromStatus({ code: 0, details: "ok?" }).code).toBe(GrpcCode.UNKNOWN);
  });
});

describe("status details codec", () => {
  it("round-trips google.rpc.Status details", () => {
    const details = [errorDetail(ErrorInfoSchema, { reason: "DRIVE_BUSY" })];
    const bytes = encodeStatusDetails(GrpcCode.UNAVAILABLE, "busy", details);
    const decoded = decodeStatusDetails(bytes);
    expect(decoded).toHaveLength(1);
    expect(decoded[0]?.typeUrl).toBe("type.googleapis.com/google.rpc.ErrorInfo");
  });

  it("returns no details for truncated bytes", () => {
    const bytes = encodeStatusDetails(GrpcCode.UNAVAILABLE, "busy", [errorDetail(ErrorInfoSchema, { reason: "DRIVE_BUSY" })]);
    expect(decodeStatusDetails(bytes.subarray(0, bytes.length - 4))).toEqual([]);
  });
});

describe("status code helpers", () => {
  it("names codes and recognises error codes", () => {
    expect(statusCodeName(GrpcCode.DEADLINE_EXCEEDED)).toBe("DEADLINE_EXCEEDED");
    expect(statusCodeName(42)).toBe("CODE_42");
    expect(isErrorStatusCode(GrpcCode.UNAUTHENTICATED)).toBe(true);
    expect(isErrorStatusCode(GrpcCode.OK)).toBe(false);
    expect(isErrorStatusCode(17)).toBe(false);
    expect(isErrorStatusCode(2.5)).toBe(false);
    expect(isErrorStatusCode("5")).toBe(false);
  });
});

describe("errorToGrpcError", () => {
  it("keeps a GrpcError as is", () => {
    const error = new GrpcError(GrpcCode.NOT_FOUND, "no such drive");
    expect(errorToGrpcError(error, "r")).toEqual({ error, unexpected: false });
  });

  it("maps grpcStatus and a string code", () => {
    const domain = Object.assign(new Error("medium error at block 42"), { grpcStatus: GrpcCode.DATA_LOSS, code: "MEDIUM_ERROR" });
    const { error, unexpected } = errorToGrpcError(domain, "r");
    expect(unexpected).toBe(false);
    expect(error.code).toBe(GrpcCode.DATA_LOSS);
    expect(error.rawMessage).toBe("medium error at block 42");
    expect(error.reason).toBe("MEDIUM_ERROR");
    expect(error.cause).toBe(domain);
  });

  it("treats an invalid grpcStatus, a thrown string and null as unknown", () => {
    for (const thrown of [Object.assign(new Error("x"), { grpcStatus: 0 }), Object.assign(new Error("y"), { grpcStatus: "5" }), "just a string", null]) {
      const { error, unexpected } = errorToGrpcError(thrown, "req-9");
      expect(unexpected).toBe(true);
      expect(error.code).toBe(GrpcCode.INTERNAL);
      expect(error.rawMessage).toBe("internal error (request id req-9)");
    }
  });
});
