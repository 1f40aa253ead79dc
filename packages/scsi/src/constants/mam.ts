/**
 * Medium auxiliary memory (MAM) attributes: the standard attribute identifiers with
 * their name, defined length and format.
 *
 * Ranges: 0x0000–0x03FF device type attributes (kept by the drive, read-only for the host),
 * 0x0400–0x07FF medium type attributes (written at manufacture, read-only), 0x0800–0x0BFF
 * host type attributes (written by the application), 0x1000–0x13FF vendor-specific device
 * attributes, 0x1400–0x17FF vendor-specific medium, 0x1800–0x1BFF vendor-specific host.
 *
 * @see SPC-4 7.4 (attributes; tables 337–340 device/medium/host type attributes),
 *      SSC-4 4.2.21 and 8.x (tape-specific attribute definitions); PBS `sg_tape/mam.rs` (§8.3)
 */

/** The FORMAT field of an attribute header (SPC-4 table 334). */
export const MamFormat = {
  BINARY: 0,
  ASCII: 1,
  TEXT: 2,
  RESERVED: 3,
} as const;

export type MamFormatValue = (typeof MamFormat)[keyof typeof MamFormat];

/** How a value is decoded into a JSON-able value. */
export type MamValueKind =
  /** Unsigned big-endian integer (number, or decimal string above 2^53). */
  | "uint"
  /** ASCII, trailing spaces and NULs trimmed. */
  | "ascii"
  /** Text in the character set of the TEXT LOCALIZATION IDENTIFIER (UTF-8 assumed), trimmed. */
  | "text"
  /** Raw bytes, rendered as lowercase hex. */
  | "bytes"
  /** 8-byte TapeAlert flags: list of set flag numbers. */
  | "tape-alert";

export interface MamAttributeInfo {
  readonly id: number;
  /** Stable identifier, e.g. `MEDIUM_SERIAL_NUMBER`. */
  readonly name: string;
  /** Description as in SPC-4 / SSC-4. */
  readonly description: string;
  /** Defined value length in bytes, or null when variable. */
  readonly length: number | null;
  readonly format: MamFormatValue;
  readonly kind: MamValueKind;
  /** Unit of a numeric value, when defined (`MiB`, `bytes`, `m`, `0.1 mm`). */
  readonly unit?: string;
  /** False for vendor-specific attributes that PBS knows about. */
  readonly standard: boolean;
}

