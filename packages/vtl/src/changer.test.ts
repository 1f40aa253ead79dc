import { decodeReadElementStatus } from "@tapefleet/scsi";
import { afterEach, describe, expect, it } from "vitest";
import { FIRST_DRIVE_ADDRESS, FIRST_IE_ADDRESS, FIRST_STORAGE_ADDRESS, TRANSPORT_ADDRESS } from "./elements.ts";
import { Cdb, fixture, kcq, type Fixture } from "./test-support.ts";

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const S = (n: number) => FIRST_STORAGE_ADDRESS + n - 1;
const IE = (n: number) => FIRST_IE_ADDRESS + n - 1;
const DT = (n: number) => FIRST_DRIVE_ADDRESS + n;

function spec(o: { requireEjectBeforeUnload?: boolean; loadMs?: number; cleaningMs?: number } = {}) {
  return {
    libraries: [
      {
        name: "lib1",
        slots: 6,
        importExportSlots: 2,
        serial: "LIB0000001",
        requireEjectBeforeUnload: o.requireEjectBeforeUnload ?? false,
        drives: [
          { generation: 9, serial: "DRV9000001" },
          { generation: 8, serial: "DRV8000002" },
        ],
        cartridges: [
          { barcode: "A00001L9", slot: 1 },
          { barcode: "A00002L8", slot: 2 },
          { barcode: "CLN001L1", slot: 3 },
          { barcode: "W00001LZ", slot: 4 },
          { barcode: "B00001L9", importExport: 1 },
        ],
      },
    ],
    timing: { powerOnUnitAttention: false, loadMs: o.loadMs ?? 0, cleaningMs: o.cleaningMs ?? 0 },
  };
}

async function changer(o: Parameters<typeof spec>[0] = {}) {
  fx = await fixture(spec(o));
  return fx.dev("lib1/changer");
}

describe("changer identity and mode pages", () => {
  it("answers INQUIRY as a medium changer and the element address assignment page", async () => {
    const c = await changer();
    const inq = await c.ok(Cdb.inquiry(96), { inLen: 96 });
    expect(inq[0]).toBe(0x08);
    expect(inq.subarray(16, 32).toString()).toBe("3573-TL         ");
    const p80 = await c.ok(Cdb.inquiry(255, true, 0x80), { inLen: 255 });
    expect(p80.subarray(4).toString()).toBe("LIB0000001");
    const m = await c.ok(Cdb.modeSense6(0x1d, { dbd: true }), { inLen: 255 });
    expect(m[0]).toBe(23);
    expect([...m.subarray(4)]).toEqual([
      0x1d, 0x12,
      ...[TRANSPORT_ADDRESS, 1, S(1), 6, IE(1), 2, DT(0), 2].flatMap((v) => [v >> 8, v & 0xff]),
      0, 0,
    ]);
    const all = await c.ok(Cdb.modeSense10(0x3f), { inLen: 4096 });
    expect(all.readUInt16BE(0) + 2).toBe(all.length);
    expect([all[8], all[8 + 20], all[8 + 24]]).toEqual([0x1d, 0x1e, 0x1f]);
    expect(all[8 + 24 + 7]! & 0x0e).toBe(0x0e); // DT → ST/IE/DT moves
    expect(kcq(await c.run(Cdb.modeSense6(0x0f), { inLen: 255 }))).toBe("5/24/00");
    expect(kcq(await c.run([0x08, 0, 0, 0, 1, 0], { inLen: 1 }))).toBe("5/20/00");
    const lp = await c.ok(Cdb.logSense(0x00), { inLen: 64 });
    expect([...lp.subarray(4)]).toEqual([0x00, 0x2e]);
  });
});

