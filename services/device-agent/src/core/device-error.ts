import { ScsiError } from "@tapefleet/scsi";

/**
 * Stable codes of device operation errors. Clients match on them (they reach
 * gRPC clients as the google.rpc.ErrorInfo reason): never rename one.
 */
export type DeviceErrorCode =
  | "DRIVE_BUSY"
  | "CHANGER_BUSY"
  | "NO_SUCH_DEVICE"
  | "WRONG_DEVICE_KIND"
  | "DEVICE_OFFLINE"
  | "NO_MEDIUM"
  | "NOT_READY"
  | "MEDIUM_NOT_EMPTY"
  | "WORM_NOT_EMPTY"
  | "WRITE_PROTECTED"
  | "LABEL_NOT_FOUND"
  | "LABEL_VERIFY_FAILED"
  | "MEDIUM_IN_OTHER_DRIVE"
  | "MEDIUM_IN_IMPORT_EXPORT"
  | "CLEANING_MEDIUM"
  | "NO_CLEANING_MEDIUM"
  | "CLEANING_FAILED"
  | "CRITICAL_TAPE_ALERT"
  | "SLOT_EMPTY"
  | "SLOT_FULL"
  | "NO_FREE_SLOT"
  | "DRIVE_EMPTY"
  | "POSITION_ERROR"
  | "CANCELLED"
  | "TIMEOUT"
  | "INVALID_ARGUMENT"
  | "SCSI_ERROR";

/** gRPC status numbers used by the mapping below (grpc/status.proto). */
const GRPC = { CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, FAILED_PRECONDITION: 9, ABORTED: 10, UNAVAILABLE: 14, DATA_LOSS: 15 } as const;

const GRPC_STATUS: Record<DeviceErrorCode, number> = {
  DRIVE_BUSY: GRPC.FAILED_PRECONDITION,
  CHANGER_BUSY: GRPC.FAILED_PRECONDITION,
  NO_SUCH_DEVICE: GRPC.NOT_FOUND,
  WRONG_DEVICE_KIND: GRPC.INVALID_ARGUMENT,
  DEVICE_OFFLINE: GRPC.UNAVAILABLE,
  NO_MEDIUM: GRPC.FAILED_PRECONDITION,
  NOT_READY: GRPC.UNAVAILABLE,
  MEDIUM_NOT_EMPTY: GRPC.FAILED_PRECONDITION,
  WORM_NOT_EMPTY: GRPC.FAILED_PRECONDITION,
  WRITE_PROTECTED: GRPC.FAILED_PRECONDITION,
  LABEL_NOT_FOUND: GRPC.NOT_FOUND,
  LABEL_VERIFY_FAILED: GRPC.DATA_LOSS,
  MEDIUM_IN_OTHER_DRIVE: GRPC.FAILED_PRECONDITION,
  MEDIUM_IN_IMPORT_EXPORT: GRPC.FAILED_PRECONDITION,
  CLEANING_MEDIUM: GRPC.FAILED_PRECONDITION,
  NO_CLEANING_MEDIUM: GRPC.FAILED_PRECONDITION,
  CLEANING_FAILED: GRPC.ABORTED,
  CRITICAL_TAPE_ALERT: GRPC.ABORTED,
  SLOT_EMPTY: GRPC.FAILED_PRECONDITION,
  SLOT_FULL: GRPC.FAILED_PRECONDITION,
  NO_FREE_SLOT: GRPC.FAILED_PRECONDITION,
  DRIVE_EMPTY: GRPC.FAILED_PRECONDITION,
  POSITION_ERROR: GRPC.ABORTED,
  CANCELLED: GRPC.CANCELLED,
  TIMEOUT: GRPC.DEADLINE_EXCEEDED,
  INVALID_ARGUMENT: GRPC.INVALID_ARGUMENT,
  SCSI_ERROR: GRPC.UNAVAILABLE,
};

/**
 * An error of a drive or changer operation, with a stable `code` and the gRPC
 * status it maps to (`grpcStatus`, read by the @tapefleet/proto adapter).
 * `scsi` holds the SCSI error code (`MEDIUM_ERROR`, `NOT_READY`, ...) when a
 * SCSI command failed; `field` names the request field at fault.
 */
export class DeviceError extends Error {
  readonly code: DeviceErrorCode;
  readonly grpcStatus: number;
  readonly scsi?: string;
  readonly field?: string;

  constructor(code: DeviceErrorCode, message: string, options: { cause?: unknown; scsi?: string; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DeviceError";
    this.code = code;
    this.grpcStatus = GRPC_STATUS[code];
    if (options.scsi !== undefined) this.scsi = options.scsi;
    if (options.field !== undefined) this.field = options.field;
  }
}

/** Wraps anything thrown by SCSI I/O into a DeviceError (a DeviceError passes through), prefixing `context`. */
export function toDeviceError(err: unknown, context?: string): DeviceError {
  if (err instanceof DeviceError) return err;
  const where = context ? `${context}: ` : "";
  if (err instanceof ScsiError) {
    const code: DeviceErrorCode =
      err.code === "NOT_READY"
        ? (err as { reason?: string }).reason === "noMedium"
          ? "NO_MEDIUM"
          : "NOT_READY"
        : err.code === "DATA_PROTECT"
          ? "WRITE_PROTECTED"
          : err.code === "TRANSPORT" && /offline|no connect|NO_CONNECT|0x1\b/i.test(err.message)
            ? "DEVICE_OFFLINE"
            : "SCSI_ERROR";
    return new DeviceError(code, `${where}${err.message}`, { cause: err, scsi: err.code });
  }
  return new DeviceError("SCSI_ERROR", `${where}${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Throws CANCELLED when `signal` is aborted: call at every safe point of a long operation. */
export function checkpoint(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new DeviceError("CANCELLED", `cancelled ${where}`, { cause: signal.reason });
}

/** Sleeps `ms`, ending early (with CANCELLED) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, where = "while waiting"): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DeviceError("CANCELLED", `cancelled ${where}`, { cause: signal.reason }));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DeviceError("CANCELLED", `cancelled ${where}`, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