export const MamAttribute = {
  // device type attributes (SPC-4 table 337)
  REMAINING_CAPACITY_IN_PARTITION: 0x0000,
  MAXIMUM_CAPACITY_IN_PARTITION: 0x0001,
  TAPEALERT_FLAGS: 0x0002,
  LOAD_COUNT: 0x0003,
  MAM_SPACE_REMAINING: 0x0004,
  ASSIGNING_ORGANIZATION: 0x0005,
  FORMATTED_DENSITY_CODE: 0x0006,
  INITIALIZATION_COUNT: 0x0007,
  VOLUME_IDENTIFIER: 0x0008,
  VOLUME_CHANGE_REFERENCE: 0x0009,
  DEVICE_VENDOR_SERIAL_AT_LAST_LOAD: 0x020a,
  DEVICE_VENDOR_SERIAL_AT_LOAD_1: 0x020b,
  DEVICE_VENDOR_SERIAL_AT_LOAD_2: 0x020c,
  DEVICE_VENDOR_SERIAL_AT_LOAD_3: 0x020d,
  TOTAL_MIB_WRITTEN_IN_MEDIUM_LIFE: 0x0220,
  TOTAL_MIB_READ_IN_MEDIUM_LIFE: 0x0221,
  TOTAL_MIB_WRITTEN_IN_CURRENT_LOAD: 0x0222,
  TOTAL_MIB_READ_IN_CURRENT_LOAD: 0x0223,
  LOGICAL_POSITION_OF_FIRST_ENCRYPTED_BLOCK: 0x0224,
  LOGICAL_POSITION_OF_FIRST_UNENCRYPTED_BLOCK_AFTER_ENCRYPTED: 0x0225,
  MEDIUM_USAGE_HISTORY: 0x0340,
  PARTITION_USAGE_HISTORY: 0x0341,
  // medium type attributes (SPC-4 table 338)
  MEDIUM_MANUFACTURER: 0x0400,
  MEDIUM_SERIAL_NUMBER: 0x0401,
  MEDIUM_LENGTH: 0x0402,
  MEDIUM_WIDTH: 0x0403,
  MEDIUM_ASSIGNING_ORGANIZATION: 0x0404,
  MEDIUM_DENSITY_CODE: 0x0405,
  MEDIUM_MANUFACTURE_DATE: 0x0406,
  MAM_CAPACITY: 0x0407,
  MEDIUM_TYPE: 0x0408,
  MEDIUM_TYPE_INFORMATION: 0x0409,
  NUMERIC_MEDIUM_SERIAL_NUMBER: 0x040a,
  SUPPORTED_DENSITY_CODES: 0x040b,
  // host type attributes (SPC-4 table 339)
  APPLICATION_VENDOR: 0x0800,
  APPLICATION_NAME: 0x0801,
  APPLICATION_VERSION: 0x0802,
  USER_MEDIUM_TEXT_LABEL: 0x0803,
  DATE_AND_TIME_LAST_WRITTEN: 0x0804,
  TEXT_LOCALIZATION_IDENTIFIER: 0x0805,
  BARCODE: 0x0806,
  OWNING_HOST_TEXTUAL_NAME: 0x0807,
  MEDIA_POOL: 0x0808,
  PARTITION_USER_TEXT_LABEL: 0x0809,
  LOAD_UNLOAD_AT_PARTITION: 0x080a,
  APPLICATION_FORMAT_VERSION: 0x080b,
  VOLUME_COHERENCY_INFORMATION: 0x080c,
  MEDIUM_GLOBALLY_UNIQUE_IDENTIFIER: 0x0820,
  MEDIA_POOL_GLOBALLY_UNIQUE_IDENTIFIER: 0x0821,
  // vendor-specific device attributes read by PBS (LTO)
  UNIQUE_CARTRIDGE_IDENTITY: 0x1000,
  ALTERNATE_UNIQUE_CARTRIDGE_IDENTITY: 0x1001,
} as const;

export type MamAttributeName = keyof typeof MamAttribute;

const B = MamFormat.BINARY;
const A = MamFormat.ASCII;
const T = MamFormat.TEXT;

function attr(
  id: number,
  name: MamAttributeName,
  description: string,
  length: number | null,
  format: MamFormatValue,
  kind: MamValueKind,
  unit?: string,
  standard = true,
): MamAttributeInfo {
  return Object.freeze(unit === undefined ? { id, name, description, length, format, kind, standard } : { id, name, description, length, format, kind, unit, standard });
}

const M = MamAttribute;

