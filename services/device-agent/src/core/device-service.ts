import { TAPE_ALERT_FLAGS, type ChangerStatus, type TapeAlertActive } from "@tapefleet/scsi";
import type { MediaLabel } from "@tapefleet/tape-format";
import type { AgentDevice, DeviceSource } from "../devices.ts";
import { cleanDrive, exportMedia, loadMedia, onlineLabels, transferMedia, unloadDrive, CLEAN_TIMEOUT_MS, type ChangerSession, type CleanOutcome, type LoadOutcome, type LoadRequest, type MoveSerializer, type UnloadOutcome } from "./changer-operations.ts";
import { DeviceError, toDeviceError } from "./device-error.ts";
import { DeviceLocks, type Release } from "./device-locks.ts";
import { DEFAULT_CHANGER_CONFIG, type ChangerConfig, type ChangerIdentity } from "./media-changer.ts";
import { ScsiMediaChanger } from "./scsi-media-changer.ts";
import { READY_TIMEOUT_MS, ScsiTapeDrive, type DriveMemory } from "./scsi-tape-drive.ts";
import type { OperationContext } from "./tape-drive.ts";

/** How long a changer move waits for the moves before it (moves are short; they queue). */
export const MOVE_QUEUE_WAIT_MS = 300_000;
/** TapeAlert flags that ask for cleaning (PBS cleaning request mask {0x14, 0x15}). */
export const CLEANING_REQUEST_FLAGS: readonly number[] = [0x14, 0x15];

/** Lock options of one operation. */
export interface LockOptions {
  /** What runs (for the busy message of the next caller). */
  owner: string;
  /** How long to wait for a busy device; 0 fails at once. */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface DeviceServiceOptions {
  /** TEST UNIT READY poll interval while waiting for drives. */
  pollMs?: number;
  /** Called when a drive reports TapeAlert flags (the agent raises clean requests from them). */
  onTapeAlert?: (drive: AgentDevice, flags: TapeAlertActive[]) => void;
}

export interface ChangerRequestBase extends LockOptions {
  changer: string;
  config?: ChangerConfig;
  /** The drive (serial or path) when the changer does not report drive serials. */
  drive?: string;
}

function matches(d: AgentDevice, ref: string): boolean {
  return d.serial === ref || d.path === ref || d.id === ref;
}

/**
 * The agent's core: finds devices by serial or path, opens them per
 * operation, serializes operations per drive and moves per changer, and runs
 * the drive and changer operations. Knows nothing of gRPC.
 */
export class DeviceService {
  readonly locks = new DeviceLocks();
  private readonly memory = new Map<string, DriveMemory>();
  private readonly pollMs: number | undefined;

  constructor(
    readonly source: DeviceSource,
    private readonly options: DeviceServiceOptions = {},
  ) {
    this.pollMs = options.pollMs;
  }

  /** Finds a device by serial, path or id. */
  async resolve(ref: string, kind: AgentDevice["kind"], field = "device"): Promise<AgentDevice> {
    if (ref === "") throw new DeviceError("INVALID_ARGUMENT", `${field}: required (a serial or a path)`, { field });
    const all = await this.source.list();
    const d = all.find((x) => matches(x, ref));
    if (!d) throw new DeviceError("NO_SUCH_DEVICE", `${field}: no device '${ref}' on this agent`, { field });
    if (d.kind !== kind) throw new DeviceError("WRONG_DEVICE_KIND", `${field}: '${ref}' is a ${d.kind}, not a ${kind}`, { field });
    if (d.state !== "online") throw new DeviceError("DEVICE_OFFLINE", `${field}: '${ref}' is offline`, { field });
    return d;
  }

  private key(d: AgentDevice): string {
    return d.serial || d.path;
  }

