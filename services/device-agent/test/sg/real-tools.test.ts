/**
 * Third-party tools against the virtual library: mtx, tapeinfo, sg3_utils run
 * with LD_PRELOAD=libsgfwd.so as if the virtual devices were /dev/sgN. What
 * they print must agree with the library's state and with our decoders
 * (reading the same devices through the koffi SG_IO transport).
 */
import {
  NotReadyError,
  ScsiDevice,
  UnitAttentionError,
  decodeDataCompressionPage,
  decodeVpdDeviceIdentification,
  findModePage,
  type ChangerStatus,
} from "@tapefleet/scsi";
import type { VirtualTapeDrive } from "@tapefleet/vtl";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSgDevice, type SgIoTransport } from "../../src/sg/index.ts";
import { ensureTools, runTool, runToolOk } from "./helpers/debian-tools.ts";
import {
  parseKeyValueList,
  parseKeyValues,
  parseModePageDumps,
  parseMtxStatus,
  parseTapeAlertFlags,
  unquote,
  value,
  type MtxStatus,
} from "./helpers/tool-output.ts";
import { startVtlFixture, type VtlFixture } from "./helpers/vtl-fixture.ts";

const TOOLS = ["mtx", "tapeinfo", "sg_inq", "sg_vpd", "sg_turs", "sg_logs", "sg_read_attr", "sg_modes"];

const SPEC = {
  libraries: [
    {
      name: "lib1",
      slots: 4,
      importExportSlots: 1,
      serial: "TOOLLIB001",
      drives: [
        { generation: 8, serial: "TOOL800001" },
        { generation: 8, serial: "TOOL800002" },
      ],
      cartridges: [
        { barcode: "TOL001L8", slot: 1 },
        { barcode: "TOL002L8", slot: 2 },
        { barcode: "TOL003L8", importExport: 1 },
      ],
    },
  ],
  timing: { loadMs: 0, powerOnUnitAttention: false },
};

const DRIVE0 = "/dev/sg-rt0";
const DRIVE1 = "/dev/sg-rt1";
const CHANGER = "/dev/sg-rt2";

let vtl: VtlFixture;
let transports: SgIoTransport[] = [];
let drive: ScsiDevice;
let changer: ScsiDevice;

async function tool(command: string, ...args: string[]): Promise<string> {
  return runToolOk(command, args, vtl.preloadEnv);
}

async function mtxStatus(): Promise<MtxStatus> {
  return parseMtxStatus(await tool("mtx", "-f", CHANGER, "status"));
}

/** The mtx view of a changer status decoded by @tapefleet/scsi. */
function asMtx(status: ChangerStatus): Pick<MtxStatus, "drives" | "slots"> {
  return {
    drives: status.drives.map((d) => ({
      index: d.index,
      full: d.full,
      ...(d.full && d.loadedSlot !== undefined ? { loadedSlot: d.loadedSlot } : {}),
      ...(d.full && d.volumeTag !== undefined ? { volumeTag: d.volumeTag } : {}),
    })),
    slots: status.slots.map((s) => ({
      slot: s.slot,
      importExport: s.importExport,
      full: s.full,
      ...(s.full && s.volumeTag !== undefined ? { volumeTag: s.volumeTag } : {}),
    })),
  };
}

async function expectMtxAgrees(): Promise<MtxStatus> {
  const seen = await mtxStatus();
  const ours = await changer.readElementStatus();
  expect({ drives: seen.drives, slots: seen.slots }).toEqual(asMtx(ours));
  expect([seen.driveCount, seen.slotCount, seen.importExportCount]).toEqual([ours.drives.length, ours.slots.length, ours.slots.filter((s) => s.importExport).length]);
  // And the library's own record of where each cartridge is.
  for (const s of seen.slots) {
    if (s.volumeTag === undefined) continue;
    const where = vtl.library.locate(s.volumeTag);
    expect(s.importExport ? where.importExport : where.slot).toBe(s.importExport ? s.slot - seen.slots.filter((x) => !x.importExport).length : s.slot);
  }
  for (const d of seen.drives) {
    if (d.volumeTag !== undefined) expect(vtl.library.locate(d.volumeTag).drive).toBe(`lib1/drive${d.index}`);
  }
  return seen;
}

async function waitReady(device: ScsiDevice): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      await device.testUnitReady();
      return;
    } catch (e) {
      if (!(e instanceof NotReadyError) && !(e instanceof UnitAttentionError)) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error("drive did not become ready");
}