/** Every attribute this package knows, in identifier order. */
export const MAM_ATTRIBUTES: readonly MamAttributeInfo[] = Object.freeze([
  attr(M.REMAINING_CAPACITY_IN_PARTITION, "REMAINING_CAPACITY_IN_PARTITION", "Remaining capacity in partition", 8, B, "uint", "MiB"),
  attr(M.MAXIMUM_CAPACITY_IN_PARTITION, "MAXIMUM_CAPACITY_IN_PARTITION", "Maximum capacity in partition", 8, B, "uint", "MiB"),
  attr(M.TAPEALERT_FLAGS, "TAPEALERT_FLAGS", "TapeAlert flags", 8, B, "tape-alert"),
  attr(M.LOAD_COUNT, "LOAD_COUNT", "Load count", 8, B, "uint"),
  attr(M.MAM_SPACE_REMAINING, "MAM_SPACE_REMAINING", "MAM space remaining", 8, B, "uint", "bytes"),
  attr(M.ASSIGNING_ORGANIZATION, "ASSIGNING_ORGANIZATION", "Assigning organization", 8, A, "ascii"),
  attr(M.FORMATTED_DENSITY_CODE, "FORMATTED_DENSITY_CODE", "Formatted density code", 1, B, "uint"),
  attr(M.INITIALIZATION_COUNT, "INITIALIZATION_COUNT", "Initialization count", 2, B, "uint"),
  attr(M.VOLUME_IDENTIFIER, "VOLUME_IDENTIFIER", "Volume identifier", 32, A, "ascii"),
  attr(M.VOLUME_CHANGE_REFERENCE, "VOLUME_CHANGE_REFERENCE", "Volume change reference", null, B, "uint"),
  attr(M.DEVICE_VENDOR_SERIAL_AT_LAST_LOAD, "DEVICE_VENDOR_SERIAL_AT_LAST_LOAD", "Device vendor/serial number at last load", 40, A, "ascii"),
  attr(M.DEVICE_VENDOR_SERIAL_AT_LOAD_1, "DEVICE_VENDOR_SERIAL_AT_LOAD_1", "Device vendor/serial number at load-1", 40, A, "ascii"),
  attr(M.DEVICE_VENDOR_SERIAL_AT_LOAD_2, "DEVICE_VENDOR_SERIAL_AT_LOAD_2", "Device vendor/serial number at load-2", 40, A, "ascii"),
  attr(M.DEVICE_VENDOR_SERIAL_AT_LOAD_3, "DEVICE_VENDOR_SERIAL_AT_LOAD_3", "Device vendor/serial number at load-3", 40, A, "ascii"),
  attr(M.TOTAL_MIB_WRITTEN_IN_MEDIUM_LIFE, "TOTAL_MIB_WRITTEN_IN_MEDIUM_LIFE", "Total MiB written in medium life", 8, B, "uint", "MiB"),
  attr(M.TOTAL_MIB_READ_IN_MEDIUM_LIFE, "TOTAL_MIB_READ_IN_MEDIUM_LIFE", "Total MiB read in medium life", 8, B, "uint", "MiB"),
  attr(M.TOTAL_MIB_WRITTEN_IN_CURRENT_LOAD, "TOTAL_MIB_WRITTEN_IN_CURRENT_LOAD", "Total MiB written in current/last load", 8, B, "uint", "MiB"),
  attr(M.TOTAL_MIB_READ_IN_CURRENT_LOAD, "TOTAL_MIB_READ_IN_CURRENT_LOAD", "Total MiB read in current/last load", 8, B, "uint", "MiB"),
  attr(M.LOGICAL_POSITION_OF_FIRST_ENCRYPTED_BLOCK, "LOGICAL_POSITION_OF_FIRST_ENCRYPTED_BLOCK", "Logical position of first encrypted logical object", 8, B, "uint"),
  attr(M.LOGICAL_POSITION_OF_FIRST_UNENCRYPTED_BLOCK_AFTER_ENCRYPTED, "LOGICAL_POSITION_OF_FIRST_UNENCRYPTED_BLOCK_AFTER_ENCRYPTED", "Logical position of first unencrypted logical object after the first encrypted logical object", 8, B, "uint"),
  attr(M.MEDIUM_USAGE_HISTORY, "MEDIUM_USAGE_HISTORY", "Medium usage history", 90, B, "bytes"),
  attr(M.PARTITION_USAGE_HISTORY, "PARTITION_USAGE_HISTORY", "Partition usage history", 60, B, "bytes"),
  attr(M.MEDIUM_MANUFACTURER, "MEDIUM_MANUFACTURER", "Medium manufacturer", 8, A, "ascii"),
  attr(M.MEDIUM_SERIAL_NUMBER, "MEDIUM_SERIAL_NUMBER", "Medium serial number", 32, A, "ascii"),
  attr(M.MEDIUM_LENGTH, "MEDIUM_LENGTH", "Medium length", 4, B, "uint", "m"),
  attr(M.MEDIUM_WIDTH, "MEDIUM_WIDTH", "Medium width", 4, B, "uint", "0.1 mm"),
  attr(M.MEDIUM_ASSIGNING_ORGANIZATION, "MEDIUM_ASSIGNING_ORGANIZATION", "Assigning organization", 8, A, "ascii"),
  attr(M.MEDIUM_DENSITY_CODE, "MEDIUM_DENSITY_CODE", "Medium density code", 1, B, "uint"),
  attr(M.MEDIUM_MANUFACTURE_DATE, "MEDIUM_MANUFACTURE_DATE", "Medium manufacture date (YYYYMMDD)", 8, A, "ascii"),
  attr(M.MAM_CAPACITY, "MAM_CAPACITY", "MAM capacity", 8, B, "uint", "bytes"),
  attr(M.MEDIUM_TYPE, "MEDIUM_TYPE", "Medium type", 1, B, "uint"),
  attr(M.MEDIUM_TYPE_INFORMATION, "MEDIUM_TYPE_INFORMATION", "Medium type information", 2, B, "uint"),
  attr(M.NUMERIC_MEDIUM_SERIAL_NUMBER, "NUMERIC_MEDIUM_SERIAL_NUMBER", "Numeric medium serial number", null, B, "bytes"),
  attr(M.SUPPORTED_DENSITY_CODES, "SUPPORTED_DENSITY_CODES", "Supported density codes", 10, B, "bytes", undefined, false),
  attr(M.APPLICATION_VENDOR, "APPLICATION_VENDOR", "Application vendor", 8, A, "ascii"),
  attr(M.APPLICATION_NAME, "APPLICATION_NAME", "Application name", 32, A, "ascii"),
  attr(M.APPLICATION_VERSION, "APPLICATION_VERSION", "Application version", 8, A, "ascii"),
  attr(M.USER_MEDIUM_TEXT_LABEL, "USER_MEDIUM_TEXT_LABEL", "User medium text label", 160, T, "text"),
  attr(M.DATE_AND_TIME_LAST_WRITTEN, "DATE_AND_TIME_LAST_WRITTEN", "Date and time last written (YYYYMMDDHHMM)", 12, A, "ascii"),
  attr(M.TEXT_LOCALIZATION_IDENTIFIER, "TEXT_LOCALIZATION_IDENTIFIER", "Text localization identifier", 1, B, "uint"),
  attr(M.BARCODE, "BARCODE", "Barcode", 32, A, "ascii"),
  attr(M.OWNING_HOST_TEXTUAL_NAME, "OWNING_HOST_TEXTUAL_NAME", "Owning host textual name", 80, T, "text"),
  attr(M.MEDIA_POOL, "MEDIA_POOL", "Media pool", 160, T, "text"),
  attr(M.PARTITION_USER_TEXT_LABEL, "PARTITION_USER_TEXT_LABEL", "Partition user text label", 16, A, "ascii"),
  attr(M.LOAD_UNLOAD_AT_PARTITION, "LOAD_UNLOAD_AT_PARTITION", "Load/unload at partition", 1, B, "uint"),
  attr(M.APPLICATION_FORMAT_VERSION, "APPLICATION_FORMAT_VERSION", "Application format version", 16, A, "ascii"),
  attr(M.VOLUME_COHERENCY_INFORMATION, "VOLUME_COHERENCY_INFORMATION", "Volume coherency information", null, B, "bytes"),
  attr(M.MEDIUM_GLOBALLY_UNIQUE_IDENTIFIER, "MEDIUM_GLOBALLY_UNIQUE_IDENTIFIER", "Medium globally unique identifier", 36, B, "bytes"),
  attr(M.MEDIA_POOL_GLOBALLY_UNIQUE_IDENTIFIER, "MEDIA_POOL_GLOBALLY_UNIQUE_IDENTIFIER", "Media pool globally unique identifier", 36, B, "bytes"),
  attr(M.UNIQUE_CARTRIDGE_IDENTITY, "UNIQUE_CARTRIDGE_IDENTITY", "Unique cartridge identity (vendor specific)", 28, B, "bytes", undefined, false),
  attr(M.ALTERNATE_UNIQUE_CARTRIDGE_IDENTITY, "ALTERNATE_UNIQUE_CARTRIDGE_IDENTITY", "Alternate unique cartridge identity (vendor specific)", 24, B, "bytes", undefined, false),
]);

const BY_ID: ReadonlyMap<number, MamAttributeInfo> = new Map(MAM_ATTRIBUTES.map((a) => [a.id, a]));

/** The attribute record for an identifier, or undefined. */
export function mamAttributeInfo(id: number): MamAttributeInfo | undefined {
  return BY_ID.get(id);
}

/** Whether an identifier is in a host-writable range (SPC-4 table 336: 0x0800–0x0BFF, 0x1800–0x1BFF). */
export function isHostAttribute(id: number): boolean {
  return (id >= 0x0800 && id <= 0x0bff) || (id >= 0x1800 && id <= 0x1bff);
}