  private async openTransport(d: AgentDevice) {
    if (!this.source.open) throw new DeviceError("NO_SUCH_DEVICE", `device '${d.path}' cannot be opened by this agent`);
    try {
      return await this.source.open(d);
    } catch (err) {
      throw new DeviceError("DEVICE_OFFLINE", `cannot open ${d.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  private memoryOf(d: AgentDevice): DriveMemory {
    const k = this.key(d);
    let m = this.memory.get(k);
    if (!m) this.memory.set(k, (m = {}));
    return m;
  }

  /** Locks a drive (unless `lock` is false) and runs `fn` with it opened. */
  async withDrive<T>(ref: string, lock: LockOptions | false, fn: (drive: ScsiTapeDrive, device: AgentDevice) => Promise<T>): Promise<T> {
    const device = await this.resolve(ref, "tape-drive");
    const release = lock === false ? undefined : await this.lockDrive(device, lock);
    try {
      return await this.openDrive(device, fn);
    } finally {
      release?.();
    }
  }

  /** Acquires the operation lock of a drive. */
  lockDrive(device: AgentDevice, lock: LockOptions): Promise<Release> {
    return this.locks.acquire(`drive ${this.key(device)}`, "DRIVE_BUSY", { owner: lock.owner, ...(lock.waitMs !== undefined ? { waitMs: lock.waitMs } : {}), ...(lock.signal ? { signal: lock.signal } : {}) });
  }

  /** Opens a drive for `fn` (the caller holds its lock when it needs one). */
  async openDrive<T>(device: AgentDevice, fn: (drive: ScsiTapeDrive, device: AgentDevice) => Promise<T>): Promise<T> {
    const transport = await this.openTransport(device);
    const drive = new ScsiTapeDrive(transport, { memory: this.memoryOf(device), ...(this.pollMs !== undefined ? { pollMs: this.pollMs } : {}) });
    try {
      return await fn(drive, device);
    } finally {
      await transport.close().catch(() => {});
    }
  }

  /** Reports TapeAlert flags of a drive to the `onTapeAlert` hook. */
  noteAlerts(device: AgentDevice, flags: TapeAlertActive[]): void {
    this.options.onTapeAlert?.(device, flags);
  }

  async withChanger<T>(ref: string, fn: (changer: ScsiMediaChanger, device: AgentDevice) => Promise<T>): Promise<T> {
    const device = await this.resolve(ref, "medium-changer");
    const transport = await this.openTransport(device);
    try {
      return await fn(new ScsiMediaChanger(transport), device);
    } finally {
      await transport.close().catch(() => {});
    }
  }

  /** Serializes MOVE MEDIUM on a changer; `waitMs` bounds the wait for other moves. */
  private moves(changer: AgentDevice, owner: string, waitMs: number): MoveSerializer {
    return {
      run: async (fn, signal) => {
        const release = await this.locks.acquire(`changer ${this.key(changer)}`, "CHANGER_BUSY", { owner, waitMs, ...(signal ? { signal } : {}) });
        try {
          return await fn();
        } finally {
          release();
        }
      },
    };
  }

  // --- changer operations -----------------------------------------------------------

  async changerStatus(ref: string, config: ChangerConfig = DEFAULT_CHANGER_CONFIG): Promise<{ status: ChangerStatus; identity: ChangerIdentity; drivePaths: Map<number, string> }> {
    return this.withChanger(ref, async (changer) => {
      const identity = await changer.identity();
      const status = await changer.status(config.exportSlots);
      return { status, identity, drivePaths: await this.drivePaths(status) };
    });
  }

  /** Paths of the changer's drives that this agent owns, by drive number (matched by serial). */
  private async drivePaths(status: ChangerStatus): Promise<Map<number, string>> {
    const all = await this.source.list();
    const out = new Map<number, string>();
    for (const d of status.drives) {
      const mine = d.serial ? all.find((x) => x.kind === "tape-drive" && x.serial === d.serial) : undefined;
      if (mine) out.set(d.index, mine.path);
    }
    return out;
  }

  /** The agent's device for drive `n` of a changer: `explicit` when given, else by the serial the changer reports. */
  private async changerDrive(status: ChangerStatus, n: number, explicit: string | undefined): Promise<AgentDevice | undefined> {
    if (explicit !== undefined && explicit !== "") return this.resolve(explicit, "tape-drive", "drive");
    const serial = status.drives[n]?.serial;
    if (!serial) return undefined;
    return (await this.source.list()).find((x) => x.kind === "tape-drive" && x.serial === serial && x.state === "online");
  }

  /**
   * Runs a changer operation on drive `n`: locks that drive when it is on this
   * agent (so no tape operation runs while its cartridge moves), opens it, and
   * hands a ChangerSession to `fn`.
   */
  private async withChangerDrive<T>(req: ChangerRequestBase, driveNumber: number, fn: (session: ChangerSession) => Promise<T>): Promise<T> {
    return this.withChanger(req.changer, async (changer, changerDevice) => {
      const status = await changer.status((req.config ?? DEFAULT_CHANGER_CONFIG).exportSlots);
      if (!status.drives[driveNumber]) {
        throw new DeviceError("INVALID_ARGUMENT", `drive_number: the changer has ${status.drives.length} drives (0..${status.drives.length - 1}), got ${driveNumber}`, { field: "drive_number" });
      }
      const driveDevice = await this.changerDrive(status, driveNumber, req.drive);
      const moves = this.moves(changerDevice, req.owner, Math.max(req.waitMs ?? 0, MOVE_QUEUE_WAIT_MS));
      const base = { changer, config: req.config ?? DEFAULT_CHANGER_CONFIG, moves, ...(this.pollMs !== undefined ? { pollMs: this.pollMs } : {}) };
      if (!driveDevice) return fn(base);
      const release = await this.lockDrive(driveDevice, req);
      try {
        return await this.openDrive(driveDevice, (drive) => fn({ ...base, drive }));
      } finally {
        release();
      }
    });
  }

  async loadMedia(req: ChangerRequestBase & LoadRequest, ctx: OperationContext = {}): Promise<LoadOutcome> {
    return this.withChangerDrive(req, req.driveNumber, async (session) => {
      const out = await loadMedia(session, req, ctx);
      if (req.waitReady && session.drive) {
        const flags = await session.drive.tapeAlertFlags().catch(() => []);
        const device = await this.changerDrive(await session.changer.status(session.config.exportSlots), req.driveNumber, req.drive);
        if (device) this.noteAlerts(device, flags);
      }
      return out;
    });
  }

  async unloadMedia(req: ChangerRequestBase & { driveNumber: number; targetSlot?: number }, ctx: OperationContext = {}): Promise<UnloadOutcome> {
    return this.withChangerDrive(req, req.driveNumber, (session) => unloadDrive(session, req.driveNumber, req.targetSlot, ctx));
  }

  async cleanDrive(req: ChangerRequestBase & { driveNumber: number; timeoutMs?: number }, ctx: OperationContext = {}): Promise<CleanOutcome> {
    return this.withChangerDrive(req, req.driveNumber, (session) => cleanDrive(session, req.driveNumber, req.timeoutMs || CLEAN_TIMEOUT_MS, ctx));
  }

  async transferMedia(req: ChangerRequestBase & { fromSlot: number; toSlot: number }): Promise<{ labelText?: string }> {
    return this.withChanger(req.changer, (changer, device) =>
      transferMedia({ changer, config: req.config ?? DEFAULT_CHANGER_CONFIG, moves: this.moves(device, req.owner, req.waitMs ?? 0) }, req.fromSlot, req.toSlot, req.signal ? { signal: req.signal } : {}),
    );
  }

  async exportMedia(req: ChangerRequestBase & { labelText: string }): Promise<{ slot: number }> {
    if (req.labelText === "") throw new DeviceError("INVALID_ARGUMENT", "label_text: required", { field: "label_text" });
    const config = req.config ?? DEFAULT_CHANGER_CONFIG;
    const inDrive = await this.withChanger(req.changer, async (changer) => (await changer.status(config.exportSlots)).drives.find((d) => d.full && d.volumeTag === req.labelText));
    if (inDrive) return this.withChangerDrive(req, inDrive.index, (session) => exportMedia(session, req.labelText, req.signal ? { signal: req.signal } : {}));
    return this.withChanger(req.changer, (changer, device) => exportMedia({ changer, config, moves: this.moves(device, req.owner, req.waitMs ?? 0) }, req.labelText, req.signal ? { signal: req.signal } : {}));
  }

  async inventoryScan(req: ChangerRequestBase): Promise<{ status: ChangerStatus; identity: ChangerIdentity; drivePaths: Map<number, string> }> {
    return this.withChanger(req.changer, async (changer, device) => {
      await this.moves(device, req.owner, req.waitMs ?? 0).run(() => changer.initializeElementStatus(), req.signal);
      const config = req.config ?? DEFAULT_CHANGER_CONFIG;
      const status = await changer.status(config.exportSlots);
      return { status, identity: await changer.identity(), drivePaths: await this.drivePaths(status) };
    });
  }

  async onlineLabels(ref: string, config: ChangerConfig = DEFAULT_CHANGER_CONFIG): Promise<string[]> {
    return this.withChanger(ref, async (changer) => onlineLabels(await changer.status(config.exportSlots)));
  }

  // --- drive operations that need more than one call -------------------------------------

  async label(ref: string, lock: LockOptions, label: MediaLabel, applicationVersion: string, ctx: OperationContext = {}) {
    return this.withDrive(ref, lock, async (drive) => {
      await drive.waitUntilReady(READY_TIMEOUT_MS, ctx);
      return drive.label(label, { applicationVersion }, ctx);
    });
  }

  async driveStatus(ref: string) {
    return this.withDrive(ref, false, async (drive, device) => {
      const s = await drive.status();
      const flags = TAPE_ALERT_FLAGS.filter((f) => s.alertFlags.includes(f.name)).map((f) => ({ number: f.number, name: f.name }));
      // Only a status that read the TapeAlert page tells whether the flags are set or clear.
      const read = s.ready && !s.notes.some((n) => n.startsWith("drive active") || n.startsWith("TapeAlert"));
      if (read) this.noteAlerts(device, flags);
      return s;
    });
  }
}

export { toDeviceError };
