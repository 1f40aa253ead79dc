/**
 * Sense keys and the additional sense codes that tape drives and medium changers report.
 *
 * @see SPC-4 4.5.6 (sense key and sense code definitions, table 28 sense keys),
 *      SPC-4 annex D.2 (ASC/ASCQ assignments), SSC-4 4.2.x (tape conditions),
 *      SMC-3 6.x (changer conditions)
 */
import { ASC_ASCQ_RANGES, ASC_ASCQ_TABLE } from "./asc-ascq-table.ts";

/** Sense keys (SPC-4 table 28). */
export const SenseKey = {
  NO_SENSE: 0x0,
  RECOVERED_ERROR: 0x1,
  NOT_READY: 0x2,
  MEDIUM_ERROR: 0x3,
  HARDWARE_ERROR: 0x4,
  ILLEGAL_REQUEST: 0x5,
  UNIT_ATTENTION: 0x6,
  DATA_PROTECT: 0x7,
  BLANK_CHECK: 0x8,
  VENDOR_SPECIFIC: 0x9,
  COPY_ABORTED: 0xa,
  ABORTED_COMMAND: 0xb,
  /** Obsolete in SPC-4 (was EQUAL). */
  RESERVED_C: 0xc,
  VOLUME_OVERFLOW: 0xd,
  MISCOMPARE: 0xe,
  COMPLETED: 0xf,
} as const;

export type SenseKeyValue = (typeof SenseKey)[keyof typeof SenseKey];

/** Sense key names, indexed by sense key (SPC-4 table 28). */
export const SENSE_KEY_NAMES: readonly string[] = [
  "NO SENSE",
  "RECOVERED ERROR",
  "NOT READY",
  "MEDIUM ERROR",
  "HARDWARE ERROR",
  "ILLEGAL REQUEST",
  "UNIT ATTENTION",
  "DATA PROTECT",
  "BLANK CHECK",
  "VENDOR SPECIFIC",
  "COPY ABORTED",
  "ABORTED COMMAND",
  "RESERVED (0xC)",
  "VOLUME OVERFLOW",
  "MISCOMPARE",
  "COMPLETED",
];

/** Name of a sense key (any value; only the low 4 bits are used). */
export function senseKeyName(key: number): string {
  return SENSE_KEY_NAMES[key & 0x0f] ?? "UNKNOWN";
}

/** One additional sense code / qualifier pair. */
export interface AscAscqCode {
  readonly asc: number;
  readonly ascq: number;
}

const code = (asc: number, ascq: number): AscAscqCode => Object.freeze({ asc, ascq });

/**
 * Named ASC/ASCQ pairs used at call sites instead of bare literals.
 * Each value is a row of {@link ASC_ASCQ_TABLE}.
 */
