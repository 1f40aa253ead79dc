import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScsiCommand, ScsiResult, ScsiTransport } from "@tapefleet/scsi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discoverScsiDevices } from "./discovery.ts";

let root: string;
let sys: string;
let dev: string;

interface FakeSg {
  name: string;
  address: string;
  type: string;
  vendor?: string;
  model?: string;
  rev?: string;
}

/** Lays out /sys/class/scsi_generic/<sg>/device -> /sys/devices/.../<H:C:T:L> as the kernel does. */
function addSg(sg: FakeSg): void {
  const deviceDir = join(sys, "devices", "pci0000:00", "host0", "target0:0:0", sg.address);
  mkdirSync(deviceDir, { recursive: true });
  writeFileSync(join(deviceDir, "type"), `${sg.type}\n`);
  if (sg.vendor !== undefined) writeFileSync(join(deviceDir, "vendor"), `${sg.vendor}\n`);
  if (sg.model !== undefined) writeFileSync(join(deviceDir, "model"), `${sg.model}\n`);
  if (sg.rev !== undefined) writeFileSync(join(deviceDir, "rev"), `${sg.rev}\n`);
  const classDir = join(sys, "class", "scsi_generic", sg.name);
  mkdirSync(classDir, { recursive: true });
  symlinkSync(deviceDir, join(classDir, "device"));
  writeFileSync(join(dev, sg.name), "");
}

function link(name: string, target: string): void {
  symlinkSync(target, join(dev, "tape", "by-id", name));
}

