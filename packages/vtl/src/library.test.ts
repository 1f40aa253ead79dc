import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./clock.ts";
import { FIRST_DRIVE_ADDRESS, FIRST_STORAGE_ADDRESS } from "./elements.ts";
import { VtlError } from "./errors.ts";
import { createLibrary, openLibrary, type VirtualLibrary } from "./library.ts";
import { defaultSiteSpec } from "./spec.ts";
import { block, Cdb, Dev, kcq, parseSense, tempDir } from "./test-support.ts";
import { createVtlTransport } from "./transport.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function site(spec: unknown = defaultSiteSpec()) {
  const dir = await tempDir();
  const clock = new ManualClock();
  let lib: VirtualLibrary = await createLibrary(dir, spec, { clock });
  cleanups.push(async () => {
    await lib.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    clock,
    get lib() {
      return lib;
    },
    dev: (id: string) => new Dev(createVtlTransport(lib, id)),
    async reopen() {
      await lib.close();
      lib = await openLibrary(dir, { clock });
      return lib;
    },
    async crashAndReopen() {
      await lib.crash();
      lib = await openLibrary(dir, { clock });
      return lib;
    },
  };
}

const quick = { loadMs: 0, cleaningMs: 0, calibrationMs: 0 };

describe("default site", () => {
  it("has one changer with an LTO-9 and an LTO-8 drive, 16 slots, 2 I/E, 10 data + 1 WORM + 1 cleaning cartridge", async () => {
    const s = await site();
    expect(s.lib.listDevices().map((d) => `${d.id}:${d.product}`)).toEqual([
      "lib1/changer:3573-TL",
      "lib1/drive0:ULT3580-TD9",
      "lib1/drive1:ULT3580-TD8",
    ]);
    const ch = s.lib.changer("lib1");
    expect([ch.storage.length, ch.importExport.length]).toEqual([16, 2]);
    const kinds = ch.storage.filter((e) => e).map((e) => s.lib.cartridge(e!.barcode).kind);
    expect(kinds.filter((k) => k === "data")).toHaveLength(10);
    expect(kinds.filter((k) => k === "worm")).toHaveLength(1);
    expect(kinds.filter((k) => k === "cleaning")).toHaveLength(1);
  });
});

