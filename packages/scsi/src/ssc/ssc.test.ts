import { describe, expect, it } from "vitest";
import { ScsiArgumentError, ScsiDecodeError } from "../errors.ts";
import { bb, hex } from "../testing/byte-builder.ts";
import {
  buildLocate10Cdb,
  buildLocate16Cdb,
  buildReadPositionCdb,
  buildRewindCdb,
  buildSpace16Cdb,
  buildSpace6Cdb,
  buildSpaceCdb,
  decodeReadPositionLong,
  decodeReadPositionShort,
  encodeReadPositionLong,
} from "./position.ts";
import {
  PBS_BLOCK_SIZE,
  buildEraseCdb,
  buildFormatMediumCdb,
  buildLoadUnloadCdb,
  buildPreventAllowMediumRemovalCdb,
  buildRead6Cdb,
  buildReadBlockLimitsCdb,
  buildReportDensitySupportCdb,
  buildWrite6Cdb,
  buildWriteFilemarksCdb,
  decodeReadBlockLimits,
  decodeReportDensitySupport,
  encodeReportDensitySupport,
} from "./tape-commands.ts";

describe("tape command CDBs as PBS sends them (§7.2)", () => {
  it("READ(6) variable block mode with SILI, 256 KiB", () => {
    expect(hex(buildRead6Cdb({ length: PBS_BLOCK_SIZE }))).toBe("08 02 04 00 00 00");
    expect(hex(buildRead6Cdb({ length: 10, sili: false }))).toBe("08 00 00 00 0a 00");
  });

  it("WRITE(6) variable block mode", () => {
    expect(hex(buildWrite6Cdb({ length: PBS_BLOCK_SIZE }))).toBe("0a 00 04 00 00 00");
    expect(hex(buildWrite6Cdb({ length: 0xffffff }))).toBe("0a 00 ff ff ff 00");
    expect(() => buildWrite6Cdb({ length: 0x1000000 })).toThrow(ScsiArgumentError);
  });

  it("WRITE FILEMARKS(6)", () => {
    expect(hex(buildWriteFilemarksCdb({ count: 1, immed: true }))).toBe("10 01 00 00 01 00");
    expect(hex(buildWriteFilemarksCdb({ count: 0, immed: false }))).toBe("10 00 00 00 00 00");
    expect(() => buildWriteFilemarksCdb({ count: -1 })).toThrow(/count/);
  });

  it("REWIND, LOAD UNLOAD, ERASE, FORMAT MEDIUM, PREVENT ALLOW", () => {
    expect(hex(buildRewindCdb())).toBe("01 00 00 00 00 00");
    expect(hex(buildRewindCdb({ immed: true }))).toBe("01 01 00 00 00 00");
    expect(hex(buildLoadUnloadCdb({ action: "load" }))).toBe("1b 00 00 00 01 00");
    expect(hex(buildLoadUnloadCdb({ action: "eject" }))).toBe("1b 00 00 00 00 00");
    expect(hex(buildLoadUnloadCdb({ action: "unload", immed: true }))).toBe("1b 01 00 00 00 00");
    expect(hex(buildLoadUnloadCdb({ action: "retension" }))).toBe("1b 00 00 00 03 00");
    expect(hex(buildLoadUnloadCdb({ action: "hold" }))).toBe("1b 00 00 00 09 00");
    expect(hex(buildEraseCdb({ long: false }))).toBe("19 00 00 00 00 00");
    expect(hex(buildEraseCdb({ long: true }))).toBe("19 01 00 00 00 00");
    expect(hex(buildEraseCdb({ long: true, immed: true }))).toBe("19 03 00 00 00 00");
    expect(hex(buildFormatMediumCdb())).toBe("04 00 00 00 00 00");
    expect(hex(buildFormatMediumCdb({ immed: true }))).toBe("04 01 00 00 00 00");
    expect(hex(buildPreventAllowMediumRemovalCdb({ prevent: true }))).toBe("1e 00 00 00 01 00");
    expect(hex(buildPreventAllowMediumRemovalCdb({ prevent: false }))).toBe("1e 00 00 00 00 00");
    expect(hex(buildReadBlockLimitsCdb())).toBe("05 00 00 00 00 00");
    expect(hex(buildReportDensitySupportCdb())).toBe("44 00 00 00 00 00 00 20 00 00");
    expect(hex(buildReportDensitySupportCdb({ media: true }))).toBe("44 01 00 00 00 00 00 20 00 00");
  });

  it("READ POSITION long and short form", () => {
    expect(hex(buildReadPositionCdb())).toBe("34 06 00 00 00 00 00 00 00 00");
    expect(hex(buildReadPositionCdb({ form: "short" }))).toBe("34 00 00 00 00 00 00 00 00 00");
  });

  it("LOCATE(16) to a logical file id, LOCATE(10) to a block", () => {
    expect(hex(buildLocate16Cdb({ target: "file", value: 5 }))).toBe("92 08 00 00 00 00 00 00 00 00 00 05 00 00 00 00");
    expect(hex(buildLocate16Cdb({ target: "block", value: 0x123456789an, immed: true }))).toBe("92 01 00 00 00 00 00 12 34 56 78 9a 00 00 00 00");
    expect(hex(buildLocate16Cdb({ target: "end-of-data", value: 0, partition: 1 }))).toBe("92 1a 00 01 00 00 00 00 00 00 00 00 00 00 00 00");
    expect(hex(buildLocate10Cdb({ block: 0x01020304 }))).toBe("2b 00 00 01 02 03 04 00 00 00");
    expect(hex(buildLocate10Cdb({ block: 1, partition: 2, immed: true }))).toBe("2b 03 00 00 00 00 01 00 02 00");
    expect(() => buildLocate16Cdb({ target: "file", value: -1 })).toThrow(ScsiArgumentError);
  });

  it("SPACE(6) with 24-bit two's complement counts and SPACE(16) beyond", () => {
    expect(hex(buildSpace6Cdb({ kind: "filemarks", count: 1 }))).toBe("11 01 00 00 01 00");
    expect(hex(buildSpace6Cdb({ kind: "filemarks", count: -2 }))).toBe("11 01 ff ff fe 00");
    expect(hex(buildSpace6Cdb({ kind: "blocks", count: -1 }))).toBe("11 00 ff ff ff 00");
    expect(hex(buildSpace6Cdb({ kind: "end-of-data", count: 0 }))).toBe("11 03 00 00 00 00");
    expect(hex(buildSpace16Cdb({ kind: "filemarks", count: -3 }))).toBe("91 01 00 00 ff ff ff ff ff ff ff fd 00 00 00 00");
    expect(hex(buildSpaceCdb({ kind: "blocks", count: 0x7ffffe }))).toBe("11 00 7f ff fe 00");
    expect(hex(buildSpaceCdb({ kind: "blocks", count: 0x7fffff }))).toBe("91 00 00 00 00 00 00 00 00 7f ff ff 00 00 00 00");
    expect(() => buildSpace6Cdb({ kind: "blocks", count: 0x800000 })).toThrow(ScsiArgumentError);
    expect(() => buildSpaceCdb({ kind: "blocks", count: 0.5 })).toThrow(/safe integer/);
  });
});

