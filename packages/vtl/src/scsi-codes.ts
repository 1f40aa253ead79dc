/**
 * The SCSI numbers the virtual library answers with: the `@tapefleet/scsi` tables, plus the
 * few codes the emulation needs that those tables do not name.
 *
 * @see SPC-4 annex D (operation codes, ASC/ASCQ), SSC-4 table 6, SMC-3 table 5
 */
import { Asc as ScsiAsc, Opcode as ScsiOpcode, SenseKey as ScsiSenseKey, type AscAscqCode } from "@tapefleet/scsi";

export type AscCode = AscAscqCode;

export const SenseKey = ScsiSenseKey;

export const Opcode = {
  ...ScsiOpcode,
  /** RESERVE(10) / RELEASE(10) (SPC-2, obsolete in SPC-4; still sent by some tools). */
  RESERVE_10: 0x56,
  RELEASE_10: 0x57,
} as const;

export const Asc = {
  ...ScsiAsc,
  /** SPC-4 annex D: 15h/01h MECHANICAL POSITIONING ERROR (changer jam). */
  MECHANICAL_POSITIONING_ERROR: Object.freeze({ asc: 0x15, ascq: 0x01 }),
} as const;

/** SCSI status byte values (SAM-5 table 38). */
export const Status = {
  GOOD: 0x00,
  CHECK_CONDITION: 0x02,
} as const;

/** Host status values as in Linux `sg_io_hdr_t.host_status` (DID_*). */
export const HostStatus = {
  OK: 0x00,
  NO_CONNECT: 0x01,
  TIME_OUT: 0x03,
} as const;

/** SPC peripheral device types (INQUIRY byte 0). */
export const PeripheralType = {
  SEQUENTIAL_ACCESS: 0x01,
  MEDIUM_CHANGER: 0x08,
} as const;