describe("persistence", () => {
  it("survives a restart: locations, data, MAM and counters", async () => {
    const s = await site({ ...defaultSiteSpec(), timing: { ...quick, powerOnUnitAttention: false } });
    const c = s.dev("lib1/changer");
    await c.ok(Cdb.moveMedium(FIRST_STORAGE_ADDRESS, FIRST_DRIVE_ADDRESS));
    let d = s.dev("lib1/drive0");
    await d.clearUnitAttention();
    for (let i = 0; i < 5; i++) await d.write(block(i, 4096));
    await d.ok(Cdb.wfm(1));
    await d.write(block(5, 4096));
    await s.reopen();
    d = s.dev("lib1/drive0");
    await d.clearUnitAttention();
    expect(s.lib.locate("TF0001L9")).toEqual({ drive: "lib1/drive0" });
    await d.ok(Cdb.space6(3, 0));
    expect(await d.position()).toMatchObject({ block: 7, file: 1 });
    await d.ok(Cdb.rewind());
    for (let i = 0; i < 5; i++) expect(Buffer.from((await d.read(4096)).data).equals(block(i, 4096))).toBe(true);
    expect(s.lib.cartridge("TF0001L9").loadCount).toBe(2);
    expect(s.lib.cartridge("TF0001L9").bytesWritten).toBe(6 * 4096);
    // the state file is valid JSON written atomically (no temporary left)
    const state = JSON.parse(await readFile(join(s.dir, "state.json"), "utf8"));
    expect(state.version).toBe(1);
    await expect(readFile(join(s.dir, "state.json.tmp"))).rejects.toThrow();
  });

  it("after a crash keeps data up to the last sync point (filemark or WRITE FILEMARKS 0)", async () => {
    const s = await site({ ...defaultSiteSpec(), timing: { ...quick, powerOnUnitAttention: false } });
    await s.dev("lib1/changer").ok(Cdb.moveMedium(FIRST_STORAGE_ADDRESS, FIRST_DRIVE_ADDRESS));
    let d = s.dev("lib1/drive0");
    await d.clearUnitAttention();
    for (let i = 0; i < 3; i++) await d.write(block(i));
    await d.ok(Cdb.wfm(0)); // sync
    for (let i = 3; i < 6; i++) await d.write(block(i));
    await s.crashAndReopen();
    d = s.dev("lib1/drive0");
    await d.clearUnitAttention();
    await d.ok(Cdb.space6(3, 0));
    expect(await d.position()).toMatchObject({ block: 3 });
  });

  it("buffers WRITE FILEMARKS with IMMED=1 like records; IMMED=0 makes the filemarks and the records before them durable", async () => {
    const s = await site({ ...defaultSiteSpec(), timing: { ...quick, powerOnUnitAttention: false } });
    await s.dev("lib1/changer").ok(Cdb.moveMedium(FIRST_STORAGE_ADDRESS, FIRST_DRIVE_ADDRESS));
    let d = s.dev("lib1/drive0");
    await d.clearUnitAttention();
    for (let i = 0; i < 2; i++) await d.write(block(i));
    await d.ok(Cdb.wfm(1, false)); // file 0 ends, synced
    for (let i = 2; i < 4; i++) await d.write(block(i));
    await d.ok(Cdb.wfm(1, true)); // file 1 ends, buffered
    await d.ok(Cdb.wfm(0, true)); // no sync either
    await d.write(block(4));
    await s.crashAndReopen();
    d = s.dev("lib1/drive0");
    await d.clearUnitAttention();
    await d.ok(Cdb.space6(3, 0));
    expect(await d.position()).toMatchObject({ block: 3, file: 1 });
    // now the same with a sync after the buffered filemark
    for (let i = 2; i < 4; i++) await d.write(block(i));
    await d.ok(Cdb.wfm(1, true));
    await d.ok(Cdb.wfm(0, false));
    await d.write(block(4));
    await s.crashAndReopen();
    d = s.dev("lib1/drive0");
    await d.clearUnitAttention();
    await d.ok(Cdb.space6(3, 0));
    expect(await d.position()).toMatchObject({ block: 6, file: 2 });
    await d.ok(Cdb.rewind());
    for (const i of [0, 1, "F", 2, 3, "F"] as const) {
      const r = await d.read(4096);
      if (i === "F") expect(parseSense(r.sense)).toMatchObject({ filemark: true });
      else expect(Buffer.from(r.data).equals(block(i))).toBe(true);
    }
  });

  it("refuses to create over an existing library and reports a missing one", async () => {
    const s = await site();
    await expect(createLibrary(s.dir, defaultSiteSpec())).rejects.toMatchObject({ code: "VTL_LIBRARY_EXISTS" });
    const empty = await tempDir();
    cleanups.push(() => rm(empty, { recursive: true, force: true }));
    await expect(openLibrary(empty)).rejects.toMatchObject({ code: "VTL_STATE_INVALID" });
    await writeFile(join(empty, "state.json"), "{");
    await expect(openLibrary(empty)).rejects.toBeInstanceOf(VtlError);
  });
});