/** Answers INQUIRY VPD 0x80 with a serial per sg path, as a drive does. */
class VpdTransport implements ScsiTransport {
  readonly commands: ScsiCommand[] = [];
  closed = false;
  constructor(readonly description: string, private readonly serial: string | Error) {}
  async execute(command: ScsiCommand): Promise<ScsiResult> {
    this.commands.push(command);
    if (this.serial instanceof Error) throw this.serial;
    const text = new TextEncoder().encode(this.serial);
    const data = new Uint8Array(4 + text.length);
    data[0] = 0x01;
    data[1] = 0x80;
    data[3] = text.length;
    data.set(text, 4);
    return { status: 0, sense: new Uint8Array(0), data, residual: (command.dataInLength ?? 0) - data.length, hostStatus: 0, driverStatus: 0 };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "tapefleet-discovery-"));
  sys = join(root, "sys");
  dev = join(root, "dev");
  mkdirSync(join(dev, "tape", "by-id"), { recursive: true });
  addSg({ name: "sg0", address: "0:0:0:0", type: "0", vendor: "ATA", model: "DISK", rev: "1.0" });
  addSg({ name: "sg1", address: "0:0:1:0", type: "1", vendor: "IBM", model: "ULTRIUM-HH9", rev: "Q3F0" });
  addSg({ name: "sg2", address: "0:0:2:0", type: "8", vendor: "QUANTUM", model: "Scalar i3-i6", rev: "226G" });
  addSg({ name: "sg10", address: "1:0:4:0", type: "1", vendor: "HP", model: "Ultrium 8-SCSI", rev: "J4DB" });
  addSg({ name: "sg3", address: "0:0:3:0", type: "5", vendor: "HL-DT-ST", model: "DVD", rev: "1.00" });
  addSg({ name: "sg4", address: "0:0:4:1", type: "garbage" });
  link("scsi-10WT012345-sg", "../../sg1");
  link("scsi-10WT012345", "../../st0");
  link("scsi-10WT012345-nst", "../../nst0");
  link("scsi-QUANTUM-LIB1", "../../sg2");
  link("scsi-HUJ0000001-sg", "/dev/sg10");
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("discoverScsiDevices", () => {
  it("finds tape drives (type 1) and changers (type 8) in sg number order", async () => {
    const found = await discoverScsiDevices({ sysfsRoot: sys, devRoot: dev });
    expect(found.map((d) => [d.sgName, d.kind])).toEqual([
      ["sg1", "tape"],
      ["sg2", "changer"],
      ["sg10", "tape"],
    ]);
  });

  it("reads vendor, model, revision and the SCSI address from sysfs", async () => {
    const [drive, changer] = await discoverScsiDevices({ sysfsRoot: sys, devRoot: dev });
    expect(drive).toMatchObject({ vendor: "IBM", model: "ULTRIUM-HH9", revision: "Q3F0", sgPath: join(dev, "sg1") });
    expect(drive?.scsiAddress).toEqual({ host: 0, channel: 0, target: 1, lun: 0 });
    expect(changer).toMatchObject({ vendor: "QUANTUM", model: "Scalar i3-i6", revision: "226G" });
  });

  it("keeps only by-id links that resolve to the sg node, relative or absolute", async () => {
    const [drive, changer, hp] = await discoverScsiDevices({ sysfsRoot: sys, devRoot: dev });
    expect(drive?.byIdPaths).toEqual([join(dev, "tape", "by-id", "scsi-10WT012345-sg")]);
    expect(drive?.path).toBe(join(dev, "tape", "by-id", "scsi-10WT012345-sg"));
    expect(changer?.path).toBe(join(dev, "tape", "by-id", "scsi-QUANTUM-LIB1"));
    expect(hp?.byIdPaths).toEqual([join(dev, "tape", "by-id", "scsi-HUJ0000001-sg")]);
  });

  it("falls back to the sg node when no by-id link points at it", async () => {
    rmSync(join(dev, "tape"), { recursive: true });
    const found = await discoverScsiDevices({ sysfsRoot: sys, devRoot: dev });
    expect(found.map((d) => d.path)).toEqual([join(dev, "sg1"), join(dev, "sg2"), join(dev, "sg10")]);
    expect(found.every((d) => d.byIdPaths.length === 0)).toBe(true);
  });

  it("reads serials from VPD page 0x80 through the transport factory and closes each transport", async () => {
    const opened: VpdTransport[] = [];
    const serials: Record<string, string | Error> = {
      [join(dev, "sg1")]: "10WT012345  ",
      [join(dev, "sg2")]: "LIB1SERIAL",
      [join(dev, "sg10")]: new Error("device busy"),
    };
    const found = await discoverScsiDevices({
      sysfsRoot: sys,
      devRoot: dev,
      inquiryTimeoutMs: 1234,
      openTransport: async (path) => {
        const t = new VpdTransport(path, serials[path] ?? new Error("unexpected"));
        opened.push(t);
        return t;
      },
    });
    expect(found.map((d) => [d.serial, d.serialError])).toEqual([
      ["10WT012345", undefined],
      ["LIB1SERIAL", undefined],
      [undefined, "device busy"],
    ]);
    expect(opened.every((t) => t.closed)).toBe(true);
    const cmd = opened[0]?.commands[0];
    expect([...(cmd?.cdb ?? [])]).toEqual([0x12, 0x01, 0x80, 0x00, 0xff, 0x00]);
    expect(cmd).toMatchObject({ direction: "in", dataInLength: 255, timeoutMs: 1234 });
  });

  it("reports a factory that cannot open the node as a serial error", async () => {
    const found = await discoverScsiDevices({
      sysfsRoot: sys,
      devRoot: dev,
      openTransport: async (path) => {
        throw new Error(`cannot open ${path}`);
      },
    });
    expect(found[0]?.serial).toBeUndefined();
    expect(found[0]?.serialError).toBe(`cannot open ${join(dev, "sg1")}`);
  });

  it.each([
    ["a page length past the data", Uint8Array.of(0x01, 0x80, 0x00, 0x20, 0x41), /PAGE LENGTH 32/],
    ["a truncated header", Uint8Array.of(0x01, 0x80), /header needs 4 bytes/],
    ["another page", Uint8Array.of(0x01, 0x83, 0x00, 0x00), /PAGE CODE is 0x83/],
  ])("reports %s in VPD 0x80 as a serial error", async (_name, data, message) => {
    const found = await discoverScsiDevices({
      sysfsRoot: sys,
      devRoot: dev,
      openTransport: async (path) => ({
        description: path,
        execute: async () => ({ status: 0, sense: new Uint8Array(0), data, residual: 0, hostStatus: 0, driverStatus: 0 }),
        close: async () => undefined,
      }),
    });
    expect(found[0]?.serial).toBeUndefined();
    expect(found[0]?.serialError).toMatch(message);
  });

  it("reports a CHECK CONDITION to the VPD query as a serial error", async () => {
    const found = await discoverScsiDevices({
      sysfsRoot: sys,
      devRoot: dev,
      openTransport: async (path) => ({
        description: path,
        execute: async () => ({ status: 2, sense: Uint8Array.of(0x70, 0, 5), data: new Uint8Array(0), residual: 255, hostStatus: 0, driverStatus: 8 }),
        close: async () => undefined,
      }),
    });
    expect(found[1]?.serialError).toBe("INQUIRY VPD 0x80 ended with status 0x02");
  });

  it("returns nothing when sysfs has no scsi_generic class", async () => {
    expect(await discoverScsiDevices({ sysfsRoot: join(root, "nowhere"), devRoot: dev })).toEqual([]);
  });
});
