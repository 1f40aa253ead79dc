/**
 * The 64 TapeAlert flags of a tape drive.
 *
 * Names follow PBS (`sg_tape/tape_alert_flags.rs`, reference §8.1; PBS's spelling
 * "MANTAINANCE" is corrected to DRIVE_MAINTENANCE), descriptions follow SSC-4 annex A
 * (TapeAlert log page parameter codes). `critical` is exactly the set PBS marks critical
 * (§8.1). `severity` is "critical" for those same flags, "information" for the four flags
 * the TapeAlert specification classes as informational (0x0A, 0x0B, 0x0C, 0x13), "warning"
 * for the other assigned flags and "reserved" for unassigned numbers.
 * `pbsDefined` is false for the numbers PBS does not define (0x28, 0x2B, 0x2C, 0x2E–0x30, 0x3E–0x40).
 *
 * Bit order on the wire (log pages 0x12 and 0x2E, MAM attribute 0x0002): flag 1 is the most
 * significant bit of the first byte, flag 64 the least significant bit of the eighth byte.
 *
 * @see SSC-4 8.2.3 (TapeAlert log page), SSC-4 annex A, ADC-3 (TapeAlert response log page 0x12)
 */
export type TapeAlertSeverity = "information" | "warning" | "critical" | "reserved";

export interface TapeAlertFlagInfo {
  /** Flag number 1..64 (the log parameter code on page 0x2E). */
  readonly number: number;
  /** Stable identifier, e.g. `CLEAN_NOW`. */
  readonly name: string;
  /** Description as in SSC-4 annex A. */
  readonly description: string;
  readonly severity: TapeAlertSeverity;
  /** Critical for PBS: a tape with this flag after load is marked damaged (§8.1). */
  readonly critical: boolean;
  /** Whether PBS defines this flag number. */
  readonly pbsDefined: boolean;
}

function flag(
  number: number,
  name: string,
  description: string,
  severity: TapeAlertSeverity,
  critical: boolean,
  pbsDefined: boolean,
): TapeAlertFlagInfo {
  return Object.freeze({ number, name, description, severity, critical, pbsDefined });
}