export const Asc = {
  // ASC 00h: tape position conditions (SSC-4 4.2.x)
  NO_ADDITIONAL_SENSE: code(0x00, 0x00),
  FILEMARK_DETECTED: code(0x00, 0x01),
  /** End-of-partition/medium detected: early warning on WRITE (SSC-4 4.2.5). */
  END_OF_PARTITION_MEDIUM_DETECTED: code(0x00, 0x02),
  SETMARK_DETECTED: code(0x00, 0x03),
  BEGINNING_OF_PARTITION_MEDIUM_DETECTED: code(0x00, 0x04),
  END_OF_DATA_DETECTED: code(0x00, 0x05),
  PROGRAMMABLE_EARLY_WARNING_DETECTED: code(0x00, 0x07),
  OPERATION_IN_PROGRESS: code(0x00, 0x16),
  CLEANING_REQUESTED: code(0x00, 0x17),
  ERASE_OPERATION_IN_PROGRESS: code(0x00, 0x18),
  LOCATE_OPERATION_IN_PROGRESS: code(0x00, 0x19),
  REWIND_OPERATION_IN_PROGRESS: code(0x00, 0x1a),

  // ASC 04h: not ready
  LOGICAL_UNIT_NOT_READY_CAUSE_NOT_REPORTABLE: code(0x04, 0x00),
  LOGICAL_UNIT_BECOMING_READY: code(0x04, 0x01),
  LOGICAL_UNIT_NOT_READY_INITIALIZING_COMMAND_REQUIRED: code(0x04, 0x02),
  LOGICAL_UNIT_NOT_READY_MANUAL_INTERVENTION_REQUIRED: code(0x04, 0x03),
  LOGICAL_UNIT_NOT_READY_FORMAT_IN_PROGRESS: code(0x04, 0x04),
  LOGICAL_UNIT_NOT_READY_OPERATION_IN_PROGRESS: code(0x04, 0x07),

  // errors while reading / writing
  WRITE_ERROR: code(0x0c, 0x00),
  AUXILIARY_MEMORY_WRITE_ERROR: code(0x0c, 0x0b),
  UNRECOVERED_READ_ERROR: code(0x11, 0x00),
  AUXILIARY_MEMORY_READ_ERROR: code(0x11, 0x12),
  RECORDED_ENTITY_NOT_FOUND: code(0x14, 0x00),
  RECORD_NOT_FOUND: code(0x14, 0x01),
  FILEMARK_OR_SETMARK_NOT_FOUND: code(0x14, 0x02),
  END_OF_DATA_NOT_FOUND: code(0x14, 0x03),

  // illegal request
  PARAMETER_LIST_LENGTH_ERROR: code(0x1a, 0x00),
  INVALID_COMMAND_OPERATION_CODE: code(0x20, 0x00),
  LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE: code(0x21, 0x00),
  INVALID_ELEMENT_ADDRESS: code(0x21, 0x01),
  INVALID_FIELD_IN_CDB: code(0x24, 0x00),
  LOGICAL_UNIT_NOT_SUPPORTED: code(0x25, 0x00),
  INVALID_FIELD_IN_PARAMETER_LIST: code(0x26, 0x00),
  PARAMETER_VALUE_INVALID: code(0x26, 0x02),
  SAVING_PARAMETERS_NOT_SUPPORTED: code(0x39, 0x00),

  // data protect
  WRITE_PROTECTED: code(0x27, 0x00),
  HARDWARE_WRITE_PROTECTED: code(0x27, 0x01),
  LOGICAL_UNIT_SOFTWARE_WRITE_PROTECTED: code(0x27, 0x02),
  ASSOCIATED_WRITE_PROTECT: code(0x27, 0x03),
  PERSISTENT_WRITE_PROTECT: code(0x27, 0x04),
  PERMANENT_WRITE_PROTECT: code(0x27, 0x05),

  // unit attention
  NOT_READY_TO_READY_CHANGE: code(0x28, 0x00),
  IMPORT_OR_EXPORT_ELEMENT_ACCESSED: code(0x28, 0x01),
  POWER_ON_RESET_OR_BUS_DEVICE_RESET: code(0x29, 0x00),
  POWER_ON_OCCURRED: code(0x29, 0x01),
  SCSI_BUS_RESET_OCCURRED: code(0x29, 0x02),
  BUS_DEVICE_RESET_FUNCTION_OCCURRED: code(0x29, 0x03),
  DEVICE_INTERNAL_RESET: code(0x29, 0x04),
  PARAMETERS_CHANGED: code(0x2a, 0x00),
  MODE_PARAMETERS_CHANGED: code(0x2a, 0x01),
  LOG_PARAMETERS_CHANGED: code(0x2a, 0x02),
  DATA_ENCRYPTION_PARAMETERS_CHANGED_BY_ANOTHER_I_T_NEXUS: code(0x2a, 0x11),
  MICROCODE_HAS_BEEN_CHANGED: code(0x3f, 0x01),
  MEDIUM_AUXILIARY_MEMORY_ACCESSIBLE: code(0x3f, 0x11),

  // medium
  INCOMPATIBLE_MEDIUM_INSTALLED: code(0x30, 0x00),
  CANNOT_READ_MEDIUM_UNKNOWN_FORMAT: code(0x30, 0x01),
  CANNOT_READ_MEDIUM_INCOMPATIBLE_FORMAT: code(0x30, 0x02),
  CLEANING_CARTRIDGE_INSTALLED: code(0x30, 0x03),
  CANNOT_WRITE_MEDIUM_UNKNOWN_FORMAT: code(0x30, 0x04),
  CANNOT_WRITE_MEDIUM_INCOMPATIBLE_FORMAT: code(0x30, 0x05),
  CANNOT_FORMAT_MEDIUM_INCOMPATIBLE_MEDIUM: code(0x30, 0x06),
  CLEANING_FAILURE: code(0x30, 0x07),
  WORM_MEDIUM_OVERWRITE_ATTEMPTED: code(0x30, 0x0c),
  WORM_MEDIUM_INTEGRITY_CHECK: code(0x30, 0x0d),
  MEDIUM_FORMAT_CORRUPTED: code(0x31, 0x00),
  FORMAT_COMMAND_FAILED: code(0x31, 0x01),
  MEDIUM_NOT_PRESENT: code(0x3a, 0x00),
  MEDIUM_NOT_PRESENT_LOADABLE: code(0x3a, 0x03),
  MEDIUM_NOT_PRESENT_MAM_ACCESSIBLE: code(0x3a, 0x04),
  WRITE_APPEND_ERROR: code(0x50, 0x00),
  WRITE_APPEND_POSITION_ERROR: code(0x50, 0x01),
  ERASE_FAILURE: code(0x51, 0x00),
  CARTRIDGE_FAULT: code(0x52, 0x00),
  MEDIA_LOAD_OR_EJECT_FAILED: code(0x53, 0x00),
  UNLOAD_TAPE_FAILURE: code(0x53, 0x01),
  MEDIUM_REMOVAL_PREVENTED: code(0x53, 0x02),

  // positioning
  SEQUENTIAL_POSITIONING_ERROR: code(0x3b, 0x00),
  TAPE_POSITION_ERROR_AT_BEGINNING_OF_MEDIUM: code(0x3b, 0x01),
  TAPE_POSITION_ERROR_AT_END_OF_MEDIUM: code(0x3b, 0x02),
  REPOSITION_ERROR: code(0x3b, 0x08),

  // medium changer (SMC-3)
  MEDIUM_DESTINATION_ELEMENT_FULL: code(0x3b, 0x0d),
  MEDIUM_SOURCE_ELEMENT_EMPTY: code(0x3b, 0x0e),
  MEDIUM_MAGAZINE_NOT_ACCESSIBLE: code(0x3b, 0x11),
  MEDIUM_MAGAZINE_REMOVED: code(0x3b, 0x12),
  MEDIUM_MAGAZINE_INSERTED: code(0x3b, 0x13),
  MEDIUM_MAGAZINE_LOCKED: code(0x3b, 0x14),
  MEDIUM_MAGAZINE_UNLOCKED: code(0x3b, 0x15),
  MEDIUM_REMOVAL_PREVENTED_BY_DATA_TRANSFER_ELEMENT: code(0x53, 0x03),
  OPERATOR_MEDIUM_REMOVAL_REQUEST: code(0x5a, 0x01),

  // hardware
  INTERNAL_TARGET_FAILURE: code(0x44, 0x00),
  SCSI_PARITY_ERROR: code(0x47, 0x00),
  DATA_PHASE_ERROR: code(0x4b, 0x00),
  FAILURE_PREDICTION_THRESHOLD_EXCEEDED: code(0x5d, 0x00),

  // data encryption (SSC-4 4.2.28)
  SECURITY_ERROR: code(0x74, 0x00),
  UNABLE_TO_DECRYPT_DATA: code(0x74, 0x01),
  UNENCRYPTED_DATA_ENCOUNTERED_WHILE_DECRYPTING: code(0x74, 0x02),
  INCORRECT_DATA_ENCRYPTION_KEY: code(0x74, 0x03),
  CRYPTOGRAPHIC_INTEGRITY_VALIDATION_FAILED: code(0x74, 0x04),
  ERROR_DECRYPTING_DATA: code(0x74, 0x05),
  ENCRYPTION_PARAMETERS_NOT_USEABLE: code(0x74, 0x07),
  ENCRYPTION_MODE_MISMATCH_ON_READ: code(0x74, 0x09),
} as const satisfies Record<string, AscAscqCode>;

