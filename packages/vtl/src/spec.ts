/**
 * The declarative site spec: libraries (changer, slots, drives, cartridges), standalone
 * drives, shelf cartridges, timing knobs and faults. `validateSpec` checks an untrusted
 * JSON value and returns a normalized spec; errors name the field.
 */
import { VtlSpecError } from "./errors.ts";
import {
  CHANGER_MODEL,
  CLEANING_PREFIX,
  DRIVE_GENERATIONS,
  DRIVE_MODELS,
  isMediaType,
  mediaFromBarcode,
  type DriveGeneration,
  type MediaType,
} from "./generations.ts";

export type CartridgeKind = "data" | "worm" | "cleaning";

export interface CartridgeSpec {
  barcode: string;
  kind?: CartridgeKind;
  /** Medium type; derived from the barcode suffix when left out. */
  media?: MediaType;
  /** Emulated capacity in bytes (default: `defaults.capacityBytes`). */
  capacityBytes?: number;
  /** Size of the early-warning zone before the physical end (default: `defaults.earlyWarningBytes`). */
  earlyWarningBytes?: number;
  writeProtected?: boolean;
  /** Cleaning cycles left (cleaning cartridges; default 50). */
  cleaningCycles?: number;
  /** LTO-9 media never loaded before: media optimization runs on the first load. */
  newMedia?: boolean;
  /** Library location: 1-based storage slot … */
  slot?: number;
  /** … or 1-based import/export slot … */
  importExport?: number;
  /** … or 0-based drive index (loaded). */
  drive?: number;
}

export interface DriveSpec {
  generation: DriveGeneration;
  serial: string;
  vendor?: string;
  product?: string;
  revision?: string;
  /** Throttle in bytes/s (0 or absent: unthrottled). */
  throttleBytesPerSec?: number;
}

export interface StandaloneDriveSpec extends DriveSpec {
  name: string;
  /** Cartridge loaded at creation (its location fields are ignored). */
  cartridge?: CartridgeSpec;
}

export interface LibrarySpec {
  name: string;
  slots: number;
  importExportSlots?: number;
  serial?: string;
  vendor?: string;
  product?: string;
  revision?: string;
  /** MOVE MEDIUM from a drive requires the drive to have ejected the cartridge first. */
  requireEjectBeforeUnload?: boolean;
  drives: DriveSpec[];
  cartridges?: CartridgeSpec[];
}

export interface TimingSpec {
  /** NOT READY, becoming ready, after a cartridge is loaded (ms). */
  loadMs?: number;
  /** Cleaning cycle duration (ms). */
  cleaningMs?: number;
  /** LTO-9 media optimization duration (ms). */
  calibrationMs?: number;
  /** Report UNIT ATTENTION 06/29/00 on the first command after the library opens. */
  powerOnUnitAttention?: boolean;
}

export type FaultSpec =
  | { type: "medium-error"; barcode: string; block: number; op: "read" | "write" }
  | { type: "hardware-error"; device: string }
  | { type: "offline"; device: string }
  | { type: "changer-jam"; library: string }
  | { type: "throttle"; device: string; bytesPerSec: number };

export interface SiteSpec {
  libraries?: LibrarySpec[];
  drives?: StandaloneDriveSpec[];
  /** Cartridges outside every library and drive (for I/E import or manual insert). */
  shelf?: CartridgeSpec[];
  defaults?: { capacityBytes?: number; earlyWarningBytes?: number };
  timing?: TimingSpec;
  faults?: FaultSpec[];
}

/** Spec after validation: defaults resolved. */
export interface NormalizedCartridge {
  barcode: string;
  kind: CartridgeKind;
  media: MediaType;
  capacityBytes: number;
  earlyWarningBytes: number;
  writeProtected: boolean;
  cleaningCycles: number;
  newMedia: boolean;
}

export interface NormalizedDrive {
  generation: DriveGeneration;
  serial: string;
  vendor: string;
  product: string;
  revision: string;
  throttleBytesPerSec: number;
}

export interface NormalizedTiming {
  loadMs: number;
  cleaningMs: number;
  calibrationMs: number;
  powerOnUnitAttention: boolean;
}

