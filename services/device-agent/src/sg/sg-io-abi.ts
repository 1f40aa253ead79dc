/**
 * The Linux SCSI generic ABI as koffi sees it: the `sg_io_hdr_t` struct, the
 * ioctl numbers, the open flags and the parts of `struct stat` the transport
 * reads. `test/sg/sg-io-layout.test.ts` checks every number here against the
 * system headers compiled with gcc.
 *
 * @see linux/include/uapi/scsi/sg.h (the v3 interface, interface_id 'S')
 */
import koffi from "koffi";

/** `sg_io_hdr_t` field by field, in declaration order (sg.h, v3 interface). */
export const SgIoHdr = koffi.struct("tapefleet_sg_io_hdr", {
  interface_id: "int",
  dxfer_direction: "int",
  cmd_len: "unsigned char",
  mx_sb_len: "unsigned char",
  iovec_count: "unsigned short",
  dxfer_len: "unsigned int",
  dxferp: "void *",
  cmdp: "unsigned char *",
  sbp: "unsigned char *",
  timeout: "unsigned int",
  flags: "unsigned int",
  pack_id: "int",
  usr_ptr: "void *",
  status: "unsigned char",
  masked_status: "unsigned char",
  msg_status: "unsigned char",
  sb_len_wr: "unsigned char",
  host_status: "unsigned short",
  driver_status: "unsigned short",
  resid: "int",
  duration: "unsigned int",
  info: "unsigned int",
});

/** Field names of {@link SgIoHdr}, for the layout proof and offset tables. */
export const SG_IO_HDR_FIELDS = [
  "interface_id",
  "dxfer_direction",
  "cmd_len",
  "mx_sb_len",
  "iovec_count",
  "dxfer_len",
  "dxferp",
  "cmdp",
  "sbp",
  "timeout",
  "flags",
  "pack_id",
  "usr_ptr",
  "status",
  "masked_status",
  "msg_status",
  "sb_len_wr",
  "host_status",
  "driver_status",
  "resid",
  "duration",
  "info",
] as const;

export type SgIoHdrField = (typeof SG_IO_HDR_FIELDS)[number];

/** Byte offset of each field of `sg_io_hdr_t`, taken from koffi's layout. */
export const SG_IO_HDR_OFFSETS: Readonly<Record<SgIoHdrField, number>> = Object.fromEntries(
  SG_IO_HDR_FIELDS.map((f) => [f, koffi.offsetof(SgIoHdr, f)]),
) as Record<SgIoHdrField, number>;

export const SG_IO_HDR_SIZE: number = koffi.sizeof(SgIoHdr);

/** ioctl request numbers (sg.h, scsi.h). */
export const SgIoctl = {
  SG_IO: 0x2285,
  SG_GET_VERSION_NUM: 0x2282,
  SG_GET_TIMEOUT: 0x2202,
  SG_SET_TIMEOUT: 0x2201,
  SG_GET_RESERVED_SIZE: 0x2272,
  SG_SET_RESERVED_SIZE: 0x2275,
  SG_GET_SCSI_ID: 0x2276,
  SG_EMULATED_HOST: 0x2203,
  SG_GET_SG_TABLESIZE: 0x227f,
  SCSI_IOCTL_GET_IDLUN: 0x5382,
  SCSI_IOCTL_GET_BUS_NUMBER: 0x5386,
} as const;

/** `sg_io_hdr_t.dxfer_direction` values. */
export const SgDxfer = {
  NONE: -1,
  TO_DEV: -2,
  FROM_DEV: -3,
  TO_FROM_DEV: -4,
} as const;

/** `interface_id` of the v3 interface: the character 'S'. */
export const SG_INTERFACE_ID_ORIG = 0x53;

/** `sg_io_hdr_t.info` bit set when status, host or driver status is not clean. */
export const SG_INFO_CHECK = 0x1;

/** Character device majors (Documentation/admin-guide/devices.txt). */
export const SCSI_TAPE_MAJOR = 9;
export const SCSI_GENERIC_MAJOR = 21;

/** open(2) and fcntl(2) numbers shared by x86_64 and aarch64 Linux. */
export const OpenFlags = {
  O_RDWR: 0o2,
  O_NONBLOCK: 0o4000,
  O_CLOEXEC: 0o2000000,
  F_GETFL: 3,
  F_SETFL: 4,
} as const;

/** `S_IFMT` and `S_IFCHR` of `st_mode`. */
export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;

/** Where `st_mode` and `st_rdev` sit in `struct stat` (glibc, per architecture). */
export interface StatLayout {
  size: number;
  st_mode: number;
  st_rdev: number;
}

const STAT_LAYOUTS: Readonly<Record<string, StatLayout>> = {
  x64: { size: 144, st_mode: 24, st_rdev: 40 },
  arm64: { size: 128, st_mode: 16, st_rdev: 32 },
};

/** The `struct stat` layout of this process's architecture, or undefined when unsupported. */
export function statLayout(arch: string = process.arch): StatLayout | undefined {
  return STAT_LAYOUTS[arch];
}

/** glibc's `gnu_dev_major()` of a 64-bit `dev_t`. */
export function deviceMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n));
}

/** glibc's `gnu_dev_minor()` of a 64-bit `dev_t`. */
export function deviceMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n));
}
