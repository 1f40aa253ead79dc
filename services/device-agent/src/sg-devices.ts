import { ScsiDevice, type ScsiTransport } from "@tapefleet/scsi";
import type { AgentDevice, DeviceSource } from "./devices.ts";
import { openSgDevice } from "./sg/index.ts";

/** INQUIRY peripheral device types (SPC-4 table 49). */
const PERIPHERAL_TAPE = 0x01;
const PERIPHERAL_CHANGER = 0x08;

/** Drive generation from an LTO product id ("ULT3580-TD9", "ULTRIUM-HH8", "LTO-7"), when it names one. */
export function generationFromProduct(product: string): string | undefined {
  const m = /(?:TD|HH|FH|LTO-?)(\d{1,2})\b/i.exec(product);
  return m ? `LTO-${Number(m[1])}` : undefined;
}

/** How long an identity probe of a real device stays fresh (ms). */
export const PROBE_TTL_MS = 10_000;

export interface SgDevicesOptions {
  /** Shared library with realpath/open/ioctl (default libc; tests pass the forwarding library). */
  systemLibrary?: string;
  /** How long a probe result is reused before the path is opened again (default {@link PROBE_TTL_MS}). */
  probeTtlMs?: number;
}

/**
 * Real devices given by persistent path (`/dev/tape/by-id/...`). list()
 * opens each path again once its last probe is older than `probeTtlMs` (a
 * renumbered /dev/sgN does no harm), reads INQUIRY and the unit serial (VPD
 * 0x80), and reports devices that do not answer as offline with their last
 * known identity. Probes are cached so that listing never waits behind a
 * drive busy with a long command: while a path is probed again (its INQUIRY
 * may queue behind that command), list() answers with the last finished
 * probe, and a path has at most one probe running. Operations open the path
 * again anyway.
 */
export function sgDevicesSource(paths: readonly string[], options: SgDevicesOptions = {}): DeviceSource {
  const known = new Map<string, AgentDevice>();
  const probes = new Map<string, { at: number; result: Promise<AgentDevice> }>();
  const settled = new Map<string, AgentDevice>();
  const running = new Set<string>();
  const ttl = options.probeTtlMs ?? PROBE_TTL_MS;
  const open = (path: string): Promise<ScsiTransport> => openSgDevice(path, options.systemLibrary === undefined ? {} : { library: options.systemLibrary });
  const probe = async (path: string): Promise<AgentDevice> => {
    let transport: ScsiTransport | undefined;
    try {
      transport = await open(path);
      const dev = new ScsiDevice(transport);
      const inq = await dev.inquiry();
      const serial = await dev.vpdSerial();
      const kind = inq.peripheralDeviceType === PERIPHERAL_TAPE ? "tape-drive" : inq.peripheralDeviceType === PERIPHERAL_CHANGER ? "medium-changer" : undefined;
      if (kind === undefined) throw new Error(`${path}: peripheral device type ${inq.peripheralDeviceType} is neither tape nor changer`);
      const gen = kind === "tape-drive" ? generationFromProduct(inq.product) : undefined;
      const d: AgentDevice = { id: serial || path, kind, vendor: inq.vendor, model: inq.product, revision: inq.revision, serial, path, state: "online", ...(gen ? { generation: gen } : {}), virtual: false };
      known.set(path, d);
      return d;
    } catch {
      const last = known.get(path);
      return last ? { ...last, state: "offline" } : { id: path, kind: "tape-drive", vendor: "", model: "", revision: "", serial: "", path, state: "offline", virtual: false };
    } finally {
      await transport?.close().catch(() => {});
    }
  };
  return {
    name: "sg",
    list: async () =>
      Promise.all(
        paths.map((path) => {
          const cached = probes.get(path);
          const last = settled.get(path);
          if (cached && (running.has(path) || Date.now() - cached.at < ttl)) return last ?? cached.result;
          running.add(path);
          const result = probe(path).then((d) => {
            running.delete(path);
            settled.set(path, d);
            return d;
          });
          probes.set(path, { at: Date.now(), result });
          return last ?? result;
        }),
      ),
    open: (device) => open(device.path),
  };
}

/** Several sources as one: devices listed in source order; open() goes to the source that listed the device. */
export function combineSources(sources: readonly DeviceSource[]): DeviceSource {
  if (sources.length === 1) return sources[0]!;
  const owner = new Map<string, DeviceSource>();
  return {
    name: sources.map((s) => s.name).join("+") || "none",
    list: async () => {
      const out: AgentDevice[] = [];
      for (const s of sources) {
        for (const d of await s.list()) {
          owner.set(d.path, s);
          out.push(d);
        }
      }
      return out;
    },
    open: async (device) => {
      if (!owner.has(device.path)) for (const s of sources) for (const d of await s.list()) owner.set(d.path, s);
      const s = owner.get(device.path);
      if (!s?.open) throw new Error(`no source can open ${device.path}`);
      return s.open(device);
    },
    close: async () => {
      for (const s of [...sources].reverse()) await s.close?.().catch(() => {});
    },
  };
}