export const DEFAULT_CAPACITY_BYTES = 16 * 1024 ** 3;
export const DEFAULT_CLEANING_CYCLES = 50;
export const DEFAULT_TIMING: NormalizedTiming = { loadMs: 0, cleaningMs: 0, calibrationMs: 0, powerOnUnitAttention: true };
/** Largest number of storage slots / drives / I/E slots in one library (element address ranges). */
export const MAX_SLOTS = 4000;
export const MAX_DRIVES = 200;
export const MAX_IE_SLOTS = 200;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SERIAL_RE = /^[A-Za-z0-9]{1,10}$/;
const BARCODE_RE = /^[\x21-\x7e]{1,32}$/;

type Obj = Record<string, unknown>;

function obj(x: unknown, field: string): Obj {
  if (typeof x !== "object" || x === null || Array.isArray(x)) throw new VtlSpecError(field, "must be an object");
  return x as Obj;
}

function knownKeys(o: Obj, field: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new VtlSpecError(`${field}.${k}`, "unknown field");
}

function int(x: unknown, field: string, min: number, max: number): number {
  if (typeof x !== "number" || !Number.isInteger(x)) throw new VtlSpecError(field, "must be an integer");
  if (x < min || x > max) throw new VtlSpecError(field, `must be between ${min} and ${max}`);
  return x;
}

function optInt(x: unknown, field: string, min: number, max: number): number | undefined {
  return x === undefined ? undefined : int(x, field, min, max);
}

function bool(x: unknown, field: string): boolean | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== "boolean") throw new VtlSpecError(field, "must be a boolean");
  return x;
}

function str(x: unknown, field: string, re: RegExp, what: string): string {
  if (typeof x !== "string") throw new VtlSpecError(field, "must be a string");
  if (!re.test(x)) throw new VtlSpecError(field, `${JSON.stringify(x)} is not ${what}`);
  return x;
}

function optAscii(x: unknown, field: string, maxLen: number): string | undefined {
  if (x === undefined) return undefined;
  return str(x, field, new RegExp(`^[\\x20-\\x7e]{1,${maxLen}}$`), `1 to ${maxLen} printable ASCII characters`);
}

function arr(x: unknown, field: string): unknown[] {
  if (x === undefined) return [];
  if (!Array.isArray(x)) throw new VtlSpecError(field, "must be an array");
  return x;
}

const MAX_CAPACITY = 2 ** 50;

