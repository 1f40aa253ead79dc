/**
 * Cross-check: every answer of the virtual devices decodes with the `@tapefleet/scsi` codecs
 * that the real-device code paths use.
 */
import * as scsi from "@tapefleet/scsi";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIRST_DRIVE_ADDRESS, FIRST_STORAGE_ADDRESS } from "./elements.ts";
import { block, Cdb, fixture, type Dev, type Fixture } from "./test-support.ts";

let fx: Fixture;
let d: Dev;
let c: Dev;
beforeAll(async () => {
  fx = await fixture({
    libraries: [
      {
        name: "lib1",
        slots: 4,
        importExportSlots: 1,
        drives: [{ generation: 9, serial: "CNF9000001" }],
        cartridges: [{ barcode: "K00001L9", slot: 1 }, { barcode: "K00002LZ", slot: 2 }],
      },
    ],
    timing: { powerOnUnitAttention: false },
  });
  c = fx.dev("lib1/changer");
  d = fx.dev("lib1/drive0");
  await c.ok(Cdb.moveMedium(FIRST_STORAGE_ADDRESS, FIRST_DRIVE_ADDRESS));
  await d.clearUnitAttention();
  for (let i = 0; i < 3; i++) await d.write(block(i, 2_000_000));
  await d.ok(Cdb.wfm(1));
});
afterAll(async () => {
  await fx.cleanup();
});

