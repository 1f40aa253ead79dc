/**
 * The PBS-style drive workflow of `@tapefleet/scsi`'s ScsiDevice, run unchanged against the
 * virtual drive: the code that drives real hardware sees the answers it expects.
 */
import { ScsiDevice, decodeDataCompressionPage } from "@tapefleet/scsi";
import { afterEach, describe, expect, it } from "vitest";
import { fixture, type Fixture } from "./test-support.ts";
import { createVtlTransport } from "./transport.ts";

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const BLOCK = 256 * 1024;
const rec = (n: number) => {
  const b = Buffer.alloc(BLOCK);
  b.writeUInt32BE(n, 0);
  return b;
};

describe("ScsiDevice against the virtual drive", () => {
  it("labels, appends files, locates them and reads them back", async () => {
    fx = await fixture({
      drives: [{ name: "tape0", generation: 9, serial: "SD00000001", cartridge: { barcode: "SD0001L9", capacityBytes: 64 * 1024 * 1024, earlyWarningBytes: 8 * 1024 * 1024 } }],
      timing: { powerOnUnitAttention: false },
    });
    const dev = new ScsiDevice(createVtlTransport(fx.lib, "tape0"));
    expect((await dev.inquiry()).product).toBe("ULT3580-TD9");
    await dev.requestSense(); // clears the load unit attention, as PBS does before status reads
    await dev.testUnitReady();
    const mode = await dev.modeSense(0x0f);
    expect(decodeDataCompressionPage(mode.pages[0]!.bytes).dataCompressionEnabled).toBe(true);
    expect(mode.blockDescriptors[0]!.densityCode).toBe(0x60);
    // file 0: two blocks, file 1: one block, each closed by a filemark
    await dev.writeBlock(rec(0));
    await dev.writeBlock(rec(1));
    await dev.writeFilemarks(1, true);
    await dev.writeBlock(rec(2));
    await dev.writeFilemarks(1, true);
    await dev.writeFilemarks(0, false);
    expect(await dev.readPosition()).toMatchObject({ blockNumber: 5, fileNumber: 2 });
    // PBS locate_file(1): LOCATE(16) to file id 0, then SPACE one filemark
    await dev.locateFile(0);
    await dev.space("filemarks", 1);
    expect(await dev.readPosition()).toMatchObject({ blockNumber: 3, fileNumber: 1 });
    const b = await dev.readBlock(BLOCK);
    expect(b.kind === "data" && Buffer.from(b.data).readUInt32BE(0)).toBe(2);
    expect((await dev.readBlock(BLOCK)).kind).toBe("filemark");
    expect((await dev.readBlock(BLOCK)).kind).toBe("end-of-data");
    // a block longer than the buffer is an error, not a silent truncation
    await dev.rewind();
    await expect(dev.readBlock(1024)).rejects.toThrow();
    // early warning shows up as a flag on a successful write
    await dev.space("end-of-data", 0);
    let ew = false;
    for (let i = 0; i < 256 && !ew; i++) ew = (await dev.writeBlock(rec(10 + i))).earlyWarning;
    expect(ew).toBe(true);
    const vs = await dev.volumeStatistics();
    expect(vs).toBeDefined();
    const st = await dev.deviceStatus();
    expect(st).toBeDefined();
    expect(await dev.tapeAlertFlags()).toEqual([]);
    const mam = await dev.readAttributes();
    expect(mam.length).toBeGreaterThan(10);
  });
});
