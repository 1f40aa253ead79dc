/**
 * Every decoder of the package with valid seed inputs, for the fuzz property (the suite's
 * `decoders.fuzz.test.ts` and the long `npm run fuzz` run): on any bytes a decoder returns
 * a value or throws a {@link ScsiError}; nothing else.
 */
import * as fc from "fast-check";
import { decodeDiag, DIAG_KINDS } from "../diag/decode-diag.ts";
import { decodeDriveStatus } from "../drive-status.ts";
import { ScsiError } from "../errors.ts";
import { decodeAttributeList, decodeAttributeValues, encodeAttributeValues } from "../spc/attribute.ts";
import { decodeInquiry, decodeVpdDeviceIdentification, decodeVpdSupportedPages, decodeVpdUnitSerial } from "../spc/inquiry.ts";
import {
  decodeDeviceStatusLog,
  decodeLogPage,
  decodeSequentialAccessLog,
  decodeSupportedLogPages,
  decodeTapeAlertBits,
  decodeTapeAlertLog,
  decodeTapeAlertResponse,
  decodeTapeCapacityLog,
  decodeTapeUsageLog,
  decodeVolumeStatistics,
  encodeLogPage,
  encodeTapeAlertBits,
} from "../spc/log.ts";
import {
  decodeDataCompressionPage,
  decodeDeviceConfigurationPage,
  decodeElementAddressAssignmentPage,
  decodeMediumConfigurationPage,
  decodeMediumPartitionPage,
  decodeModeSense10,
  decodeModeSense6,
  encodeDataCompressionPage,
  encodeElementAddressAssignmentPage,
  encodeMediumConfigurationPage,
  encodeModeParameters10,
  encodeModeParameters6,
} from "../spc/mode.ts";
import { classifySense, decodeSense } from "../spc/sense-data.ts";
import { decodeReadElementStatus, encodeReadElementStatus } from "../smc/element-status.ts";
import {
  decodeEncryptionCapabilities,
  decodeEncryptionStatus,
  decodeEncryptionSupportedPages,
  decodeNextBlockEncryptionStatus,
  decodeSetDataEncryption,
  decodeSupportedSecurityProtocols,
  encodeSetDataEncryption,
} from "../ssc/encryption.ts";
import { decodeReadPositionLong, decodeReadPositionShort, encodeReadPositionLong } from "../ssc/position.ts";
import { decodeReadBlockLimits, decodeReportDensitySupport, encodeReportDensitySupport } from "../ssc/tape-commands.ts";

export interface FuzzTarget {
  name: string;
  decode: (bytes: Uint8Array) => unknown;
  seeds: Uint8Array[];
}

const h = (s: string) => Uint8Array.from(s.trim().split(/\s+/), (x) => Number.parseInt(x, 16));

const compression = encodeDataCompressionPage({ dataCompressionEnabled: true, dataCompressionCapable: true, dataDecompressionEnabled: true, reportExceptionOnDecompression: 0, compressionAlgorithm: 1, decompressionAlgorithm: 1 });
const blockDesc = [{ densityCode: 0x5a, blockCount: 0, blockLength: 0 }];

