/**
 * Typed SCSI errors. One base class with a stable `code`; subclasses carry the
 * sense fields (key, ASC, ASCQ, description, information) or the transport status.
 *
 * @see SPC-4 4.5 (sense data), SAM-5 5.3 (status), PBS reference §7.4
 */
import { SenseKey, senseKeyName } from "./constants/sense.ts";

/** Stable error codes: map these, never the message text. */
export type ScsiErrorCode =
  | "NOT_READY"
  | "UNIT_ATTENTION"
  | "MEDIUM_ERROR"
  | "HARDWARE_ERROR"
  | "ILLEGAL_REQUEST"
  | "DATA_PROTECT"
  | "BLANK_CHECK"
  | "VOLUME_OVERFLOW"
  | "ABORTED_COMMAND"
  /** Any other sense key (RECOVERED ERROR, MISCOMPARE, vendor specific, …) reported as an error. */
  | "SENSE"
  /** The command did not complete: host/driver status, or a non-GOOD status without sense. */
  | "TRANSPORT"
  /** A response or sense buffer could not be decoded (truncated or malformed). */
  | "DECODE"
  /** A builder or encoder was given a parameter outside its field's range. */
  | "INVALID_ARGUMENT";

export class ScsiError extends Error {
  readonly code: ScsiErrorCode;

  constructor(code: ScsiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A response, page or sense buffer that does not have the structure the standard defines. */
export class ScsiDecodeError extends ScsiError {
  /** The structure being decoded, e.g. `READ POSITION long form`. */
  readonly structure: string;
  /** Byte offset in the decoded buffer where the problem was found. */
  readonly offset: number;
  /** Short reason, e.g. `needs 32 bytes, got 20`. */
  readonly reason: string;

  constructor(structure: string, offset: number, reason: string, options?: { cause?: unknown }) {
    super("DECODE", `${structure}: ${reason} (at byte ${offset})`, options);
    this.structure = structure;
    this.offset = offset;
    this.reason = reason;
  }
}

/** A builder or encoder parameter outside the range its CDB or parameter-list field can hold. */
export class ScsiArgumentError extends ScsiError {
  /** The parameter name, e.g. `count`. */
  readonly field: string;

  constructor(field: string, reason: string) {
    super("INVALID_ARGUMENT", `${field}: ${reason}`);
    this.field = field;
  }
}

/** The fields every sense-carrying error exposes. */
export interface SenseFields {
  senseKey: number;
  asc: number;
  ascq: number;
  /** SPC description of the ASC/ASCQ pair. */
  description: string;
  /** INFORMATION field when valid (signed; residue for tape commands). */
  information?: number;
  /** True when the sense reports a deferred error (response code 0x71/0x73). */
  deferred?: boolean;
}

/** Base of every error built from sense data. */
export class ScsiSenseError extends ScsiError {
  readonly senseKey: number;
  readonly asc: number;
  readonly ascq: number;
  readonly description: string;
  readonly information?: number;
  readonly deferred: boolean;

  constructor(code: ScsiErrorCode, fields: SenseFields, context?: string, options?: { cause?: unknown }) {
    const hex = (v: number) => v.toString(16).padStart(2, "0");
    const where = context ? `${context}: ` : "";
    super(
      code,
      `${where}${fields.deferred ? "deferred " : ""}${senseKeyName(fields.senseKey)} ` +
        `(ASC 0x${hex(fields.asc)}, ASCQ 0x${hex(fields.ascq)}): ${fields.description}`,
      options,
    );
    this.senseKey = fields.senseKey;
    this.asc = fields.asc;
    this.ascq = fields.ascq;
    this.description = fields.description;
    if (fields.information !== undefined) this.information = fields.information;
    this.deferred = fields.deferred ?? false;
  }
}

export type NotReadyReason = "becomingReady" | "noMedium" | "other";

export class NotReadyError extends ScsiSenseError {
  readonly reason: NotReadyReason;
  constructor(fields: SenseFields, context?: string) {
    super("NOT_READY", fields, context);
    this.reason = fields.asc === 0x04 && fields.ascq === 0x01 ? "becomingReady" : fields.asc === 0x3a ? "noMedium" : "other";
  }
}

export class UnitAttentionError extends ScsiSenseError {
  constructor(fields: SenseFields, context?: string) {
    super("UNIT_ATTENTION", fields, context);
  }
}

export class MediumError extends ScsiSenseError {
  constructor(fields: SenseFields, context?: string) {
    super("MEDIUM_ERROR", fields, context);
  }
}

export class HardwareError extends ScsiSenseError {
  constructor(fields: SenseFields, context?: string) {
    super("HARDWARE_ERROR", fields, context);
  }
}

export class IllegalRequestError extends ScsiSenseError {
  constructor(fields: SenseFields, context?: string) {
    super("ILLEGAL_REQUEST", fields, context);
  }
}

export class DataProtectError extends ScsiSenseError {
  /** ASC 0x27 (write protected, any qualifier). */
  readonly writeProtected: boolean;
  constructor(fields: SenseFields, context?: string) {
    super("DATA_PROTECT", fields, context);
    this.writeProtected = fields.asc === 0x27;
  }
}

export class BlankCheckError extends ScsiSenseError {
  constructor(fields: SenseFields, context?: string) {
    super("BLANK_CHECK", fields, context);
  }
}

export class VolumeOverflowError extends ScsiSenseError {
  constructor(fields: SenseFields, context?: string) {
    super("VOLUME_OVERFLOW", fields, context);
  }
}

export class AbortedCommandError extends ScsiSenseError {
  constructor(fields: SenseFields, context?: string) {
    super("ABORTED_COMMAND", fields, context);
  }
}

/** The command did not complete normally at the transport level. */
export class TransportError extends ScsiError {
  /** SCSI status byte (0 when the command never reached the device). */
  readonly status: number;
  readonly hostStatus: number;
  readonly driverStatus: number;

  constructor(
    message: string,
    fields: { status: number; hostStatus: number; driverStatus: number },
    options?: { cause?: unknown },
  ) {
    super("TRANSPORT", message, options);
    this.status = fields.status;
    this.hostStatus = fields.hostStatus;
    this.driverStatus = fields.driverStatus;
  }
}

/** The typed error for a sense key (SPC-4 table 28). */
export function senseError(fields: SenseFields, context?: string): ScsiSenseError {
  switch (fields.senseKey & 0x0f) {
    case SenseKey.NOT_READY:
      return new NotReadyError(fields, context);
    case SenseKey.UNIT_ATTENTION:
      return new UnitAttentionError(fields, context);
    case SenseKey.MEDIUM_ERROR:
      return new MediumError(fields, context);
    case SenseKey.HARDWARE_ERROR:
      return new HardwareError(fields, context);
    case SenseKey.ILLEGAL_REQUEST:
      return new IllegalRequestError(fields, context);
    case SenseKey.DATA_PROTECT:
      return new DataProtectError(fields, context);
    case SenseKey.BLANK_CHECK:
      return new BlankCheckError(fields, context);
    case SenseKey.VOLUME_OVERFLOW:
      return new VolumeOverflowError(fields, context);
    case SenseKey.ABORTED_COMMAND:
      return new AbortedCommandError(fields, context);
    default:
      return new ScsiSenseError("SENSE", fields, context);
  }
}