describe("faults", () => {
  async function loaded() {
    const s = await site({
      drives: [{ name: "tape0", generation: 9, serial: "F1", cartridge: { barcode: "F00001L9" } }],
      timing: { ...quick, powerOnUnitAttention: false },
    });
    const d = s.dev("tape0");
    await d.clearUnitAttention();
    return { s, d };
  }

  it("medium error at block N on read and on write", async () => {
    const { s, d } = await loaded();
    for (let i = 0; i < 4; i++) await d.write(block(i));
    s.lib.injectMediumError("F00001L9", 2, "read");
    s.lib.injectMediumError("F00001L9", 4, "write");
    expect(kcq(await d.write(block(4)))).toBe("3/0c/00");
    await d.ok(Cdb.rewind());
    await d.read(1024);
    await d.read(1024);
    const bad = await d.read(1024);
    expect(kcq(bad)).toBe("3/11/00");
    expect(parseSense(bad.sense).info).toBe(1024);
    expect(Buffer.from((await d.read(1024)).data).equals(block(3))).toBe(true);
    s.lib.clearMediumErrors();
    await d.ok(Cdb.locate10(2));
    expect((await d.read(1024)).status).toBe(0);
  });

  it("hardware error and offline drives", async () => {
    const { s, d } = await loaded();
    s.lib.setHardwareError("tape0");
    expect(kcq(await d.run(Cdb.tur()))).toBe("4/44/00");
    expect((await d.run(Cdb.inquiry(36), { inLen: 36 })).status).toBe(0);
    s.lib.setHardwareError("tape0", false);
    s.lib.setOffline("tape0");
    const r = await d.run(Cdb.inquiry(36), { inLen: 36 });
    expect([r.hostStatus, r.data.length, r.residual]).toEqual([0x01, 0, 36]);
    s.lib.clearFaults();
    expect((await d.run(Cdb.tur())).status).toBe(0);
  });

  it("applies faults from the spec when the library opens", async () => {
    const s = await site({
      libraries: [{ name: "l", slots: 2, drives: [{ generation: 8, serial: "Q1" }], cartridges: [{ barcode: "Q00001L8", slot: 1 }] }],
      faults: [{ type: "changer-jam", library: "l" }, { type: "offline", device: "l/drive0" }],
      timing: { powerOnUnitAttention: false },
    });
    const c = s.dev("l/changer");
    expect(kcq(await c.run(Cdb.moveMedium(FIRST_STORAGE_ADDRESS, FIRST_STORAGE_ADDRESS + 1)))).toBe("4/15/01");
    expect((await s.dev("l/drive0").run(Cdb.tur())).hostStatus).toBe(1);
    const es = await c.ok(Cdb.readElementStatus({ type: 4 }), { inLen: 0xffff });
    expect(es[16 + 2]! & 0x04).toBe(0x04); // Except
  });

  it("throttles the data rate", async () => {
    const { s, d } = await loaded();
    s.lib.setThrottle("tape0", 1_000_000);
    expect((await d.write(Buffer.alloc(1000))).hostStatus).toBe(0);
    // a throttle longer than the command timeout reports a host time out
    const r = await d.t.execute({ cdb: Uint8Array.from(Cdb.write6(100_000)), direction: "out", dataOut: Buffer.alloc(100_000), timeoutMs: 10 });
    expect(r.hostStatus).toBe(0x03);
  });
});

describe("standalone drives and operators", () => {
  it("inserts shelf cartridges into a standalone drive and removes ejected ones", async () => {
    const s = await site({
      drives: [{ name: "tape0", generation: 9, serial: "S1" }],
      shelf: [{ barcode: "S00001L9" }, { barcode: "S00002L8" }],
      timing: { ...quick, powerOnUnitAttention: false },
    });
    const d = s.dev("tape0");
    expect(kcq(await d.run(Cdb.tur()))).toBe("2/3a/00");
    await s.lib.insertCartridge("tape0", "S00002L8");
    expect(kcq(await d.run(Cdb.tur()))).toBe("6/28/00");
    await expect(s.lib.removeCartridge("tape0")).rejects.toMatchObject({ code: "VTL_STATE_INVALID" });
    await d.ok(Cdb.loadUnload({ load: false }));
    expect(await s.lib.removeCartridge("tape0")).toBe("S00002L8");
    expect(s.lib.locate("S00002L8")).toEqual({ shelf: true });
    await expect(s.lib.insertCartridge("tape0", "NOPE")).rejects.toMatchObject({ code: "VTL_NO_SUCH_CARTRIDGE" });
    // the write-protect tab moves only outside a drive
    await s.lib.setWriteProtect("S00002L8", true);
    await s.lib.insertCartridge("tape0", "S00002L8");
    await expect(s.lib.setWriteProtect("S00002L8", false)).rejects.toMatchObject({ code: "VTL_STATE_INVALID" });
    await d.clearUnitAttention();
    expect(kcq(await d.write(block(1)))).toBe("7/27/00");
    await d.ok(Cdb.loadUnload({ load: false }));
    await s.lib.removeCartridge("tape0");
    await s.reopen();
    expect(s.lib.locate("S00002L8")).toEqual({ shelf: true });
  });
});