const SEEDS = {
  sense: [
    h("70 00 80 00 04 00 00 0a 00 00 00 00 00 01 00 00 00 00"),
    h("f0 00 28 ff ff f0 00 0a 00 00 00 00 00 00 00 00 00 00"),
    h("72 00 00 00 00 00 00 10 00 0a 80 00 00 00 00 00 00 00 02 00 04 02 00 a0"),
    h("73 05 24 00 00 00 00 08 02 06 00 00 c8 00 02 00"),
  ],
  inquiry: [h("01 80 06 02 1f 00 00 00 49 42 4d 20 20 20 20 20 55 4c 54 33 35 38 30 2d 54 44 35 20 20 20 20 20 44 38 44 35")],
  vpd00: [h("01 00 00 03 00 80 83")],
  vpd80: [h("01 80 00 04 31 32 33 34")],
  vpd83: [h("01 83 00 0c 02 01 00 08 49 42 4d 20 20 20 20 20")],
  mode6: [encodeModeParameters6({ bufferMode: 1, blockDescriptors: blockDesc, pages: [compression] }, { forSelect: false })],
  mode10: [encodeModeParameters10({ bufferMode: 1, blockDescriptors: blockDesc, pages: [compression, encodeMediumConfigurationPage({ worm: true, wormModeLabelRestrictions: 0, wormModeFilemarkRestrictions: 0 })] }, { forSelect: false })],
  page0f: [compression],
  page10: [h("10 0e 00 00 00 00 00 64 40 00 78 00 00 00 01 01")],
  page11: [h("11 0a 01 01 2c 03 19 00 00 01 ff ff")],
  page1d: [encodeMediumConfigurationPage({ worm: true, wormModeLabelRestrictions: 1, wormModeFilemarkRestrictions: 2 })],
  eaa: [encodeElementAddressAssignmentPage({ firstTransportAddress: 0, transportCount: 1, firstStorageAddress: 0x400, storageCount: 24, firstImportExportAddress: 0x300, importExportCount: 2, firstDataTransferAddress: 0x100, dataTransferCount: 2 })],
  log: [encodeLogPage(0x0c, [{ code: 0, value: h("00 00 00 07") }, { code: 0x100, value: h("01") }])],
  log00: [h("00 00 00 04 00 0c 12 17")],
  tapeAlertBits: [encodeTapeAlertBits([1, 20, 64])],
  log12: [h("12 00 00 0c 00 00 03 08 80 00 10 00 00 00 00 01")],
  log2e: [encodeLogPage(0x2e, [{ code: 1, value: h("01") }, { code: 20, value: h("01") }])],
  log17: [encodeLogPage(0x17, [{ code: 0, value: h("01") }, { code: 1, value: h("00 00 00 05") }, { code: 0x40, value: h("41 42 43") }, { code: 0x81, value: h("01") }])],
  log11: [encodeLogPage(0x11, [{ code: 0, value: h("21 17 06 01") }])],
  log30: [encodeLogPage(0x30, [{ code: 1, value: h("00 00 00 11") }])],
  log31: [encodeLogPage(0x31, [{ code: 1, value: h("00 24 9f 00") }])],
  mam: [encodeAttributeValues([{ id: 0x0002, format: 0, value: encodeTapeAlertBits([3]) }, { id: 0x0806, format: 1, value: h("41 42 43 20") }, { id: 0x0803, format: 2, value: h("c3 9c 00") }])],
  mamList: [h("00 00 00 04 00 00 04 01")],
  rposShort: [h("80 00 00 00 00 00 00 0a 00 00 00 0c 00 00 00 02 00 08 00 00")],
  rposLong: [encodeReadPositionLong({ blockNumber: 1234, fileNumber: 3 })],
  blockLimits: [h("00 80 00 00 00 01")],
  density: [encodeReportDensitySupport([{ primaryDensityCode: 0x58, secondaryDensityCode: 0x58, writeOk: true, duplicate: false, defaultDensity: true, descriptorLengthValid: true, bitsPerMm: 15142, mediaWidth: 127, tracks: 1280, capacity: 1500000, assigningOrganization: "LTO-CVE", densityName: "U-516", description: "Ultrium 5/16T" }])],
  spProtocols: [h("00 00 00 00 00 00 00 02 00 20")],
  encPages: [h("00 00 00 06 00 00 00 10 00 20")],
  encCaps: [h("00 10 00 28 09 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 14 0a 00 00 20 00 0c 00 20 00 00 00 00 00 00 00 00 00 01 00 14")],
  encStatus: [h("00 20 00 1c 40 02 03 01 00 00 00 07 10 00 00 00 00 00 00 00 00 00 00 00 00 01 00 04 61 62 63 64")],
  encNext: [h("00 21 00 0c 00 00 00 00 00 00 12 67 05 01 00 00")],
  setEnc: [encodeSetDataEncryption({ encryptionMode: 2, decryptionMode: 3, algorithmIndex: 1, key: new Uint8Array(32).fill(1) })],
  elements: [
    encodeReadElementStatus([
      { kind: "storage", volumeTags: true, elements: [{ address: 0x400, full: true, volumeTag: "A00001L6" }, { address: 0x401, full: false, except: { asc: 0x3b, ascq: 0x0e } }] },
      { kind: "data-transfer", volumeTags: true, deviceIds: true, elements: [{ address: 0x100, full: true, sourceAddress: 0x400, deviceId: { identifierType: 1, vendor: "IBM", product: "ULT3580-TD6", serial: "1013000001" } }] },
      { kind: "transport", volumeTags: false, elements: [{ address: 0, full: false }] },
    ]),
  ],
};

const SENSE_CONTEXTS = ["read", "write", "write-filemarks", "space", "other"] as const;
const DRIVE_STATUS_FIELDS = ["inquiry", "modeSense", "readPosition", "tapeAlert", "volumeStatistics", "deviceStatus", "mam"] as const;

