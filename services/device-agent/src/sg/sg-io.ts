/**
 * `ScsiTransport` over the Linux SG_IO ioctl, called through koffi.
 *
 * Open: the path (a `/dev/sgN` node or a `/dev/tape/by-id/...` link) is
 * resolved with realpath(3) at every open, so a renumbered sg node does no
 * harm; it is opened O_RDWR|O_NONBLOCK, then O_NONBLOCK is cleared (as PBS
 * does); fstat(2) must report a character device of major 21 (sg): st nodes
 * (major 9) and anything else are refused.
 *
 * Execute: one `sg_io_hdr_t` per handle in native memory, filled field by
 * field at koffi's offsets, then `ioctl(fd, SG_IO, &hdr)` through koffi's
 * asynchronous call: it runs on a worker thread, so the event loop keeps
 * going while a tape rewinds. Commands on one handle are serialized.
 *
 * The library that provides realpath/open/fcntl/fstat/ioctl/close is an
 * option (default libc.so.6): tests load the forwarding library (native/sgfwd.c)
 * instead, which serves the same calls from the virtual tape library.
 *
 * @see linux/include/uapi/scsi/sg.h, sg3_utils sg_pt_linux (the v3 interface)
 */
import koffi from "koffi";
import type { LibraryHandle } from "koffi";
import type { ScsiCommand, ScsiResult, ScsiTransport } from "@tapefleet/scsi";
import {
  OpenFlags,
  S_IFCHR,
  S_IFMT,
  SCSI_GENERIC_MAJOR,
  SCSI_TAPE_MAJOR,
  SG_INTERFACE_ID_ORIG,
  SG_IO_HDR_OFFSETS as OFF,
  SG_IO_HDR_SIZE,
  SgDxfer,
  SgIoctl,
  deviceMajor,
  statLayout,
} from "./sg-io-abi.ts";
import { SgError, transportFailure } from "./sg-error.ts";

/** The C library, whose calls reach the kernel's sg driver. */
export const DEFAULT_SYSTEM_LIBRARY = "libc.so.6";
/** PBS uses a 32-byte sense buffer; SPC allows up to 252, the kernel keeps 96. */
export const DEFAULT_SENSE_LENGTH = 32;
/** Largest data phase accepted per command (LTO drives take up to 8 MiB blocks). */
export const DEFAULT_MAX_TRANSFER_LENGTH = 16 * 1024 * 1024;
/** Longest CDB the sg driver accepts (SG_MAX_CDB_SIZE). */
export const MAX_CDB_LENGTH = 252;
const PATH_MAX = 4096;

export type SenseBufferLength = 32 | 64 | 96;

export interface SgIoOptions {
  /** Shared library providing realpath, open, fcntl, fstat, ioctl and close (default libc.so.6). */
  library?: string;
  /** Sense buffer size handed to the driver (mx_sb_len); default 32. */
  senseLength?: SenseBufferLength;
  /** Largest dataOut / dataInLength accepted; default 16 MiB. */
  maxTransferLength?: number;
}

type AsyncFn = ReturnType<LibraryHandle["func"]>;

interface SystemCalls {
  realpath: AsyncFn;
  open: AsyncFn;
  fcntl: AsyncFn;
  fstat: AsyncFn;
  ioctl: AsyncFn;
  close: AsyncFn;
}

const libraries = new Map<string, SystemCalls>();

function systemCalls(library: string): SystemCalls {
  let calls = libraries.get(library);
  if (calls === undefined) {
    const lib = koffi.load(library);
    // open, fcntl and ioctl are variadic in C; they are declared with their
    // one optional argument fixed, which is the same call on x86_64 and
    // aarch64 Linux and lets koffi run them asynchronously.
    calls = {
      realpath: lib.func("void *realpath(const char *path, void *resolved)"),
      open: lib.func("int open(const char *path, int flags, int mode)"),
      fcntl: lib.func("int fcntl(int fd, int cmd, int arg)"),
      fstat: lib.func("int fstat(int fd, void *buf)"),
      ioctl: lib.func("int ioctl(int fd, unsigned long request, void *arg)"),
      close: lib.func("int close(int fd)"),
    };
    libraries.set(library, calls);
  }
  return calls;
}

function callAsync(fn: AsyncFn, ...args: unknown[]): Promise<{ result: number; errno: number }> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (err: unknown, result: number) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve({ result, errno: result < 0 ? koffi.errno() : 0 });
    });
  });
}

function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(koffi.os.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}

/** A block of native memory with a typed view on it. */
class NativeBuffer {
  readonly pointer: unknown;
  readonly address: bigint;
  readonly bytes: Uint8Array;
  readonly view: DataView;

  constructor(readonly size: number) {
    this.pointer = koffi.alloc("uint8_t", Math.max(size, 1));
    this.address = koffi.address(this.pointer);
    const ab = koffi.view(this.pointer, Math.max(size, 1));
    this.bytes = new Uint8Array(ab, 0, size);
    this.view = new DataView(ab);
  }

  free(): void {
    koffi.free(this.pointer);
  }
}

