/**
 * Finds tape drives and medium changers the way PBS does: every SCSI generic
 * node under /sys/class/scsi_generic whose device `type` is 1 (tape) or 8
 * (medium changer), with vendor/model/revision from sysfs, the serial number
 * from INQUIRY VPD page 0x80, and the persistent /dev/tape/by-id names whose
 * links resolve to the sg node. The sysfs and /dev roots are parameters, so a
 * fake tree serves as well as the real one.
 *
 * @see PBS reference §7 (device discovery), SPC-4 7.8.16 (unit serial number)
 */
import { readFile, readdir, readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { buildInquiryCdb, decodeVpdUnitSerial, ScsiStatus, VpdPage, type ScsiTransport } from "@tapefleet/scsi";

/** SCSI peripheral device types looked for (SPC-4 table 141). */
export const DEVICE_TYPE_TAPE = 1;
export const DEVICE_TYPE_MEDIUM_CHANGER = 8;

/** INQUIRY is quick on every drive; PBS uses 30 s. */
export const DISCOVERY_INQUIRY_TIMEOUT_MS = 30_000;
const VPD_ALLOCATION_LENGTH = 255;
export type DiscoveredKind = "tape" | "changer";

export interface ScsiAddress {
  host: number;
  channel: number;
  target: number;
  lun: number;
}

export interface DiscoveredDevice {
  kind: DiscoveredKind;
  /** The sg node name, e.g. `sg3`. */
  sgName: string;
  /** The sg node path under the /dev root, e.g. `/dev/sg3`. */
  sgPath: string;
  /** host:channel:target:lun from the sysfs device link, when it has that form. */
  scsiAddress?: ScsiAddress;
  vendor: string;
  model: string;
  revision: string;
  /** From VPD page 0x80; absent when no transport factory was given or the query failed. */
  serial?: string;
  /** Why the serial could not be read. */
  serialError?: string;
  /** /dev/tape/by-id links that resolve to this sg node, sorted. */
  byIdPaths: string[];
  /** The name to configure: the first by-id link, else the sg node. */
  path: string;
}

export interface DiscoveryOptions {
  /** Root of sysfs (default `/sys`). */
  sysfsRoot?: string;
  /** Root of the device tree (default `/dev`). */
  devRoot?: string;
  /** Opens a transport to an sg node to read VPD page 0x80; without it, serials are not read. */
  openTransport?: (sgPath: string) => Promise<ScsiTransport>;
  /** Timeout of the VPD INQUIRY (default 30 s). */
  inquiryTimeoutMs?: number;
}

async function readAttribute(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).replace(/\0/g, "").trim();
  } catch {
    return undefined;
  }
}

function parseAddress(name: string): ScsiAddress | undefined {
  const m = /^(\d+):(\d+):(\d+):(\d+)$/.exec(name);
  if (m === null) return undefined;
  return { host: Number(m[1]), channel: Number(m[2]), target: Number(m[3]), lun: Number(m[4]) };
}

function sgNumber(name: string): number {
  const m = /^sg(\d+)$/.exec(name);
  return m === null ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/** Maps each sg node path to the by-id links that point at it. */
async function byIdLinks(devRoot: string): Promise<Map<string, string[]>> {
  const dir = join(devRoot, "tape", "by-id");
  const out = new Map<string, string[]>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const link = join(dir, name);
    let target: string;
    try {
      target = await readlink(link);
    } catch {
      continue;
    }
    // Relative links (udev writes ../../sg3) resolve inside the given root;
    // absolute /dev/... links are taken relative to it as well.
    const resolved = isAbsolute(target)
      ? target.startsWith("/dev/")
        ? join(devRoot, relative("/dev", target))
        : target
      : resolve(dirname(link), target);
    const list = out.get(resolved) ?? [];
    list.push(link);
    out.set(resolved, list);
  }
  return out;
}

async function readSerial(
  openTransport: (sgPath: string) => Promise<ScsiTransport>,
  sgPath: string,
  timeoutMs: number,
): Promise<{ serial?: string; serialError?: string }> {
  let transport: ScsiTransport | undefined;
  try {
    transport = await openTransport(sgPath);
    const result = await transport.execute({
      cdb: buildInquiryCdb({ page: VpdPage.UNIT_SERIAL_NUMBER, allocationLength: VPD_ALLOCATION_LENGTH }),
      direction: "in",
      dataInLength: VPD_ALLOCATION_LENGTH,
      timeoutMs,
    });
    if (result.status !== ScsiStatus.GOOD) {
      return { serialError: `INQUIRY VPD 0x80 ended with status 0x${result.status.toString(16).padStart(2, "0")}` };
    }
    return { serial: decodeVpdUnitSerial(result.data) };
  } catch (e) {
    return { serialError: e instanceof Error ? e.message : String(e) };
  } finally {
    await transport?.close().catch(() => undefined);
  }
}

/**
 * Lists tape drives and medium changers, ordered by sg node number.
 * Devices whose sysfs attributes cannot be read are skipped; a failed serial
 * query is reported in `serialError`, not thrown.
 */
export async function discoverScsiDevices(options: DiscoveryOptions = {}): Promise<DiscoveredDevice[]> {
  const sysfsRoot = options.sysfsRoot ?? "/sys";
  const devRoot = options.devRoot ?? "/dev";
  const classDir = join(sysfsRoot, "class", "scsi_generic");
  let names: string[];
  try {
    names = await readdir(classDir);
  } catch {
    return [];
  }
  names.sort((a, b) => sgNumber(a) - sgNumber(b) || a.localeCompare(b));
  const links = await byIdLinks(devRoot);
  const devices: DiscoveredDevice[] = [];
  for (const sgName of names) {
    const deviceDir = join(classDir, sgName, "device");
    const typeText = await readAttribute(join(deviceDir, "type"));
    if (typeText === undefined || !/^\d+$/.test(typeText)) continue;
    const type = Number(typeText);
    if (type !== DEVICE_TYPE_TAPE && type !== DEVICE_TYPE_MEDIUM_CHANGER) continue;
    const sgPath = join(devRoot, sgName);
    let scsiAddress: ScsiAddress | undefined;
    try {
      scsiAddress = parseAddress(basename(await realpath(deviceDir)));
    } catch {
      scsiAddress = undefined;
    }
    const byIdPaths = links.get(sgPath) ?? [];
    const device: DiscoveredDevice = {
      kind: type === DEVICE_TYPE_TAPE ? "tape" : "changer",
      sgName,
      sgPath,
      vendor: (await readAttribute(join(deviceDir, "vendor"))) ?? "",
      model: (await readAttribute(join(deviceDir, "model"))) ?? "",
      revision: (await readAttribute(join(deviceDir, "rev"))) ?? "",
      byIdPaths,
      path: byIdPaths[0] ?? sgPath,
    };
    if (scsiAddress !== undefined) device.scsiAddress = scsiAddress;
    if (options.openTransport !== undefined) {
      Object.assign(device, await readSerial(options.openTransport, sgPath, options.inquiryTimeoutMs ?? DISCOVERY_INQUIRY_TIMEOUT_MS));
    }
    devices.push(device);
  }
  return devices;
}
