/**
 * LTO generations: drive identities, medium types, density codes and what each drive
 * generation reads and writes.
 *
 * @see LTO Program compatibility tables (LTO-5..LTO-10), SSC-4 8.3.3 (density code),
 *      PBS reference §8.5 (density codes)
 */
import { DensityCode } from "@tapefleet/scsi";

export type DriveGeneration = 5 | 6 | 7 | 8 | 9 | 10;
export const DRIVE_GENERATIONS: readonly DriveGeneration[] = [5, 6, 7, 8, 9, 10];

/** Medium types, named by the data cartridge barcode suffix (LTO label specification). */
export type MediaType = "L3" | "L4" | "L5" | "L6" | "L7" | "M8" | "L8" | "L9" | "LA";

export interface MediaInfo {
  type: MediaType;
  generation: number;
  name: string;
  /** Primary density code written on this medium. */
  density: number;
  /** Barcode suffix of the WORM variant (undefined: no WORM variant). */
  wormSuffix: string | undefined;
  nativeCapacityBytes: number;
  /** Approximate linear density (bits/mm) and track count, for REPORT DENSITY SUPPORT. */
  bitsPerMm: number;
  tracks: number;
}

const GB = 1_000_000_000;
const TB = 1000 * GB;

export const MEDIA: Readonly<Record<MediaType, MediaInfo>> = {
  L3: { type: "L3", generation: 3, name: "LTO-3", density: DensityCode.LTO3, wormSuffix: "LT", nativeCapacityBytes: 400 * GB, bitsPerMm: 9638, tracks: 704 },
  L4: { type: "L4", generation: 4, name: "LTO-4", density: DensityCode.LTO4, wormSuffix: "LU", nativeCapacityBytes: 800 * GB, bitsPerMm: 13250, tracks: 896 },
  L5: { type: "L5", generation: 5, name: "LTO-5", density: DensityCode.LTO5, wormSuffix: "LV", nativeCapacityBytes: 1500 * GB, bitsPerMm: 15142, tracks: 1280 },
  L6: { type: "L6", generation: 6, name: "LTO-6", density: DensityCode.LTO6, wormSuffix: "LW", nativeCapacityBytes: 2500 * GB, bitsPerMm: 15142, tracks: 2176 },
  L7: { type: "L7", generation: 7, name: "LTO-7", density: DensityCode.LTO7, wormSuffix: "LX", nativeCapacityBytes: 6 * TB, bitsPerMm: 19107, tracks: 3584 },
  M8: { type: "M8", generation: 7, name: "LTO-7 Type M", density: DensityCode.LTO7_TYPE_M, wormSuffix: undefined, nativeCapacityBytes: 9 * TB, bitsPerMm: 19107, tracks: 5376 },
  L8: { type: "L8", generation: 8, name: "LTO-8", density: DensityCode.LTO8, wormSuffix: "LY", nativeCapacityBytes: 12 * TB, bitsPerMm: 20668, tracks: 6656 },
  L9: { type: "L9", generation: 9, name: "LTO-9", density: DensityCode.LTO9, wormSuffix: "LZ", nativeCapacityBytes: 18 * TB, bitsPerMm: 23419, tracks: 8960 },
  LA: { type: "LA", generation: 10, name: "LTO-10", density: DensityCode.LTO10, wormSuffix: undefined, nativeCapacityBytes: 30 * TB, bitsPerMm: 23419, tracks: 14336 },
};

export interface DriveModel {
  generation: DriveGeneration;
  vendor: string;
  product: string;
  revision: string;
  /** Media this generation reads. */
  reads: readonly MediaType[];
  /** Media this generation writes (a subset of reads). */
  writes: readonly MediaType[];
  /** Native speed in bytes/s (for throttling presets). */
  nativeSpeed: number;
}

const MB = 1_000_000;

/** Full-height IBM drive identities (INQUIRY vendor/product/revision) per generation. */
export const DRIVE_MODELS: Readonly<Record<DriveGeneration, DriveModel>> = {
  5: { generation: 5, vendor: "IBM", product: "ULT3580-TD5", revision: "H976", reads: ["L3", "L4", "L5"], writes: ["L4", "L5"], nativeSpeed: 140 * MB },
  6: { generation: 6, vendor: "IBM", product: "ULT3580-TD6", revision: "J451", reads: ["L4", "L5", "L6"], writes: ["L5", "L6"], nativeSpeed: 160 * MB },
  7: { generation: 7, vendor: "IBM", product: "ULT3580-TD7", revision: "M4L2", reads: ["L5", "L6", "L7"], writes: ["L6", "L7"], nativeSpeed: 300 * MB },
  8: { generation: 8, vendor: "IBM", product: "ULT3580-TD8", revision: "Q3B2", reads: ["L7", "M8", "L8"], writes: ["L7", "M8", "L8"], nativeSpeed: 360 * MB },
  9: { generation: 9, vendor: "IBM", product: "ULT3580-TD9", revision: "S9J1", reads: ["L8", "L9"], writes: ["L8", "L9"], nativeSpeed: 400 * MB },
  10: { generation: 10, vendor: "IBM", product: "ULT3580-TD10", revision: "T1A0", reads: ["LA"], writes: ["LA"], nativeSpeed: 400 * MB },
};

/** The default changer identity (INQUIRY). */
export const CHANGER_MODEL = { vendor: "IBM", product: "3573-TL", revision: "F.11" } as const;

/** Barcode prefix of cleaning cartridges. */
export const CLEANING_PREFIX = "CLN";

/** Medium type and WORM flag from a barcode suffix (`L9` data, `LZ` WORM LTO-9, …). */
export function mediaFromBarcode(barcode: string): { media: MediaType; worm: boolean } | undefined {
  const suffix = barcode.slice(-2).toUpperCase();
  for (const m of Object.values(MEDIA)) {
    if (m.type === suffix) return { media: m.type, worm: false };
    if (m.wormSuffix === suffix) return { media: m.type, worm: true };
  }
  return undefined;
}

export function isMediaType(x: unknown): x is MediaType {
  return typeof x === "string" && Object.hasOwn(MEDIA, x);
}