function validateCartridge(x: unknown, field: string, site: SiteSpec): CartridgeSpec {
  const o = obj(x, field);
  knownKeys(o, field, [
    "barcode", "kind", "media", "capacityBytes", "earlyWarningBytes", "writeProtected", "cleaningCycles", "newMedia",
    "slot", "importExport", "drive",
  ]);
  const barcode = str(o.barcode, `${field}.barcode`, BARCODE_RE, "1 to 32 printable ASCII characters without spaces");
  const fromCode = mediaFromBarcode(barcode);
  let kind: CartridgeKind;
  if (o.kind === undefined) {
    kind = barcode.toUpperCase().startsWith(CLEANING_PREFIX) ? "cleaning" : fromCode?.worm ? "worm" : "data";
  } else if (o.kind === "data" || o.kind === "worm" || o.kind === "cleaning") {
    kind = o.kind;
  } else {
    throw new VtlSpecError(`${field}.kind`, `must be "data", "worm" or "cleaning"`);
  }
  let media: MediaType;
  if (o.media !== undefined) {
    if (!isMediaType(o.media)) throw new VtlSpecError(`${field}.media`, "must be one of L3 L4 L5 L6 L7 M8 L8 L9 LA");
    media = o.media;
  } else if (fromCode) {
    media = fromCode.media;
  } else if (kind === "cleaning") {
    media = "L9";
  } else {
    throw new VtlSpecError(`${field}.media`, `required: barcode ${JSON.stringify(barcode)} has no LTO medium suffix`);
  }
  const out: CartridgeSpec = { barcode, kind, media };
  const cap = optInt(o.capacityBytes, `${field}.capacityBytes`, 1024 * 1024, MAX_CAPACITY);
  if (cap !== undefined) out.capacityBytes = cap;
  const ew = optInt(o.earlyWarningBytes, `${field}.earlyWarningBytes`, 0, MAX_CAPACITY);
  if (ew !== undefined) out.earlyWarningBytes = ew;
  const effCap = cap ?? site.defaults?.capacityBytes ?? DEFAULT_CAPACITY_BYTES;
  if (ew !== undefined && ew >= effCap) throw new VtlSpecError(`${field}.earlyWarningBytes`, `must be smaller than the capacity (${effCap})`);
  const wp = bool(o.writeProtected, `${field}.writeProtected`);
  if (wp !== undefined) out.writeProtected = wp;
  const cc = optInt(o.cleaningCycles, `${field}.cleaningCycles`, 0, 1000);
  if (cc !== undefined) {
    if (kind !== "cleaning") throw new VtlSpecError(`${field}.cleaningCycles`, "only cleaning cartridges have cleaning cycles");
    out.cleaningCycles = cc;
  }
  const nm = bool(o.newMedia, `${field}.newMedia`);
  if (nm !== undefined) {
    if (nm && media !== "L9") throw new VtlSpecError(`${field}.newMedia`, "only LTO-9 media need media optimization");
    out.newMedia = nm;
  }
  const locs = (["slot", "importExport", "drive"] as const).filter((k) => o[k] !== undefined);
  if (locs.length > 1) throw new VtlSpecError(field, `give only one of slot, importExport, drive (got ${locs.join(", ")})`);
  if (o.slot !== undefined) out.slot = int(o.slot, `${field}.slot`, 1, MAX_SLOTS);
  if (o.importExport !== undefined) out.importExport = int(o.importExport, `${field}.importExport`, 1, MAX_IE_SLOTS);
  if (o.drive !== undefined) out.drive = int(o.drive, `${field}.drive`, 0, MAX_DRIVES - 1);
  return out;
}

function validateDrive(o: Obj, field: string): DriveSpec {
  if (typeof o.generation !== "number" || !DRIVE_GENERATIONS.includes(o.generation as DriveGeneration)) {
    throw new VtlSpecError(`${field}.generation`, `must be one of ${DRIVE_GENERATIONS.join(", ")}`);
  }
  const out: DriveSpec = {
    generation: o.generation as DriveGeneration,
    serial: str(o.serial, `${field}.serial`, SERIAL_RE, "1 to 10 letters or digits"),
  };
  const vendor = optAscii(o.vendor, `${field}.vendor`, 8);
  if (vendor !== undefined) out.vendor = vendor;
  const product = optAscii(o.product, `${field}.product`, 16);
  if (product !== undefined) out.product = product;
  const revision = optAscii(o.revision, `${field}.revision`, 4);
  if (revision !== undefined) out.revision = revision;
  const t = optInt(o.throttleBytesPerSec, `${field}.throttleBytesPerSec`, 0, 2 ** 40);
  if (t !== undefined) out.throttleBytesPerSec = t;
  return out;
}

const DRIVE_KEYS = ["generation", "serial", "vendor", "product", "revision", "throttleBytesPerSec"] as const;

/**
 * Validate an untrusted spec (parsed JSON). Returns a copy with cartridge kinds and media
 * resolved. Throws {@link VtlSpecError} naming the first bad field.
 */