describe("READ ELEMENT STATUS", () => {
  it("reports storage elements with volume tags, exact bytes", async () => {
    const c = await changer();
    const r = await c.ok(Cdb.readElementStatus({ type: 2, voltag: true }), { inLen: 0xffff });
    expect(r.readUInt16BE(0)).toBe(S(1));
    expect(r.readUInt16BE(2)).toBe(6);
    const descLen = 12 + 36;
    expect(r.readUIntBE(5, 3)).toBe(8 + 6 * descLen);
    expect(r.length).toBe(8 + 8 + 6 * descLen);
    expect([r[8], r[9], r.readUInt16BE(10), r.readUIntBE(13, 3)]).toEqual([2, 0x80, descLen, 6 * descLen]);
    const d1 = r.subarray(16, 16 + descLen);
    expect(d1.readUInt16BE(0)).toBe(S(1));
    expect(d1[2]).toBe(0x09); // Access | Full
    expect(d1[9]! & 0x80).toBe(0); // SValid: never moved
    expect(d1.subarray(12, 44).toString()).toBe("A00001L9".padEnd(32, " "));
    expect([...d1.subarray(44, 48)]).toEqual([0, 0, 0, 0]);
    const d5 = r.subarray(16 + 4 * descLen, 16 + 5 * descLen);
    expect(d5[2]).toBe(0x08); // empty, accessible
    expect(d5.subarray(12, 48).every((b) => b === 0)).toBe(true);
    // medium type in byte 9: cleaning (2), WORM (4)
    expect(r[16 + 2 * descLen + 9]! & 0x07).toBe(2);
    expect(r[16 + 3 * descLen + 9]! & 0x07).toBe(4);
    // the package codec reads the same thing
    const decoded = decodeReadElementStatus(r);
    expect(decoded.pages[0]!.elements.map((e) => e.primaryVolumeTag?.id ?? "")).toEqual(["A00001L9", "A00002L8", "CLN001L1", "W00001LZ", "", ""]);
  });

  it("reports import/export bits, data transfer device identifiers and the transport", async () => {
    const c = await changer();
    const ie = await c.ok(Cdb.readElementStatus({ type: 3, voltag: true }), { inLen: 0xffff });
    expect(ie[16 + 2]).toBe(0x20 | 0x10 | 0x08 | 0x02 | 0x01); // InEnab ExEnab Access ImpExp Full
    expect(ie[16 + 48 + 2]).toBe(0x38);
    const dt = await c.ok(Cdb.readElementStatus({ type: 4, dvcid: true }), { inLen: 0xffff });
    const len = dt.readUInt16BE(10);
    expect(len).toBe(12 + 4 + 34);
    const id = dt.subarray(16 + 12, 16 + len);
    expect([id[0], id[1], id[3]]).toEqual([2, 1, 34]);
    expect(id.subarray(4).toString()).toBe("IBM     ULT3580-TD9     DRV9000001");
    expect(dt[16 + 2]).toBe(0x08); // empty, accessible
    const tr = await c.ok(Cdb.readElementStatus({ type: 1 }), { inLen: 0xffff });
    expect([tr.readUInt16BE(0), tr.readUInt16BE(2), tr[8]]).toEqual([TRANSPORT_ADDRESS, 1, 1]);
    // all types: pages in address order, counts, start address and count limits
    const all = decodeReadElementStatus(await c.ok(Cdb.readElementStatus({ voltag: true }), { inLen: 0xffff }));
    expect(all.pages.map((p) => [p.typeCode, p.elements.length])).toEqual([[1, 1], [3, 2], [4, 2], [2, 6]]);
    const part = decodeReadElementStatus(await c.ok(Cdb.readElementStatus({ type: 2, start: S(3), count: 2, voltag: true }), { inLen: 0xffff }));
    expect(part.pages[0]!.elements.map((e) => e.address)).toEqual([S(3), S(4)]);
    // allocation length truncates, byte count still tells the full size
    const small = await c.ok(Cdb.readElementStatus({ type: 2, voltag: true, alloc: 20 }), { inLen: 0xffff });
    expect(small.length).toBe(20);
    expect(small.readUIntBE(5, 3)).toBe(8 + 6 * 48);
    expect(kcq(await c.run(Cdb.readElementStatus({ type: 5 }), { inLen: 0xffff }))).toBe("5/24/00");
  });
});

