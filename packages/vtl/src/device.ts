/**
 * Base of the virtual SCSI devices: command serialization (one command at a time per
 * device, as a real logical unit with one task set), offline / hardware-error faults,
 * unit attention delivery and the CHECK CONDITION plumbing.
 */
import { Asc, HostStatus, Opcode, SenseKey, Status, type AscCode } from "./scsi-codes.ts";
import { buildFixedSense, CheckCondition, condition, invalidCdbField } from "./sense.ts";
import type { DeviceInfo } from "./wire.ts";

export interface DeviceCommand {
  cdb: Uint8Array;
  direction: "none" | "in" | "out";
  dataOut?: Uint8Array;
  dataInLength?: number;
  /** Where data-in bytes are delivered when it is large enough (see `deliver`). */
  dataIn?: Uint8Array;
  timeoutMs: number;
}

export interface DeviceResult {
  status: number;
  sense: Uint8Array;
  data: Uint8Array;
  residual: number;
  hostStatus: number;
}

/** Fault switches the library owns for each device. */
export interface DeviceFaults {
  offline: boolean;
  hardwareError: boolean;
  throttleBytesPerSec: number;
}

const EMPTY = new Uint8Array(0);

/**
 * The data-in bytes as the host receives them: copied into the host's buffer when it
 * gave one large enough, else a copy of their own. Commands may answer with views of
 * buffers the device reuses (READ: the cartridge store's read window), so the host
 * never gets a view of device memory.
 */
function deliver(data: Uint8Array, into: Uint8Array | undefined): Uint8Array {
  if (data.length === 0) return EMPTY;
  if (into !== undefined && into.length >= data.length) {
    into.set(data);
    return into.subarray(0, data.length);
  }
  return data.slice();
}

/** Commands that neither report nor clear a pending unit attention (SPC-4 5.14 / 6.6 / 6.33). */
const UA_EXEMPT = new Set<number>([Opcode.INQUIRY, Opcode.REPORT_LUNS, Opcode.REQUEST_SENSE]);

export abstract class VirtualDevice {
  abstract readonly info: DeviceInfo;
  readonly faults: DeviceFaults = { offline: false, hardwareError: false, throttleBytesPerSec: 0 };
  /** Pending unit attention conditions, oldest first. */
  protected unitAttentions: AscCode[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** The last unexpected error turned into HARDWARE ERROR 04/44/00 (for diagnosis). */
  lastInternalError: unknown;

  get id(): string {
    return this.info.id;
  }

  /** Queue a unit attention condition (not duplicated). */
  raiseUnitAttention(code: AscCode): void {
    if (!this.unitAttentions.some((c) => c.asc === code.asc && c.ascq === code.ascq)) this.unitAttentions.push(code);
  }

  /** Execute one command; commands to this device run one at a time in arrival order. */
  execute(cmd: DeviceCommand): Promise<DeviceResult> {
    const run = this.queue.then(() => this.run(cmd));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(cmd: DeviceCommand): Promise<DeviceResult> {
    const dataInLength = cmd.direction === "in" ? (cmd.dataInLength ?? 0) : 0;
    if (this.faults.offline) {
      return { status: Status.GOOD, sense: EMPTY, data: EMPTY, residual: dataInLength, hostStatus: HostStatus.NO_CONNECT };
    }
    const dataOut = cmd.direction === "out" ? (cmd.dataOut ?? EMPTY) : EMPTY;
    const cdb = cmd.cdb;
    try {
      if (cdb.length === 0) throw invalidCdbField(0);
      const op = cdb[0]!;
      if (this.faults.hardwareError && !UA_EXEMPT.has(op)) {
        throw condition(SenseKey.HARDWARE_ERROR, Asc.INTERNAL_TARGET_FAILURE);
      }
      this.beforeCommand();
      if (!UA_EXEMPT.has(op)) {
        const ua = this.unitAttentions.shift();
        if (ua) throw condition(SenseKey.UNIT_ATTENTION, ua);
      }
      const started = Date.now();
      const out = (await this.dispatch(cdb, dataOut, dataInLength)) ?? EMPTY;
      const transferred = cmd.direction === "in" ? out.length : dataOut.length;
      const timedOut = await this.throttle(transferred, cmd.timeoutMs, started);
      const data = deliver(out.length > dataInLength ? out.subarray(0, dataInLength) : out, cmd.dataIn);
      return {
        status: Status.GOOD,
        sense: EMPTY,
        data,
        residual: cmd.direction === "in" ? dataInLength - data.length : 0,
        hostStatus: timedOut ? HostStatus.TIME_OUT : HostStatus.OK,
      };
    } catch (caught) {
      let e: CheckCondition;
      if (caught instanceof CheckCondition) {
        e = caught;
      } else {
        // a failure inside the emulation (I/O error on the tape image …) is what a real
        // drive reports as an internal target failure
        this.lastInternalError = caught;
        e = condition(SenseKey.HARDWARE_ERROR, Asc.INTERNAL_TARGET_FAILURE);
      }
      const raw = e.data ?? EMPTY;
      const data = deliver(raw.length > dataInLength ? raw.subarray(0, dataInLength) : raw, cmd.dataIn);
      return {
        status: Status.CHECK_CONDITION,
        sense: buildFixedSense(e.condition),
        data,
        residual: cmd.direction === "in" ? dataInLength - data.length : 0,
        hostStatus: HostStatus.OK,
      };
    }
  }

  /** Sleep as long as the throttle demands; true when that exceeds the command timeout. */
  private async throttle(bytes: number, timeoutMs: number, started: number): Promise<boolean> {
    const rate = this.faults.throttleBytesPerSec;
    if (rate <= 0 || bytes === 0) return false;
    const wantMs = (bytes / rate) * 1000 - (Date.now() - started);
    if (wantMs <= 0) return false;
    if (timeoutMs > 0 && wantMs > timeoutMs) {
      await new Promise((r) => setTimeout(r, timeoutMs));
      return true;
    }
    await new Promise((r) => setTimeout(r, wantMs));
    return false;
  }

  /** Hook run before unit attentions are checked (timed state transitions). */
  protected beforeCommand(): void {}

  /** Handle one command; return data-in bytes, or throw {@link CheckCondition}. */
  protected abstract dispatch(cdb: Uint8Array, dataOut: Uint8Array, dataInLength: number): Promise<Uint8Array | void>;
}
