/**
 * Fixed-format sense data (SPC-4 4.5.3) and the condition type the virtual devices use
 * to end a command with CHECK CONDITION.
 */
import { Asc, SenseKey, type AscCode } from "./scsi-codes.ts";

/** Length of the fixed-format sense data the virtual devices return. */
export const SENSE_LENGTH = 18;

/** Fixed-format sense, current error (SPC-4 4.5.3). */
const RESPONSE_CODE_CURRENT = 0x70;

export interface SenseOptions {
  /** Information field (signed 32-bit; residue for tape commands). Sets VALID. */
  information?: number;
  filemark?: boolean;
  eom?: boolean;
  ili?: boolean;
  /** Field pointer for ILLEGAL REQUEST: byte index in the CDB (or parameter list), bit index. */
  field?: { inCdb: boolean; byte: number; bit?: number };
  /** Progress indication (0..65535) for NOT READY (SPC-4 4.5.2.4.3). */
  progress?: number;
}

/** A sense condition to report: key, ASC/ASCQ and the fixed-format options. */
export interface SenseCondition extends SenseOptions {
  key: number;
  code: AscCode;
}

/**
 * Thrown inside a virtual device to end the current command with CHECK CONDITION.
 * It never leaves the device: the command dispatcher turns it into status + sense bytes.
 */
export class CheckCondition extends Error {
  readonly condition: SenseCondition;
  /** Bytes transferred to the host before the condition (READ with ILI, etc.). */
  readonly data: Uint8Array | undefined;
  constructor(condition: SenseCondition, data?: Uint8Array) {
    super(`CHECK CONDITION ${condition.key.toString(16)}/${hex(condition.code.asc)}/${hex(condition.code.ascq)}`);
    this.name = "CheckCondition";
    this.condition = condition;
    this.data = data;
  }
}

function hex(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/** Build 18 bytes of fixed-format sense data. */
export function buildFixedSense(condition: SenseCondition): Uint8Array {
  const b = new Uint8Array(SENSE_LENGTH);
  const v = new DataView(b.buffer);
  b[0] = RESPONSE_CODE_CURRENT | (condition.information !== undefined ? 0x80 : 0);
  b[2] =
    (condition.key & 0x0f) | (condition.filemark ? 0x80 : 0) | (condition.eom ? 0x40 : 0) | (condition.ili ? 0x20 : 0);
  if (condition.information !== undefined) v.setInt32(3, condition.information | 0);
  b[7] = SENSE_LENGTH - 8;
  b[12] = condition.code.asc;
  b[13] = condition.code.ascq;
  if (condition.field) {
    b[15] = 0x80 | (condition.field.inCdb ? 0x40 : 0) | (condition.field.bit !== undefined ? 0x08 | (condition.field.bit & 7) : 0);
    v.setUint16(16, condition.field.byte);
  } else if (condition.progress !== undefined) {
    b[15] = 0x80;
    v.setUint16(16, Math.max(0, Math.min(0xffff, Math.floor(condition.progress))));
  }
  return b;
}

/** ILLEGAL REQUEST, INVALID FIELD IN CDB (05/24/00) pointing at a CDB byte. */
export function invalidCdbField(byte: number, bit?: number): CheckCondition {
  return new CheckCondition({
    key: SenseKey.ILLEGAL_REQUEST,
    code: Asc.INVALID_FIELD_IN_CDB,
    field: bit === undefined ? { inCdb: true, byte } : { inCdb: true, byte, bit },
  });
}

/** ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST (05/26/00). */
export function invalidParameterField(byte: number, bit?: number): CheckCondition {
  return new CheckCondition({
    key: SenseKey.ILLEGAL_REQUEST,
    code: Asc.INVALID_FIELD_IN_PARAMETER_LIST,
    field: bit === undefined ? { inCdb: false, byte } : { inCdb: false, byte, bit },
  });
}

/** ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (05/20/00). */
export function invalidOpcode(): CheckCondition {
  return new CheckCondition({ key: SenseKey.ILLEGAL_REQUEST, code: Asc.INVALID_COMMAND_OPERATION_CODE, field: { inCdb: true, byte: 0 } });
}

/** A plain condition without options. */
export function condition(key: number, code: AscCode, options: SenseOptions = {}): CheckCondition {
  return new CheckCondition({ key, code, ...options });
}
