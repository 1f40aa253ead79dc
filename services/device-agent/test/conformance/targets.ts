/**
 * The two paths the conformance suite runs on: the virtual library through
 * the in-process transport, and the same library through koffi SG_IO and the
 * forwarding library (`/dev/sg-*` paths configured as real devices).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLibrary, createVtlTransport, type VirtualLibrary } from "@tapefleet/vtl";
import type { ScsiCommand, ScsiTransport } from "@tapefleet/scsi";
import type { AgentDevice, DeviceSource } from "../../src/devices.ts";
import { sgDevicesSource } from "../../src/sg-devices.ts";
import { virtualLibraryDevices } from "../../src/vtl-devices.ts";
import { startVtlFixture } from "../sg/helpers/vtl-fixture.ts";

export const LIB = "clib";
export const DRIVE0_SERIAL = "TFC9000001";
export const DRIVE1_SERIAL = "TFC8000002";
export const CHANGER_SERIAL = "TFCLIB0001";

/** A small site: 8 slots + 2 import/export, LTO-9 and LTO-8 drives, WORM, cleaning, a new LTO-9 cartridge. */
export function conformanceSpec(overrides: { requireEjectBeforeUnload?: boolean; cleaningCycles?: number; noCleaning?: boolean } = {}) {
  return {
    libraries: [
      {
        name: LIB,
        slots: 8,
        importExportSlots: 2,
        serial: CHANGER_SERIAL,
        requireEjectBeforeUnload: overrides.requireEjectBeforeUnload ?? false,
        drives: [
          { generation: 9, serial: DRIVE0_SERIAL },
          { generation: 8, serial: DRIVE1_SERIAL },
        ],
        cartridges: [
          { barcode: "TC0001L9", slot: 1 },
          { barcode: "TC0002L8", slot: 2 },
          { barcode: "TCW001LZ", slot: 3 },
          { barcode: "TC0003L9", slot: 4, newMedia: true },
          { barcode: "TC0005L8", slot: 5 },
          ...(overrides.noCleaning ? [] : [{ barcode: "CLN001L1", slot: 8, cleaningCycles: overrides.cleaningCycles ?? 50 }]),
          { barcode: "TC0004L8", importExport: 1 },
        ],
      },
    ],
    defaults: { capacityBytes: 64 * 1024 * 1024 },
    timing: { loadMs: 30, cleaningMs: 150, calibrationMs: 300, powerOnUnitAttention: true },
  };
}

export interface Target {
  library: VirtualLibrary;
  source: DeviceSource;
  /** Device paths as the source reports them. */
  paths: { drive0: string; drive1: string; changer: string };
  close(): Promise<void>;
}

export type TargetFactory = (spec: unknown) => Promise<Target>;

/** Wraps transports of one device to delay chosen opcodes (a slow REWIND) or rewrite CDBs (a vendor LOCATE offset). */
export function wrapTransport(t: ScsiTransport, hooks: { delayMs?: Partial<Record<number, number>>; rewrite?: (cdb: Uint8Array) => Uint8Array }): ScsiTransport {
  return {
    description: t.description,
    async execute(command: ScsiCommand) {
      const op = command.cdb[0]!;
      const delay = hooks.delayMs?.[op];
      if (delay) await new Promise((r) => setTimeout(r, delay));
      return t.execute(hooks.rewrite ? { ...command, cdb: hooks.rewrite(command.cdb) } : command);
    },
    close: () => t.close(),
  };
}

/** In-process: the library's devices with createVtlTransport (optionally wrapped per device path). */
export const inProcessTarget = (wrap?: (device: AgentDevice, t: ScsiTransport) => ScsiTransport): TargetFactory => async (spec) => {
  const dir = await mkdtemp(join(tmpdir(), "tapefleet-conf-"));
  const library = await createLibrary(join(dir, "lib"), spec);
  const source: DeviceSource = {
    name: "vtl",
    list: async () => virtualLibraryDevices(library),
    open: async (d) => {
      const t = createVtlTransport(library, d.path.replace(/^vtl:/, ""));
      return wrap ? wrap(d, t) : t;
    },
  };
  return {
    library,
    source,
    paths: { drive0: `vtl:${LIB}/drive0`, drive1: `vtl:${LIB}/drive1`, changer: `vtl:${LIB}/changer` },
    async close() {
      await library.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

let sgSeq = 0;

/** SG_IO: koffi through the forwarding library to `vtl serve` semantics on a socket; devices configured by path. */
export const sgIoTarget: TargetFactory = async (spec) => {
  const n = `${process.pid}-${++sgSeq}`;
  const paths = { drive0: `/dev/sg-tfc-${n}-0`, drive1: `/dev/sg-tfc-${n}-1`, changer: `/dev/sg-tfc-${n}-2` };
  const fixture = await startVtlFixture(spec, [
    { path: paths.drive0, deviceId: `${LIB}/drive0` },
    { path: paths.drive1, deviceId: `${LIB}/drive1` },
    { path: paths.changer, deviceId: `${LIB}/changer` },
  ]);
  const source = sgDevicesSource([paths.drive0, paths.drive1, paths.changer], { systemLibrary: fixture.forwardingLibrary });
  return { library: fixture.library, source, paths, close: () => fixture.close() };
};
