import { DeviceKind, DeviceState } from "@tapefleet/proto";
import type { ScsiTransport } from "@tapefleet/scsi";

/**
 * A device as the agent's core knows it (no proto types): what `ListDevices`
 * reports after conversion at the edge.
 */
export interface AgentDevice {
  id: string;
  kind: "tape-drive" | "medium-changer";
  vendor: string;
  model: string;
  revision: string;
  serial: string;
  path: string;
  state: "online" | "offline";
  /** Drive generation ("LTO-9"); tape drives only, when known. */
  generation?: string;
  virtual: boolean;
}

/** Where the agent's devices come from (the virtual library, SG discovery, …). */
export interface DeviceSource {
  /** Short name shown in the agent's log and announcement. */
  readonly name: string;
  list(): Promise<AgentDevice[]>;
  /**
   * Opens a SCSI transport to one of this source's devices (real devices: the
   * persistent path is resolved again at every open). Absent: the devices can
   * be listed but not operated.
   */
  open?(device: AgentDevice): Promise<ScsiTransport>;
  /** Releases what the source holds (called once when the agent stops). */
  close?(): Promise<void>;
}

/** A source with no devices: what an agent with nothing configured truthfully reports. */
export const NO_DEVICES: DeviceSource = { name: "none", list: async () => [] };

/** A fixed list (tests, or devices given in configuration). */
export function staticDevices(name: string, devices: readonly AgentDevice[]): DeviceSource {
  return { name, list: async () => devices.map((d) => ({ ...d })) };
}

const KIND_ORDER: Record<AgentDevice["kind"], number> = { "tape-drive": 0, "medium-changer": 1 };

export interface DeviceFilter {
  /** Only these kinds; empty means every kind. */
  kinds: readonly AgentDevice["kind"][];
  includeOffline: boolean;
}

/** Applies a ListDevices filter and the documented order: by kind (drives first), then path. */
export function selectDevices(devices: readonly AgentDevice[], filter: DeviceFilter): AgentDevice[] {
  return devices
    .filter((d) => (filter.kinds.length === 0 || filter.kinds.includes(d.kind)) && (filter.includeOffline || d.state === "online"))
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Proto enum → core kind; UNSPECIFIED (never sent by a well-behaved client) selects nothing. */
export function kindFromProto(kind: DeviceKind): AgentDevice["kind"] | undefined {
  if (kind === DeviceKind.TAPE_DRIVE) return "tape-drive";
  if (kind === DeviceKind.MEDIUM_CHANGER) return "medium-changer";
  return undefined;
}

/** Core device → the proto init shape of `tapefleet.device.v1.Device`. */
export function deviceToProto(d: AgentDevice): {
  id: string;
  kind: DeviceKind;
  vendor: string;
  model: string;
  revision: string;
  serial: string;
  path: string;
  state: DeviceState;
  generation?: string;
  virtual: boolean;
} {
  return {
    id: d.id,
    kind: d.kind === "tape-drive" ? DeviceKind.TAPE_DRIVE : DeviceKind.MEDIUM_CHANGER,
    vendor: d.vendor,
    model: d.model,
    revision: d.revision,
    serial: d.serial,
    path: d.path,
    state: d.state === "online" ? DeviceState.ONLINE : DeviceState.OFFLINE,
    ...(d.generation !== undefined ? { generation: d.generation } : {}),
    virtual: d.virtual,
  };
}