beforeAll(async () => {
  await ensureTools(TOOLS);
  vtl = await startVtlFixture(SPEC, [
    { path: DRIVE0, deviceId: "lib1/drive0" },
    { path: DRIVE1, deviceId: "lib1/drive1" },
    { path: CHANGER, deviceId: "lib1/changer" },
  ]);
  const d = await openSgDevice(DRIVE0, { library: vtl.forwardingLibrary });
  const c = await openSgDevice(CHANGER, { library: vtl.forwardingLibrary });
  transports = [d, c];
  drive = new ScsiDevice(d);
  changer = new ScsiDevice(c);
});

afterAll(async () => {
  for (const t of transports) await t.close();
  await vtl?.close();
});

describe("mtx", () => {
  it("status lists the slots, the import/export slot and the drives as READ ELEMENT STATUS does", async () => {
    const seen = await expectMtxAgrees();
    expect(seen.slots.filter((s) => s.full).map((s) => [s.slot, s.volumeTag])).toEqual([
      [1, "TOL001L8"],
      [2, "TOL002L8"],
      [5, "TOL003L8"],
    ]);
    expect(seen.drives.map((d) => d.full)).toEqual([false, false]);
  });

  it("runs the README's LD_PRELOAD example as written", async () => {
    const readme = readFileSync(new URL("../../src/sg/README.md", import.meta.url), "utf8");
    const snippet = /```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toContain("LD_PRELOAD=$lib");
    // The example's socket is /tmp/vtl.sock; this run's library listens elsewhere.
    const script = (snippet ?? "").replaceAll("/tmp/vtl.sock", vtl.socketPath);
    const out = await runToolOk("sh", ["-c", script], { ...process.env, lib: vtl.forwardingLibrary });
    expect(parseMtxStatus(out).slots).toEqual((await mtxStatus()).slots);
  });

  it("inquiry reports the changer's identity", async () => {
    const kv = parseKeyValues(await tool("mtx", "-f", CHANGER, "inquiry"));
    const ours = await changer.inquiry();
    const info = vtl.library.listDevices().find((x) => x.id === "lib1/changer");
    expect(value(kv, "Product Type")).toBe("Medium Changer");
    expect(unquote(value(kv, "Vendor ID")).trim()).toBe(ours.vendor);
    expect(unquote(value(kv, "Product ID")).trim()).toBe(ours.product);
    expect(unquote(value(kv, "Revision")).trim()).toBe(ours.revision);
    expect(ours.vendor).toBe(info?.vendor);
  });

  it("load, unload and transfer move cartridges where the library and our decoders see them", async () => {
    await tool("mtx", "-f", CHANGER, "load", "2", "1");
    let seen = await expectMtxAgrees();
    expect(seen.drives[1]).toEqual({ index: 1, full: true, loadedSlot: 2, volumeTag: "TOL002L8" });
    expect(vtl.library.locate("TOL002L8").drive).toBe("lib1/drive1");

    await tool("mtx", "-f", CHANGER, "unload", "2", "1");
    seen = await expectMtxAgrees();
    expect(seen.slots[1]).toEqual({ slot: 2, importExport: false, full: true, volumeTag: "TOL002L8" });

    await tool("mtx", "-f", CHANGER, "transfer", "5", "3");
    seen = await expectMtxAgrees();
    expect(seen.slots[2]).toEqual({ slot: 3, importExport: false, full: true, volumeTag: "TOL003L8" });
    expect(seen.slots[4]?.full).toBe(false);
    expect(vtl.library.locate("TOL003L8").slot).toBe(3);

    await tool("mtx", "-f", CHANGER, "load", "1", "0");
    seen = await expectMtxAgrees();
    expect(seen.drives[0]).toEqual({ index: 0, full: true, loadedSlot: 1, volumeTag: "TOL001L8" });
    await waitReady(drive);
  });
});

describe("sg3_utils and tapeinfo on the loaded drive", () => {
  const blocks = [262144, 262144, 262144, 262144, 1_000_000, 1_000_000].map((n, i) => new Uint8Array(n).fill(i + 1));

  it("tapeinfo agrees with INQUIRY, VPD 0x80, MODE SENSE and READ POSITION", async () => {
    await drive.rewind();
    for (const b of blocks) await drive.writeBlock(b);
    await drive.writeFilemarks(1, false);
    const kv = parseKeyValues(await tool("tapeinfo", "-f", DRIVE0));
    const inquiry = await drive.inquiry();
    const mode = await drive.modeSense(0x0f);
    const compression = decodeDataCompressionPage(findModePage(mode, 0x0f)?.bytes ?? new Uint8Array());
    const position = await drive.readPosition();
    expect(value(kv, "Product Type")).toBe("Tape Drive");
    expect(unquote(value(kv, "Vendor ID")).trim()).toBe(inquiry.vendor);
    expect(unquote(value(kv, "Product ID")).trim()).toBe(inquiry.product);
    expect(unquote(value(kv, "Revision")).trim()).toBe(inquiry.revision);
    expect(unquote(value(kv, "SerialNumber"))).toBe(await drive.vpdSerial());
    expect(unquote(value(kv, "SerialNumber"))).toBe("TOOL800001");
    expect(value(kv, "Ready")).toBe("yes");
    expect(Number(value(kv, "Density Code"))).toBe(mode.blockDescriptors[0]?.densityCode);
    expect(Number(value(kv, "BlockSize"))).toBe(mode.blockDescriptors[0]?.blockLength);
    expect(value(kv, "DataCompEnabled")).toBe(compression.dataCompressionEnabled ? "yes" : "no");
    expect(value(kv, "DataCompCapable")).toBe(compression.dataCompressionCapable ? "yes" : "no");
    expect(value(kv, "BufferedMode")).toBe(mode.bufferMode === 1 ? "yes" : "no");
    expect(Number(value(kv, "Block Position"))).toBe(position.blockNumber);
    expect(position.blockNumber).toBe(blocks.length + 1);
  });

  it("sg_inq prints the standard INQUIRY fields and the serial", async () => {
    const out = await tool("sg_inq", DRIVE0);
    const kv = parseKeyValues(out);
    const inquiry = await drive.inquiry();
    expect(out).toMatch(new RegExp(`PDT=${inquiry.peripheralDeviceType}\\b`));
    expect(out).toMatch(new RegExp(`RMB=${inquiry.removable ? 1 : 0}\\b`));
    expect(value(kv, "Vendor identification")).toBe(inquiry.vendor);
    expect(value(kv, "Product identification")).toBe(inquiry.product);
    expect(value(kv, "Product revision level")).toBe(inquiry.revision);
    expect(value(kv, "Unit serial number")).toBe(await drive.vpdSerial());
  });

  it("sg_vpd decodes VPD 0x80 and 0x83 as we do", async () => {
    expect(value(parseKeyValues(await tool("sg_vpd", "-p", "0x80", DRIVE0)), "Unit serial number")).toBe("TOOL800001");
    const out = await tool("sg_vpd", "-p", "0x83", DRIVE0);
    const result = await drive.transport.execute({ cdb: Uint8Array.of(0x12, 0x01, 0x83, 0x00, 0xff, 0x00), direction: "in", dataInLength: 255, timeoutMs: 30_000 });
    const designators = decodeVpdDeviceIdentification(result.data);
    const t10 = designators.find((d) => d.designatorType === 1);
    const naa = designators.find((d) => d.designatorType === 3);
    const kv = parseKeyValues(out);
    expect(value(kv, "vendor id")).toBe(t10?.t10?.vendor);
    expect(value(kv, "vendor specific")).toBe(t10?.t10?.specific);
    expect(out).toContain(`0x${naa?.hex}`);
  });

  it("sg_turs succeeds on the loaded drive and reports the empty one not ready", async () => {
    expect((await runTool("sg_turs", [DRIVE0], vtl.preloadEnv)).code).toBe(0);
    // Drive 1 had a cartridge loaded and unloaded: the first TUR may report
    // that UNIT ATTENTION (sg_turs exit 6) before the NOT READY (exit 2).
    let empty = await runTool("sg_turs", [DRIVE1], vtl.preloadEnv);
    if (empty.code === 6) empty = await runTool("sg_turs", [DRIVE1], vtl.preloadEnv);
    expect(empty.code).toBe(2);
    expect(`${empty.stdout}${empty.stderr}`).toMatch(/not ready/i);
  });

  it("sg_logs TapeAlert (0x2E) shows the flags our page 0x12 decoder sees, then clears them", async () => {
    const device = vtl.library.drive("lib1/drive0") as VirtualTapeDrive;
    for (const flag of [0x03, 0x14, 0x37]) device.raiseTapeAlert(flag);
    const ours = (await drive.tapeAlertFlags()).map((f) => f.number);
    expect(ours).toEqual([0x03, 0x14, 0x37]);
    // -m: one LOG SENSE with a full allocation length. Without it sg_logs first
    // reads the 4-byte header, and that read already clears the flags.
    expect(parseTapeAlertFlags(await tool("sg_logs", "-p", "0x2e", "-m", "1024", DRIVE0))).toEqual(ours);
    // Reading 0x2E cleared them, as SSC says; page 0x12 agrees.
    expect(parseTapeAlertFlags(await tool("sg_logs", "-p", "0x2e", "-m", "1024", DRIVE0))).toEqual([]);
    expect(await drive.tapeAlertFlags()).toEqual([]);
  });

  it("sg_logs volume statistics (0x17, --pdt=1) agree with decodeVolumeStatistics", async () => {
    const kv = parseKeyValues(await tool("sg_logs", "--pdt=1", "-p", "0x17", DRIVE0));
    const ours = await drive.volumeStatistics();
    expect(value(kv, "Page valid")).toBe(ours.pageValid ? "1" : "0");
    expect(Number(value(kv, "Total native capacity [MB]"))).toBe(ours.totalNativeCapacity);
    expect(Number(value(kv, "Total used native capacity [MB]"))).toBe(ours.totalUsedNativeCapacity);
    expect(Number(value(kv, "Last mount megabytes written"))).toBe(ours.lastMountBytesWritten);
    expect(Number(value(kv, "Lifetime megabytes written"))).toBe(ours.lifetimeBytesWritten);
    expect(Number(value(kv, "Total data sets written"))).toBe(ours.volumeDatasetsWritten);
    expect(Number(value(kv, "Beginning of medium passes"))).toBe(ours.beginningOfMediumPasses);
    expect(Number(value(kv, "Middle of medium passes"))).toBe(ours.middleOfTapePasses);
    expect(value(kv, "Volume serial number")).toBe(ours.volumeSerialNumber);
    expect(value(kv, "Write protect")).toBe(ours.writeProtect ? "1" : "0");
    expect(value(kv, "WORM")).toBe(ours.worm ? "1" : "0");
    // 2.5 MB written since the mount.
    expect(ours.lastMountBytesWritten).toBeGreaterThanOrEqual(2);
  });

  it("sg_read_attr prints the MAM values decodeAttributeValues returns", async () => {
    const list = parseKeyValueList(await tool("sg_read_attr", DRIVE0));
    const printed = (name: string) => list.find(([k]) => k.startsWith(name))?.[1];
    const ours = new Map((await drive.readAttributes()).map((a) => [a.id, a.value]));
    expect(printed("Barcode")).toBe(ours.get(0x0806));
    expect(ours.get(0x0806)).toBe("TOL001L8");
    expect(printed("Medium serial number")).toBe(ours.get(0x0401));
    expect(printed("Medium manufacturer")).toBe(ours.get(0x0400));
    expect(printed("Medium manufacture date")).toBe(ours.get(0x0406));
    expect(Number(printed("Load count"))).toBe(ours.get(0x0003));
    expect(Number(printed("Maximum capacity in partition"))).toBe(ours.get(0x0001));
    expect(Number(printed("Remaining capacity in partition"))).toBe(ours.get(0x0000));
    expect(Number(printed("Medium density code"))).toBe(ours.get(0x0405));
    expect(Number(printed("Medium length"))).toBe(ours.get(0x0402));
  });

  it("sg_modes dumps the same block descriptor and pages as our MODE SENSE decoder", async () => {
    const out = await tool("sg_modes", DRIVE0);
    const ours = await drive.modeSense(0x3f);
    expect(Number(/Density code=(0x[0-9a-f]+)/.exec(out)?.[1])).toBe(ours.blockDescriptors[0]?.densityCode);
    const pages = parseModePageDumps(out);
    expect([...pages.keys()].sort((a, b) => a - b)).toEqual(ours.pages.map((p) => p.code).sort((a, b) => a - b));
    for (const p of ours.pages) expect(pages.get(p.code), `page 0x${p.code.toString(16)}`).toEqual(p.bytes);
  });
});