export function validateSpec(input: unknown): SiteSpec {
  const o = obj(input, "spec");
  knownKeys(o, "spec", ["libraries", "drives", "shelf", "defaults", "timing", "faults"]);
  const spec: SiteSpec = {};
  if (o.defaults !== undefined) {
    const d = obj(o.defaults, "defaults");
    knownKeys(d, "defaults", ["capacityBytes", "earlyWarningBytes"]);
    spec.defaults = {};
    const cap = optInt(d.capacityBytes, "defaults.capacityBytes", 1024 * 1024, MAX_CAPACITY);
    if (cap !== undefined) spec.defaults.capacityBytes = cap;
    const ew = optInt(d.earlyWarningBytes, "defaults.earlyWarningBytes", 0, MAX_CAPACITY);
    if (ew !== undefined) {
      if (ew >= (cap ?? DEFAULT_CAPACITY_BYTES)) throw new VtlSpecError("defaults.earlyWarningBytes", "must be smaller than the capacity");
      spec.defaults.earlyWarningBytes = ew;
    }
  }
  if (o.timing !== undefined) {
    const t = obj(o.timing, "timing");
    knownKeys(t, "timing", ["loadMs", "cleaningMs", "calibrationMs", "powerOnUnitAttention"]);
    spec.timing = {};
    for (const k of ["loadMs", "cleaningMs", "calibrationMs"] as const) {
      const v = optInt(t[k], `timing.${k}`, 0, 24 * 3600 * 1000);
      if (v !== undefined) spec.timing[k] = v;
    }
    const p = bool(t.powerOnUnitAttention, "timing.powerOnUnitAttention");
    if (p !== undefined) spec.timing.powerOnUnitAttention = p;
  }
  const barcodes = new Set<string>();
  const serials = new Set<string>();
  const deviceIds = new Set<string>();
  const addBarcode = (b: string, field: string): void => {
    if (barcodes.has(b)) throw new VtlSpecError(field, `barcode ${JSON.stringify(b)} is used twice`);
    barcodes.add(b);
  };
  const addSerial = (s: string, field: string): void => {
    if (serials.has(s)) throw new VtlSpecError(field, `serial ${JSON.stringify(s)} is used twice`);
    serials.add(s);
  };

  spec.libraries = arr(o.libraries, "libraries").map((lx, li) => {
    const f = `libraries[${li}]`;
    const l = obj(lx, f);
    knownKeys(l, f, ["name", "slots", "importExportSlots", "serial", "vendor", "product", "revision", "requireEjectBeforeUnload", "drives", "cartridges"]);
    const name = str(l.name, `${f}.name`, ID_RE, "a name of letters, digits, '.', '_' or '-'");
    if (deviceIds.has(name)) throw new VtlSpecError(`${f}.name`, `name ${JSON.stringify(name)} is used twice`);
    deviceIds.add(name);
    const lib: LibrarySpec = {
      name,
      slots: int(l.slots, `${f}.slots`, 1, MAX_SLOTS),
      importExportSlots: optInt(l.importExportSlots, `${f}.importExportSlots`, 0, MAX_IE_SLOTS) ?? 0,
      drives: [],
      cartridges: [],
    };
    if (l.serial !== undefined) {
      lib.serial = str(l.serial, `${f}.serial`, SERIAL_RE, "1 to 10 letters or digits");
      addSerial(lib.serial, `${f}.serial`);
    }
    const vendor = optAscii(l.vendor, `${f}.vendor`, 8);
    if (vendor !== undefined) lib.vendor = vendor;
    const product = optAscii(l.product, `${f}.product`, 16);
    if (product !== undefined) lib.product = product;
    const revision = optAscii(l.revision, `${f}.revision`, 4);
    if (revision !== undefined) lib.revision = revision;
    const rebu = bool(l.requireEjectBeforeUnload, `${f}.requireEjectBeforeUnload`);
    if (rebu !== undefined) lib.requireEjectBeforeUnload = rebu;
    const drives = arr(l.drives, `${f}.drives`);
    if (drives.length > MAX_DRIVES) throw new VtlSpecError(`${f}.drives`, `at most ${MAX_DRIVES} drives`);
    lib.drives = drives.map((dx, di) => {
      const df = `${f}.drives[${di}]`;
      const d = obj(dx, df);
      knownKeys(d, df, DRIVE_KEYS);
      const drive = validateDrive(d, df);
      addSerial(drive.serial, `${df}.serial`);
      return drive;
    });
    const used = new Map<string, string>();
    lib.cartridges = arr(l.cartridges, `${f}.cartridges`).map((cx, ci) => {
      const cf = `${f}.cartridges[${ci}]`;
      const cart = validateCartridge(cx, cf, { ...spec, defaults: spec.defaults ?? {} });
      addBarcode(cart.barcode, `${cf}.barcode`);
      let where: string;
      if (cart.slot !== undefined) {
        if (cart.slot > lib.slots) throw new VtlSpecError(`${cf}.slot`, `library has ${lib.slots} slots`);
        where = `slot ${cart.slot}`;
      } else if (cart.importExport !== undefined) {
        if (cart.importExport > (lib.importExportSlots ?? 0)) {
          throw new VtlSpecError(`${cf}.importExport`, `library has ${lib.importExportSlots ?? 0} import/export slots`);
        }
        where = `import/export slot ${cart.importExport}`;
      } else if (cart.drive !== undefined) {
        if (cart.drive >= lib.drives.length) throw new VtlSpecError(`${cf}.drive`, `library has ${lib.drives.length} drives`);
        where = `drive ${cart.drive}`;
      } else {
        throw new VtlSpecError(cf, "needs a location: slot, importExport or drive");
      }
      const prev = used.get(where);
      if (prev !== undefined) throw new VtlSpecError(cf, `${where} already holds ${prev}`);
      used.set(where, cart.barcode);
      return cart;
    });
    return lib;
  });

  spec.drives = arr(o.drives, "drives").map((dx, di) => {
    const df = `drives[${di}]`;
    const d = obj(dx, df);
    knownKeys(d, df, [...DRIVE_KEYS, "name", "cartridge"]);
    const name = str(d.name, `${df}.name`, ID_RE, "a name of letters, digits, '.', '_' or '-'");
    if (deviceIds.has(name)) throw new VtlSpecError(`${df}.name`, `name ${JSON.stringify(name)} is used twice`);
    deviceIds.add(name);
    const drive: StandaloneDriveSpec = { name, ...validateDrive(d, df) };
    addSerial(drive.serial, `${df}.serial`);
    if (d.cartridge !== undefined) {
      const cart = validateCartridge(d.cartridge, `${df}.cartridge`, spec);
      if (cart.slot !== undefined || cart.importExport !== undefined || cart.drive !== undefined) {
        throw new VtlSpecError(`${df}.cartridge`, "a standalone drive's cartridge has no slot, importExport or drive");
      }
      addBarcode(cart.barcode, `${df}.cartridge.barcode`);
      drive.cartridge = cart;
    }
    return drive;
  });

  spec.shelf = arr(o.shelf, "shelf").map((cx, ci) => {
    const cf = `shelf[${ci}]`;
    const cart = validateCartridge(cx, cf, spec);
    if (cart.slot !== undefined || cart.importExport !== undefined || cart.drive !== undefined) {
      throw new VtlSpecError(cf, "a shelf cartridge has no slot, importExport or drive");
    }
    addBarcode(cart.barcode, `${cf}.barcode`);
    return cart;
  });

  const devices = new Set<string>();
  for (const l of spec.libraries) {
    devices.add(`${l.name}/changer`);
    l.drives.forEach((_, i) => devices.add(`${l.name}/drive${i}`));
  }
  for (const d of spec.drives) devices.add(d.name);
  spec.faults = arr(o.faults, "faults").map((fx, fi) => {
    const ff = `faults[${fi}]`;
    const f = obj(fx, ff);
    const device = (): string => {
      const id = str(f.device, `${ff}.device`, /^.+$/, "a device id");
      if (!devices.has(id)) throw new VtlSpecError(`${ff}.device`, `no device ${JSON.stringify(id)}`);
      return id;
    };
    switch (f.type) {
      case "medium-error": {
        knownKeys(f, ff, ["type", "barcode", "block", "op"]);
        const barcode = str(f.barcode, `${ff}.barcode`, BARCODE_RE, "a barcode");
        if (!barcodes.has(barcode)) throw new VtlSpecError(`${ff}.barcode`, `no cartridge ${JSON.stringify(barcode)}`);
        if (f.op !== "read" && f.op !== "write") throw new VtlSpecError(`${ff}.op`, `must be "read" or "write"`);
        return { type: "medium-error", barcode, block: int(f.block, `${ff}.block`, 0, Number.MAX_SAFE_INTEGER), op: f.op };
      }
      case "hardware-error":
      case "offline":
        knownKeys(f, ff, ["type", "device"]);
        return { type: f.type, device: device() };
      case "changer-jam": {
        knownKeys(f, ff, ["type", "library"]);
        const library = str(f.library, `${ff}.library`, ID_RE, "a library name");
        if (!spec.libraries!.some((l) => l.name === library)) throw new VtlSpecError(`${ff}.library`, `no library ${JSON.stringify(library)}`);
        return { type: "changer-jam", library };
      }
      case "throttle":
        knownKeys(f, ff, ["type", "device", "bytesPerSec"]);
        return { type: "throttle", device: device(), bytesPerSec: int(f.bytesPerSec, `${ff}.bytesPerSec`, 0, 2 ** 40) };
      default:
        throw new VtlSpecError(`${ff}.type`, `must be one of medium-error, hardware-error, offline, changer-jam, throttle`);
    }
  });
  if (spec.libraries.length === 0 && spec.drives.length === 0) throw new VtlSpecError("spec", "needs at least one library or standalone drive");
  return spec;
}

