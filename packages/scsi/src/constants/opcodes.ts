/**
 * SCSI operation codes used by LTO tape drives (SSC-4) and medium changers (SMC-3),
 * plus the SPC-4 primary commands both implement.
 *
 * @see SPC-4 annex D.3.1 (operation codes), SSC-4 table 6 (sequential-access commands),
 *      SMC-3 table 5 (media changer commands).
 */
export const Opcode = {
  // SPC-4 primary commands
  TEST_UNIT_READY: 0x00,
  REQUEST_SENSE: 0x03,
  INQUIRY: 0x12,
  MODE_SELECT_6: 0x15,
  RESERVE_6: 0x16,
  RELEASE_6: 0x17,
  MODE_SENSE_6: 0x1a,
  RECEIVE_DIAGNOSTIC_RESULTS: 0x1c,
  SEND_DIAGNOSTIC: 0x1d,
  PREVENT_ALLOW_MEDIUM_REMOVAL: 0x1e,
  WRITE_BUFFER: 0x3b,
  READ_BUFFER: 0x3c,
  LOG_SELECT: 0x4c,
  LOG_SENSE: 0x4d,
  MODE_SELECT_10: 0x55,
  MODE_SENSE_10: 0x5a,
  PERSISTENT_RESERVE_IN: 0x5e,
  PERSISTENT_RESERVE_OUT: 0x5f,
  READ_ATTRIBUTE: 0x8c,
  WRITE_ATTRIBUTE: 0x8d,
  REPORT_LUNS: 0xa0,
  SECURITY_PROTOCOL_IN: 0xa2,
  MAINTENANCE_IN: 0xa3,
  MAINTENANCE_OUT: 0xa4,
  SECURITY_PROTOCOL_OUT: 0xb5,

  // SSC-4 sequential-access (tape) commands
  REWIND: 0x01,
  FORMAT_MEDIUM: 0x04,
  READ_BLOCK_LIMITS: 0x05,
  READ_6: 0x08,
  WRITE_6: 0x0a,
  READ_REVERSE_6: 0x0f,
  WRITE_FILEMARKS_6: 0x10,
  SPACE_6: 0x11,
  VERIFY_6: 0x13,
  RECOVER_BUFFERED_DATA: 0x14,
  ERASE_6: 0x19,
  LOAD_UNLOAD: 0x1b,
  LOCATE_10: 0x2b,
  READ_POSITION: 0x34,
  REPORT_DENSITY_SUPPORT: 0x44,
  WRITE_FILEMARKS_16: 0x80,
  READ_16: 0x88,
  WRITE_16: 0x8a,
  VERIFY_16: 0x8f,
  SPACE_16: 0x91,
  LOCATE_16: 0x92,
  ERASE_16: 0x93,

  // SMC-3 media changer commands
  INITIALIZE_ELEMENT_STATUS: 0x07,
  /** POSITION TO ELEMENT shares its opcode with LOCATE(10); the device type decides. */
  POSITION_TO_ELEMENT: 0x2b,
  INITIALIZE_ELEMENT_STATUS_WITH_RANGE: 0x37,
  MOVE_MEDIUM: 0xa5,
  EXCHANGE_MEDIUM: 0xa6,
  READ_ELEMENT_STATUS: 0xb8,
} as const;

export type OpcodeName = keyof typeof Opcode;

/** Service actions used with the opcodes above. */
export const ServiceAction = {
  /** READ POSITION (SSC-4 6.7): short form, block ids. */
  READ_POSITION_SHORT: 0x00,
  /** READ POSITION: short form, vendor specific. */
  READ_POSITION_SHORT_VENDOR: 0x01,
  /** READ POSITION: long form (SSC-4 7.6.3). */
  READ_POSITION_LONG: 0x06,
  /** READ POSITION: extended form. */
  READ_POSITION_EXTENDED: 0x08,
  /** READ ATTRIBUTE (SPC-4 6.16): attribute values. */
  READ_ATTRIBUTE_VALUES: 0x00,
  /** READ ATTRIBUTE: attribute list (identifiers of the attributes present). */
  READ_ATTRIBUTE_LIST: 0x01,
  READ_ATTRIBUTE_VOLUME_LIST: 0x02,
  READ_ATTRIBUTE_PARTITION_LIST: 0x03,
  READ_ATTRIBUTE_SUPPORTED: 0x05,
} as const;