describe("READ POSITION data", () => {
  it("decodes the long form as PBS reads it", () => {
    const data = bb().u8(0x80, 0, 0, 0).u32(0).u64(1234).u64(3).zeros(8).build();
    expect(decodeReadPositionLong(data)).toEqual({
      beginningOfPartition: true,
      endOfPartition: false,
      beyondProgrammableEarlyWarning: false,
      markPositionUnknown: false,
      blockNumberUnknown: false,
      partition: 0,
      blockNumber: 1234,
      fileNumber: 3,
    });
  });

  it("round-trips through the encoder and ignores over-long input", () => {
    const bytes = encodeReadPositionLong({ blockNumber: 99, fileNumber: 4, partition: 1, endOfPartition: true });
    const back = decodeReadPositionLong(bb().bytes(bytes).zeros(8).build());
    expect(back).toMatchObject({ blockNumber: 99, fileNumber: 4, partition: 1, endOfPartition: true });
  });

  it("rejects short data and positions beyond 2^53", () => {
    expect(() => decodeReadPositionLong(new Uint8Array(31))).toThrow(ScsiDecodeError);
    const huge = bb().u8(0, 0, 0, 0).u32(0).u64(2n ** 60n).u64(0).zeros(8).build();
    expect(() => decodeReadPositionLong(huge)).toThrow(/exceeds/);
  });

  it("decodes the short form with unknown-location flags", () => {
    const data = bb().u8(0x80, 0x00, 0, 0).u32(10).u32(12).u8(0).u24(2).u32(524288).build();
    expect(decodeReadPositionShort(data)).toEqual({
      beginningOfPartition: true,
      endOfPartition: false,
      beyondProgrammableEarlyWarning: false,
      positionError: false,
      partition: 0,
      firstBlock: 10,
      lastBlock: 12,
      blocksInBuffer: 2,
      bytesInBuffer: 524288,
    });
    const unknown = decodeReadPositionShort(bb().bytes(data).patch(0, 1, 0x34).build());
    expect(unknown.firstBlock).toBeUndefined();
    expect(unknown.blocksInBuffer).toBeUndefined();
    expect(unknown.bytesInBuffer).toBeUndefined();
    expect(() => decodeReadPositionShort(data.subarray(0, 19))).toThrow(/20 bytes/);
  });
});