/** Resolve a cartridge spec against the site defaults. */
export function normalizeCartridge(c: CartridgeSpec, spec: SiteSpec): NormalizedCartridge {
  const capacityBytes = c.capacityBytes ?? spec.defaults?.capacityBytes ?? DEFAULT_CAPACITY_BYTES;
  const ew = c.earlyWarningBytes ?? spec.defaults?.earlyWarningBytes ?? Math.min(Math.floor(capacityBytes / 50), 1024 ** 3);
  return {
    barcode: c.barcode,
    kind: c.kind ?? "data",
    media: c.media ?? "L9",
    capacityBytes,
    earlyWarningBytes: Math.min(ew, capacityBytes - 1),
    writeProtected: c.writeProtected ?? false,
    cleaningCycles: c.cleaningCycles ?? (c.kind === "cleaning" ? DEFAULT_CLEANING_CYCLES : 0),
    newMedia: c.newMedia ?? false,
  };
}

export function normalizeDrive(d: DriveSpec): NormalizedDrive {
  const model = DRIVE_MODELS[d.generation];
  return {
    generation: d.generation,
    serial: d.serial,
    vendor: d.vendor ?? model.vendor,
    product: d.product ?? model.product,
    revision: d.revision ?? model.revision,
    throttleBytesPerSec: d.throttleBytesPerSec ?? 0,
  };
}