/** An open SCSI generic device. Create with {@link openSgDevice}. */
export class SgIoTransport implements ScsiTransport {
  readonly description: string;
  private readonly header = new NativeBuffer(SG_IO_HDR_SIZE);
  private readonly cdb = new NativeBuffer(MAX_CDB_LENGTH);
  private readonly sense: NativeBuffer;
  private data: NativeBuffer | undefined;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  /** @internal use {@link openSgDevice} */
  constructor(
    private readonly calls: SystemCalls,
    private readonly fd: number,
    /** The path as given. */
    readonly path: string,
    /** The sg node it resolved to at open. */
    readonly resolvedPath: string,
    private readonly senseLength: SenseBufferLength,
    private readonly maxTransferLength: number,
  ) {
    this.description = path === resolvedPath ? `sg:${path}` : `sg:${path} (${resolvedPath})`;
    this.sense = new NativeBuffer(senseLength);
  }

  execute(command: ScsiCommand): Promise<ScsiResult> {
    return this.serialized(() => this.run(command));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serialized(async () => {
      try {
        await callAsync(this.calls.close, this.fd);
      } finally {
        this.header.free();
        this.cdb.free();
        this.sense.free();
        this.data?.free();
        this.data = undefined;
      }
    }, true);
  }

  private async serialized<T>(work: () => Promise<T>, closing = false): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      if (this.closed && !closing) throw new SgError("closed", `${this.path}: transport is closed`, { path: this.path });
      return await work();
    } finally {
      release();
    }
  }

  private validate(command: ScsiCommand): { direction: number; length: number } {
    const cdbLength = command.cdb.length;
    if (cdbLength < 6 || cdbLength > MAX_CDB_LENGTH) {
      throw new SgError("bad-request", `${this.path}: cdb length ${cdbLength} is outside 6..${MAX_CDB_LENGTH}`, { path: this.path });
    }
    if (!Number.isInteger(command.timeoutMs) || command.timeoutMs < 0 || command.timeoutMs > 0xffffffff) {
      throw new SgError("bad-request", `${this.path}: timeoutMs ${command.timeoutMs} is not a 32-bit count of milliseconds`, { path: this.path });
    }
    let direction: number = SgDxfer.NONE;
    let length = 0;
    if (command.direction === "out") {
      length = command.dataOut?.length ?? 0;
      direction = length > 0 ? SgDxfer.TO_DEV : SgDxfer.NONE;
    } else if (command.direction === "in") {
      length = command.dataInLength ?? 0;
      if (!Number.isInteger(length) || length < 0) {
        throw new SgError("bad-request", `${this.path}: dataInLength ${length} is not a non-negative integer`, { path: this.path });
      }
      direction = length > 0 ? SgDxfer.FROM_DEV : SgDxfer.NONE;
    }
    if (length > this.maxTransferLength) {
      throw new SgError("bad-request", `${this.path}: data length ${length} exceeds the limit of ${this.maxTransferLength} bytes`, { path: this.path });
    }
    return { direction, length };
  }

  private dataBuffer(length: number): NativeBuffer {
    if (this.data === undefined || this.data.size < length) {
      this.data?.free();
      // Grow in powers of two, so a stream of growing blocks reallocates rarely.
      let size = 4096;
      while (size < length) size *= 2;
      this.data = new NativeBuffer(Math.min(size, Math.max(length, this.maxTransferLength)));
    }
    return this.data;
  }

  private async run(command: ScsiCommand): Promise<ScsiResult> {
    const { direction, length } = this.validate(command);
    const data = length > 0 ? this.dataBuffer(length) : undefined;
    if (data !== undefined && direction === SgDxfer.TO_DEV && command.dataOut !== undefined) {
      data.bytes.set(command.dataOut);
    }
    this.cdb.bytes.set(command.cdb);

    const h = this.header.view;
    this.header.bytes.fill(0);
    h.setInt32(OFF.interface_id, SG_INTERFACE_ID_ORIG, true);
    h.setInt32(OFF.dxfer_direction, direction, true);
    h.setUint8(OFF.cmd_len, command.cdb.length);
    h.setUint8(OFF.mx_sb_len, this.senseLength);
    h.setUint16(OFF.iovec_count, 0, true);
    h.setUint32(OFF.dxfer_len, length, true);
    h.setBigUint64(OFF.dxferp, data?.address ?? 0n, true);
    h.setBigUint64(OFF.cmdp, this.cdb.address, true);
    h.setBigUint64(OFF.sbp, this.sense.address, true);
    h.setUint32(OFF.timeout, command.timeoutMs, true);
    h.setUint32(OFF.flags, 0, true);

    const { result, errno } = await callAsync(this.calls.ioctl, this.fd, SgIoctl.SG_IO, this.header.pointer);
    if (result < 0) {
      throw new SgError("ioctl-failed", `${this.path}: ioctl(SG_IO) failed: ${errnoName(errno)}`, { path: this.path, errno });
    }
    const hostStatus = h.getUint16(OFF.host_status, true);
    const driverStatus = h.getUint16(OFF.driver_status, true);
    const failure = transportFailure(hostStatus, driverStatus, this.path);
    if (failure !== undefined) throw failure;

    const status = h.getUint8(OFF.status);
    const senseWritten = Math.min(h.getUint8(OFF.sb_len_wr), this.senseLength);
    const resid = Math.min(Math.max(h.getInt32(OFF.resid, true), 0), length);
    let received: Uint8Array = new Uint8Array(0);
    if (direction === SgDxfer.FROM_DEV && data !== undefined) {
      const n = length - resid;
      // into the caller's buffer when it gave one (no allocation per command), else a copy
      if (command.dataIn !== undefined && command.dataIn.length >= n) {
        command.dataIn.set(data.bytes.subarray(0, n));
        received = command.dataIn.subarray(0, n);
      } else received = data.bytes.slice(0, n);
    }
    return {
      status,
      sense: this.sense.bytes.slice(0, senseWritten),
      data: received,
      residual: resid,
      hostStatus,
      driverStatus,
    };
  }
}