export type AscName = keyof typeof Asc;

/** True when `(asc, ascq)` equals the named code. */
export function isAsc(asc: number, ascq: number, c: AscAscqCode): boolean {
  return asc === c.asc && ascq === c.ascq;
}

const TABLE_INDEX: ReadonlyMap<number, string> = new Map(
  ASC_ASCQ_TABLE.map(([asc, ascq, text]) => [(asc << 8) | ascq, text] as const),
);

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/**
 * The SPC description of an ASC/ASCQ pair. Never throws; unknown pairs get a
 * generic text naming the numbers, vendor-specific ranges are labelled as such.
 *
 * @see SPC-4 4.5.2.2 (ASC 80h-FFh and ASCQ 80h-FFh are vendor specific)
 */
export function ascAscqDescription(asc: number, ascq: number): string {
  const a = asc & 0xff;
  const q = ascq & 0xff;
  const exact = TABLE_INDEX.get((a << 8) | q);
  if (exact !== undefined) return exact;
  for (const [rAsc, first, last, text] of ASC_ASCQ_RANGES) {
    if (rAsc === a && q >= first && q <= last) return text.replace("%x", hex2(q));
  }
  if (a >= 0x80) return `Vendor specific ASC 0x${hex2(a)}, ASCQ 0x${hex2(q)}`;
  if (q >= 0x80) return `Vendor specific ASCQ 0x${hex2(q)} for ASC 0x${hex2(a)}`;
  return `Unknown ASC 0x${hex2(a)}, ASCQ 0x${hex2(q)}`;
}