export function normalizeTiming(t: TimingSpec | undefined): NormalizedTiming {
  return { ...DEFAULT_TIMING, ...(t ?? {}) };
}

export function changerIdentity(l: LibrarySpec): { vendor: string; product: string; revision: string; serial: string } {
  return {
    vendor: l.vendor ?? CHANGER_MODEL.vendor,
    product: l.product ?? CHANGER_MODEL.product,
    revision: l.revision ?? CHANGER_MODEL.revision,
    serial: l.serial ?? defaultChangerSerial(l.name),
  };
}

function defaultChangerSerial(name: string): string {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `LIB${h.toString(16).toUpperCase().padStart(7, "0").slice(0, 7)}`;
}

/**
 * The default site for `npm start`: one changer with two drives (one LTO-9, one LTO-8),
 * 16 slots, 2 import/export slots, 10 data cartridges, 1 WORM cartridge, 1 cleaning cartridge.
 */
export function defaultSiteSpec(): SiteSpec {
  const cartridges: CartridgeSpec[] = [];
  for (let i = 1; i <= 10; i++) {
    // TF0001L9..TF0008L9 for the LTO-9 drive, TF0009L8/TF0010L8 readable by both drives
    const media = i <= 8 ? "L9" : "L8";
    cartridges.push({ barcode: `TF${String(i).padStart(4, "0")}${media}`, slot: i });
  }
  cartridges.push({ barcode: "TFW001LZ", slot: 11 });
  cartridges.push({ barcode: "CLN001L1", kind: "cleaning", media: "L9", slot: 16 });
  return {
    libraries: [
      {
        name: "lib1",
        slots: 16,
        importExportSlots: 2,
        serial: "TFLIB00001",
        drives: [
          { generation: 9, serial: "TFD9000001" },
          { generation: 8, serial: "TFD8000002" },
        ],
        cartridges,
      },
    ],
    defaults: { capacityBytes: 8 * 1024 ** 3 },
    timing: { loadMs: 1000, cleaningMs: 5000, calibrationMs: 5000 },
  };
}