/** The value for the drive status field selected by the first byte: the rest of the bytes. */
function driveStatusValue(b: Uint8Array): Uint8Array | { bytes: Uint8Array; format: "6" | "10" } {
  const rest = b.subarray(1);
  return DRIVE_STATUS_FIELDS[(b[0] ?? 0) % DRIVE_STATUS_FIELDS.length] === "modeSense" ? { bytes: rest, format: rest.length % 2 === 0 ? "10" : "6" } : rest;
}

/** A seed with a selector byte in front (decoders taking a kind or context pick it from byte 0). */
function prefixed(selector: number, seed: Uint8Array): Uint8Array {
  const out = new Uint8Array(seed.length + 1);
  out[0] = selector;
  out.set(seed, 1);
  return out;
}

/** The decoders with their seeds. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  { name: "decodeSense", decode: decodeSense, seeds: SEEDS.sense },
  {
    name: "classifySense",
    decode: (b) => classifySense(b.subarray(1), SENSE_CONTEXTS[(b[0] ?? 0) % SENSE_CONTEXTS.length] ?? "other"),
    seeds: SENSE_CONTEXTS.flatMap((_, i) => SEEDS.sense.map((s) => prefixed(i, s))),
  },
  { name: "decodeInquiry", decode: decodeInquiry, seeds: SEEDS.inquiry },
  { name: "decodeVpdSupportedPages", decode: decodeVpdSupportedPages, seeds: SEEDS.vpd00 },
  { name: "decodeVpdUnitSerial", decode: decodeVpdUnitSerial, seeds: SEEDS.vpd80 },
  { name: "decodeVpdDeviceIdentification", decode: decodeVpdDeviceIdentification, seeds: SEEDS.vpd83 },
  { name: "decodeModeSense6", decode: decodeModeSense6, seeds: SEEDS.mode6 },
  { name: "decodeModeSense10", decode: decodeModeSense10, seeds: SEEDS.mode10 },
  { name: "decodeDataCompressionPage", decode: decodeDataCompressionPage, seeds: SEEDS.page0f },
  { name: "decodeDeviceConfigurationPage", decode: decodeDeviceConfigurationPage, seeds: SEEDS.page10 },
  { name: "decodeMediumPartitionPage", decode: decodeMediumPartitionPage, seeds: SEEDS.page11 },
  { name: "decodeMediumConfigurationPage", decode: decodeMediumConfigurationPage, seeds: SEEDS.page1d },
  { name: "decodeElementAddressAssignmentPage", decode: decodeElementAddressAssignmentPage, seeds: SEEDS.eaa },
  { name: "decodeLogPage", decode: (b) => decodeLogPage(b), seeds: SEEDS.log },
  { name: "decodeSupportedLogPages", decode: decodeSupportedLogPages, seeds: SEEDS.log00 },
  { name: "decodeTapeAlertBits", decode: decodeTapeAlertBits, seeds: SEEDS.tapeAlertBits },
  { name: "decodeTapeAlertResponse", decode: decodeTapeAlertResponse, seeds: SEEDS.log12 },
  { name: "decodeTapeAlertLog", decode: decodeTapeAlertLog, seeds: SEEDS.log2e },
  { name: "decodeVolumeStatistics", decode: decodeVolumeStatistics, seeds: SEEDS.log17 },
  { name: "decodeSequentialAccessLog", decode: decodeSequentialAccessLog, seeds: SEEDS.log },
  { name: "decodeDeviceStatusLog", decode: decodeDeviceStatusLog, seeds: SEEDS.log11 },
  { name: "decodeTapeUsageLog", decode: decodeTapeUsageLog, seeds: SEEDS.log30 },
  { name: "decodeTapeCapacityLog", decode: decodeTapeCapacityLog, seeds: SEEDS.log31 },
  { name: "decodeAttributeValues", decode: decodeAttributeValues, seeds: SEEDS.mam },
  { name: "decodeAttributeList", decode: decodeAttributeList, seeds: SEEDS.mamList },
  { name: "decodeReadPositionShort", decode: decodeReadPositionShort, seeds: SEEDS.rposShort },
  { name: "decodeReadPositionLong", decode: decodeReadPositionLong, seeds: SEEDS.rposLong },
  { name: "decodeReadBlockLimits", decode: decodeReadBlockLimits, seeds: SEEDS.blockLimits },
  { name: "decodeReportDensitySupport", decode: decodeReportDensitySupport, seeds: SEEDS.density },
  { name: "decodeSupportedSecurityProtocols", decode: decodeSupportedSecurityProtocols, seeds: SEEDS.spProtocols },
  { name: "decodeEncryptionSupportedPages", decode: (b) => decodeEncryptionSupportedPages(b), seeds: SEEDS.encPages },
  { name: "decodeEncryptionCapabilities", decode: decodeEncryptionCapabilities, seeds: SEEDS.encCaps },
  { name: "decodeEncryptionStatus", decode: decodeEncryptionStatus, seeds: SEEDS.encStatus },
  { name: "decodeNextBlockEncryptionStatus", decode: decodeNextBlockEncryptionStatus, seeds: SEEDS.encNext },
  { name: "decodeSetDataEncryption", decode: decodeSetDataEncryption, seeds: SEEDS.setEnc },
  { name: "decodeReadElementStatus", decode: decodeReadElementStatus, seeds: SEEDS.elements },
  {
    name: "decodeDriveStatus",
    decode: (b) => decodeDriveStatus({ [DRIVE_STATUS_FIELDS[(b[0] ?? 0) % DRIVE_STATUS_FIELDS.length] ?? "inquiry"]: driveStatusValue(b) }),
    seeds: [
      prefixed(0, SEEDS.inquiry[0] as Uint8Array),
      prefixed(1, SEEDS.mode10[0] as Uint8Array),
      prefixed(2, SEEDS.rposLong[0] as Uint8Array),
      prefixed(3, SEEDS.log12[0] as Uint8Array),
      prefixed(4, SEEDS.log17[0] as Uint8Array),
      prefixed(5, SEEDS.log11[0] as Uint8Array),
      prefixed(6, SEEDS.mam[0] as Uint8Array),
    ],
  },
  {
    name: "decodeDiag",
    decode: (b) => decodeDiag(DIAG_KINDS[(b[0] ?? 0) % DIAG_KINDS.length] ?? "sense", b.subarray(1)),
    seeds: DIAG_KINDS.flatMap((kind, i) =>
      ({
        inquiry: SEEDS.inquiry,
        "vpd-serial": SEEDS.vpd80,
        sense: SEEDS.sense,
        "element-status": SEEDS.elements,
        "log-tapealert": [...SEEDS.log12, ...SEEDS.log2e],
        "log-volume-stats": SEEDS.log17,
        mam: SEEDS.mam,
        "mode-sense": [...SEEDS.mode6, ...SEEDS.mode10],
        "read-position": [...SEEDS.rposLong, ...SEEDS.rposShort],
        density: [...SEEDS.density, Uint8Array.of(0x5c)],
      })[kind].map((s) => prefixed(i, s)),
    ),
  },
];

/**
 * Inputs: half plain random bytes (short), half valid seeds with a few bytes changed,
 * cut at a random length, or with random bytes appended.
 */
