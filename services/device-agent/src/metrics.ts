import { Counter, Gauge, METRIC_PREFIX, type Registry } from "@tapefleet/common";
import { decodeSense, Opcode, ScsiStatus, SenseKey, TAPE_ALERT_FLAGS, type ScsiCommand, type ScsiResult, type ScsiTransport, type TapeAlertActive } from "@tapefleet/scsi";
import type { DeviceService } from "./core/device-service.ts";
import type { AgentDevice } from "./devices.ts";
import type { SessionDrives } from "./sessions/index.ts";

/** Values of the `state` label of `tapefleet_drive_state`. */
export const DRIVE_STATES = ["idle", "busy", "reading", "writing", "offline"] as const;
export type DriveState = (typeof DRIVE_STATES)[number];

/**
 * Lock owners of the data path sessions (session-service.ts names its drive lock
 * `<Rpc> (request <id>)`): a write session writes, the read rpcs read; any other
 * holder (label, load, format, …) makes the drive busy.
 */
const OWNER_STATES: ReadonlyArray<readonly [prefix: string, state: DriveState]> = [
  ["WriteSession ", "writing"],
  ["ReadTapeFile ", "reading"],
  ["RestoreFromTape ", "reading"],
  ["ScanTape ", "reading"],
];

/** State of a drive from its device entry and the holder of its operation lock. */
export function driveStateOf(device: Pick<AgentDevice, "state">, lockOwner: string | undefined): DriveState {
  if (device.state !== "online") return "offline";
  if (lockOwner === undefined) return "idle";
  for (const [prefix, state] of OWNER_STATES) if (lockOwner.startsWith(prefix)) return state;
  return "busy";
}

/** Lock key of a drive in {@link DeviceService.locks} (the service locks `drive <serial or path>`). */
export function driveLockKey(device: Pick<AgentDevice, "serial" | "path">): string {
  return `drive ${device.serial || device.path}`;
}

const SEVERITY_BY_NUMBER = new Map(TAPE_ALERT_FLAGS.map((f) => [f.number, f.severity]));

/**
 * Sense keys after which a WRITE(6) still wrote its data: NO SENSE (early warning,
 * programmable early warning: EOM set) and RECOVERED ERROR (SPC-4 §4.5.6).
 */
const WRITE_DONE_SENSE_KEYS: ReadonlySet<number> = new Set([SenseKey.NO_SENSE, SenseKey.RECOVERED_ERROR]);

/** Bytes a WRITE(6) put on tape: its data when the drive took it, 0 when it refused it. */
export function bytesWritten(command: ScsiCommand, result: ScsiResult): number {
  const length = Math.max(0, (command.dataOut?.length ?? 0) - Math.max(0, result.residual));
  if (result.status === ScsiStatus.GOOD) return length;
  if (result.status !== ScsiStatus.CHECK_CONDITION || result.sense.length === 0) return 0;
  try {
    return WRITE_DONE_SENSE_KEYS.has(decodeSense(result.sense).senseKey) ? length : 0;
  } catch {
    return 0;
  }
}

/** A transport that reports the bytes of each WRITE(6) and READ(6) it carries. */
export function meteredTransport(transport: ScsiTransport, count: (direction: "written" | "read", bytes: number) => void): ScsiTransport {
  return {
    description: transport.description,
    close: () => transport.close(),
    async execute(command) {
      const result = await transport.execute(command);
      const opcode = command.cdb[0];
      if (opcode === Opcode.WRITE_6) {
        const n = bytesWritten(command, result);
        if (n > 0) count("written", n);
      } else if (opcode === Opcode.READ_6 && result.data.length > 0) {
        count("read", result.data.length);
      }
      return result;
    },
  };
}

