import { describe, expect, it } from "vitest";
import type { ChangerStatus } from "@tapefleet/scsi";
import { exportMedia, loadMedia, onlineLabels, unloadDrive, type ChangerSession } from "./changer-operations.ts";
import type { MediaChanger } from "./media-changer.ts";
import type { TapeDrive } from "./tape-drive.ts";

/** A changer held in memory: slots by number (storage 1..4, I/E 5), two drives. */
function fakeChanger(tags: Record<number, string>, drives: Array<{ tag?: string; from?: number }> = [{}, {}]) {
  const slots = new Map<number, string | undefined>([1, 2, 3, 4, 5].map((n) => [n, tags[n]]));
  const moves: string[] = [];
  const addrOfSlot = (n: number) => 0x1000 + n;
  const status = (exportSlots: readonly number[]): ChangerStatus => ({
    transports: [{ address: 1, full: false }],
    slots: [...slots].map(([n, tag]) => ({ slot: n, address: addrOfSlot(n), importExport: n === 5 || exportSlots.includes(n), full: tag !== undefined, ...(tag ? { volumeTag: tag } : {}) })),
    drives: drives.map((d, i) => ({ index: i, address: 0x100 + i, full: d.tag !== undefined, ...(d.tag ? { volumeTag: d.tag } : {}), ...(d.from !== undefined ? { loadedSlot: d.from } : {}) })),
  });
  const where = (addr: number): { slot: number } | { drive: number } => (addr >= 0x1000 ? { slot: addr - 0x1000 } : { drive: addr - 0x100 });
  const changer: MediaChanger = {
    identity: async () => ({ vendor: "V", product: "P", serial: "C" }),
    status: async (e) => status(e),
    initializeElementStatus: async () => {},
    moveMedium: async (src, dst) => {
      const s = where(src);
      const d = where(dst);
      const tag = "slot" in s ? slots.get(s.slot) : drives[s.drive]!.tag;
      if ("slot" in s) slots.set(s.slot, undefined);
      else drives[s.drive] = {};
      if ("slot" in d) slots.set(d.slot, tag);
      else drives[d.drive] = { tag: tag!, ...("slot" in s ? { from: s.slot } : {}) };
      moves.push(`${JSON.stringify(s)}->${JSON.stringify(d)}`);
    },
  };
  const session = (extra: Partial<ChangerSession> = {}): ChangerSession => ({ changer, config: { exportSlots: [], ejectBeforeUnload: false }, moves: { run: (fn) => fn() }, ...extra });
  return { changer, slots, drives, moves, session };
}

describe("changer policies", () => {
  it("unloads to the source slot when it is empty, else to the first free storage slot, never to I/E", async () => {
    const f = fakeChanger({ 1: "A1", 2: "A2" }, [{ tag: "A3", from: 1 }, {}]);
    expect(await unloadDrive(f.session(), 0, undefined)).toEqual({ slot: 3, labelText: "A3" });
    const g = fakeChanger({ 1: "A1", 2: "A2", 3: "A3", 4: "A4" }, [{ tag: "A5", from: 4 }, {}]);
    await expect(unloadDrive(g.session(), 0, undefined)).rejects.toMatchObject({ code: "NO_FREE_SLOT", message: expect.stringContaining("stays in the drive") });
    expect(g.moves).toEqual([]);
  });

  it("refuses eject-before-unload without the drive, and ejects a ready drive first", async () => {
    const f = fakeChanger({}, [{ tag: "A1", from: 1 }, {}]);
    const cfg = { exportSlots: [], ejectBeforeUnload: true };
    await expect(unloadDrive(f.session({ config: cfg }), 0, undefined)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "drive" });
    const ejected: string[] = [];
    const drive = { readiness: async () => ({ ready: true }), eject: async () => void ejected.push("eject") } as unknown as TapeDrive;
    expect(await unloadDrive(f.session({ config: cfg, drive }), 0, undefined)).toEqual({ slot: 1, labelText: "A1" });
    expect(ejected).toEqual(["eject"]);
  });

  it("exports from a slot, reports a label already in I/E, and uses export slots as I/E", async () => {
    const f = fakeChanger({ 1: "A1", 5: "A5" });
    expect(await exportMedia(f.session(), "A5")).toEqual({ slot: 5 });
    await expect(exportMedia(f.session(), "A1")).rejects.toMatchObject({ code: "NO_FREE_SLOT" });
    expect(await exportMedia(f.session({ config: { exportSlots: [4], ejectBeforeUnload: false } }), "A1")).toEqual({ slot: 4 });
    expect(f.slots.get(4)).toBe("A1");
    await expect(exportMedia(f.session(), "ZZ")).rejects.toMatchObject({ code: "LABEL_NOT_FOUND" });
  });

  it("needs exactly one source to load, and lists online labels without cleaning or I/E cartridges", async () => {
    const f = fakeChanger({ 1: "B1", 2: "CLN002L1", 5: "IE1" }, [{}, { tag: "B9", from: 3 }]);
    await expect(loadMedia(f.session(), { driveNumber: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "source" });
    await expect(loadMedia(f.session(), { driveNumber: 0, slot: 1, labelText: "B1" })).rejects.toMatchObject({ field: "source" });
    await expect(loadMedia(f.session(), { driveNumber: 0, labelText: "B1", waitReady: true })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "drive" });
    expect(f.moves).toEqual([]); // refused before anything moved
    expect(onlineLabels(await f.changer.status([]))).toEqual(["B1", "B9"]);
  });
});
