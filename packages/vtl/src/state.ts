/**
 * The persistent state of a virtual library folder (`state.json`): the validated spec,
 * every cartridge's record (MAM, counters, flags) and where each cartridge is.
 */
import type { CartridgeKind, SiteSpec } from "./spec.ts";
import type { MediaType } from "./generations.ts";

export const STATE_VERSION = 1;
export const STATE_FILE = "state.json";
export const CARTRIDGE_DIR = "cartridges";

export interface CartridgeRecord {
  barcode: string;
  kind: CartridgeKind;
  media: MediaType;
  capacityBytes: number;
  earlyWarningBytes: number;
  writeProtected: boolean;
  cleaningCyclesLeft: number;
  /** LTO-9 media optimization still to run. */
  needsOptimization: boolean;
  /** Medium serial number (MAM 0x0401). */
  serial: string;
  /** Manufacture date YYYYMMDD (MAM 0x0406). */
  manufactured: string;
  loadCount: number;
  bytesWritten: number;
  bytesRead: number;
  /** Beginning-of-medium passes (log page 0x17 param 0x0101). */
  passes: number;
  /** Density the medium was written with (0 = never written). */
  formattedDensity: number;
  /** Host-writable MAM attributes: hex id (`0800`) → base64 value. */
  attributes: Record<string, string>;
}

/** A cartridge in a changer element. */
export interface ElementContent {
  barcode: string;
  /** Element address the cartridge came from (SValid + source storage element address). */
  source: number | null;
  /** Import/export element only: placed by an operator (ImpExp = 1). */
  imported?: boolean;
}

export interface DriveContent {
  barcode: string;
  source: number | null;
  /** The drive has unloaded the cartridge (it may be removed). */
  ejected: boolean;
}

export interface LibraryLayout {
  storage: (ElementContent | null)[];
  importExport: (ElementContent | null)[];
  drives: (DriveContent | null)[];
}

export interface StateFile {
  version: typeof STATE_VERSION;
  spec: SiteSpec;
  cartridges: Record<string, CartridgeRecord>;
  libraries: Record<string, LibraryLayout>;
  /** Standalone drive name → loaded cartridge. */
  standalone: Record<string, DriveContent | null>;
  /** Barcodes outside every library and drive. */
  shelf: string[];
}