describe("drive answers decode with @tapefleet/scsi", () => {
  it("INQUIRY and VPD", async () => {
    const inq = scsi.decodeInquiry(await d.ok(Cdb.inquiry(96), { inLen: 96 }));
    expect(inq).toMatchObject({ vendor: "IBM", product: "ULT3580-TD9", revision: "S9J1" });
    expect(scsi.decodeVpdSupportedPages(await d.ok(Cdb.inquiry(255, true, 0), { inLen: 255 }))).toEqual([0x00, 0x80, 0x83, 0xb0]);
    expect(scsi.decodeVpdUnitSerial(await d.ok(Cdb.inquiry(255, true, 0x80), { inLen: 255 }))).toBe("CNF9000001");
    expect(scsi.decodeVpdDeviceIdentification(await d.ok(Cdb.inquiry(255, true, 0x83), { inLen: 255 })).length).toBe(2);
  });

  it("mode pages, block limits, positions and densities", async () => {
    const m10 = scsi.decodeModeSense10(await d.ok(Cdb.modeSense10(0x3f), { inLen: 4096 }));
    const m6 = scsi.decodeModeSense6(await d.ok(Cdb.modeSense6(0x3f), { inLen: 255 }));
    expect(m10.pages).toEqual(m6.pages);
    expect(m10.modeDataLength - m6.modeDataLength).toBe(3); // the 8-byte header instead of 4
    expect(JSON.stringify(m10)).toContain("96"); // density 0x60
    scsi.decodeDataCompressionPage(await d.ok(Cdb.modeSense6(0x0f, { dbd: true }), { inLen: 255 }).then((b) => b.subarray(4)));
    scsi.decodeDeviceConfigurationPage(await d.ok(Cdb.modeSense6(0x10, { dbd: true }), { inLen: 255 }).then((b) => b.subarray(4)));
    scsi.decodeMediumPartitionPage(await d.ok(Cdb.modeSense6(0x11, { dbd: true }), { inLen: 255 }).then((b) => b.subarray(4)));
    scsi.decodeMediumConfigurationPage(await d.ok(Cdb.modeSense6(0x1d, { dbd: true }), { inLen: 255 }).then((b) => b.subarray(4)));
    expect(scsi.decodeReadBlockLimits(await d.ok(Cdb.readBlockLimits(), { inLen: 6 }))).toMatchObject({ maximumBlockLength: 0x800000, minimumBlockLength: 1 });
    const long = scsi.decodeReadPositionLong(await d.ok(Cdb.readPosition(6), { inLen: 32 }));
    expect(long).toMatchObject({ blockNumber: 4, fileNumber: 1 });
    scsi.decodeReadPositionShort(await d.ok(Cdb.readPosition(0), { inLen: 20 }));
    expect(scsi.decodeReportDensitySupport(await d.ok(Cdb.reportDensity(), { inLen: 8192 })).length).toBe(2);
  });

  it("log pages", async () => {
    expect(scsi.decodeSupportedLogPages(await d.ok(Cdb.logSense(0), { inLen: 255 }))).toEqual([0x00, 0x02, 0x03, 0x0c, 0x11, 0x12, 0x17, 0x2e]);
    for (const p of [0x02, 0x03, 0x0c, 0x11, 0x12, 0x17, 0x2e]) scsi.decodeLogPage(await d.ok(Cdb.logSense(p), { inLen: 8192 }));
    const vs = scsi.decodeVolumeStatistics(await d.ok(Cdb.logSense(0x17), { inLen: 8192 }));
    expect(JSON.stringify(vs, (_k, v) => (typeof v === "bigint" ? Number(v) : v))).toContain("6");
    scsi.decodeDeviceStatusLog(await d.ok(Cdb.logSense(0x11), { inLen: 8192 }));
    scsi.decodeSequentialAccessLog(await d.ok(Cdb.logSense(0x0c), { inLen: 8192 }));
    scsi.decodeTapeAlertResponse(await d.ok(Cdb.logSense(0x12), { inLen: 8192 }));
    scsi.decodeTapeAlertLog(await d.ok(Cdb.logSense(0x2e), { inLen: 8192 }));
  });

  it("MAM, encryption and sense", async () => {
    const attrs = scsi.decodeAttributeValues(await d.ok(Cdb.readAttribute(), { inLen: 32768 }));
    expect(attrs.length).toBeGreaterThan(20);
    scsi.decodeAttributeList(await d.ok(Cdb.readAttribute(1), { inLen: 32768 }));
    expect(scsi.decodeSupportedSecurityProtocols(await d.ok(Cdb.spin(0, 0), { inLen: 64 }))).toEqual([0x00, 0x20]);
    scsi.decodeEncryptionSupportedPages(await d.ok(Cdb.spin(0x20, 0), { inLen: 64 }));
    const caps = scsi.decodeEncryptionCapabilities(await d.ok(Cdb.spin(0x20, 0x10), { inLen: 8192 }));
    expect(JSON.stringify(caps)).toContain(String(0x00010014));
    const key = randomBytes(32);
    const page = Buffer.alloc(52);
    page.writeUInt16BE(0x10, 0);
    page.writeUInt16BE(48, 2);
    page[4] = 0x40;
    page[6] = 2;
    page[7] = 3;
    page[8] = 1;
    page.writeUInt16BE(32, 18);
    key.copy(page, 20);
    await d.ok(Cdb.spout(page.length), { out: page });
    expect(scsi.decodeEncryptionStatus(await d.ok(Cdb.spin(0x20, 0x20), { inLen: 64 }))).toMatchObject({ encryptionMode: 2, decryptionMode: 3 });
    await d.ok(Cdb.rewind());
    scsi.decodeNextBlockEncryptionStatus(await d.ok(Cdb.spin(0x20, 0x21), { inLen: 64 }));
    const r = await d.run(Cdb.space6(0, 9));
    const sense = scsi.decodeSense(r.sense);
    expect(JSON.stringify(sense)).toContain("filemark");
  });
});

describe("changer answers decode with @tapefleet/scsi", () => {
  it("element address assignment and element status", async () => {
    const m = await c.ok(Cdb.modeSense6(0x1d, { dbd: true }), { inLen: 255 });
    expect(scsi.decodeElementAddressAssignmentPage(m.subarray(4))).toBeDefined();
    const es = scsi.decodeReadElementStatus(await c.ok(Cdb.readElementStatus({ voltag: true, dvcid: true }), { inLen: 0xffff }));
    expect(es.pages.map((p) => p.kind)).toEqual(["transport", "import-export", "data-transfer", "storage"]);
    expect(es.pages[2]!.elements[0]!.deviceId?.serial).toBe("CNF9000001");
  });
});
