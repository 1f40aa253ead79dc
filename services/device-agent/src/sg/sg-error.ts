/**
 * Typed errors of the SG_IO transport. Every one is a `TransportError` of
 * @tapefleet/scsi (code "TRANSPORT"), so the layers above map them like any
 * other transport failure; `reason` is the stable finer code: callers branch
 * on it, never on the message.
 */
import { TransportError } from "@tapefleet/scsi";

export type SgErrorReason =
  /** The path could not be resolved or opened (errno in `errno`). */
  | "open-failed"
  /** The path is not a SCSI generic character device (major 21). */
  | "not-sg-device"
  /** The command is malformed (CDB length, buffer sizes). */
  | "bad-request"
  /** ioctl(SG_IO) itself failed (errno in `errno`). */
  | "ioctl-failed"
  /** The command timed out (host status DID_TIME_OUT or driver status DRIVER_TIMEOUT). */
  | "timeout"
  /** The device is gone (host status DID_NO_CONNECT / DID_BAD_TARGET). */
  | "device-offline"
  /** Any other host adapter status. */
  | "host-error"
  /** A driver status other than DRIVER_OK / DRIVER_SENSE. */
  | "driver-error"
  /** The transport was closed. */
  | "closed";

export interface SgErrorDetails {
  path?: string;
  errno?: number;
  hostStatus?: number;
  driverStatus?: number;
  cause?: unknown;
}

export class SgError extends TransportError {
  readonly reason: SgErrorReason;
  readonly path: string | undefined;
  readonly errno: number | undefined;

  constructor(reason: SgErrorReason, message: string, details: SgErrorDetails = {}) {
    super(
      message,
      { status: 0, hostStatus: details.hostStatus ?? 0, driverStatus: details.driverStatus ?? 0 },
      details.cause !== undefined ? { cause: details.cause } : undefined,
    );
    this.reason = reason;
    this.path = details.path;
    this.errno = details.errno;
  }
}

/** Linux host_status values (include/scsi/scsi.h, DID_*). */
export const HostStatus = {
  DID_OK: 0x00,
  DID_NO_CONNECT: 0x01,
  DID_BUS_BUSY: 0x02,
  DID_TIME_OUT: 0x03,
  DID_BAD_TARGET: 0x04,
  DID_ABORT: 0x05,
  DID_PARITY: 0x06,
  DID_ERROR: 0x07,
  DID_RESET: 0x08,
  DID_BAD_INTR: 0x09,
  DID_PASSTHROUGH: 0x0a,
  DID_SOFT_ERROR: 0x0b,
  DID_IMM_RETRY: 0x0c,
  DID_REQUEUE: 0x0d,
  DID_TRANSPORT_DISRUPTED: 0x0e,
  DID_TRANSPORT_FAILFAST: 0x0f,
} as const;

const HOST_STATUS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(HostStatus).map(([k, v]) => [v, k]),
);

/** Linux driver_status values (low nibble; DRIVER_SENSE only means sense is present). */
export const DriverStatus = {
  DRIVER_OK: 0x00,
  DRIVER_BUSY: 0x01,
  DRIVER_SOFT: 0x02,
  DRIVER_MEDIA: 0x03,
  DRIVER_ERROR: 0x04,
  DRIVER_INVALID: 0x05,
  DRIVER_TIMEOUT: 0x06,
  DRIVER_HARD: 0x07,
  DRIVER_SENSE: 0x08,
} as const;

const DRIVER_STATUS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(DriverStatus).map(([k, v]) => [v, k]),
);

export function hostStatusName(value: number): string {
  return HOST_STATUS_NAMES[value] ?? `0x${value.toString(16).padStart(2, "0")}`;
}

export function driverStatusName(value: number): string {
  return DRIVER_STATUS_NAMES[value & 0x0f] ?? `0x${value.toString(16).padStart(2, "0")}`;
}

/**
 * The error for a completed SG_IO whose host or driver status says the
 * command did not reach the device or did not complete, or undefined when the
 * SCSI status and sense are to be trusted.
 */
export function transportFailure(
  hostStatus: number,
  driverStatus: number,
  path: string,
): SgError | undefined {
  const driver = driverStatus & 0x0f;
  const details = { path, hostStatus, driverStatus };
  if (hostStatus === HostStatus.DID_TIME_OUT || driver === DriverStatus.DRIVER_TIMEOUT) {
    return new SgError("timeout", `${path}: command timed out (host ${hostStatusName(hostStatus)}, driver ${driverStatusName(driverStatus)})`, details);
  }
  if (hostStatus === HostStatus.DID_NO_CONNECT || hostStatus === HostStatus.DID_BAD_TARGET) {
    return new SgError("device-offline", `${path}: device not reachable (host ${hostStatusName(hostStatus)})`, details);
  }
  if (hostStatus !== HostStatus.DID_OK) {
    return new SgError("host-error", `${path}: host adapter status ${hostStatusName(hostStatus)}`, details);
  }
  if (driver !== DriverStatus.DRIVER_OK && driver !== DriverStatus.DRIVER_SENSE) {
    return new SgError("driver-error", `${path}: driver status ${driverStatusName(driverStatus)}`, details);
  }
  return undefined;
}
