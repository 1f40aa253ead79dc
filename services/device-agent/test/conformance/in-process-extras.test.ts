import { afterEach, describe, expect, it } from "vitest";
import { Opcode } from "@tapefleet/scsi";
import { writeMediaLabel } from "@tapefleet/tape-format";
import { DeviceService } from "../../src/core/device-service.ts";
import { conformanceSpec, DRIVE0_SERIAL, DRIVE1_SERIAL, inProcessTarget, wrapTransport, type Target } from "./targets.ts";

const NO_CONFIG = { exportSlots: [], ejectBeforeUnload: false };

describe("drive behaviour that needs a doctored transport", () => {
  let target: Target | undefined;
  afterEach(async () => {
    await target?.close();
    target = undefined;
  });

  it("calibrates the LOCATE offset once when the drive disagrees by one about file ids, then reuses it", async () => {
    let locates = 0;
    target = await inProcessTarget((d, t) =>
      d.path.endsWith("drive0")
        ? wrapTransport(t, {
            rewrite: (cdb) => {
              if (cdb[0] !== Opcode.LOCATE_16) return cdb;
              locates++;
              const out = cdb.slice();
              const view = new DataView(out.buffer);
              view.setBigUint64(4, view.getBigUint64(4) + 1n); // this drive goes one file further
              return out;
            },
          })
        : t,
    )(conformanceSpec());
    const service = new DeviceService(target.source, { pollMs: 20 });
    await service.loadMedia({ changer: target.paths.changer, owner: "t", config: NO_CONFIG, driveNumber: 0, labelText: "TC0001L9", waitReady: true });
    await service.withDrive(DRIVE0_SERIAL, { owner: "t" }, async (d) => {
      await d.rewind();
      await writeMediaLabel(d, { labelText: "TC0001L9", uuid: "0e6f5c3a-9f1d-4e2b-8a7c-112233445566", ctime: 1 });
      for (let f = 1; f <= 4; f++) {
        await d.writeBlock(new Uint8Array(512).fill(f));
        await d.writeFilemark();
      }
      await d.sync();
    });
    const first = await service.withDrive(DRIVE0_SERIAL, { owner: "t" }, (d) => d.locateFile(3));
    expect(first).toMatchObject({ position: { fileNumber: 3 }, locateOffset: -1 });
    expect(locates).toBe(2);
    const second = await service.withDrive(DRIVE0_SERIAL, { owner: "t" }, async (d) => {
      const r = await d.locateFile(4);
      const b = await d.readBlock();
      return { r, first: b.kind === "data" ? b.data[0] : undefined };
    });
    expect(second).toEqual({ r: { position: { fileNumber: 4, blockNumber: expect.any(Number) }, locateOffset: -1 }, first: 4 });
    expect(locates).toBe(3);
  });

  it("answers other drives and the changer while a drive rewinds (SCSI I/O never blocks the event loop)", async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    let rewindStarted!: () => void;
    const started = new Promise<void>((r) => (rewindStarted = r));
    target = await inProcessTarget((d, t) =>
      d.path.endsWith("drive0")
        ? {
            description: t.description,
            async execute(c) {
              if (c.cdb[0] === Opcode.REWIND) {
                rewindStarted();
                await gate;
              }
              return t.execute(c);
            },
            close: () => t.close(),
          }
        : t,
    )(conformanceSpec());
    const service = new DeviceService(target.source, { pollMs: 20 });
    await service.loadMedia({ changer: target.paths.changer, owner: "t", config: NO_CONFIG, driveNumber: 0, labelText: "TC0001L9", waitReady: true });
    let rewound = false;
    const rewind = service.withDrive(DRIVE0_SERIAL, { owner: "slow rewind" }, (d) => d.rewind()).then(() => (rewound = true));
    await started;
    const other = await service.driveStatus(DRIVE1_SERIAL);
    const changer = await service.changerStatus(target.paths.changer);
    const busy = await service.withDrive(DRIVE0_SERIAL, { owner: "second" }, (d) => d.rewind()).catch((e: unknown) => e);
    const ticked = await new Promise<boolean>((r) => setTimeout(() => r(true), 1));
    expect({ rewound, other: other.serial, drives: changer.status.drives.length, busy: (busy as { code?: string }).code, ticked }).toEqual({
      rewound: false,
      other: DRIVE1_SERIAL,
      drives: 2,
      busy: "DRIVE_BUSY",
      ticked: true,
    });
    openGate();
    await rewind;
    expect(rewound).toBe(true);
  });

  it("raises TapeAlert clean requests through the onTapeAlert hook", async () => {
    target = await inProcessTarget()(conformanceSpec());
    const seen: Array<{ serial: string; flags: string[] }> = [];
    const service = new DeviceService(target.source, { pollMs: 20, onTapeAlert: (d, flags) => seen.push({ serial: d.serial, flags: flags.map((f) => f.name) }) });
    await service.loadMedia({ changer: target.paths.changer, owner: "t", config: NO_CONFIG, driveNumber: 1, labelText: "TC0002L8", waitReady: true });
    target.library.setTapeAlert("clib/drive1", 0x14);
    const s = await service.driveStatus(DRIVE1_SERIAL);
    expect(s.alertFlags).toContain("CLEAN_NOW");
    expect(seen).toContainEqual({ serial: DRIVE1_SERIAL, flags: expect.arrayContaining(["CLEAN_NOW"]) });
  });
});