/** All 64 flags, index i holds flag i + 1. */
export const TAPE_ALERT_FLAGS: readonly TapeAlertFlagInfo[] = Object.freeze([
  flag(0x01, "READ_WARNING", "Read warning", "warning", false, true),
  flag(0x02, "WRITE_WARNING", "Write warning", "warning", false, true),
  flag(0x03, "HARD_ERROR", "Hard error", "warning", false, true),
  flag(0x04, "MEDIA", "Media", "critical", true, true),
  flag(0x05, "READ_FAILURE", "Read failure", "critical", true, true),
  flag(0x06, "WRITE_FAILURE", "Write failure", "critical", true, true),
  flag(0x07, "MEDIA_LIFE", "Media life", "warning", false, true),
  flag(0x08, "NOT_DATA_GRADE", "Not data grade", "warning", false, true),
  flag(0x09, "WRITE_PROTECT", "Write protect", "critical", true, true),
  flag(0x0a, "NO_REMOVAL", "No removal", "information", false, true),
  flag(0x0b, "CLEANING_MEDIA", "Cleaning media", "information", false, true),
  flag(0x0c, "UNSUPPORTED_FORMAT", "Unsupported format", "information", false, true),
  flag(0x0d, "RECOVERABLE_MECHANICAL_CARTRIDGE_FAILURE", "Recoverable mechanical cartridge failure", "warning", false, true),
  flag(0x0e, "UNRECOVERABLE_SNAPPED_TAPE", "Unrecoverable mechanical cartridge failure", "critical", true, true),
  flag(0x0f, "MEMORY_CHIP_IN_CARTRIDGE_FAILURE", "Memory chip in cartridge failure", "warning", false, true),
  flag(0x10, "FORCED_EJECT", "Forced eject", "critical", true, true),
  flag(0x11, "READ_ONLY_FORMAT", "Read only format", "warning", false, true),
  flag(0x12, "TAPE_DIRECTORY_CORRUPTED", "Tape directory corrupted on load", "warning", false, true),
  flag(0x13, "NEARING_MEDIA_LIFE", "Nearing media life", "information", false, true),
  flag(0x14, "CLEAN_NOW", "Cleaning required", "warning", false, true),
  flag(0x15, "CLEAN_PERIODIC", "Cleaning requested", "warning", false, true),
  flag(0x16, "EXPIRED_CLEANING_MEDIA", "Expired cleaning media", "critical", true, true),
  flag(0x17, "INVALID_CLEANING_TAPE", "Invalid cleaning tape", "critical", true, true),
  flag(0x18, "RETENSION_REQUEST", "Retension requested", "warning", false, true),
  flag(0x19, "HOST_CHANNEL_FAILURE", "Dual port interface error", "warning", false, true),
  flag(0x1a, "COOLING_FAN_FAILURE", "Cooling fan failing", "warning", false, true),
  flag(0x1b, "POWER_SUPPLY_FAILURE", "Power supply failure", "warning", false, true),
  flag(0x1c, "POWER_CONSUMPTION", "Power consumption", "warning", false, true),
  flag(0x1d, "DRIVE_MAINTENANCE", "Drive maintenance", "warning", false, true),
  flag(0x1e, "HARDWARE_A", "Hardware A", "critical", true, true),
  flag(0x1f, "HARDWARE_B", "Hardware B", "critical", true, true),
  flag(0x20, "INTERFACE", "Interface", "warning", false, true),
  flag(0x21, "EJECT_MEDIA", "Eject media", "critical", true, true),
  flag(0x22, "DOWNLOAD_FAULT", "Microcode update fail", "warning", false, true),
  flag(0x23, "DRIVE_HUMIDITY", "Drive humidity", "warning", false, true),
  flag(0x24, "DRIVE_TEMPERATURE", "Drive temperature", "warning", false, true),
  flag(0x25, "DRIVE_VOLTAGE", "Drive voltage", "warning", false, true),
  flag(0x26, "PREDICTIVE_FAILURE", "Predictive failure", "critical", true, true),
  flag(0x27, "DIAGNOSTICS_REQUIRED", "Diagnostics required", "warning", false, true),
  flag(0x28, "RESERVED_28", "Reserved (28h)", "reserved", false, false),
  flag(0x29, "LOADER_STRAY_TAPE", "Loader stray tape", "critical", true, true),
  flag(0x2a, "LOADER_HARDWARE", "Loader hardware", "warning", false, true),
  flag(0x2b, "RESERVED_2B", "Reserved (2Bh)", "reserved", false, false),
  flag(0x2c, "RESERVED_2C", "Reserved (2Ch)", "reserved", false, false),
  flag(0x2d, "LOADER_MAGAZINE", "Loader magazine", "critical", true, true),
  flag(0x2e, "RESERVED_2E", "Reserved (2Eh)", "reserved", false, false),
  flag(0x2f, "EXTERNAL_ENCRYPTION_COMMUNICATIONS_FAILURE", "External data encryption control - communications failure", "warning", false, false),
  flag(0x30, "EXTERNAL_ENCRYPTION_KEY_MANAGER_ERROR", "External data encryption control - key manager returned error", "warning", false, false),
  flag(0x31, "DIMINISHED_NATIVE_CAPACITY", "Diminished native capacity", "warning", false, true),
  flag(0x32, "LOST_STATISTICS", "Lost statistics", "warning", false, true),
  flag(0x33, "TAPE_DIRECTORY_INVALID_AT_UNLOAD", "Tape directory invalid at unload", "warning", false, true),
  flag(0x34, "TAPE_SYSTEM_AREA_WRITE_FAILURE", "Tape system area write failure", "critical", true, true),
  flag(0x35, "TAPE_SYSTEM_AREA_READ_FAILURE", "Tape system area read failure", "critical", true, true),
  flag(0x36, "NO_START_OF_DATA", "No start of data", "critical", true, true),
  flag(0x37, "LOADING_FAILURE", "Loading failure", "critical", true, true),
  flag(0x38, "UNRECOVERABLE_UNLOAD_FAILURE", "Unrecoverable unload failure", "critical", true, true),
  flag(0x39, "AUTOMATION_INTERFACE_FAILURE", "Automation interface failure", "critical", true, true),
  flag(0x3a, "FIRMWARE_FAILURE", "Firmware failure", "warning", false, true),
  flag(0x3b, "WORM_INTEGRITY_CHECK_FAILED", "WORM medium - integrity check failed", "warning", false, true),
  flag(0x3c, "WORM_OVERWRITE_ATTEMPTED", "WORM medium - overwrite attempted", "warning", false, true),
  flag(0x3d, "ENCRYPTION_POLICY_VIOLATION", "Encryption policy violation", "warning", false, true),
  flag(0x3e, "RESERVED_3E", "Reserved (3Eh)", "reserved", false, false),
  flag(0x3f, "RESERVED_3F", "Reserved (3Fh)", "reserved", false, false),
  flag(0x40, "RESERVED_40", "Reserved (40h)", "reserved", false, false),
]);

