/**
 * Typed errors of the virtual tape library (API misuse, spec validation, persistence).
 * SCSI conditions are not errors of this kind: they are answered as sense data.
 */

export type VtlErrorCode =
  | "VTL_SPEC_INVALID"
  | "VTL_STATE_INVALID"
  | "VTL_NO_SUCH_DEVICE"
  | "VTL_NO_SUCH_CARTRIDGE"
  | "VTL_DEVICE_OFFLINE"
  | "VTL_LIBRARY_EXISTS"
  | "VTL_LIBRARY_CLOSED"
  | "VTL_PROTOCOL"
  | "VTL_IO";

export class VtlError extends Error {
  readonly code: VtlErrorCode;
  constructor(code: VtlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VtlError";
    this.code = code;
  }
}

/** A spec field failed validation; `field` is a JSON path such as `libraries[0].drives[1].generation`. */
export class VtlSpecError extends VtlError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super("VTL_SPEC_INVALID", `invalid spec: ${field}: ${reason}`);
    this.name = "VtlSpecError";
    this.field = field;
  }
}

/** A wire-protocol frame could not be decoded. */
export class VtlProtocolError extends VtlError {
  constructor(message: string) {
    super("VTL_PROTOCOL", message);
    this.name = "VtlProtocolError";
  }
}
