import { afterEach, describe, expect, it } from "vitest";
import { MamAttribute } from "@tapefleet/scsi";
import { writeMediaLabel, writeMediaSetLabel } from "@tapefleet/tape-format";
import { DeviceService } from "../../src/core/device-service.ts";
import type { ChangerConfig } from "../../src/core/media-changer.ts";
import type { Progress } from "../../src/core/tape-drive.ts";
import { conformanceSpec, DRIVE0_SERIAL, DRIVE1_SERIAL, LIB, type Target, type TargetFactory } from "./targets.ts";

const NO_CONFIG: ChangerConfig = { exportSlots: [], ejectBeforeUnload: false };
const UUID1 = "0e6f5c3a-9f1d-4e2b-8a7c-112233445566";
const UUID2 = "7d1c9a4e-2b3f-4c5d-9e8f-a0b1c2d3e4f5";
const POLL_MS = 20;

/** The drive and changer behaviour every transport must give the same way. */
export function describeConformance(name: string, factory: TargetFactory): void {
  describe(`drive and changer conformance: ${name}`, () => {
    let target: Target | undefined;
    afterEach(async () => {
      await target?.close();
      target = undefined;
    });

    async function setup(spec: unknown = conformanceSpec()) {
      target = await factory(spec);
      const service = new DeviceService(target.source, { pollMs: POLL_MS });
      const t = target;
      const base = { changer: t.paths.changer, owner: "test", config: NO_CONFIG };
      const load = (driveNumber: number, src: { slot?: number; labelText?: string }, extra: Partial<ChangerConfig> = {}) =>
        service.loadMedia({ ...base, config: { ...NO_CONFIG, ...extra }, driveNumber, ...src, waitReady: true });
      return { t, service, base, load };
    }

    it("reports the changer status with mtx slot numbering, import/export and cleaning slots, drive serials and paths", async () => {
      const { t, service } = await setup();
      const { status, identity, drivePaths } = await service.changerStatus(t.paths.changer, { exportSlots: [7], ejectBeforeUnload: false });
      expect(identity.serial).toBe("TFCLIB0001");
      expect(status.slots.map((s) => s.slot)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(status.slots.filter((s) => s.importExport).map((s) => s.slot)).toEqual([7, 9, 10]);
      expect(status.slots.find((s) => s.slot === 9)).toMatchObject({ full: true, volumeTag: "TC0004L8" });
      expect(status.slots.find((s) => s.slot === 8)).toMatchObject({ full: true, volumeTag: "CLN001L1" });
      expect(status.drives.map((d) => [d.index, d.serial, d.full])).toEqual([
        [0, DRIVE0_SERIAL, false],
        [1, DRIVE1_SERIAL, false],
      ]);
      expect(drivePaths.get(0)).toBe(t.paths.drive0);
      expect(drivePaths.get(1)).toBe(t.paths.drive1);
      expect(await service.onlineLabels(t.paths.changer)).toEqual(["TC0001L9", "TC0002L8", "TC0003L9", "TC0005L8", "TCW001LZ"]);
    });

    it("loads by label, reports the drive status, unloads to the source slot", async () => {
      const { t, service, base, load } = await setup();
      const progress: Progress[] = [];
      const r = await service.loadMedia({ ...base, driveNumber: 0, labelText: "TC0001L9", waitReady: true }, { progress: (p) => progress.push(p) });
      expect(r).toMatchObject({ labelText: "TC0001L9", fromSlot: 1, alreadyLoaded: false });
      expect(progress.some((p) => p.activity === "loading")).toBe(true);
      const { status } = await service.changerStatus(t.paths.changer);
      expect(status.drives[0]).toMatchObject({ full: true, volumeTag: "TC0001L9", loadedSlot: 1 });
      const s = await service.driveStatus(DRIVE0_SERIAL);
      expect(s).toMatchObject({ serial: DRIVE0_SERIAL, ready: true, mediumPresent: true, density: "LTO-9", blockSize: 0, compression: true, writeProtect: false, fileNumber: 0, blockNumber: 0, driveActivity: "no-activity" });
      expect(s.volumeMounts).toBeGreaterThanOrEqual(1);
      expect(s.mediumWearout).toBeGreaterThanOrEqual(0);
      expect(await load(0, { labelText: "TC0001L9" })).toMatchObject({ alreadyLoaded: true });
      const u = await service.unloadMedia({ ...base, driveNumber: 0 });
      expect(u).toEqual({ slot: 1, labelText: "TC0001L9" });
      expect(t.library.locate("TC0001L9")).toMatchObject({ slot: 1 });
      expect(await service.unloadMedia({ ...base, driveNumber: 0 })).toEqual({});
    });

    it("applies the load rules: cleaning, import/export, unknown, other drive, and unloads what the drive holds first", async () => {
      const { t, service, base, load } = await setup();
      await expect(load(0, { labelText: "CLN001L1" })).rejects.toMatchObject({ code: "CLEANING_MEDIUM" });
      await expect(load(0, { slot: 8 })).rejects.toMatchObject({ code: "CLEANING_MEDIUM" });
      await expect(load(0, { labelText: "TC0004L8" })).rejects.toMatchObject({ code: "MEDIUM_IN_IMPORT_EXPORT" });
      await expect(load(0, { labelText: "NOPE01L9" })).rejects.toMatchObject({ code: "LABEL_NOT_FOUND" });
      await expect(load(0, { slot: 6 })).rejects.toMatchObject({ code: "SLOT_EMPTY" });
      await expect(load(5, { slot: 1 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "drive_number" });
      await load(1, { labelText: "TC0002L8" });
      await expect(load(0, { labelText: "TC0002L8" })).rejects.toMatchObject({ code: "MEDIUM_IN_OTHER_DRIVE" });
      await load(0, { slot: 1 });
      const r = await load(0, { labelText: "TC0005L8" });
      expect(r).toMatchObject({ fromSlot: 5, unloadedToSlot: 1, unloadedLabelText: "TC0001L9" });
      expect(t.library.locate("TC0001L9")).toMatchObject({ slot: 1 });
      expect(t.library.locate("TC0005L8")).toMatchObject({ drive: `${LIB}/drive0` });
      await service.unloadMedia({ ...base, driveNumber: 0, targetSlot: 6 });
      expect(t.library.locate("TC0005L8")).toMatchObject({ slot: 6 });
      await load(0, { slot: 6 });
      await expect(service.unloadMedia({ ...base, driveNumber: 0, targetSlot: 2 })).resolves.toMatchObject({ slot: 2 });
      await expect(service.unloadMedia({ ...base, driveNumber: 1, targetSlot: 1 })).rejects.toMatchObject({ code: "SLOT_FULL" });
    });

    it("lets exactly one of two concurrent loads of the same cartridge win", async () => {
      const { t, load } = await setup();
      const results = await Promise.allSettled([load(0, { labelText: "TC0005L8" }), load(1, { labelText: "TC0005L8" })]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(["SLOT_EMPTY", "MEDIUM_IN_OTHER_DRIVE"]).toContain((lost.reason as { code: string }).code);
      expect(t.library.locate("TC0005L8").drive).toMatch(/drive[01]$/);
    });

    it("labels an empty tape, reads the label back, refuses a tape with data, formats and relabels; MAM holds the application attributes", async () => {
      const { service, load } = await setup();
      await load(0, { labelText: "TC0001L9" });
      const lock = { owner: "test" };
      const progress: Progress[] = [];
      const r = await service.label(DRIVE0_SERIAL, lock, { labelText: "TC0001L9", uuid: UUID1, ctime: 1700000000, pool: "daily" }, "1.2.3", { progress: (p) => progress.push(p) });
      expect(r.label).toEqual({ labelText: "TC0001L9", uuid: UUID1, ctime: 1700000000, pool: "daily" });
      expect(r.warnings).toEqual([]);
      expect(progress.map((p) => p.activity)).toEqual(expect.arrayContaining(["writing-label", "verifying", "done"]));
      const back = await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.readLabel());
      expect(back).toEqual({ empty: false, mediaLabel: { labelText: "TC0001L9", uuid: UUID1, ctime: 1700000000, pool: "daily" } });
      const mam = await service.withDrive(DRIVE0_SERIAL, false, (d) => d.cartridgeMemory());
      const byId = new Map(mam.map((a) => [a.id, a]));
      expect(byId.get(MamAttribute.APPLICATION_VENDOR)?.value).toBe("TAPEFLT");
      expect(byId.get(MamAttribute.APPLICATION_NAME)?.value).toBe("tapefleet");
      expect(byId.get(MamAttribute.APPLICATION_VERSION)?.value).toBe("1.2.3");
      expect(byId.get(MamAttribute.USER_MEDIUM_TEXT_LABEL)?.value).toBe("TC0001L9");
      expect(byId.get(MamAttribute.MEDIA_POOL)?.value).toBe("daily");
      expect(mam.find((a) => a.id === MamAttribute.MEDIUM_MANUFACTURE_DATE)).toMatchObject({ name: expect.any(String), readOnly: true });
      await expect(service.label(DRIVE0_SERIAL, lock, { labelText: "TC0001L9", uuid: UUID2, ctime: 1700000001 }, "1.2.3")).rejects.toMatchObject({ code: "MEDIUM_NOT_EMPTY", message: expect.stringContaining("format") });
      const f = await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.format(true));
      expect(f).toMatchObject({ density: "LTO-9", worm: false, steps: ["rewind", "erase-fast", "clear-mam"] });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.readLabel())).toEqual({ empty: true });
      const mam2 = new Map((await service.withDrive(DRIVE0_SERIAL, false, (d) => d.cartridgeMemory())).map((a) => [a.id, a.value]));
      expect(mam2.get(MamAttribute.USER_MEDIUM_TEXT_LABEL) ?? "").toBe("");
      const r2 = await service.label(DRIVE0_SERIAL, lock, { labelText: "TC0001L9", uuid: UUID2, ctime: 1700000001 }, "1.2.3");
      expect(r2.label.uuid).toBe(UUID2);
      const setLabel = { pool: "daily", uuid: UUID1, seqNr: 2, ctime: 1700000100, encryptionKeyFingerprint: Array.from({ length: 32 }, () => "ab").join(":") };
      await service.withDrive(DRIVE0_SERIAL, lock, async (d) => {
        expect((await d.locateFile(1)).position.fileNumber).toBe(1);
        await writeMediaSetLabel(d, { ...setLabel, keyConfig: { kdf: null, created: 1, modified: 1, data: "AAAA" } });
        await d.sync();
      });
      const withSet = await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.readLabel());
      expect(withSet).toMatchObject({ empty: false, mediaLabel: { uuid: UUID2 }, mediaSetLabel: setLabel });
      const stats = await service.withDrive(DRIVE0_SERIAL, false, (d) => d.volumeStatistics());
      expect(stats.pageValid).toBe(true);
      expect(stats.totalNativeCapacity! % 1_000_000).toBe(0);
    });

    it("formats WORM media only when empty, and LTO-8 / LTO-9 media by their rules", async () => {
      const { service, load } = await setup();
      const lock = { owner: "test" };
      await load(0, { labelText: "TCW001LZ" });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.format(true))).toMatchObject({ worm: true, steps: ["check-worm-empty"] });
      await service.label(DRIVE0_SERIAL, lock, { labelText: "TCW001LZ", uuid: UUID1, ctime: 1700000000 }, "1");
      await expect(service.withDrive(DRIVE0_SERIAL, lock, (d) => d.format(true))).rejects.toMatchObject({ code: "WORM_NOT_EMPTY" });
      await load(1, { labelText: "TC0002L8" });
      expect(await service.withDrive(DRIVE1_SERIAL, lock, (d) => d.format(false))).toMatchObject({ density: "LTO-8", steps: ["rewind", "format", "erase-long", "clear-mam"] });
      await load(0, { labelText: "TC0001L9" });
      const progress: Progress[] = [];
      const f = await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.format(false, { progress: (p) => progress.push(p) }));
      expect(f).toMatchObject({ density: "LTO-9", steps: ["rewind", "format-immed", "wait-ready", "erase-long", "clear-mam"] });
      expect(progress.some((p) => p.activity === "formatting")).toBe(true);
    });

    it("waits for a new LTO-9 cartridge to calibrate, with progress", async () => {
      const { service, base } = await setup();
      await service.loadMedia({ ...base, driveNumber: 0, labelText: "TC0003L9", waitReady: false });
      const progress: Progress[] = [];
      const r = await service.withDrive(DRIVE0_SERIAL, { owner: "test" }, (d) => d.waitUntilReady(60_000, { progress: (p) => progress.push(p) }));
      expect(r.waitedMs).toBeGreaterThanOrEqual(0);
      expect(progress.at(-1)).toMatchObject({ activity: "ready", percent: 100 });
      const waiting = progress.slice(0, -1);
      expect(waiting.length).toBeGreaterThan(0);
      expect(waiting.some((p) => p.activity === "calibrating")).toBe(true);
      const percents = waiting.flatMap((p) => (p.percent === undefined ? [] : [p.percent]));
      expect(percents.length).toBeGreaterThan(0);
      expect(percents.every((p) => p >= 0 && p <= 100)).toBe(true);
      expect((await service.driveStatus(DRIVE0_SERIAL)).ready).toBe(true);
    });

    it("positions by file (LOCATE with calibration), to end of data and to the last file; finds and writes a missing filemark", async () => {
      const { service, load } = await setup();
      await load(0, { labelText: "TC0001L9" });
      const lock = { owner: "test" };
      const block = (n: number) => new Uint8Array(4096).fill(n);
      await service.withDrive(DRIVE0_SERIAL, lock, async (d) => {
        await d.rewind();
        await writeMediaLabel(d, { labelText: "TC0001L9", uuid: UUID1, ctime: 1700000000 });
        for (let f = 1; f <= 3; f++) {
          await d.writeBlock(block(f));
          await d.writeBlock(block(f));
          await d.writeFilemark();
        }
        await d.sync();
      });
      const loc = await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.locateFile(2));
      expect(loc).toMatchObject({ position: { fileNumber: 2 }, locateOffset: 0 });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.locateFile(1))).toMatchObject({ position: { fileNumber: 1 } });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.locateFile(0))).toMatchObject({ position: { fileNumber: 0, blockNumber: 0 } });
      await service.withDrive(DRIVE0_SERIAL, lock, async (d) => {
        const r = await d.locateFile(3);
        const first = await d.readBlock();
        expect(first).toMatchObject({ kind: "data" });
        expect((first as { data: Uint8Array }).data[0]).toBe(3);
        expect(r.position.fileNumber).toBe(3);
      });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.moveToEndOfData(false))).toMatchObject({ position: { fileNumber: 4 }, missingFilemark: false, filemarkWritten: false });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.moveToLastFile())).toMatchObject({ fileNumber: 3 });
      await service.withDrive(DRIVE0_SERIAL, lock, async (d) => {
        await d.moveToEndOfData(false);
        await d.writeBlock(block(9));
        await d.sync();
      });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.moveToEndOfData(false))).toMatchObject({ missingFilemark: true, filemarkWritten: false });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.moveToEndOfData(true))).toMatchObject({ missingFilemark: true, filemarkWritten: true, position: { fileNumber: 5 } });
      expect(await service.withDrive(DRIVE0_SERIAL, lock, (d) => d.moveToEndOfData(false))).toMatchObject({ missingFilemark: false });
      await expect(service.withDrive(DRIVE0_SERIAL, lock, (d) => d.locateFile(-1))).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    });

    it("cleans a drive: unloads its tape, loads the cleaning cartridge, waits, returns it, reads TapeAlert", async () => {
      const { t, service, base, load } = await setup();
      await load(0, { labelText: "TC0001L9" });
      const before = t.library.cartridge("CLN001L1");
      const progress: Progress[] = [];
      const r = await service.cleanDrive({ ...base, driveNumber: 0, timeoutMs: 30_000 }, { progress: (p) => progress.push(p) });
      expect(r).toMatchObject({ cleaningLabelText: "CLN001L1", cleaningSlot: 8, unloadedToSlot: 1, cleaningMounts: 1 });
      expect(r.alertFlags.filter((f) => f === "EXPIRED_CLEANING_MEDIA")).toEqual([]);
      expect(progress.map((p) => p.activity)).toEqual(expect.arrayContaining(["loading", "unloading", "done"]));
      expect(t.library.locate("CLN001L1")).toMatchObject({ slot: 8 });
      expect(t.library.locate("TC0001L9")).toMatchObject({ slot: 1 });
      expect(JSON.stringify(t.library.cartridge("CLN001L1"))).not.toBe(JSON.stringify(before));
    });

    it("fails a cleaning with an expired cleaning cartridge (critical TapeAlert) and without one", async () => {
      const { t, service, base } = await setup(conformanceSpec({ cleaningCycles: 0 }));
      await expect(service.cleanDrive({ ...base, driveNumber: 1, timeoutMs: 30_000 })).rejects.toMatchObject({ code: "CRITICAL_TAPE_ALERT", message: expect.stringContaining("EXPIRED_CLEANING_MEDIA") });
      expect(t.library.locate("CLN001L1")).toMatchObject({ slot: 8 });
      await target!.close();
      target = undefined;
      const again = await setup(conformanceSpec({ noCleaning: true }));
      await expect(again.service.cleanDrive({ ...again.base, driveNumber: 0 })).rejects.toMatchObject({ code: "NO_CLEANING_MEDIUM" });
    });

    it("transfers between slots, exports to the first empty import/export slot (from a slot and from a drive), scans the inventory", async () => {
      const { t, service, base, load } = await setup();
      expect(await service.transferMedia({ ...base, fromSlot: 2, toSlot: 6 })).toEqual({ labelText: "TC0002L8" });
      await expect(service.transferMedia({ ...base, fromSlot: 2, toSlot: 7 })).rejects.toMatchObject({ code: "SLOT_EMPTY", field: "from_slot" });
      await expect(service.transferMedia({ ...base, fromSlot: 1, toSlot: 6 })).rejects.toMatchObject({ code: "SLOT_FULL", field: "to_slot" });
      expect(await service.exportMedia({ ...base, labelText: "TC0002L8" })).toEqual({ slot: 10 });
      expect(t.library.locate("TC0002L8")).toMatchObject({ importExport: 2 });
      await expect(service.exportMedia({ ...base, labelText: "TC0005L8" })).rejects.toMatchObject({ code: "NO_FREE_SLOT" });
      expect(await service.exportMedia({ ...base, config: { exportSlots: [7], ejectBeforeUnload: false }, labelText: "TC0002L8" })).toEqual({ slot: 10 });
      await load(0, { labelText: "TC0001L9" });
      expect(await service.exportMedia({ ...base, config: { exportSlots: [7], ejectBeforeUnload: false }, labelText: "TC0001L9" })).toEqual({ slot: 7 });
      expect(t.library.locate("TC0001L9")).toMatchObject({ slot: 7 });
      const inv = await service.inventoryScan(base);
      expect(inv.status.slots.find((s) => s.slot === 7)).toMatchObject({ full: true, volumeTag: "TC0001L9" });
    });

    it("ejects before unloading when the library requires it and the changer is so configured", async () => {
      const { t, service, base, load } = await setup(conformanceSpec({ requireEjectBeforeUnload: true }));
      await load(0, { labelText: "TC0001L9" });
      const err = await service.unloadMedia({ ...base, driveNumber: 0 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "SCSI_ERROR", scsi: "ILLEGAL_REQUEST" });
      expect((err as Error).message).toContain("TC0001L9 should still be in drive 0");
      expect(t.library.locate("TC0001L9")).toMatchObject({ drive: `${LIB}/drive0` });
      expect(await service.unloadMedia({ ...base, config: { exportSlots: [], ejectBeforeUnload: true }, driveNumber: 0 })).toEqual({ slot: 1, labelText: "TC0001L9" });
      expect(t.library.locate("TC0001L9")).toMatchObject({ slot: 1 });
    });

    it("runs one operation per drive: a second caller gets DRIVE_BUSY or waits; a cancelled wait releases the drive", async () => {
      const { service, base } = await setup();
      await service.loadMedia({ ...base, driveNumber: 0, labelText: "TC0003L9", waitReady: false });
      const abort = new AbortController();
      const progress: Progress[] = [];
      const slow = service.withDrive(DRIVE0_SERIAL, { owner: "calibration wait" }, (d) => d.waitUntilReady(60_000, { signal: abort.signal, progress: (p) => progress.push(p) }));
      await expect.poll(() => progress.length).toBeGreaterThan(0);
      await expect(service.withDrive(DRIVE0_SERIAL, { owner: "second" }, (d) => d.rewind())).rejects.toMatchObject({ code: "DRIVE_BUSY", message: expect.stringContaining("calibration wait") });
      // The other drive and the changer answer meanwhile.
      expect((await service.driveStatus(DRIVE1_SERIAL)).mediumPresent).toBe(false);
      expect((await service.changerStatus(base.changer)).status.drives[0]?.volumeTag).toBe("TC0003L9");
      const waiter = service.withDrive(DRIVE0_SERIAL, { owner: "third", waitMs: 60_000 }, async () => "third ran");
      abort.abort();
      await expect(slow).rejects.toMatchObject({ code: "CANCELLED" });
      expect(await waiter).toBe("third ran");
      expect(service.locks.holder(`drive ${DRIVE0_SERIAL}`)).toBeUndefined();
    });

    it("names unknown, wrong-kind and offline devices", async () => {
      const { t, service } = await setup();
      await expect(service.driveStatus("NOSUCH")).rejects.toMatchObject({ code: "NO_SUCH_DEVICE" });
      await expect(service.driveStatus(t.paths.changer)).rejects.toMatchObject({ code: "WRONG_DEVICE_KIND" });
      await expect(service.changerStatus(DRIVE0_SERIAL)).rejects.toMatchObject({ code: "WRONG_DEVICE_KIND" });
      expect((await service.driveStatus(t.paths.drive1)).serial).toBe(DRIVE1_SERIAL);
      t.library.setOffline(`${LIB}/drive1`);
      await expect(service.driveStatus(DRIVE1_SERIAL)).rejects.toMatchObject({ code: expect.stringMatching(/^(DEVICE_OFFLINE|NO_SUCH_DEVICE)$/) });
    });
  });
}