/** Named flag numbers (SSC-4 annex A parameter codes). */
export const TapeAlert = {
  READ_WARNING: 0x01,
  WRITE_WARNING: 0x02,
  HARD_ERROR: 0x03,
  MEDIA: 0x04,
  READ_FAILURE: 0x05,
  WRITE_FAILURE: 0x06,
  MEDIA_LIFE: 0x07,
  NOT_DATA_GRADE: 0x08,
  WRITE_PROTECT: 0x09,
  NO_REMOVAL: 0x0a,
  CLEANING_MEDIA: 0x0b,
  UNSUPPORTED_FORMAT: 0x0c,
  RECOVERABLE_MECHANICAL_CARTRIDGE_FAILURE: 0x0d,
  UNRECOVERABLE_SNAPPED_TAPE: 0x0e,
  MEMORY_CHIP_IN_CARTRIDGE_FAILURE: 0x0f,
  FORCED_EJECT: 0x10,
  READ_ONLY_FORMAT: 0x11,
  TAPE_DIRECTORY_CORRUPTED: 0x12,
  NEARING_MEDIA_LIFE: 0x13,
  CLEAN_NOW: 0x14,
  CLEAN_PERIODIC: 0x15,
  EXPIRED_CLEANING_MEDIA: 0x16,
  INVALID_CLEANING_TAPE: 0x17,
  RETENSION_REQUEST: 0x18,
  HOST_CHANNEL_FAILURE: 0x19,
  COOLING_FAN_FAILURE: 0x1a,
  POWER_SUPPLY_FAILURE: 0x1b,
  POWER_CONSUMPTION: 0x1c,
  DRIVE_MAINTENANCE: 0x1d,
  HARDWARE_A: 0x1e,
  HARDWARE_B: 0x1f,
  INTERFACE: 0x20,
  EJECT_MEDIA: 0x21,
  DOWNLOAD_FAULT: 0x22,
  DRIVE_HUMIDITY: 0x23,
  DRIVE_TEMPERATURE: 0x24,
  DRIVE_VOLTAGE: 0x25,
  PREDICTIVE_FAILURE: 0x26,
  DIAGNOSTICS_REQUIRED: 0x27,
  LOADER_STRAY_TAPE: 0x29,
  LOADER_HARDWARE: 0x2a,
  LOADER_MAGAZINE: 0x2d,
  EXTERNAL_ENCRYPTION_COMMUNICATIONS_FAILURE: 0x2f,
  EXTERNAL_ENCRYPTION_KEY_MANAGER_ERROR: 0x30,
  DIMINISHED_NATIVE_CAPACITY: 0x31,
  LOST_STATISTICS: 0x32,
  TAPE_DIRECTORY_INVALID_AT_UNLOAD: 0x33,
  TAPE_SYSTEM_AREA_WRITE_FAILURE: 0x34,
  TAPE_SYSTEM_AREA_READ_FAILURE: 0x35,
  NO_START_OF_DATA: 0x36,
  LOADING_FAILURE: 0x37,
  UNRECOVERABLE_UNLOAD_FAILURE: 0x38,
  AUTOMATION_INTERFACE_FAILURE: 0x39,
  FIRMWARE_FAILURE: 0x3a,
  WORM_INTEGRITY_CHECK_FAILED: 0x3b,
  WORM_OVERWRITE_ATTEMPTED: 0x3c,
  ENCRYPTION_POLICY_VIOLATION: 0x3d,
} as const;

export type TapeAlertName = keyof typeof TapeAlert;

/** Flags meaning the medium reaches end of life (PBS media-life mask). */
export const TAPE_ALERT_MEDIA_LIFE: readonly number[] = Object.freeze([TapeAlert.MEDIA_LIFE, TapeAlert.NEARING_MEDIA_LIFE]);
/** Flags meaning the drive asks for cleaning (PBS cleaning-request mask). */
export const TAPE_ALERT_CLEANING_REQUEST: readonly number[] = Object.freeze([TapeAlert.CLEAN_NOW, TapeAlert.CLEAN_PERIODIC]);

/** The flag record for a number 1..64, or undefined. */
export function tapeAlertFlag(number: number): TapeAlertFlagInfo | undefined {
  return Number.isInteger(number) && number >= 1 && number <= 64 ? TAPE_ALERT_FLAGS[number - 1] : undefined;
}
