import { z } from "zod";
import { safeId } from "./fields.ts";
import { labelText } from "./media.ts";

/**
 * Drives and changers at run time: what the device agents announce, where
 * each configured device lives, the scheduler's device operations and its
 * task registry (PBS UPIDs, task logs). Shapes follow the PBS API
 * (kebab-case JSON).
 * @see ../../../shared/reference/pbs-tape-format.md §13
 */

export type DeviceKindText = "drive" | "changer";
export const DEVICE_KINDS: readonly DeviceKindText[] = ["drive", "changer"];

/** One device as an agent announces it (heartbeat `info.devices`, `device.scan` answers). */
export interface AnnouncedDevice {
  serial: string;
  path: string;
  kind: DeviceKindText;
  vendor: string;
  model: string;
  generation?: string | undefined;
  online: boolean;
}

/** Answer of one agent to the scatter-gather subject `device.scan`. */
export interface DeviceScanAnswer {
  hostId: string;
  grpcAddress: string;
  devices: AnnouncedDevice[];
}

/** Scatter-gather subject every device agent answers. Payload `{ kind? }`. */
export const DEVICE_SCAN_SUBJECT = "device.scan";
/** Heartbeat subject of device agents (`ServiceAnnouncement` with `info: { hostId, grpcAddress, devices }`). */
export const AGENT_HEARTBEAT_SUBJECT = "svc.heartbeat.device-agent";

/** Where one device lives (kept by the inventory from announcements and scans). */
export interface DeviceLocation {
  "host-id": string;
  "grpc-address": string;
  serial: string;
  path: string;
  kind: DeviceKindText;
  vendor: string;
  model: string;
  generation?: string;
  online: boolean;
  /** RFC 3339 time of the last announcement or scan answer naming the device. */
  "last-seen": string;
}

export const DEVICE_LOCATION_OPS = ["list", "scan"] as const;
export type DeviceLocationOp = (typeof DEVICE_LOCATION_OPS)[number];
/** `inventory.device.list` (`{kind?, online?}` → DeviceLocation[]), `inventory.device.scan` (gather now, then list). */
export function deviceLocationSubject(op: DeviceLocationOp): string {
  return `inventory.device.${op}`;
}

/** Serial number named by a persistent path (`/dev/tape/by-id/scsi-<serial>[-sg|-nst]`), if it is one. */
export function serialOfByIdPath(path: string): string | undefined {
  const m = /^\/dev\/tape\/by-id\/scsi-(.+?)(?:-sg|-nst)?$/.exec(path);
  return m ? m[1] : undefined;
}

/**
 * Does a configured device path designate this announced device? Equal paths,
 * a by-id path naming its serial, or the serial itself.
 */
export function matchesConfiguredPath(configPath: string, device: { path: string; serial: string }): boolean {
  if (configPath === device.path) return true;
  if (device.serial !== "" && configPath === device.serial) return true;
  const serial = serialOfByIdPath(configPath);
  return serial !== undefined && serial === device.serial;
}

// ---- changer and drive results (PBS API shapes) ------------------------------

export type ChangerEntryKind = "drive" | "slot" | "import-export";

/** One row of `changer status` (PBS `MtxStatusEntry`). */
export interface ChangerStatusEntry {
  "entry-kind": ChangerEntryKind;
  /** Drive number (drives) or element/slot number (slots, 1-based). */
  "entry-id": number;
  /** Volume tag of the cartridge there, if any. */
  "label-text"?: string;
  /** Drives: the slot the loaded cartridge came from. */
  "loaded-slot"?: number;
  /** Free-form state, e.g. `full`, `empty`. */
  state?: string;
}

/** Label read from a tape (PBS `MediaIdFlat`). */
export interface TapeLabelInfo {
  "label-text": string;
  uuid: string;
  ctime: number;
  pool?: string;
  "media-set-uuid"?: string;
  "media-set-ctime"?: number;
  "seq-nr"?: number;
  "encryption-key-fingerprint"?: string;
  /** The set label's password-protected KeyConfig (encrypted sets): what `key restore` opens. */
  "key-config"?: Record<string, unknown>;
}

/** One cartridge memory (MAM) attribute. */
export interface MamAttributeEntry {
  id: number;
  name: string;
  value: string;
}

/** `inventory` (fast) result row: tag and the uuid the inventory knows for it (PBS `LabelUuidMap`). */
export interface LabelUuidEntry {
  "label-text": string;
  uuid?: string;
}

// ---- scheduler device operations ------------------------------------------------

/** Queue group of the scheduler's request handlers. */
export const SCHEDULER_QUEUE = "scheduler";

const driveName = safeId("device", "Drive name.");
const changerName = safeId("device", "Changer name.");
const slot = z.number().int().min(1).max(65535).meta({ description: "Slot (element) number, 1-based." });

/**
 * Every device operation of the scheduler: target, whether it runs as a task
 * (reply `{ upid }` at once) and its request schema.
 */