describe("MOVE MEDIUM", () => {
  it("moves slot → drive → slot; the drive loads the cartridge and reports the source", async () => {
    const c = await changer({ loadMs: 2000 });
    const d = fx!.dev("lib1/drive0");
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/3a/00");
    await c.ok(Cdb.moveMedium(S(1), DT(0)));
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/04/01");
    fx!.clock.advance(2000);
    expect(kcq(await d.run(Cdb.tur()))).toBe("6/28/00");
    expect(kcq(await d.run(Cdb.tur()))).toBe("GOOD");
    const dt = decodeReadElementStatus(await c.ok(Cdb.readElementStatus({ type: 4, voltag: true }), { inLen: 0xffff }));
    const e = dt.pages[0]!.elements[0]!;
    expect([e.full, e.sourceValid, e.sourceAddress, e.primaryVolumeTag?.id]).toEqual([true, true, S(1), "A00001L9"]);
    const st = decodeReadElementStatus(await c.ok(Cdb.readElementStatus({ type: 2, voltag: true }), { inLen: 0xffff }));
    expect(st.pages[0]!.elements[0]!.full).toBe(false);
    await c.ok(Cdb.moveMedium(DT(0), S(6)));
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/3a/00");
    expect(fx!.lib.locate("A00001L9")).toEqual({ library: "lib1", slot: 6 });
    const s6 = decodeReadElementStatus(await c.ok(Cdb.readElementStatus({ type: 2, start: S(6), count: 1 }), { inLen: 0xffff }));
    expect([s6.pages[0]!.elements[0]!.sourceValid, s6.pages[0]!.elements[0]!.sourceAddress]).toEqual([true, DT(0)]);
    // export through the I/E slot: ImpExp = 0 (placed by the library)
    await c.ok(Cdb.moveMedium(S(6), IE(2)));
    const ie = await c.ok(Cdb.readElementStatus({ type: 3 }), { inLen: 0xffff });
    expect(ie[16 + 12 + 2]).toBe(0x39);
  });

  it("reports every SMC error", async () => {
    const c = await changer();
    expect(kcq(await c.run(Cdb.moveMedium(S(5), S(6))))).toBe("5/3b/0e");
    expect(kcq(await c.run(Cdb.moveMedium(S(1), S(2))))).toBe("5/3b/0d");
    expect(kcq(await c.run(Cdb.moveMedium(0x7777, S(6))))).toBe("5/21/01");
    expect(kcq(await c.run(Cdb.moveMedium(S(1), 0x7777)))).toBe("5/21/01");
    expect(kcq(await c.run(Cdb.moveMedium(S(1), S(6), 0x0042)))).toBe("5/21/01");
    expect(kcq(await c.run(Cdb.moveMedium(S(1), TRANSPORT_ADDRESS)))).toBe("5/21/01");
    const inv = Cdb.moveMedium(S(1), S(6));
    inv[10] = 1;
    expect(kcq(await c.run(inv))).toBe("5/24/00");
    fx!.lib.setChangerJam("lib1");
    expect(kcq(await c.run(Cdb.moveMedium(S(1), S(6))))).toBe("4/15/01");
    expect(kcq(await c.run(Cdb.initElementStatus()))).toBe("4/15/01");
    const ta = await c.ok(Cdb.logSense(0x2e), { inLen: 8192 });
    expect([ta.readUInt16BE(4), ta[8]]).toEqual([1, 1]); // flag 01h: library hardware A
    expect((await c.ok(Cdb.logSense(0x2e), { inLen: 8192 }))[8]).toBe(0);
    fx!.lib.setChangerJam("lib1", false);
    await c.ok(Cdb.moveMedium(S(1), S(6)));
    expect(fx!.lib.locate("A00001L9")).toEqual({ library: "lib1", slot: 6 });
    await c.ok(Cdb.initElementStatus());
    await c.ok(Cdb.initElementStatusRange(S(1), 3));
    expect(kcq(await c.run(Cdb.initElementStatusRange(0x7777, 3)))).toBe("5/21/01");
  });

  it("with requireEjectBeforeUnload, refuses to take a loaded cartridge until the drive ejects it", async () => {
    const c = await changer({ requireEjectBeforeUnload: true });
    const d = fx!.dev("lib1/drive0");
    await c.ok(Cdb.moveMedium(S(1), DT(0)));
    await d.clearUnitAttention();
    const dt = await c.ok(Cdb.readElementStatus({ type: 4 }), { inLen: 0xffff });
    expect(dt[16 + 2]! & 0x08).toBe(0); // Access = 0 while loaded
    expect(kcq(await c.run(Cdb.moveMedium(DT(0), S(1))))).toBe("5/53/03");
    await d.ok(Cdb.loadUnload({ load: false }));
    const dt2 = await c.ok(Cdb.readElementStatus({ type: 4 }), { inLen: 0xffff });
    expect(dt2[16 + 2]! & 0x09).toBe(0x09);
    await c.ok(Cdb.moveMedium(DT(0), S(1)));
  });

  it("cleaning: the drive cleans, the cartridge cannot be removed until cleaning ends", async () => {
    const c = await changer({ cleaningMs: 60_000 });
    await c.ok(Cdb.moveMedium(S(3), DT(1)));
    const d = fx!.dev("lib1/drive1");
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/30/03");
    expect(kcq(await c.run(Cdb.moveMedium(DT(1), S(3))))).toBe("5/53/03");
    fx!.clock.advance(60_000);
    await c.ok(Cdb.moveMedium(DT(1), S(3)));
    expect(fx!.lib.cartridge("CLN001L1").cleaningCyclesLeft).toBe(49);
  });

  it("an operator import raises UNIT ATTENTION 06/28/01 on the changer", async () => {
    const c = await changer();
    await fx!.lib.removeFromImportExport("lib1", 1);
    expect(kcq(await c.run(Cdb.tur()))).toBe("6/28/01");
    await fx!.lib.importCartridge("lib1", { barcode: "N00001L9" }, 2);
    expect(kcq(await c.run(Cdb.tur()))).toBe("6/28/01");
    const ie = decodeReadElementStatus(await c.ok(Cdb.readElementStatus({ type: 3, voltag: true }), { inLen: 0xffff }));
    expect(ie.pages[0]!.elements.map((e) => e.primaryVolumeTag?.id ?? "")).toEqual(["", "N00001L9"]);
    await c.ok(Cdb.moveMedium(IE(2), S(5)));
    expect(fx!.lib.locate("N00001L9")).toEqual({ library: "lib1", slot: 5 });
  });
});
