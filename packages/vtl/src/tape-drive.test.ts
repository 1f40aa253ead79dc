import { afterEach, describe, expect, it } from "vitest";
import { block, Cdb, fixture, kcq, parseSense, singleDriveSpec, type Fixture } from "./test-support.ts";

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function drive(o: Parameters<typeof singleDriveSpec>[0] = {}) {
  fx = await fixture(singleDriveSpec(o));
  const d = fx.dev("tape0");
  await d.clearUnitAttention();
  return d;
}

describe("identity", () => {
  it("answers INQUIRY like an LTO-9 drive, with VPD 0x00/0x80/0x83/0xB0", async () => {
    const d = await drive();
    const std = await d.ok(Cdb.inquiry(96), { inLen: 96 });
    expect(std[0]).toBe(0x01);
    expect(std[1]! & 0x80).toBe(0x80);
    expect(std.subarray(8, 16).toString()).toBe("IBM     ");
    expect(std.subarray(16, 32).toString()).toBe("ULT3580-TD9     ");
    expect(std.subarray(32, 36).toString()).toBe("S9J1");
    expect(std[4]! + 5).toBe(std.length);
    const p0 = await d.ok(Cdb.inquiry(255, true, 0x00), { inLen: 255 });
    expect([...p0.subarray(4)]).toEqual([0x00, 0x80, 0x83, 0xb0]);
    const p80 = await d.ok(Cdb.inquiry(255, true, 0x80), { inLen: 255 });
    expect(p80.subarray(4).toString()).toBe("VD0001");
    const p83 = await d.ok(Cdb.inquiry(255, true, 0x83), { inLen: 255 });
    expect(p83[1]).toBe(0x83);
    expect(p83.readUInt16BE(2)).toBe(p83.length - 4);
    expect(p83.subarray(8, 8 + 30).toString()).toBe("IBM     ULT3580-TD9     VD0001");
    const pb0 = await d.ok(Cdb.inquiry(255, true, 0xb0), { inLen: 255 });
    expect(pb0[4]! & 1).toBe(1);
    expect(kcq(await d.run(Cdb.inquiry(255, true, 0x81), { inLen: 255 }))).toBe("5/24/00");
    // allocation length truncates
    const short = await d.run(Cdb.inquiry(36), { inLen: 36 });
    expect(short.data.length).toBe(36);
  });

  it("reports one LUN, block limits, and rejects unknown opcodes and bad fields", async () => {
    const d = await drive();
    const luns = await d.ok(Cdb.reportLuns(), { inLen: 256 });
    expect([...luns]).toEqual([0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const rbl = await d.ok(Cdb.readBlockLimits(), { inLen: 6 });
    expect([...rbl]).toEqual([0x00, 0x80, 0x00, 0x00, 0x00, 0x01]);
    expect(kcq(await d.run([0xee, 0, 0, 0, 0, 0]))).toBe("5/20/00");
    expect(kcq(await d.run(Cdb.space6(2, 1)))).toBe("5/24/00");
    const s = parseSense((await d.run(Cdb.space6(2, 1))).sense);
    expect(s.sksv).toBe(true);
  });

  it("answers MODE SENSE(6)/(10) with the density, WP, buffer mode and every page for 0x3F", async () => {
    const d = await drive();
    const m6 = await d.ok(Cdb.modeSense6(0x0f), { inLen: 255 });
    expect(m6[0]! + 1).toBe(m6.length);
    expect(m6[2]! & 0x70).toBe(0x10); // buffered mode 1
    expect(m6[3]).toBe(8);
    expect(m6[4]).toBe(0x60); // LTO-9 density
    expect(m6.subarray(12, 14)).toEqual(Buffer.from([0x0f, 0x0e]));
    expect(m6[14]! & 0x80).toBe(0x80); // DCE
    const all = await d.ok(Cdb.modeSense10(0x3f), { inLen: 4096 });
    expect(all.readUInt16BE(0) + 2).toBe(all.length);
    const codes: number[] = [];
    for (let o = 16; o < all.length; o += all[o + 1]! + 2) codes.push(all[o]! & 0x3f);
    expect(codes).toEqual([0x01, 0x02, 0x0a, 0x0f, 0x10, 0x11, 0x1c, 0x1d]);
    const mc = await d.ok(Cdb.modeSense6(0x1d, { dbd: true }), { inLen: 255 });
    expect(mc.subarray(4, 6)).toEqual(Buffer.from([0x1d, 0x1e]));
    expect(mc[6]! & 1).toBe(0);
    expect(kcq(await d.run(Cdb.modeSense6(0x0f, { pc: 3 }), { inLen: 255 }))).toBe("5/39/00");
    expect(kcq(await d.run(Cdb.modeSense6(0x05), { inLen: 255 }))).toBe("5/24/00");
  });

  it("sets block size, compression and buffer mode with MODE SELECT", async () => {
    const d = await drive();
    const page = Buffer.from([0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x0f, 0x0e, 0x40, 0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
    await d.ok(Cdb.modeSelect6(page.length), { out: page });
    const m6 = await d.ok(Cdb.modeSense6(0x0f), { inLen: 255 });
    expect(m6.readUIntBE(9, 3)).toBe(512);
    expect(m6[14]! & 0x80).toBe(0);
    const bad = Buffer.from([0, 0, 0x10, 0, 0x07, 0x02, 0, 0]);
    expect(kcq(await d.run(Cdb.modeSelect6(bad.length), { out: bad }))).toBe("5/26/00");
  });
});

describe("sequential access", () => {
  it("writes records and filemarks, reads them back with filemark and EOD detection", async () => {
    const d = await drive();
    for (let i = 0; i < 3; i++) expect(kcq(await d.write(block(i)))).toBe("GOOD");
    await d.ok(Cdb.wfm(1));
    await d.ok(Cdb.write6(1024), { out: block(10) });
    await d.ok(Cdb.wfm(1));
    expect(await d.position()).toMatchObject({ block: 6, file: 2 });
    await d.ok(Cdb.rewind());
    expect(await d.position()).toMatchObject({ block: 0, file: 0, bop: true });
    for (let i = 0; i < 3; i++) {
      const r = await d.read(1024);
      expect(r.status).toBe(0);
      expect(Buffer.from(r.data).equals(block(i))).toBe(true);
    }
    const fm = await d.read(1024);
    expect(kcq(fm)).toBe("0/00/01");
    const fs = parseSense(fm.sense);
    expect(fs.filemark).toBe(true);
    expect(fs.info).toBe(1024);
    expect(fm.data.length).toBe(0);
    expect(await d.position()).toMatchObject({ block: 4, file: 1 });
    expect(Buffer.from((await d.read(1024)).data).equals(block(10))).toBe(true);
    expect(kcq(await d.read(1024))).toBe("0/00/01");
    const eod = await d.read(1024);
    expect(kcq(eod)).toBe("8/00/05");
    expect(parseSense(eod.sense).info).toBe(1024);
  });

  it("reports short records as ILI with a positive residue and long records with a negative one", async () => {
    const d = await drive();
    await d.write(block(1, 1000));
    await d.write(block(2, 3000));
    await d.write(block(3, 1000));
    await d.ok(Cdb.rewind());
    // SILI=0 short record
    const short = await d.run(Cdb.read6(2000), { inLen: 2000 });
    expect(kcq(short)).toBe("0/00/00");
    const s = parseSense(short.sense);
    expect(s.ili).toBe(true);
    expect(s.valid).toBe(true);
    expect(s.info).toBe(1000);
    expect(short.data.length).toBe(1000);
    expect(short.residual).toBe(1000);
    // long record, SILI=0: ILI, negative residue, the requested bytes transferred
    const long = await d.run(Cdb.read6(2000), { inLen: 2000 });
    const l = parseSense(long.sense);
    expect(l.ili).toBe(true);
    expect(l.info).toBe(-1000);
    expect(long.data.length).toBe(2000);
    expect(Buffer.from(long.data).equals(block(2, 3000).subarray(0, 2000))).toBe(true);
    // long record, SILI=1: still reported (LTO drives suppress only the underlength case)
    await d.ok(Cdb.locate10(1));
    const longSili = await d.run(Cdb.read6(2000, { sili: true }), { inLen: 2000 });
    expect(parseSense(longSili.sense)).toMatchObject({ ili: true, info: -1000 });
    expect(longSili.data.length).toBe(2000);
    // SILI=1 short record: GOOD with residual
    const sili = await d.run(Cdb.read6(4000, { sili: true }), { inLen: 4000 });
    expect(sili.status).toBe(0);
    expect(sili.residual).toBe(3000);
    expect(await d.position()).toMatchObject({ block: 3 });
  });

  it("overwrites in the middle: data after the write position is gone", async () => {
    const d = await drive();
    for (let i = 0; i < 5; i++) await d.write(block(i));
    await d.ok(Cdb.locate10(2));
    await d.write(block(99));
    expect(await d.position()).toMatchObject({ block: 3 });
    expect(kcq(await d.read(1024))).toBe("8/00/05");
    await d.ok(Cdb.locate10(2));
    expect(Buffer.from((await d.read(1024)).data).readUInt32BE(0)).toBe(99);
  });

  it("keeps SPACE, LOCATE and READ POSITION consistent", async () => {
    const d = await drive();
    // file 0: 4 blocks, file 1: 2 blocks, file 2: 0 blocks, file 3: 3 blocks (no trailing filemark)
    for (let i = 0; i < 4; i++) await d.write(block(i));
    await d.ok(Cdb.wfm(1));
    for (let i = 0; i < 2; i++) await d.write(block(10 + i));
    await d.ok(Cdb.wfm(2));
    for (let i = 0; i < 3; i++) await d.write(block(20 + i));
    // objects: 0..3 blocks, 4 FM, 5..6 blocks, 7 FM, 8 FM, 9..11 blocks, EOD 12
    await d.ok(Cdb.rewind());
    await d.ok(Cdb.space6(1, 1));
    expect(await d.position()).toMatchObject({ block: 5, file: 1 });
    await d.ok(Cdb.space6(1, 2));
    expect(await d.position()).toMatchObject({ block: 9, file: 3 });
    // space blocks backward into a filemark: stop on its BOP side
    const back = await d.run(Cdb.space6(0, -5));
    expect(kcq(back)).toBe("0/00/01");
    expect(parseSense(back.sense).info).toBe(-5);
    expect(await d.position()).toMatchObject({ block: 8, file: 2 });
    // space blocks forward over a filemark: stop on its EOM side
    await d.ok(Cdb.locate10(5));
    const fwd = await d.run(Cdb.space6(0, 4));
    expect(kcq(fwd)).toBe("0/00/01");
    expect(parseSense(fwd.sense).info).toBe(2);
    expect(await d.position()).toMatchObject({ block: 8, file: 2 });
    // forward past EOD
    await d.ok(Cdb.locate10(10));
    const blank = await d.run(Cdb.space6(0, 5));
    expect(kcq(blank)).toBe("8/00/05");
    expect(parseSense(blank.sense).info).toBe(3);
    expect(await d.position()).toMatchObject({ block: 12, file: 3 });
    // filemarks backward: BOP side of the filemark
    await d.ok(Cdb.space6(1, -1));
    expect(await d.position()).toMatchObject({ block: 8, file: 2 });
    await d.ok(Cdb.space16(1, -2));
    expect(await d.position()).toMatchObject({ block: 4, file: 0 });
    const bop = await d.run(Cdb.space6(1, -3));
    expect(kcq(bop)).toBe("0/00/04");
    expect(parseSense(bop.sense).eom).toBe(true);
    expect(parseSense(bop.sense).info).toBe(-3);
    expect(await d.position()).toMatchObject({ block: 0, bop: true });
    // EOD
    await d.ok(Cdb.space6(3, 0));
    expect(await d.position()).toMatchObject({ block: 12, file: 3 });
    // filemarks forward past the last one
    await d.ok(Cdb.rewind());
    const past = await d.run(Cdb.space6(1, 5));
    expect(kcq(past)).toBe("8/00/05");
    expect(parseSense(past.sense).info).toBe(2);
    // LOCATE(16) to a logical file: BOP side of the filemark ending that file (PBS then spaces one filemark)
    await d.ok(Cdb.locate16(1, 1));
    expect(await d.position()).toMatchObject({ block: 7, file: 1 });
    await d.ok(Cdb.space6(1, 1));
    expect(await d.position()).toMatchObject({ block: 8, file: 2 });
    expect(kcq(await d.run(Cdb.locate16(1, 3)))).toBe("8/00/05");
    await d.ok(Cdb.locate16(0, 6));
    expect(await d.position()).toMatchObject({ block: 6, file: 1 });
    await d.ok(Cdb.locate16(3, 0));
    expect(await d.position()).toMatchObject({ block: 12 });
    expect(kcq(await d.run(Cdb.locate10(13)))).toBe("8/00/05");
    // short form READ POSITION agrees
    await d.ok(Cdb.locate10(7));
    const sf = await d.ok(Cdb.readPosition(0), { inLen: 20 });
    expect(sf.length).toBe(20);
    expect(sf.readUInt32BE(4)).toBe(7);
    expect(sf.readUInt32BE(8)).toBe(7);
  });

  it("SPACE -1 block before EOD detects a trailing filemark (PBS check_filemark)", async () => {
    const d = await drive();
    await d.write(block(1));
    await d.ok(Cdb.wfm(1));
    await d.ok(Cdb.space6(3, 0));
    const r = await d.run(Cdb.space6(0, -1));
    expect(kcq(r)).toBe("0/00/01");
    await d.ok(Cdb.space6(1, 1));
    expect(await d.position()).toMatchObject({ block: 2, file: 1 });
  });

  it("handles fixed block mode", async () => {
    const d = await drive();
    const page = Buffer.from([0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0x02, 0x00]);
    await d.ok(Cdb.modeSelect6(page.length), { out: page });
    const data = Buffer.concat([block(1, 512), block(2, 512), block(3, 512)]);
    await d.ok(Cdb.write6(3, true), { out: data });
    await d.ok(Cdb.rewind());
    const r = await d.ok(Cdb.read6(2, { fixed: true }), { inLen: 1024 });
    expect(r.equals(data.subarray(0, 1024))).toBe(true);
    const eod = await d.run(Cdb.read6(2, { fixed: true }), { inLen: 1024 });
    expect(kcq(eod)).toBe("8/00/05");
    expect(parseSense(eod.sense).info).toBe(1);
    expect(eod.data.length).toBe(512);
    expect(kcq(await d.run(Cdb.read6(2, { fixed: true, sili: true }), { inLen: 1024 }))).toBe("5/24/00");
  });

  it("erases (short = EOD at position) and formats", async () => {
    const d = await drive();
    for (let i = 0; i < 4; i++) await d.write(block(i));
    await d.ok(Cdb.locate10(2));
    await d.ok(Cdb.erase());
    await d.ok(Cdb.space6(3, 0));
    expect(await d.position()).toMatchObject({ block: 2 });
    await d.ok(Cdb.rewind());
    await d.ok(Cdb.format());
    expect(kcq(await d.read(1024))).toBe("8/00/05");
  });
});

describe("capacity", () => {
  it("reports early warning after the point and VOLUME OVERFLOW at the physical end", async () => {
    const MiB = 1024 * 1024;
    const d = await drive({ cartridge: { capacityBytes: 4 * MiB, earlyWarningBytes: MiB } });
    const rec = Buffer.alloc(256 * 1024, 7);
    for (let i = 0; i < 11; i++) expect(kcq(await d.write(rec))).toBe("GOOD");
    const ew = await d.write(rec); // 12th record reaches 3 MiB
    expect(kcq(ew)).toBe("0/00/02");
    expect(parseSense(ew.sense).eom).toBe(true);
    expect(await d.position()).toMatchObject({ block: 12, eop: true });
    await d.ok(Cdb.locate10(11));
    expect(await d.position()).toMatchObject({ block: 11, eop: false });
    await d.ok(Cdb.space6(3, 0));
    for (let i = 0; i < 3; i++) expect(kcq(await d.write(rec))).toBe("0/00/02");
    expect(kcq(await d.run(Cdb.wfm(1)))).toBe("0/00/02");
    const more = await d.write(rec); // 16 records = 4 MiB: still fits exactly
    expect(kcq(more)).toBe("0/00/02");
    const over = await d.write(rec);
    expect(kcq(over)).toBe("d/00/02");
    expect(parseSense(over.sense).eom).toBe(true);
    expect(parseSense(over.sense).info).toBe(rec.length);
    expect(await d.position()).toMatchObject({ block: 17 });
  });
});

describe("media kinds", () => {
  it("WORM appends at EOD but refuses overwrite, erase and format", async () => {
    const d = await drive({ cartridge: { barcode: "W00001LZ" } });
    const mc = await d.ok(Cdb.modeSense6(0x1d), { inLen: 255 });
    expect(mc[1]).toBe(0x01);
    expect(mc[14]! & 1).toBe(1); // WORMM
    await d.write(block(1));
    await d.write(block(2));
    await d.ok(Cdb.wfm(1));
    await d.ok(Cdb.rewind());
    expect(kcq(await d.write(block(3)))).toBe("7/30/0c");
    expect(kcq(await d.run(Cdb.erase()))).toBe("7/30/0c");
    expect(kcq(await d.run(Cdb.format()))).toBe("7/30/0c");
    await d.ok(Cdb.space6(3, 0));
    expect(kcq(await d.write(block(3)))).toBe("GOOD");
    const ta = await d.ok(Cdb.logSense(0x12), { inLen: 512 });
    // flag 0x3C = bit 3 of byte 7 of the flags (MSB first)
    expect(ta[8 + 7]! & (0x80 >> ((0x3c - 1) & 7))).not.toBe(0);
  });

  it("write-protected cartridges refuse writes with 07/27/00 and show WP in the mode header", async () => {
    const d = await drive({ cartridge: { writeProtected: true } });
    const m6 = await d.ok(Cdb.modeSense6(0x0f), { inLen: 255 });
    expect(m6[2]! & 0x80).toBe(0x80);
    expect(kcq(await d.write(block(1)))).toBe("7/27/00");
    expect(kcq(await d.run(Cdb.wfm(1)))).toBe("7/27/00");
    expect(kcq(await d.run(Cdb.erase()))).toBe("7/27/00");
  });

  it("generations: LTO-9 reads and writes LTO-8, LTO-10 cannot load LTO-9, LTO-8 drive treats LTO-7 as writable", async () => {
    let d = await drive({ generation: 9, cartridge: { barcode: "T00008L8" } });
    expect(kcq(await d.write(block(1)))).toBe("GOOD");
    const m = await d.ok(Cdb.modeSense6(0x0f), { inLen: 255 });
    expect(m[4]).toBe(0x5e);
    await fx!.cleanup();
    fx = undefined;
    d = await drive({ generation: 10, cartridge: { barcode: "T00009L9" } });
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/30/00");
    await fx!.cleanup();
    fx = undefined;
    d = await drive({ generation: 7, cartridge: { barcode: "T00005L5" } });
    // LTO-7 reads LTO-5 but cannot write it
    expect(kcq(await d.run(Cdb.tur()))).toBe("GOOD");
    expect(kcq(await d.write(block(1)))).toBe("7/27/00");
    const rd = await d.ok(Cdb.reportDensity(), { inLen: 8192 });
    expect(rd.readUInt16BE(0)).toBe(rd.length - 2);
    expect([rd[4], rd[4 + 52], rd[4 + 104]]).toEqual([0x58, 0x5a, 0x5c]);
    expect(rd[4 + 2]! & 0x80).toBe(0); // LTO-5: not WRTOK on LTO-7
    expect(rd[4 + 52 + 2]! & 0x80).toBe(0x80);
  });
});

describe("load, unload and timed states", () => {
  it("reports 02/04/01 while loading, then 06/28/00, then GOOD", async () => {
    fx = await fixture(singleDriveSpec({ timing: { loadMs: 5000 } }));
    const d = fx.dev("tape0");
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/04/01");
    const act = await d.ok(Cdb.logSense(0x11), { inLen: 64 });
    expect(act[8 + 2]).toBe(0x02); // loading
    fx.clock.advance(5000);
    expect(kcq(await d.run(Cdb.tur()))).toBe("6/28/00");
    expect(kcq(await d.run(Cdb.tur()))).toBe("GOOD");
  });

  it("reports power-on unit attention once, and REQUEST SENSE returns and clears it", async () => {
    fx = await fixture({ drives: [{ name: "tape0", generation: 8, serial: "X1" }] });
    const d = fx.dev("tape0");
    // INQUIRY neither reports nor clears it
    expect((await d.run(Cdb.inquiry(36), { inLen: 36 })).status).toBe(0);
    const rs = await d.ok(Cdb.requestSense(), { inLen: 252 });
    expect([rs[2]! & 0xf, rs[12], rs[13]]).toEqual([6, 0x29, 0x00]);
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/3a/00");
    const rs2 = await d.ok(Cdb.requestSense(), { inLen: 252 });
    expect([rs2[2]! & 0xf, rs2[12], rs2[13]]).toEqual([2, 0x3a, 0x00]);
    expect(kcq(await d.run(Cdb.read6(10), { inLen: 10 }))).toBe("2/3a/00");
  });

  it("unloads (cartridge removable), reloads with LOAD, holds with HOLD", async () => {
    const d = await drive();
    await d.write(block(1));
    await d.ok(Cdb.prevent(true));
    expect(kcq(await d.run(Cdb.loadUnload({ load: false })))).toBe("5/53/02");
    await d.ok(Cdb.prevent(false));
    await d.ok(Cdb.loadUnload({ load: false }));
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/3a/00");
    expect(fx!.lib.drive("tape0").ejected).toBe(true);
    await d.ok(Cdb.loadUnload({ load: true }));
    expect(await d.position()).toMatchObject({ block: 0 });
    expect(Buffer.from((await d.read(1024)).data).equals(block(1))).toBe(true);
    await d.ok(Cdb.loadUnload({ load: true, hold: true }));
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/04/02");
    // MAM stays readable in the hold position
    expect((await d.run(Cdb.readAttribute(0, 0), { inLen: 32768 })).status).toBe(0);
    await d.ok(Cdb.loadUnload({ load: true }));
    expect(kcq(await d.run(Cdb.tur()))).toBe("GOOD");
    expect(kcq(await d.run(Cdb.loadUnload({ load: true, eot: true })))).toBe("5/24/00");
  });

  it("LTO-9 new media: optimization (calibrating, progress) on first load only, again after FORMAT", async () => {
    fx = await fixture(singleDriveSpec({ cartridge: { newMedia: true }, timing: { loadMs: 1000, calibrationMs: 10000 } }));
    const d = fx.dev("tape0");
    fx.clock.advance(1000);
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/04/01");
    const act = await d.ok(Cdb.logSense(0x11), { inLen: 64 });
    expect(act[8 + 2]).toBe(0x0b); // calibrating
    fx.clock.advance(5000);
    const mid = parseSense((await d.run(Cdb.tur())).sense);
    expect(mid.sksv).toBe(true);
    expect(mid.sks).toBe(32768);
    fx.clock.advance(5000);
    expect(kcq(await d.run(Cdb.tur()))).toBe("6/28/00");
    expect(kcq(await d.run(Cdb.tur()))).toBe("GOOD");
    expect(fx.lib.cartridge("T00001L9").needsOptimization).toBe(false);
    // reload: no optimization
    await d.ok(Cdb.loadUnload({ load: false }));
    await d.ok(Cdb.loadUnload({ load: true, immed: true }));
    fx.clock.advance(1000);
    expect(kcq(await d.run(Cdb.tur()))).toBe("6/28/00");
    // FORMAT MEDIUM with IMMED starts a new optimization
    await d.ok(Cdb.format(true));
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/04/01");
    fx.clock.advance(10000);
    await d.clearUnitAttention();
    expect(kcq(await d.run(Cdb.tur()))).toBe("GOOD");
  });

  it("cleaning cartridge: cleans for the configured time, then ejects; expired → TapeAlert 0x16", async () => {
    fx = await fixture({
      drives: [{ name: "tape0", generation: 9, serial: "VD0001", cartridge: { barcode: "CLN001L1", cleaningCycles: 1 } }],
      timing: { powerOnUnitAttention: false, cleaningMs: 3000 },
    });
    const d = fx.dev("tape0");
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/30/03");
    expect((await d.ok(Cdb.logSense(0x11), { inLen: 64 }))[8 + 2]).toBe(0x01);
    expect(kcq(await d.run(Cdb.loadUnload({ load: false })))).toBe("2/30/03");
    expect(fx.lib.drive("tape0").ejected).toBe(false);
    fx.clock.advance(3000);
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/3a/00");
    expect(fx.lib.drive("tape0").ejected).toBe(true);
    expect(fx.lib.cartridge("CLN001L1").cleaningCyclesLeft).toBe(0);
    await fx.lib.removeCartridge("tape0");
    await fx.lib.insertCartridge("tape0", "CLN001L1");
    const ta = await d.ok(Cdb.logSense(0x2e), { inLen: 8192 });
    // parameter 0x16 is the 22nd parameter: 4-byte header + 5 bytes each
    const p16 = 4 + (0x16 - 1) * 5;
    expect(ta.readUInt16BE(p16)).toBe(0x16);
    expect(ta[p16 + 4]).toBe(1);
    // reading page 0x2E cleared the flags; page 0x12 does not clear
    const again = await d.ok(Cdb.logSense(0x2e), { inLen: 8192 });
    expect(again[p16 + 4]).toBe(0);
  });
});

describe("status pages", () => {
  it("lists supported log pages and answers volume statistics", async () => {
    const d = await drive();
    const p0 = await d.ok(Cdb.logSense(0x00), { inLen: 255 });
    expect([...p0.subarray(4)]).toEqual([0x00, 0x02, 0x03, 0x0c, 0x11, 0x12, 0x17, 0x2e]);
    const sub = await d.ok(Cdb.logSense(0x00, { subpage: 0xff }), { inLen: 255 });
    expect(sub[0]).toBe(0x40);
    await d.write(Buffer.alloc(2_000_000, 1));
    const vs = await d.ok(Cdb.logSense(0x17), { inLen: 8192 });
    const params = new Map<number, Buffer>();
    for (let o = 4; o < vs.length; o += 4 + vs[o + 3]!) params.set(vs.readUInt16BE(o), vs.subarray(o + 4, o + 4 + vs[o + 3]!));
    expect(params.get(0x0000)![0]).toBe(1);
    expect(params.get(0x0001)!.readUInt32BE(0)).toBe(1);
    expect(Number(params.get(0x000e)!.readBigUInt64BE(0))).toBe(2);
    expect(Number(params.get(0x0016)!.readBigUInt64BE(0))).toBe(Math.floor((16 * 1024 ** 3) / 1e6));
    expect(Number(params.get(0x0017)!.readBigUInt64BE(0))).toBe(2);
    expect(kcq(await d.run(Cdb.logSense(0x33), { inLen: 255 }))).toBe("5/24/00");
    // PARAMETER POINTER: parameters from 0x0016 on
    const cdb = Cdb.logSense(0x17);
    cdb[6] = 0x16;
    const tail = await d.ok(cdb, { inLen: 8192 });
    expect(tail.readUInt16BE(4)).toBe(0x0016);
    expect(tail.readUInt16BE(2)).toBe(tail.length - 4);
  });

  it("raises CLEAN NOW on request and a cleaning run clears it", async () => {
    fx = await fixture({
      drives: [{ name: "tape0", generation: 9, serial: "VD0001" }],
      shelf: [{ barcode: "CLN009L1" }],
      timing: { powerOnUnitAttention: false, cleaningMs: 100 },
    });
    const d = fx.dev("tape0");
    fx.lib.setTapeAlert("tape0", 0x14);
    const vhf = await d.ok(Cdb.logSense(0x11), { inLen: 64 });
    expect(vhf[8]! & 0x04).toBe(0x04); // CRQST
    await fx.lib.insertCartridge("tape0", "CLN009L1");
    fx.clock.advance(100);
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/3a/00");
    const after = await d.ok(Cdb.logSense(0x12), { inLen: 512 });
    expect(after[8 + 2]! & (0x80 >> ((0x14 - 1) & 7))).toBe(0);
  });

  it("TapeAlert 0x12 keeps flags, 0x2E clears them", async () => {
    const d = await drive({ cartridge: { writeProtected: true } });
    await d.write(block(1));
    const f12 = await d.ok(Cdb.logSense(0x12), { inLen: 512 });
    expect([f12[0], f12.readUInt16BE(2), f12[7]]).toEqual([0x12, 0x0c, 8]);
    // flag 9 (WRITE PROTECT) is the MSB of the second flag byte
    expect(f12[9]! & 0x80).toBe(0x80);
    expect((await d.ok(Cdb.logSense(0x12), { inLen: 512 }))[9]! & 0x80).toBe(0x80);
    const f2e = await d.ok(Cdb.logSense(0x2e), { inLen: 8192 });
    expect(f2e[4 + 8 * 5 + 4]).toBe(1);
    expect((await d.ok(Cdb.logSense(0x12), { inLen: 512 }))[9]! & 0x80).toBe(0);
  });
});