export const DEVICE_OPS = {
  "scan-drives": { task: false, request: z.strictObject({}) },
  "scan-changers": { task: false, request: z.strictObject({}) },
  "changer-status": { task: false, request: z.strictObject({ changer: changerName, cache: z.boolean().optional() }) },
  transfer: { task: false, request: z.strictObject({ changer: changerName, from: slot, to: slot }) },
  status: { task: false, request: z.strictObject({ drive: driveName }) },
  "cartridge-memory": { task: false, request: z.strictObject({ drive: driveName }) },
  "volume-statistics": { task: false, request: z.strictObject({ drive: driveName }) },
  "read-label": { task: false, request: z.strictObject({ drive: driveName, inventorize: z.boolean().optional() }) },
  "inventory-list": { task: false, request: z.strictObject({ drive: driveName }) },
  rewind: { task: true, request: z.strictObject({ drive: driveName }) },
  eject: { task: true, request: z.strictObject({ drive: driveName }) },
  erase: { task: true, request: z.strictObject({ drive: driveName, fast: z.boolean().optional(), "label-text": labelText.optional() }) },
  format: { task: true, request: z.strictObject({ drive: driveName, fast: z.boolean().optional(), "label-text": labelText.optional() }) },
  "load-media": { task: true, request: z.strictObject({ drive: driveName, "label-text": labelText }) },
  "load-slot": { task: true, request: z.strictObject({ drive: driveName, "source-slot": slot }) },
  unload: { task: true, request: z.strictObject({ drive: driveName, "target-slot": slot.optional() }) },
  "export-media": { task: true, request: z.strictObject({ drive: driveName, "label-text": labelText }) },
  clean: { task: true, request: z.strictObject({ drive: driveName }) },
  label: { task: true, request: z.strictObject({ drive: driveName, "label-text": labelText, pool: safeId("pool", "Pool.").optional() }) },
  "barcode-label": { task: true, request: z.strictObject({ drive: driveName, pool: safeId("pool", "Pool.").optional() }) },
  inventory: { task: true, request: z.strictObject({ drive: driveName, "read-all-labels": z.boolean().optional() }) },
} as const;

export type DeviceOp = keyof typeof DEVICE_OPS;
export const DEVICE_OP_NAMES = Object.keys(DEVICE_OPS) as DeviceOp[];
export type DeviceOpRequest<O extends DeviceOp> = z.output<(typeof DEVICE_OPS)[O]["request"]>;

/** `scheduler.device.<op>`. */
export function schedulerDeviceSubject(op: DeviceOp): string {
  return `scheduler.device.${op}`;
}

/** Reply of an operation that runs as a task. */
export interface TaskStarted {
  upid: string;
}

// ---- tasks --------------------------------------------------------------------------

export const TASK_OPS = ["list", "status", "log", "stop"] as const;
export type TaskOp = (typeof TASK_OPS)[number];
/** `scheduler.task.<op>`: list `{running?, limit?}`, status/stop `{upid}`, log `{upid, start?, limit?}`. */
export function taskSubject(op: TaskOp): string {
  return `scheduler.task.${op}`;
}

/** A task as listed (PBS `TaskListItem`). */
export interface TaskInfo {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  "worker-type": string;
  "worker-id"?: string;
  user: string;
  endtime?: number;
  /** `OK`, `WARNINGS: n`, or the error; absent while running. */
  status?: string;
}

/** PBS task status: `running` or `stopped` with its exit status. */
export interface TaskStatus {
  upid: string;
  status: "running" | "stopped";
  exitstatus?: string;
  "worker-type": string;
  "worker-id"?: string;
  starttime: number;
  endtime?: number;
  user: string;
}

export type TaskLogLevel = "info" | "warn" | "error";

/** One task log line: `n` is 1-based, `t` the text as PBS shows it. */
export interface TaskLogLine {
  n: number;
  t: string;
  time: number;
  level: TaskLogLevel;
}

export interface TaskLogPage {
  lines: TaskLogLine[];
  total: number;
  /** False once the task ended (a follower stops after the last line). */
  active: boolean;
}

/** The parts of a UPID. */
export interface Upid {
  node: string;
  pid: number;
  pstart: number;
  taskId: number;
  starttime: number;
  workerType: string;
  workerId?: string;
  user: string;
}

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, "0");

/** Escape a worker id as PBS does (`:` and `\` never appear raw). */
function escapeWorkerId(id: string): string {
  return id.replace(/[\\:]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
}
function unescapeWorkerId(id: string): string {
  return id.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** `UPID:<node>:<pid>:<pstart>:<task id>:<starttime>:<type>:<id>:<user>:` (hex fields, 8 digits, as PBS). */
export function formatUpid(u: Upid): string {
  return `UPID:${u.node}:${hex8(u.pid)}:${hex8(u.pstart)}:${hex8(u.taskId)}:${hex8(u.starttime)}:${u.workerType}:${escapeWorkerId(u.workerId ?? "")}:${u.user}:`;
}

const UPID_RE = /^UPID:([A-Za-z0-9_][A-Za-z0-9._-]*):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8,16}):([0-9A-F]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/;

/** Parse a UPID; undefined when malformed. */
export function parseUpid(text: string): Upid | undefined {
  const m = UPID_RE.exec(text);
  if (!m) return undefined;
  const u: Upid = {
    node: m[1]!,
    pid: parseInt(m[2]!, 16),
    pstart: parseInt(m[3]!, 16),
    taskId: parseInt(m[4]!, 16),
    starttime: parseInt(m[5]!, 16),
    workerType: m[6]!,
    user: m[8]!,
  };
  if (m[7] !== "") u.workerId = unescapeWorkerId(m[7]!);
  return u;
}
