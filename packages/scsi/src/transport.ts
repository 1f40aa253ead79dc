/**
 * The one seam between SCSI command logic and the thing that carries commands:
 * SG_IO on a real `/dev/sgN`, the virtual tape library in-process, or the
 * virtual library over its UNIX socket. Everything above this interface runs
 * unchanged against any of them.
 */

/** Direction of the data phase, as in `sg_io_hdr_t.dxfer_direction`. */
export type DataDirection = "none" | "in" | "out";

/** SCSI status byte values (SAM-5 table 38). */
export const ScsiStatus = {
  GOOD: 0x00,
  CHECK_CONDITION: 0x02,
  CONDITION_MET: 0x04,
  BUSY: 0x08,
  RESERVATION_CONFLICT: 0x18,
  TASK_SET_FULL: 0x28,
  ACA_ACTIVE: 0x30,
  TASK_ABORTED: 0x40,
} as const;

export interface ScsiCommand {
  /** The command descriptor block (6, 10, 12 or 16 bytes). */
  cdb: Uint8Array;
  direction: DataDirection;
  /** Bytes sent to the device when direction is "out". */
  dataOut?: Uint8Array;
  /** Maximum bytes accepted from the device when direction is "in". */
  dataInLength?: number;
  /**
   * Where the received bytes go when direction is "in" (at least `dataInLength`
   * bytes): the result's `data` is then a view of it. A transport that cannot
   * receive into it returns a buffer of its own. Lets a reader reuse its buffers.
   */
  dataIn?: Uint8Array;
  /** Per-command timeout in milliseconds (rewind, load and LTO-9 calibration take minutes). */
  timeoutMs: number;
}

export interface ScsiResult {
  /** SCSI status byte (see {@link ScsiStatus}). */
  status: number;
  /** Sense bytes returned with CHECK CONDITION (empty otherwise). */
  sense: Uint8Array;
  /** Bytes received from the device (length = dataInLength - residual). */
  data: Uint8Array;
  /** dataInLength (or dataOut length) minus the bytes actually transferred. */
  residual: number;
  /** Host adapter status (SG_IO host_status); 0 when not applicable. */
  hostStatus: number;
  /** Driver status (SG_IO driver_status); 0 when not applicable. */
  driverStatus: number;
}

/** Something that executes SCSI commands against one device (one open handle). */
export interface ScsiTransport {
  /** Human-readable description of the device path or virtual device id. */
  readonly description: string;
  execute(command: ScsiCommand): Promise<ScsiResult>;
  close(): Promise<void>;
}
