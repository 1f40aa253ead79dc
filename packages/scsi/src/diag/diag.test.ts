import { describe, expect, it } from "vitest";
import { ScsiArgumentError, ScsiDecodeError } from "../errors.ts";
import { encodeAttributeValues } from "../spc/attribute.ts";
import { encodeLogPage, encodeTapeAlertBits } from "../spc/log.ts";
import { encodeDataCompressionPage, encodeModeParameters10, encodeModeParameters6 } from "../spc/mode.ts";
import { encodeReadElementStatus } from "../smc/element-status.ts";
import { encodeReadPositionLong } from "../ssc/position.ts";
import { encodeReportDensitySupport } from "../ssc/tape-commands.ts";
import { bb, fixedSense } from "../testing/byte-builder.ts";
import { DIAG_HELP, DIAG_KINDS, decodeDiag } from "./decode-diag.ts";
import { parseHexInput } from "./hex-input.ts";

describe("parseHexInput (sg3_utils --inhex format)", () => {
  it("reads whitespace-separated pairs over several lines with comments", () => {
    const text = "# Test fixed format sense data\n# Invocation: sg_decode_sense -f x.hex\n\nf0 00 03 00 00 12 34 0a  00 00 00 00 11 00 77 80\n01 98\n#\n";
    expect(Array.from(parseHexInput(text))).toEqual([0xf0, 0, 3, 0, 0, 0x12, 0x34, 0x0a, 0, 0, 0, 0, 0x11, 0, 0x77, 0x80, 0x01, 0x98]);
  });

  it("accepts comma, tab and hyphen separators, single digits, CRLF and trailing comments", () => {
    expect(Array.from(parseHexInput("70,0,5\t0-0 # trailing\r\nA b\r\n"))).toEqual([0x70, 0, 5, 0, 0, 0x0a, 0x0b]);
  });

  it("rejects offsets with a colon, 0x prefixes, and values above 0xff", () => {
    expect(() => parseHexInput("00000000: 70 00")).toThrow(ScsiDecodeError);
    expect(() => parseHexInput("0x70")).toThrow(/line 1, column 2/);
    expect(() => parseHexInput("70 100")).toThrow(/larger than 0xff/);
  });

  it("skips a running offset only with ignoreFirst, as --ignore-first does", () => {
    expect(Array.from(parseHexInput("00 70 00 05\n10 aa", { ignoreFirst: true }))).toEqual([0x70, 0x00, 0x05, 0xaa]);
    expect(Array.from(parseHexInput("00 70 00 05"))).toEqual([0x00, 0x70, 0x00, 0x05]);
  });

  it("reads digit pairs without separators with noSpace", () => {
    expect(Array.from(parseHexInput("7000050000\n0a0b # x", { noSpace: true }))).toEqual([0x70, 0x00, 0x05, 0x00, 0x00, 0x0a, 0x0b]);
    expect(() => parseHexInput("700", { noSpace: true })).toThrow(/odd/);
  });

  it("returns no bytes for empty input", () => {
    expect(parseHexInput("").length).toBe(0);
    expect(parseHexInput("# only a comment\n\n").length).toBe(0);
  });
});