/** Human-readable command names by opcode (tape view: 0x2B is LOCATE(10)). */
export const OPCODE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [Opcode.TEST_UNIT_READY, "TEST UNIT READY"],
  [Opcode.REWIND, "REWIND"],
  [Opcode.REQUEST_SENSE, "REQUEST SENSE"],
  [Opcode.FORMAT_MEDIUM, "FORMAT MEDIUM"],
  [Opcode.READ_BLOCK_LIMITS, "READ BLOCK LIMITS"],
  [Opcode.INITIALIZE_ELEMENT_STATUS, "INITIALIZE ELEMENT STATUS"],
  [Opcode.READ_6, "READ(6)"],
  [Opcode.WRITE_6, "WRITE(6)"],
  [Opcode.READ_REVERSE_6, "READ REVERSE(6)"],
  [Opcode.WRITE_FILEMARKS_6, "WRITE FILEMARKS(6)"],
  [Opcode.SPACE_6, "SPACE(6)"],
  [Opcode.INQUIRY, "INQUIRY"],
  [Opcode.VERIFY_6, "VERIFY(6)"],
  [Opcode.RECOVER_BUFFERED_DATA, "RECOVER BUFFERED DATA"],
  [Opcode.MODE_SELECT_6, "MODE SELECT(6)"],
  [Opcode.RESERVE_6, "RESERVE(6)"],
  [Opcode.RELEASE_6, "RELEASE(6)"],
  [Opcode.ERASE_6, "ERASE(6)"],
  [Opcode.MODE_SENSE_6, "MODE SENSE(6)"],
  [Opcode.LOAD_UNLOAD, "LOAD UNLOAD"],
  [Opcode.RECEIVE_DIAGNOSTIC_RESULTS, "RECEIVE DIAGNOSTIC RESULTS"],
  [Opcode.SEND_DIAGNOSTIC, "SEND DIAGNOSTIC"],
  [Opcode.PREVENT_ALLOW_MEDIUM_REMOVAL, "PREVENT ALLOW MEDIUM REMOVAL"],
  [Opcode.LOCATE_10, "LOCATE(10)"],
  [Opcode.READ_POSITION, "READ POSITION"],
  [Opcode.INITIALIZE_ELEMENT_STATUS_WITH_RANGE, "INITIALIZE ELEMENT STATUS WITH RANGE"],
  [Opcode.WRITE_BUFFER, "WRITE BUFFER"],
  [Opcode.READ_BUFFER, "READ BUFFER"],
  [Opcode.REPORT_DENSITY_SUPPORT, "REPORT DENSITY SUPPORT"],
  [Opcode.LOG_SELECT, "LOG SELECT"],
  [Opcode.LOG_SENSE, "LOG SENSE"],
  [Opcode.MODE_SELECT_10, "MODE SELECT(10)"],
  [Opcode.MODE_SENSE_10, "MODE SENSE(10)"],
  [Opcode.PERSISTENT_RESERVE_IN, "PERSISTENT RESERVE IN"],
  [Opcode.PERSISTENT_RESERVE_OUT, "PERSISTENT RESERVE OUT"],
  [Opcode.WRITE_FILEMARKS_16, "WRITE FILEMARKS(16)"],
  [Opcode.READ_16, "READ(16)"],
  [Opcode.WRITE_16, "WRITE(16)"],
  [Opcode.READ_ATTRIBUTE, "READ ATTRIBUTE"],
  [Opcode.WRITE_ATTRIBUTE, "WRITE ATTRIBUTE"],
  [Opcode.VERIFY_16, "VERIFY(16)"],
  [Opcode.SPACE_16, "SPACE(16)"],
  [Opcode.LOCATE_16, "LOCATE(16)"],
  [Opcode.ERASE_16, "ERASE(16)"],
  [Opcode.REPORT_LUNS, "REPORT LUNS"],
  [Opcode.SECURITY_PROTOCOL_IN, "SECURITY PROTOCOL IN"],
  [Opcode.MAINTENANCE_IN, "MAINTENANCE IN"],
  [Opcode.MAINTENANCE_OUT, "MAINTENANCE OUT"],
  [Opcode.MOVE_MEDIUM, "MOVE MEDIUM"],
  [Opcode.EXCHANGE_MEDIUM, "EXCHANGE MEDIUM"],
  [Opcode.SECURITY_PROTOCOL_OUT, "SECURITY PROTOCOL OUT"],
  [Opcode.READ_ELEMENT_STATUS, "READ ELEMENT STATUS"],
]);

/** Name of an opcode, or `OPCODE 0xNN` when unknown. */
export function opcodeName(opcode: number): string {
  return OPCODE_NAMES.get(opcode) ?? `OPCODE 0x${opcode.toString(16).padStart(2, "0").toUpperCase()}`;
}
