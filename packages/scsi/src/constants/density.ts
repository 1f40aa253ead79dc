/**
 * Primary density codes of LTO (Ultrium) media, as reported in byte 0 of the mode
 * parameter block descriptor, in the REPORT DENSITY SUPPORT descriptors and in the
 * MAM attributes 0x0006 / 0x0405.
 *
 * @see SSC-4 8.3.3 (block descriptor density code), SSC-4 6.8 (REPORT DENSITY SUPPORT),
 *      LTO drive SCSI references (density code tables); PBS `pbs-api-types/src/tape/drive.rs`.
 */
export const DensityCode = {
  /** Default / no medium loaded / unknown. */
  UNKNOWN: 0x00,
  LTO1: 0x40,
  LTO2: 0x42,
  LTO3: 0x44,
  LTO4: 0x46,
  LTO5: 0x58,
  LTO6: 0x5a,
  LTO7: 0x5c,
  /** LTO-7 cartridge initialised as Type M (M8), 9 TB native. */
  LTO7_TYPE_M: 0x5d,
  LTO8: 0x5e,
  LTO9: 0x60,
  LTO10: 0x62,
} as const;

export type DensityCodeValue = (typeof DensityCode)[keyof typeof DensityCode];

export interface DensityInfo {
  readonly code: number;
  /** Display name, e.g. `LTO-7 Type M`. */
  readonly name: string;
  /** LTO generation number (7 for Type M). */
  readonly generation: number;
  /** Native (uncompressed) capacity in bytes. */
  readonly nativeCapacityBytes: number;
}

const TB = 1_000_000_000_000;
const GB = 1_000_000_000;

/** LTO-1 … LTO-10 primary densities, in generation order. */
export const LTO_DENSITIES: readonly DensityInfo[] = Object.freeze([
  { code: DensityCode.LTO1, name: "LTO-1", generation: 1, nativeCapacityBytes: 100 * GB },
  { code: DensityCode.LTO2, name: "LTO-2", generation: 2, nativeCapacityBytes: 200 * GB },
  { code: DensityCode.LTO3, name: "LTO-3", generation: 3, nativeCapacityBytes: 400 * GB },
  { code: DensityCode.LTO4, name: "LTO-4", generation: 4, nativeCapacityBytes: 800 * GB },
  { code: DensityCode.LTO5, name: "LTO-5", generation: 5, nativeCapacityBytes: 1500 * GB },
  { code: DensityCode.LTO6, name: "LTO-6", generation: 6, nativeCapacityBytes: 2500 * GB },
  { code: DensityCode.LTO7, name: "LTO-7", generation: 7, nativeCapacityBytes: 6 * TB },
  { code: DensityCode.LTO7_TYPE_M, name: "LTO-7 Type M", generation: 7, nativeCapacityBytes: 9 * TB },
  { code: DensityCode.LTO8, name: "LTO-8", generation: 8, nativeCapacityBytes: 12 * TB },
  { code: DensityCode.LTO9, name: "LTO-9", generation: 9, nativeCapacityBytes: 18 * TB },
  { code: DensityCode.LTO10, name: "LTO-10", generation: 10, nativeCapacityBytes: 30 * TB },
]);

const BY_CODE: ReadonlyMap<number, DensityInfo> = new Map(LTO_DENSITIES.map((d) => [d.code, d]));

/** The LTO density for a code, or undefined (0x00 and non-LTO codes). */
export function densityInfo(code: number): DensityInfo | undefined {
  return BY_CODE.get(code);
}

/** Display name of a density code: `LTO-5`, `unknown` for 0x00, `density 0xNN` otherwise. */
export function densityName(code: number): string {
  if (code === DensityCode.UNKNOWN) return "unknown";
  return BY_CODE.get(code)?.name ?? `density 0x${code.toString(16).padStart(2, "0")}`;
}
