/**
 * A whole drive + changer session through the real koffi SG_IO path: the
 * transport loads the forwarding library in place of libc, which forwards
 * every SG_IO to the virtual library served in this process.
 */
import { NotReadyError, ScsiDevice, UnitAttentionError, type ChangerStatus } from "@tapefleet/scsi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SgError, discoverScsiDevices, forwardDevices, openSgDevice, type SgIoTransport } from "../../src/sg/index.ts";
import { startVtlFixture, type VtlFixture } from "./helpers/vtl-fixture.ts";

const SPEC = {
  libraries: [
    {
      name: "lib1",
      slots: 4,
      importExportSlots: 1,
      serial: "SESSLIB001",
      drives: [
        { generation: 8, serial: "SESS800001" },
        { generation: 8, serial: "SESS800002" },
      ],
      cartridges: [
        { barcode: "SES001L8", slot: 1 },
        { barcode: "SES002L8", slot: 3 },
      ],
    },
  ],
  timing: { loadMs: 150, powerOnUnitAttention: false },
};

const DRIVE_LINK = "/dev/tape/by-id/scsi-SESS800001-sg";
const CHANGER_LINK = "/dev/tape/by-id/scsi-SESSLIB001";

let vtl: VtlFixture;
let driveTransport: SgIoTransport;
let changerTransport: SgIoTransport;
let drive: ScsiDevice;
let changer: ScsiDevice;

