/**
 * A virtual tape site kept in one folder: `state.json` (spec, cartridge records, element
 * contents; written atomically) and `cartridges/<barcode>.data|.idx` tape images. Owns the
 * virtual devices (changers, library drives, standalone drives) and the fault switches.
 */
import { randomBytes } from "node:crypto";
import { TapeAlert } from "@tapefleet/scsi";
import { mkdir, open, readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { CartridgeStore } from "./cartridge-store.ts";
import { VirtualChanger } from "./changer.ts";
import { systemClock, type VtlClock } from "./clock.ts";
import type { VirtualDevice } from "./device.ts";
import { VtlError } from "./errors.ts";
import { Asc } from "./scsi-codes.ts";
import {
  changerIdentity,
  normalizeCartridge,
  normalizeDrive,
  normalizeTiming,
  validateSpec,
  type CartridgeSpec,
  type FaultSpec,
  type NormalizedTiming,
  type SiteSpec,
} from "./spec.ts";
import { CARTRIDGE_DIR, STATE_FILE, STATE_VERSION, type CartridgeRecord, type DriveContent, type LibraryLayout, type StateFile } from "./state.ts";
import { VirtualTapeDrive, type DriveHost } from "./tape-drive.ts";
import type { DeviceInfo } from "./wire.ts";

export interface LibraryOptions {
  /** Time source for the timed drive states (default: wall clock). */
  clock?: VtlClock;
}

/** Map a barcode to a file name (barcodes may hold characters unfit for paths). */
function fileStem(barcode: string): string {
  return barcode.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export class VirtualLibrary {
  readonly dir: string;
  readonly spec: SiteSpec;
  readonly timing: NormalizedTiming;
  readonly clock: VtlClock;
  private readonly cartridges = new Map<string, CartridgeRecord>();
  private readonly devices = new Map<string, VirtualDevice>();
  private readonly changers = new Map<string, VirtualChanger>();
  private readonly libraryDrives = new Map<string, VirtualTapeDrive[]>();
  private readonly standalone = new Map<string, VirtualTapeDrive>();
  private shelf: string[] = [];
  /** barcode → set of "op:position" medium error injections. */
  private readonly mediumErrors = new Map<string, Set<string>>();
  private persistChain: Promise<void> = Promise.resolve();
  private persistPending = false;
  private closed = false;

  private constructor(dir: string, state: StateFile, options: LibraryOptions) {
    this.dir = dir;
    this.spec = state.spec;
    this.timing = normalizeTiming(state.spec.timing);
    this.clock = options.clock ?? systemClock;
    for (const r of Object.values(state.cartridges)) this.cartridges.set(r.barcode, r);
    this.shelf = [...state.shelf];
  }

  // ---- construction ----

  /** @internal */
  static async load(dir: string, state: StateFile, options: LibraryOptions): Promise<VirtualLibrary> {
    const lib = new VirtualLibrary(dir, state, options);
    await lib.build(state);
    return lib;
  }

  private driveHost(): DriveHost {
    return {
      clock: this.clock,
      timing: this.timing,
      openStore: (barcode) => this.openStore(barcode),
      persist: () => this.persist(),
      mediumErrorAt: (barcode, position, op) => this.mediumErrors.get(barcode)?.has(`${op}:${position}`) ?? false,
    };
  }

  private async build(state: StateFile): Promise<void> {
    const host = this.driveHost();
    for (const l of state.spec.libraries ?? []) {
      const layout = state.libraries[l.name];
      if (!layout) throw new VtlError("VTL_STATE_INVALID", `state has no layout for library ${l.name}`);
      const drives = l.drives.map((d, i) => new VirtualTapeDrive(host, `${l.name}/drive${i}`, normalizeDrive(d)));
      const ident = changerIdentity(l);
      const changer = new VirtualChanger(
        { cartridge: (b) => this.cartridges.get(b), persist: () => this.persist() },
        {
          libraryName: l.name,
          ...ident,
          requireEjectBeforeUnload: l.requireEjectBeforeUnload ?? false,
          storage: layout.storage,
          importExport: layout.importExport,
          drives,
        },
      );
      this.changers.set(l.name, changer);
      this.libraryDrives.set(l.name, drives);
      this.devices.set(changer.id, changer);
      for (const [i, d] of drives.entries()) {
        this.devices.set(d.id, d);
        const c = layout.drives[i];
        if (c) await d.insertCartridge(this.record(c.barcode), c.source, c.ejected);
      }
    }
    for (const d of state.spec.drives ?? []) {
      const drive = new VirtualTapeDrive(host, d.name, normalizeDrive(d));
      this.standalone.set(d.name, drive);
      this.devices.set(d.name, drive);
      const c = state.standalone[d.name];
      if (c) await drive.insertCartridge(this.record(c.barcode), null, c.ejected);
    }
    if (this.timing.powerOnUnitAttention) {
      for (const dev of this.devices.values()) dev.raiseUnitAttention(Asc.POWER_ON_RESET_OR_BUS_DEVICE_RESET);
    }
    for (const f of state.spec.faults ?? []) this.applyFault(f);
  }

  private record(barcode: string): CartridgeRecord {
    const r = this.cartridges.get(barcode);
    if (!r) throw new VtlError("VTL_NO_SUCH_CARTRIDGE", `no cartridge ${JSON.stringify(barcode)}`);
    return r;
  }

  private async openStore(barcode: string): Promise<CartridgeStore> {
    const stem = join(this.dir, CARTRIDGE_DIR, fileStem(barcode));
    return CartridgeStore.open(`${stem}.data`, `${stem}.idx`);
  }

  // ---- devices ----

  /** Descriptions of every device (the LIST reply of the wire protocol). */
  listDevices(): DeviceInfo[] {
    return [...this.devices.values()].map((d) => ({ ...d.info }));
  }

  /** A device by id (`lib1/changer`, `lib1/drive0`, or a standalone drive name). */
  device(id: string): VirtualDevice {
    const d = this.devices.get(id);
    if (!d) throw new VtlError("VTL_NO_SUCH_DEVICE", `no device ${JSON.stringify(id)}`);
    return d;
  }

  hasDevice(id: string): boolean {
    return this.devices.has(id);
  }

  drive(id: string): VirtualTapeDrive {
    const d = this.device(id);
    if (!(d instanceof VirtualTapeDrive)) throw new VtlError("VTL_NO_SUCH_DEVICE", `${id} is not a tape drive`);
    return d;
  }

  changer(libraryName: string): VirtualChanger {
    const c = this.changers.get(libraryName);
    if (!c) throw new VtlError("VTL_NO_SUCH_DEVICE", `no library ${JSON.stringify(libraryName)}`);
    return c;
  }

  /** A copy of a cartridge's record. */
  cartridge(barcode: string): CartridgeRecord {
    return structuredClone(this.record(barcode));
  }

  /** Where a cartridge is: `{ library, slot }` (1-based), `{ library, importExport }`, `{ drive }` or `{ shelf: true }`. */
  locate(barcode: string): { library?: string; slot?: number; importExport?: number; drive?: string; shelf?: boolean } {
    this.record(barcode);
    for (const [name, ch] of this.changers) {
      const s = ch.storage.findIndex((e) => e?.barcode === barcode);
      if (s >= 0) return { library: name, slot: s + 1 };
      const ie = ch.importExport.findIndex((e) => e?.barcode === barcode);
      if (ie >= 0) return { library: name, importExport: ie + 1 };
    }
    for (const d of [...this.libraryDrives.values()].flat().concat([...this.standalone.values()])) {
      if (d.content?.barcode === barcode) return { drive: d.id };
    }
    return { shelf: true };
  }

  // ---- operator actions ----

  /** Put a shelf cartridge into a standalone drive (it loads). */
  async insertCartridge(driveName: string, barcode: string): Promise<void> {
    const drive = this.standalone.get(driveName);
    if (!drive) throw new VtlError("VTL_NO_SUCH_DEVICE", `no standalone drive ${JSON.stringify(driveName)}`);
    this.takeFromShelf(barcode);
    if (drive.content) {
      this.shelf.push(barcode);
      throw new VtlError("VTL_STATE_INVALID", `${driveName} already holds ${drive.content.barcode}`);
    }
    await drive.insertCartridge(this.record(barcode), null);
    await this.persist();
  }

  /** Take an ejected cartridge out of a standalone drive onto the shelf. */
  async removeCartridge(driveName: string): Promise<string> {
    const drive = this.standalone.get(driveName);
    if (!drive) throw new VtlError("VTL_NO_SUCH_DEVICE", `no standalone drive ${JSON.stringify(driveName)}`);
    if (!drive.content) throw new VtlError("VTL_STATE_INVALID", `${driveName} is empty`);
    if (!drive.ejected) throw new VtlError("VTL_STATE_INVALID", `${driveName} has not ejected its cartridge`);
    const barcode = await drive.removeCartridge();
    this.shelf.push(barcode);
    await this.persist();
    return barcode;
  }

  /** An operator places a cartridge (from the shelf, or a new one) into an import/export slot (1-based). */
  async importCartridge(libraryName: string, cartridge: string | CartridgeSpec, importExportSlot?: number): Promise<void> {
    const ch = this.changer(libraryName);
    if (ch.preventRemoval) throw new VtlError("VTL_STATE_INVALID", `${libraryName}: import/export station is locked (PREVENT MEDIUM REMOVAL)`);
    const index = importExportSlot !== undefined ? importExportSlot - 1 : ch.importExport.findIndex((e) => e === null);
    if (index < 0 || index >= ch.importExport.length) throw new VtlError("VTL_STATE_INVALID", `${libraryName}: no free import/export slot`);
    if (ch.importExport[index]) throw new VtlError("VTL_STATE_INVALID", `${libraryName}: import/export slot ${index + 1} is full`);
    let barcode: string;
    if (typeof cartridge === "string") {
      barcode = cartridge;
      this.takeFromShelf(barcode);
    } else {
      const checked = validateSpec({ drives: [{ name: "x", generation: 9, serial: "X" }], shelf: [cartridge], defaults: this.spec.defaults ?? {} });
      const c = checked.shelf![0]!;
      if (this.cartridges.has(c.barcode)) throw new VtlError("VTL_STATE_INVALID", `cartridge ${c.barcode} already exists`);
      this.cartridges.set(c.barcode, newRecord(c, this.spec));
      barcode = c.barcode;
    }
    ch.importExport[index] = { barcode, source: null, imported: true };
    ch.raiseUnitAttention(Asc.IMPORT_OR_EXPORT_ELEMENT_ACCESSED);
    await this.persist();
  }

  /** An operator takes a cartridge out of an import/export slot (1-based) onto the shelf. */
  async removeFromImportExport(libraryName: string, importExportSlot: number): Promise<string> {
    const ch = this.changer(libraryName);
    if (ch.preventRemoval) throw new VtlError("VTL_STATE_INVALID", `${libraryName}: import/export station is locked (PREVENT MEDIUM REMOVAL)`);
    const e = ch.importExport[importExportSlot - 1];
    if (!e) throw new VtlError("VTL_STATE_INVALID", `${libraryName}: import/export slot ${importExportSlot} is empty`);
    ch.importExport[importExportSlot - 1] = null;
    this.shelf.push(e.barcode);
    ch.raiseUnitAttention(Asc.IMPORT_OR_EXPORT_ELEMENT_ACCESSED);
    await this.persist();
    return e.barcode;
  }

  /** Slide a cartridge's write-protect tab (not while it is in a drive). */
  async setWriteProtect(barcode: string, on: boolean): Promise<void> {
    const r = this.record(barcode);
    const where = this.locate(barcode);
    if (where.drive !== undefined) throw new VtlError("VTL_STATE_INVALID", `cartridge ${barcode} is in ${where.drive}`);
    r.writeProtected = on;
    await this.persist();
  }

  private takeFromShelf(barcode: string): void {
    this.record(barcode);
    const i = this.shelf.indexOf(barcode);
    if (i < 0) throw new VtlError("VTL_STATE_INVALID", `cartridge ${barcode} is not on the shelf`);
    this.shelf.splice(i, 1);
  }

  // ---- faults ----

  /** Inject an unrecoverable medium error at logical object `block` of a cartridge. */
  injectMediumError(barcode: string, block: number, op: "read" | "write"): void {
    this.record(barcode);
    let s = this.mediumErrors.get(barcode);
    if (!s) this.mediumErrors.set(barcode, (s = new Set()));
    s.add(`${op}:${block}`);
  }

  clearMediumErrors(barcode?: string): void {
    if (barcode === undefined) this.mediumErrors.clear();
    else this.mediumErrors.delete(barcode);
  }

  /** Every command (except INQUIRY, REPORT LUNS, REQUEST SENSE) fails with HARDWARE ERROR 04/44/00. */
  setHardwareError(deviceId: string, on = true): void {
    const d = this.device(deviceId);
    d.faults.hardwareError = on;
    if (on && d instanceof VirtualTapeDrive) d.raiseTapeAlert(TapeAlert.HARDWARE_A);
  }

  /** Raise a TapeAlert flag (1..64) on a drive, e.g. 0x14 CLEAN NOW to ask for cleaning. */
  setTapeAlert(deviceId: string, flag: number): void {
    if (!Number.isInteger(flag) || flag < 1 || flag > 64) throw new VtlError("VTL_STATE_INVALID", `TapeAlert flag ${flag} is not 1..64`);
    this.drive(deviceId).raiseTapeAlert(flag);
  }

  /** The device disappears: OPEN fails with result 2, commands get host status DID_NO_CONNECT. */
  setOffline(deviceId: string, on = true): void {
    this.device(deviceId).faults.offline = on;
  }

  /** MOVE MEDIUM and element initialization fail with HARDWARE ERROR 04/15/01. */
  setChangerJam(libraryName: string, on = true): void {
    this.changer(libraryName).jammed = on;
  }

  /** Limit a device's data rate (bytes/s; 0 = unthrottled). */
  setThrottle(deviceId: string, bytesPerSec: number): void {
    this.device(deviceId).faults.throttleBytesPerSec = bytesPerSec;
  }

  applyFault(f: FaultSpec): void {
    switch (f.type) {
      case "medium-error":
        this.injectMediumError(f.barcode, f.block, f.op);
        break;
      case "hardware-error":
        this.setHardwareError(f.device);
        break;
      case "offline":
        this.setOffline(f.device);
        break;
      case "changer-jam":
        this.setChangerJam(f.library);
        break;
      case "throttle":
        this.setThrottle(f.device, f.bytesPerSec);
        break;
    }
  }

  /** Clear every injected fault (spec throttles fall back to the drive spec). */
  clearFaults(): void {
    this.mediumErrors.clear();
    for (const d of this.devices.values()) {
      d.faults.offline = false;
      d.faults.hardwareError = false;
      d.faults.throttleBytesPerSec = d instanceof VirtualTapeDrive ? d.model.throttleBytesPerSec : 0;
    }
    for (const c of this.changers.values()) c.jammed = false;
  }

  // ---- persistence ----

  private snapshot(): StateFile {
    const libraries: Record<string, LibraryLayout> = {};
    for (const [name, ch] of this.changers) {
      libraries[name] = {
        storage: ch.storage.map((e) => (e ? { ...e } : null)),
        importExport: ch.importExport.map((e) => (e ? { ...e } : null)),
        drives: this.libraryDrives.get(name)!.map((d) => driveContent(d)),
      };
    }
    const standalone: Record<string, DriveContent | null> = {};
    for (const [name, d] of this.standalone) standalone[name] = driveContent(d);
    return {
      version: STATE_VERSION,
      spec: this.spec,
      cartridges: Object.fromEntries(this.cartridges),
      libraries,
      standalone,
      shelf: [...this.shelf],
    };
  }

  /** Write `state.json` atomically (coalescing concurrent requests). */
  persist(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.persistPending) return this.persistChain;
    this.persistPending = true;
    this.persistChain = this.persistChain.catch(() => undefined).then(async () => {
      this.persistPending = false;
      await writeStateFile(this.dir, this.snapshot());
    });
    return this.persistChain;
  }

  /** Sync every loaded cartridge, write the state and close. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.persist();
    for (const d of this.devices.values()) if (d instanceof VirtualTapeDrive) await d.shutdown();
    await this.persist();
    this.closed = true;
  }

  /** Stop as if power failed: buffered (unsynced) records are lost, state is not written. */
  async crash(): Promise<void> {
    if (this.closed) return;
    await this.persistChain;
    this.closed = true;
    for (const d of this.devices.values()) if (d instanceof VirtualTapeDrive) await d.powerLoss();
  }
}

function driveContent(d: VirtualTapeDrive): DriveContent | null {
  const c = d.content;
  return c ? { ...c } : null;
}

function newRecord(c: CartridgeSpec, spec: SiteSpec): CartridgeRecord {
  const n = normalizeCartridge(c, spec);
  const attributes: Record<string, string> = {};
  const bc = Buffer.alloc(32, 0x20);
  bc.write(n.barcode.slice(0, 32), "ascii");
  attributes["0806"] = bc.toString("base64");
  return {
    barcode: n.barcode,
    kind: n.kind,
    media: n.media,
    capacityBytes: n.capacityBytes,
    earlyWarningBytes: n.earlyWarningBytes,
    writeProtected: n.writeProtected,
    cleaningCyclesLeft: n.cleaningCycles,
    needsOptimization: n.newMedia,
    serial: randomBytes(5).toString("hex").toUpperCase(),
    manufactured: "20250101",
    loadCount: 0,
    bytesWritten: 0,
    bytesRead: 0,
    passes: 0,
    formattedDensity: 0,
    attributes,
  };
}

async function writeStateFile(dir: string, state: StateFile): Promise<void> {
  const path = join(dir, STATE_FILE);
  const tmp = `${path}.tmp`;
  const h = await open(tmp, "w");
  try {
    await h.writeFile(JSON.stringify(state, null, 1));
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, path);
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** True when `dir` holds a library (`state.json`). */
export async function libraryExists(dir: string): Promise<boolean> {
  return exists(join(dir, STATE_FILE));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Create a library folder from a spec (validated; throws {@link VtlSpecError}) and open it.
 * Fails with VTL_LIBRARY_EXISTS when the folder already holds a library.
 */
export async function createLibrary(dir: string, specInput: unknown, options: LibraryOptions = {}): Promise<VirtualLibrary> {
  const spec = validateSpec(specInput);
  if (await exists(join(dir, STATE_FILE))) throw new VtlError("VTL_LIBRARY_EXISTS", `${dir} already holds a library (${STATE_FILE})`);
  await mkdir(join(dir, CARTRIDGE_DIR), { recursive: true });
  const cartridges: Record<string, CartridgeRecord> = {};
  const libraries: Record<string, LibraryLayout> = {};
  const standalone: Record<string, DriveContent | null> = {};
  for (const l of spec.libraries ?? []) {
    const layout: LibraryLayout = {
      storage: Array.from({ length: l.slots }, () => null),
      importExport: Array.from({ length: l.importExportSlots ?? 0 }, () => null),
      drives: l.drives.map(() => null),
    };
    for (const c of l.cartridges ?? []) {
      cartridges[c.barcode] = newRecord(c, spec);
      if (c.slot !== undefined) layout.storage[c.slot - 1] = { barcode: c.barcode, source: null };
      else if (c.importExport !== undefined) layout.importExport[c.importExport - 1] = { barcode: c.barcode, source: null, imported: true };
      else if (c.drive !== undefined) layout.drives[c.drive] = { barcode: c.barcode, source: null, ejected: false };
    }
    libraries[l.name] = layout;
  }
  for (const d of spec.drives ?? []) {
    standalone[d.name] = null;
    if (d.cartridge) {
      cartridges[d.cartridge.barcode] = newRecord(d.cartridge, spec);
      standalone[d.name] = { barcode: d.cartridge.barcode, source: null, ejected: false };
    }
  }
  const shelf: string[] = [];
  for (const c of spec.shelf ?? []) {
    cartridges[c.barcode] = newRecord(c, spec);
    shelf.push(c.barcode);
  }
  const state: StateFile = { version: STATE_VERSION, spec, cartridges, libraries, standalone, shelf };
  await writeStateFile(dir, state);
  return VirtualLibrary.load(dir, state, options);
}

/** Open an existing library folder. */
export async function openLibrary(dir: string, options: LibraryOptions = {}): Promise<VirtualLibrary> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), "utf8");
  } catch (e) {
    throw new VtlError("VTL_STATE_INVALID", `${dir} holds no library (${STATE_FILE} unreadable)`, { cause: e });
  }
  let state: StateFile;
  try {
    state = JSON.parse(text) as StateFile;
  } catch (e) {
    throw new VtlError("VTL_STATE_INVALID", `${join(dir, STATE_FILE)} is not valid JSON`, { cause: e });
  }
  if (state.version !== STATE_VERSION) throw new VtlError("VTL_STATE_INVALID", `${STATE_FILE} version ${String(state.version)} is not ${STATE_VERSION}`);
  state.spec = validateSpec(state.spec);
  await mkdir(join(dir, CARTRIDGE_DIR), { recursive: true });
  return VirtualLibrary.load(dir, state, options);
}