export function fuzzInput(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength: 48 });
  if (seeds.length === 0) return random;
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 3 }), fc.nat(), fc.uint8Array({ maxLength: 6 }), fc.nat({ max: 2 }))
    .map(([seed, edits, cut, tail, mode]) => {
      const b = seed.slice();
      for (const [pos, val] of edits) if (b.length > 0) b[pos % b.length] = val;
      if (mode === 0) return b.subarray(0, cut % (b.length + 1));
      if (mode === 1) {
        const out = new Uint8Array(b.length + tail.length);
        out.set(b);
        out.set(tail, b.length);
        return out;
      }
      return b;
    });
  return fc.oneof(random, mutated);
}

/** The property: returns, or throws only a ScsiError; the result serialises to JSON. */
export function checkDecoder(target: FuzzTarget, bytes: Uint8Array): boolean {
  let value: unknown;
  try {
    value = target.decode(bytes);
  } catch (e) {
    if (e instanceof ScsiError) return true;
    throw new Error(`${target.name} threw a non-ScsiError on ${Buffer.from(bytes).toString("hex")}: ${String(e)}`, { cause: e });
  }
  JSON.stringify(value);
  return true;
}

/** Hex input parsing: any text either parses or throws a ScsiError. */
export function checkHexInput(parse: (t: string) => Uint8Array, text: string): boolean {
  try {
    parse(text);
  } catch (e) {
    if (!(e instanceof ScsiError)) throw new Error(`parseHexInput threw a non-ScsiError on ${JSON.stringify(text)}: ${String(e)}`, { cause: e });
  }
  return true;
}