/**
 * The device agent's Prometheus series. Created before the agent's core (the
 * TapeAlert hook and the session drives feed it), registered once the service
 * registry exists:
 *
 * - `tapefleet_drive_state{drive,serial,state}`: collected on scrape from the device
 *   source's list and the holder of each drive's lock ({@link driveStateOf});
 * - `tapefleet_tapealert_flags_total{drive,flag,severity}`: each flag counted when a
 *   TapeAlert read shows it and the previous read of that drive did not (the same
 *   reports the clean requests come from);
 * - `tapefleet_drive_bytes_written_total{drive}`, `…_read_total{drive}`: the data of
 *   the WRITE(6) and READ(6) commands of the tape data path sessions (write, read,
 *   restore, scan), counted on their transport as the drive accepts them. Labels and
 *   other drive operations are not counted (a few KiB each).
 *
 * `drive` is the device path the agent knows the drive by (`/dev/tape/by-id/…-sg`,
 * `vtl:lib1/drive0`), the one drives are configured with.
 */
export class DeviceAgentMetrics {
  readonly tapeAlerts = new Counter({
    name: `${METRIC_PREFIX}tapealert_flags_total`,
    help: "TapeAlert flags raised by a drive (counted when a read shows a flag the previous read did not), by flag name and severity as in @tapefleet/scsi TAPE_ALERT_FLAGS",
    labelNames: ["drive", "flag", "severity"] as const,
    registers: [],
  });
  readonly bytesWritten = new Counter({
    name: `${METRIC_PREFIX}drive_bytes_written_total`,
    help: "Bytes written to tape by the data path sessions of this agent (WRITE(6) data accepted by the drive)",
    labelNames: ["drive"] as const,
    registers: [],
  });
  readonly bytesRead = new Counter({
    name: `${METRIC_PREFIX}drive_bytes_read_total`,
    help: "Bytes read from tape by the data path sessions of this agent (READ(6) data returned by the drive)",
    labelNames: ["drive"] as const,
    registers: [],
  });
  private readonly raised = new Map<string, Set<number>>();

  /** The agent's `onTapeAlert` hook: the flags a drive reports now. */
  noteTapeAlerts(drive: Pick<AgentDevice, "serial" | "path">, flags: readonly TapeAlertActive[]): void {
    const key = drive.serial || drive.path;
    const before = this.raised.get(key) ?? new Set<number>();
    for (const f of flags) {
      if (before.has(f.number)) continue;
      this.tapeAlerts.inc({ drive: drive.path, flag: f.name, severity: SEVERITY_BY_NUMBER.get(f.number) ?? "reserved" });
    }
    this.raised.set(key, new Set(flags.map((f) => f.number)));
  }

  /** Session drives whose transports count the bytes written and read. `service` names the drive by its path. */
  meterDrives(drives: SessionDrives, service: Pick<DeviceService, "resolve">): SessionDrives {
    return {
      acquire: async (drive, owner) => {
        const held = await drives.acquire(drive, owner);
        let path = drive;
        try {
          path = (await service.resolve(drive, "tape-drive", "drive")).path;
        } catch {
          // The drive was acquired, so it resolves; if the list changed meanwhile, the requested name stands.
        }
        const labels = { drive: path };
        this.bytesWritten.inc(labels, 0);
        this.bytesRead.inc(labels, 0);
        return {
          transport: meteredTransport(held.transport, (direction, n) => (direction === "written" ? this.bytesWritten : this.bytesRead).inc(labels, n)),
          release: () => held.release(),
        };
      },
    };
  }

  /** Register the series on the service registry; the drive states are read from `core` on each scrape. */
  register(registry: Registry, core: Pick<DeviceService, "source" | "locks">): void {
    registry.registerMetric(this.tapeAlerts);
    registry.registerMetric(this.bytesWritten);
    registry.registerMetric(this.bytesRead);
    new Gauge({
      name: `${METRIC_PREFIX}drive_state`,
      help: "1 for the drive's current state (idle, busy, reading, writing, offline), 0 for the others",
      labelNames: ["drive", "serial", "state"] as const,
      registers: [registry],
      async collect() {
        // A source that cannot list: no series rather than a failed scrape.
        const devices = (await core.source.list().catch(() => [])).filter((d) => d.kind === "tape-drive");
        this.reset();
        for (const d of devices) {
          const current = driveStateOf(d, core.locks.holder(driveLockKey(d))?.owner);
          for (const state of DRIVE_STATES) this.set({ drive: d.path, serial: d.serial, state }, state === current ? 1 : 0);
        }
      },
    });
  }
}
