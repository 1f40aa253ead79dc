import { selectDevices, type AgentDevice } from "./devices.ts";

/** Scatter-gather subject every device agent answers (payload `{kind?: "drive" | "changer"}`). */
export const DEVICE_SCAN_SUBJECT = "device.scan";
/** Event type raised when a drive's TapeAlert flags ask for cleaning (subject: the drive serial). */
export const CLEAN_REQUESTED_EVENT = "device.drive.clean-requested";
/** How often the device list in the heartbeat `info` is refreshed (ms). */
export const ANNOUNCE_REFRESH_MS = 5000;

/** One device as the agent announces it on NATS (heartbeat `info.devices`, `device.scan` answers). */
export interface AnnouncedDevice {
  serial: string;
  path: string;
  kind: "drive" | "changer";
  vendor: string;
  model: string;
  revision: string;
  generation?: string;
  online: boolean;
  virtual: boolean;
}

/** Answer of one agent to `device.scan`. */
export interface DeviceScanAnswer {
  hostId: string;
  grpcAddress: string;
  devices: AnnouncedDevice[];
}

/** Announced order: drives first, then changers, each by path (as ListDevices). */
export function announceDevices(devices: readonly AgentDevice[]): AnnouncedDevice[] {
  return selectDevices(devices, { kinds: [], includeOffline: true }).map(announceDevice);
}

export function announceDevice(d: AgentDevice): AnnouncedDevice {
  return {
    serial: d.serial || d.id,
    path: d.path,
    kind: d.kind === "tape-drive" ? "drive" : "changer",
    vendor: d.vendor,
    model: d.model,
    revision: d.revision,
    ...(d.generation !== undefined ? { generation: d.generation } : {}),
    online: d.state === "online",
    virtual: d.virtual,
  };
}

/** The `device.scan` answer for a request payload (`{kind}` filters; anything else lists every device). */
export function scanAnswer(hostId: string, grpcAddress: string, devices: readonly AgentDevice[], payload: unknown): DeviceScanAnswer {
  const kind = typeof payload === "object" && payload !== null ? (payload as { kind?: unknown }).kind : undefined;
  const want = kind === "drive" || kind === "tape-drive" ? "drive" : kind === "changer" || kind === "medium-changer" ? "changer" : undefined;
  const list = announceDevices(devices).filter((d) => want === undefined || d.kind === want);
  return { hostId, grpcAddress, devices: list };
}

/** Payload of a `device.drive.clean-requested` event. */
export interface CleanRequestedEvent {
  hostId: string;
  grpcAddress: string;
  serial: string;
  path: string;
  /** The TapeAlert flags raised (names), among them CLEAN_NOW and/or CLEAN_PERIODIC. */
  flags: string[];
}

/**
 * Decides when a drive's flags raise a clean request: once when CLEAN_NOW or
 * CLEAN_PERIODIC appears, again only after the flags cleared.
 */
export class CleanRequestTracker {
  private readonly raised = new Set<string>();

  /** True when this report should raise the event. */
  update(serial: string, flagNumbers: readonly number[], cleaningFlags: readonly number[]): boolean {
    const asks = flagNumbers.some((n) => cleaningFlags.includes(n));
    if (!asks) {
      this.raised.delete(serial);
      return false;
    }
    if (this.raised.has(serial)) return false;
    this.raised.add(serial);
    return true;
  }
}