describe("decodeDiag", () => {
  it("documents every kind in DIAG_HELP", () => {
    for (const k of DIAG_KINDS) expect(DIAG_HELP).toContain(`  ${k} `);
    expect(DIAG_KINDS).toHaveLength(10);
  });

  it("sense", () => {
    expect(decodeDiag("sense", fixedSense({ key: 8, asc: 0, ascq: 5, eom: true, information: 3 }))).toEqual({
      responseCode: 0x70,
      senseKey: 8,
      senseKeyName: "BLANK CHECK",
      asc: 0,
      ascq: 5,
      description: "End-of-data detected",
      filemark: false,
      eom: true,
      ili: false,
      information: 3,
    });
    expect(decodeDiag("sense", fixedSense({ key: 6, asc: 0x29, ascq: 0 }))).not.toHaveProperty("information");
  });

  it("inquiry and vpd-serial", () => {
    const inq = bb().u8(1, 0x80, 6, 2, 31, 0, 0, 0).ascii("HP", 8).ascii("Ultrium 8-SCSI", 16).ascii("J4DB", 4).build();
    expect(decodeDiag("inquiry", inq)).toMatchObject({ peripheralDeviceType: 1, vendor: "HP", product: "Ultrium 8-SCSI", revision: "J4DB" });
    expect(decodeDiag("vpd-serial", bb().u8(1, 0x80, 0, 10).ascii("HU1234567X", 10).build())).toEqual({ serial: "HU1234567X" });
  });

  it("element-status in the documented shape", () => {
    const bytes = encodeReadElementStatus([
      { kind: "transport", volumeTags: false, elements: [{ address: 0, full: false }] },
      { kind: "storage", volumeTags: true, elements: [{ address: 0x400, full: true, volumeTag: "A00001L7" }, { address: 0x401, full: false, except: { asc: 0x3b, ascq: 0x0e } }] },
      { kind: "import-export", volumeTags: true, elements: [{ address: 0x300, full: false }] },
      { kind: "data-transfer", volumeTags: true, deviceIds: true, elements: [{ address: 0x100, full: true, volumeTag: "A00002L7", sourceAddress: 0x401, deviceId: { identifierType: 0, serial: "DRV0001" } }] },
    ]);
    expect(decodeDiag("element-status", bytes)).toEqual({
      transports: [{ address: 0, full: false }],
      slots: [{ address: 0x400, full: true, volumeTag: "A00001L7" }, { address: 0x401, full: false, exceptCode: "0x3b/0x0e" }],
      importExport: [{ address: 0x300, full: false }],
      drives: [{ address: 0x100, full: true, volumeTag: "A00002L7", sourceAddress: 0x401, deviceId: "DRV0001" }],
    });
  });

  it("log-tapealert from page 0x12 and 0x2E", () => {
    const p12 = bb().u8(0x12, 0).u16(12).u16(0).u8(3, 8).bytes(encodeTapeAlertBits([3, 0x14])).build();
    expect(decodeDiag("log-tapealert", p12)).toEqual({ flags: [{ number: 3, name: "HARD_ERROR" }, { number: 20, name: "CLEAN_NOW" }] });
    const p2e = encodeLogPage(0x2e, [{ code: 0x37, value: Uint8Array.of(1) }]);
    expect(decodeDiag("log-tapealert", p2e)).toEqual({ flags: [{ number: 0x37, name: "LOADING_FAILURE" }] });
    expect(() => decodeDiag("log-tapealert", new Uint8Array(0))).toThrow(ScsiDecodeError);
  });

  it("log-volume-stats", () => {
    const bytes = encodeLogPage(0x17, [{ code: 0, value: Uint8Array.of(1) }, { code: 0x17, value: Uint8Array.of(0, 0, 0x27, 0x10) }]);
    expect(decodeDiag("log-volume-stats", bytes)).toEqual({ pageValid: true, totalUsedNativeCapacity: 10000 });
  });

  it("mam as [{ id, name, value }]", () => {
    const bytes = encodeAttributeValues([
      { id: 0x0806, format: 1, value: bb().ascii("BAR001L6", 32).build() },
      { id: 0x0003, format: 0, readOnly: true, value: bb().u32(0).u32(9).build() },
    ]);
    expect(decodeDiag("mam", bytes)).toEqual([
      { id: 0x0806, name: "BARCODE", value: "BAR001L6" },
      { id: 0x0003, name: "LOAD_COUNT", value: 9 },
    ]);
  });

  it("mode-sense detects (6) and (10) and decodes known pages", () => {
    const page = encodeDataCompressionPage({ dataCompressionEnabled: true, dataCompressionCapable: true, dataDecompressionEnabled: true, reportExceptionOnDecompression: 0, compressionAlgorithm: 1, decompressionAlgorithm: 1 });
    const m10 = encodeModeParameters10({ bufferMode: 1, blockDescriptors: [{ densityCode: 0x5e, blockCount: 0, blockLength: 0 }], pages: [page] }, { forSelect: false });
    const m6 = encodeModeParameters6({ writeProtect: true, blockDescriptors: [{ densityCode: 0x58, blockCount: 0, blockLength: 0 }], pages: [page] }, { forSelect: false });
    const d10 = decodeDiag("mode-sense", m10) as { format: string; blockDescriptors: Array<{ density: string }>; pages: Array<{ decoded?: { dataCompressionEnabled: boolean } }> };
    expect(d10.format).toBe("10");
    expect(d10.blockDescriptors[0]?.density).toBe("LTO-8");
    expect(d10.pages[0]?.decoded?.dataCompressionEnabled).toBe(true);
    const d6 = decodeDiag("mode-sense", m6) as { format: string; writeProtect: boolean; blockDescriptors: Array<{ density: string }> };
    expect(d6.format).toBe("6");
    expect(d6.writeProtect).toBe(true);
    expect(d6.blockDescriptors[0]?.density).toBe("LTO-5");
    expect(() => decodeDiag("mode-sense", Uint8Array.of(1))).toThrow(ScsiDecodeError);
  });

  it("read-position (long and short)", () => {
    expect(decodeDiag("read-position", encodeReadPositionLong({ blockNumber: 10, fileNumber: 2 }))).toMatchObject({ form: "long", blockNumber: 10, fileNumber: 2, partition: 0 });
    expect(decodeDiag("read-position", bb().u8(0x80, 0, 0, 0).u32(0).u32(0).u8(0).u24(0).u32(0).build())).toMatchObject({ form: "short", beginningOfPartition: true, firstBlock: 0 });
  });

  it("density: one code or REPORT DENSITY SUPPORT data", () => {
    expect(decodeDiag("density", Uint8Array.of(0x5d))).toMatchObject({ code: 0x5d, name: "LTO-7 Type M", generation: 7 });
    expect(decodeDiag("density", Uint8Array.of(0x11))).toEqual({ code: 0x11, name: "density 0x11" });
    const rds = encodeReportDensitySupport([{ primaryDensityCode: 0x60, secondaryDensityCode: 0x60, writeOk: true, duplicate: false, defaultDensity: true, descriptorLengthValid: true, bitsPerMm: 0, mediaWidth: 127, tracks: 8960, capacity: 18_000_000, assigningOrganization: "LTO-CVE", densityName: "U-932", description: "Ultrium 9/32T" }]);
    expect(decodeDiag("density", rds)).toMatchObject({ descriptors: [{ primaryDensityCode: 0x60, name: "LTO-9", capacity: 18_000_000, densityName: "U-932" }] });
  });

  it("every kind yields JSON-able output", () => {
    const out = decodeDiag("read-position", encodeReadPositionLong({ blockNumber: 1, fileNumber: 1 }));
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it("rejects unknown kinds with ScsiArgumentError", () => {
    expect(() => decodeDiag("nope", new Uint8Array(1))).toThrow(ScsiArgumentError);
  });
});