describe("READ BLOCK LIMITS and REPORT DENSITY SUPPORT", () => {
  it("decodes block limits (LTO: 8 MiB maximum)", () => {
    expect(decodeReadBlockLimits(Uint8Array.of(0x00, 0x80, 0x00, 0x00, 0x00, 0x01))).toEqual({ granularity: 0, maximumBlockLength: 0x800000, minimumBlockLength: 1 });
    expect(() => decodeReadBlockLimits(new Uint8Array(5))).toThrow(ScsiDecodeError);
  });

  const lto = (code: number, name: string, desc: string, capacity: number, writeOk = true) => ({
    primaryDensityCode: code,
    secondaryDensityCode: code,
    writeOk,
    duplicate: false,
    defaultDensity: false,
    descriptorLengthValid: true,
    bitsPerMm: 15142,
    mediaWidth: 127,
    tracks: 2176,
    capacity,
    assigningOrganization: "LTO-CVE",
    densityName: name,
    description: desc,
  });

  it("decodes density descriptors (52 bytes each)", () => {
    const list = [lto(0x58, "U-516", "Ultrium 5/16T", 1_500_000, false), lto(0x5a, "U-616", "Ultrium 6/16T", 2_500_000)];
    const data = encodeReportDensitySupport(list);
    expect(data.length).toBe(4 + 104);
    expect(hex(data.subarray(0, 8))).toBe("00 6a 00 00 58 58 01 00");
    expect(decodeReportDensitySupport(data)).toEqual(list);
  });

  it("keeps complete descriptors when cut, rejects a length that is not 2 + 52n", () => {
    const data = encodeReportDensitySupport([lto(0x58, "U-516", "Ultrium 5/16T", 1), lto(0x5a, "U-616", "Ultrium 6/16T", 2)]);
    expect(decodeReportDensitySupport(data.subarray(0, 60))).toHaveLength(1);
    expect(() => decodeReportDensitySupport(bb().bytes(data).patch(0, 2, 50).build())).toThrow(/multiple of 52/);
    expect(() => decodeReportDensitySupport(Uint8Array.of(0, 2))).toThrow(ScsiDecodeError);
  });
});