/**
 * Opens a SCSI generic device for SG_IO.
 *
 * @throws SgError `open-failed` (path missing or not openable) or
 *   `not-sg-device` (not a character device of major 21).
 */
export async function openSgDevice(path: string, options: SgIoOptions = {}): Promise<SgIoTransport> {
  const library = options.library ?? DEFAULT_SYSTEM_LIBRARY;
  const senseLength = options.senseLength ?? DEFAULT_SENSE_LENGTH;
  const maxTransferLength = options.maxTransferLength ?? DEFAULT_MAX_TRANSFER_LENGTH;
  if (![32, 64, 96].includes(senseLength)) {
    throw new SgError("bad-request", `senseLength ${senseLength} must be 32, 64 or 96`, { path });
  }
  if (!Number.isInteger(maxTransferLength) || maxTransferLength <= 0) {
    throw new SgError("bad-request", `maxTransferLength ${maxTransferLength} must be a positive integer`, { path });
  }
  const layout = statLayout();
  if (layout === undefined) {
    throw new SgError("open-failed", `${path}: SG_IO is not supported on architecture ${process.arch}`, { path });
  }
  const calls = systemCalls(library);

  // Resolve the link at every open: by-id names follow a renumbered sg node.
  const scratch = new NativeBuffer(Math.max(PATH_MAX, layout.size));
  let resolvedPath: string;
  try {
    koffi.errno(0);
    const resolved = calls.realpath(path, scratch.pointer) as unknown;
    if (resolved === null) {
      const errno = koffi.errno();
      throw new SgError("open-failed", `${path}: cannot resolve path: ${errnoName(errno)}`, { path, errno });
    }
    const end = scratch.bytes.indexOf(0);
    resolvedPath = Buffer.from(scratch.bytes.subarray(0, end < 0 ? PATH_MAX : end)).toString("utf8");
  } catch (e) {
    scratch.free();
    throw e;
  }

  const opened = await callAsync(calls.open, resolvedPath, OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC, 0);
  if (opened.result < 0) {
    scratch.free();
    throw new SgError("open-failed", `${path}: open(${resolvedPath}) failed: ${errnoName(opened.errno)}`, { path, errno: opened.errno });
  }
  const fd = opened.result;
  const fail = async (error: SgError): Promise<never> => {
    scratch.free();
    await callAsync(calls.close, fd);
    throw error;
  };

  const flags = calls.fcntl(fd, OpenFlags.F_GETFL, 0) as number;
  if (flags < 0 || (calls.fcntl(fd, OpenFlags.F_SETFL, flags & ~OpenFlags.O_NONBLOCK) as number) < 0) {
    const errno = koffi.errno();
    return fail(new SgError("open-failed", `${path}: cannot clear O_NONBLOCK: ${errnoName(errno)}`, { path, errno }));
  }
  if ((calls.fstat(fd, scratch.pointer) as number) < 0) {
    const errno = koffi.errno();
    return fail(new SgError("open-failed", `${path}: fstat failed: ${errnoName(errno)}`, { path, errno }));
  }
  const mode = scratch.view.getUint32(layout.st_mode, true);
  const rdev = scratch.view.getBigUint64(layout.st_rdev, true);
  if ((mode & S_IFMT) !== S_IFCHR) {
    return fail(new SgError("not-sg-device", `${path}: ${resolvedPath} is not a character device`, { path }));
  }
  const major = deviceMajor(rdev);
  if (major !== SCSI_GENERIC_MAJOR) {
    const hint =
      major === SCSI_TAPE_MAJOR
        ? " (an st tape node, major 9: use the sg node, e.g. /dev/tape/by-id/scsi-<serial>-sg)"
        : "";
    return fail(
      new SgError("not-sg-device", `${path}: ${resolvedPath} has major ${major}, not ${SCSI_GENERIC_MAJOR} (sg)${hint}`, { path }),
    );
  }
  scratch.free();
  return new SgIoTransport(calls, fd, path, resolvedPath, senseLength, maxTransferLength);
}