/** Deterministic block contents: a different pattern per block. */
function block(index: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (index + 1) * 2654435761;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Polls TEST UNIT READY as PBS does: NOT READY and UNIT ATTENTION are transient. */
async function waitReady(device: ScsiDevice): Promise<number> {
  for (let attempt = 1; attempt <= 500; attempt++) {
    try {
      await device.testUnitReady();
      return attempt;
    } catch (e) {
      if (!(e instanceof NotReadyError) && !(e instanceof UnitAttentionError)) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error("drive did not become ready");
}

function slot(status: ChangerStatus, n: number) {
  const s = status.slots.find((x) => x.slot === n);
  if (s === undefined) throw new Error(`no slot ${n}`);
  return s;
}

beforeAll(async () => {
  vtl = await startVtlFixture(SPEC, [
    { path: "/dev/sg-vtl0", aliases: [DRIVE_LINK], deviceId: "lib1/drive0" },
    { path: "/dev/sg-vtl1", aliases: ["/dev/tape/by-id/scsi-SESS800002-sg"], deviceId: "lib1/drive1" },
    { path: "/dev/sg-vtl2", aliases: [CHANGER_LINK], deviceId: "lib1/changer" },
  ]);
  driveTransport = await openSgDevice(DRIVE_LINK, { library: vtl.forwardingLibrary });
  changerTransport = await openSgDevice(CHANGER_LINK, { library: vtl.forwardingLibrary, senseLength: 96 });
  drive = new ScsiDevice(driveTransport);
  changer = new ScsiDevice(changerTransport);
});

afterAll(async () => {
  await driveTransport?.close();
  await changerTransport?.close();
  await vtl?.close();
});

describe("drive and changer session over koffi SG_IO", () => {
  const records = [1024, 65536, 262144, 3, 100_000].map((n, i) => block(i, n));
  const secondFile = [4096, 77].map((n, i) => block(10 + i, n));
  const thirdFile = [512].map((n, i) => block(20 + i, n));

  it("resolves the by-id links to the forwarded sg nodes", () => {
    expect(driveTransport.resolvedPath).toBe("/dev/sg-vtl0");
    expect(changerTransport.resolvedPath).toBe("/dev/sg-vtl2");
  });

  it("identifies both devices with INQUIRY and VPD 0x80", async () => {
    const devices = vtl.library.listDevices();
    const changerInfo = devices.find((d) => d.id === "lib1/changer");
    const driveInfo = devices.find((d) => d.id === "lib1/drive0");
    const ci = await changer.inquiry();
    expect(ci.peripheralDeviceType).toBe(8);
    expect([ci.vendor, ci.product, ci.revision]).toEqual([changerInfo?.vendor, changerInfo?.product, changerInfo?.revision]);
    const di = await drive.inquiry();
    expect(di.peripheralDeviceType).toBe(1);
    expect([di.vendor, di.product, di.revision]).toEqual([driveInfo?.vendor, driveInfo?.product, driveInfo?.revision]);
    expect(await drive.vpdSerial()).toBe("SESS800001");
  });

  it("reads the element status: cartridges in slots 1 and 3, drives empty", async () => {
    const status = await changer.readElementStatus();
    expect(status.slots.map((s) => [s.slot, s.importExport, s.full, s.volumeTag ?? null])).toEqual([
      [1, false, true, "SES001L8"],
      [2, false, false, null],
      [3, false, true, "SES002L8"],
      [4, false, false, null],
      [5, true, false, null],
    ]);
    expect(status.drives.map((d) => [d.index, d.full])).toEqual([
      [0, false],
      [1, false],
    ]);
    expect(status.drives.map((d) => d.serial)).toEqual(["SESS800001", "SESS800002"]);
  });

  it("moves slot 1 to drive 0 and waits until the drive is ready", async () => {
    const before = await changer.readElementStatus();
    const drive0 = before.drives[0];
    if (drive0 === undefined) throw new Error("no drive 0");
    await changer.moveMedium(slot(before, 1).address, drive0.address);
    const after = await changer.readElementStatus();
    expect(slot(after, 1).full).toBe(false);
    expect(after.drives[0]).toMatchObject({ full: true, volumeTag: "SES001L8", loadedSlot: 1 });
    expect(vtl.library.locate("SES001L8").drive).toBe("lib1/drive0");
    expect(await waitReady(drive)).toBeGreaterThanOrEqual(1);
  });

  it("writes records and filemarks, then reads them back identical", async () => {
    await drive.rewind();
    for (const r of records) expect(await drive.writeBlock(r)).toEqual({ earlyWarning: false });
    await drive.writeFilemarks(1, false);
    for (const r of secondFile) await drive.writeBlock(r);
    await drive.writeFilemarks(1, false);
    for (const r of thirdFile) await drive.writeBlock(r);
    await drive.writeFilemarks(1, false);
    const end = await drive.readPosition();
    expect([end.fileNumber, end.blockNumber]).toEqual([3, records.length + secondFile.length + thirdFile.length + 3]);

    await drive.rewind();
    const start = await drive.readPosition();
    expect([start.beginningOfPartition, start.fileNumber, start.blockNumber]).toEqual([true, 0, 0]);
    for (const r of records) {
      const got = await drive.readBlock(262144);
      expect(got.kind).toBe("data");
      if (got.kind === "data") expect(Buffer.compare(got.data, r)).toBe(0);
    }
    expect((await drive.readBlock(262144)).kind).toBe("filemark");
    for (const r of secondFile) {
      const got = await drive.readBlock(262144);
      if (got.kind !== "data") throw new Error(`expected data, got ${got.kind}`);
      expect(Buffer.compare(got.data, r)).toBe(0);
    }
    expect((await drive.readBlock(262144)).kind).toBe("filemark");
  });

  it("locates by file and by block, as PBS positions to a file", async () => {
    // File 2 the PBS way: LOCATE(16) to logical file id 1, then SPACE one filemark.
    await drive.locateFile(1);
    await drive.space("filemarks", 1);
    const p = await drive.readPosition();
    expect(p.fileNumber).toBe(2);
    const first = await drive.readBlock(262144);
    if (first.kind !== "data") throw new Error(`expected data, got ${first.kind}`);
    expect(Buffer.compare(first.data, thirdFile[0] ?? new Uint8Array())).toBe(0);

    await drive.locateBlock(2);
    expect((await drive.readPosition()).blockNumber).toBe(2);
    const third = await drive.readBlock(262144);
    if (third.kind !== "data") throw new Error(`expected data, got ${third.kind}`);
    expect(Buffer.compare(third.data, records[2] ?? new Uint8Array())).toBe(0);
  });

  it("keeps the event loop free while a throttled WRITE runs", async () => {
    const order: string[] = [];
    vtl.library.setThrottle("lib1/drive0", 1024 * 1024);
    try {
      await drive.space("end-of-data", 0);
      const write = drive.writeBlock(block(99, 262144)).then(() => order.push("write done"));
      setTimeout(() => order.push("timer"), 1);
      await write;
    } finally {
      vtl.library.setThrottle("lib1/drive0", 0);
    }
    expect(order).toEqual(["timer", "write done"]);
  });

  it("unloads the cartridge back to its slot", async () => {
    await drive.rewind();
    await drive.unload();
    const status = await changer.readElementStatus();
    const drive0 = status.drives[0];
    if (drive0 === undefined) throw new Error("no drive 0");
    await changer.moveMedium(drive0.address, slot(status, 1).address);
    const after = await changer.readElementStatus();
    expect(slot(after, 1)).toMatchObject({ full: true, volumeTag: "SES001L8" });
    expect(after.drives[0]?.full).toBe(false);
    expect(vtl.library.locate("SES001L8")).toMatchObject({ library: "lib1", slot: 1 });
  });
});

describe("transport failures reported by the virtual library", () => {
  async function failure(p: Promise<unknown>): Promise<SgError> {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SgError);
    return e as SgError;
  }

  it("a command that outlives its timeout ends as a transport timeout", async () => {
    const status = await changer.readElementStatus();
    const drive1 = status.drives[1];
    if (drive1 === undefined) throw new Error("no drive 1");
    await changer.moveMedium(slot(status, 3).address, drive1.address);
    const t = await openSgDevice("/dev/tape/by-id/scsi-SESS800002-sg", { library: vtl.forwardingLibrary });
    try {
      const slow = new ScsiDevice(t, { timeouts: { TAPE_DEFAULT: 50 } });
      await waitReady(slow);
      vtl.library.setThrottle("lib1/drive1", 64 * 1024);
      const e = await failure(slow.writeBlock(new Uint8Array(256 * 1024)));
      expect(e.reason).toBe("timeout");
      expect(e.hostStatus).toBe(0x03);
    } finally {
      vtl.library.setThrottle("lib1/drive1", 0);
      await t.close();
    }
  });

  it("an offline device answers DID_NO_CONNECT on an open handle and cannot be opened", async () => {
    const t = await openSgDevice("/dev/sg-vtl1", { library: vtl.forwardingLibrary });
    try {
      vtl.library.setOffline("lib1/drive1", true);
      const e = await failure(new ScsiDevice(t).testUnitReady());
      expect(e.reason).toBe("device-offline");
      expect(e.hostStatus).toBe(0x01);
      const refused = await failure(openSgDevice("/dev/sg-vtl1", { library: vtl.forwardingLibrary }));
      expect(refused.reason).toBe("open-failed");
      expect(refused.errno).toBe(6);
    } finally {
      vtl.library.setOffline("lib1/drive1", false);
      await t.close();
    }
  });
});

describe("discovery through the forwarding library", () => {
  it("finds the drives and the changer in a sysfs tree, reads serials over SG_IO and opens the by-id names", async () => {
    const root = mkdtempSync(join(tmpdir(), "tapefleet-sg-discover-"));
    let withdraw = () => undefined as void;
    try {
      const sys = join(root, "sys");
      const dev = join(root, "dev");
      mkdirSync(join(dev, "tape", "by-id"), { recursive: true });
      const devices = vtl.library.listDevices();
      const nodes = [
        { sg: "sg0", id: "lib1/changer", type: 8 },
        { sg: "sg1", id: "lib1/drive0", type: 1 },
        { sg: "sg2", id: "lib1/drive1", type: 1 },
      ];
      for (const [i, n] of nodes.entries()) {
        const info = devices.find((d) => d.id === n.id);
        if (info === undefined) throw new Error(`no ${n.id}`);
        const deviceDir = join(sys, "devices", `2:0:${i}:0`);
        mkdirSync(deviceDir, { recursive: true });
        writeFileSync(join(deviceDir, "type"), `${n.type}\n`);
        writeFileSync(join(deviceDir, "vendor"), `${info.vendor}\n`);
        writeFileSync(join(deviceDir, "model"), `${info.product}\n`);
        writeFileSync(join(deviceDir, "rev"), `${info.revision}\n`);
        mkdirSync(join(sys, "class", "scsi_generic", n.sg), { recursive: true });
        symlinkSync(deviceDir, join(sys, "class", "scsi_generic", n.sg, "device"));
        writeFileSync(join(dev, n.sg), "");
        symlinkSync(`../../${n.sg}`, join(dev, "tape", "by-id", `scsi-${info.serial}${n.type === 1 ? "-sg" : ""}`));
      }
      // The sg nodes of this tree are served by the virtual library.
      withdraw = forwardDevices(
        vtl.forwardingLibrary,
        nodes.map((n) => ({ path: join(dev, n.sg), socketPath: vtl.socketPath, deviceId: n.id })),
      );
      const open = (path: string) => openSgDevice(path, { library: vtl.forwardingLibrary });
      const found = await discoverScsiDevices({ sysfsRoot: sys, devRoot: dev, openTransport: open });
      expect(found.map((d) => [d.kind, d.serial, d.path])).toEqual([
        ["changer", "SESSLIB001", join(dev, "tape", "by-id", "scsi-SESSLIB001")],
        ["tape", "SESS800001", join(dev, "tape", "by-id", "scsi-SESS800001-sg")],
        ["tape", "SESS800002", join(dev, "tape", "by-id", "scsi-SESS800002-sg")],
      ]);
      expect(found.map((d) => d.scsiAddress?.target)).toEqual([0, 1, 2]);
      // A by-id name is a real link here: libc resolves it to the forwarded node.
      const t = await open(found[1]?.path ?? "");
      try {
        expect(t.resolvedPath).toBe(join(dev, "sg1"));
        expect(await new ScsiDevice(t).vpdSerial()).toBe("SESS800001");
      } finally {
        await t.close();
      }
    } finally {
      withdraw();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
