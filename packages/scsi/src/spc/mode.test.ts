import { describe, expect, it } from "vitest";
import { DensityCode } from "../constants/density.ts";
import { ScsiArgumentError, ScsiDecodeError } from "../errors.ts";
import { bb, hex } from "../testing/byte-builder.ts";
import {
  ModePage,
  buildModeSelect10Cdb,
  buildModeSelect6Cdb,
  buildModeSense10Cdb,
  buildModeSense6Cdb,
  decodeDataCompressionPage,
  decodeDeviceConfigurationPage,
  decodeElementAddressAssignmentPage,
  decodeMediumConfigurationPage,
  decodeMediumPartitionPage,
  decodeModeSense10,
  decodeModeSense6,
  encodeDataCompressionPage,
  encodeDeviceConfigurationPage,
  encodeElementAddressAssignmentPage,
  encodeMediumConfigurationPage,
  encodeMediumPartitionPage,
  encodeModeParameters10,
  encodeModeParameters6,
  findModePage,
} from "./mode.ts";

const compressionPage = (dce: boolean) =>
  bb().u8(0x8f, 0x0e, (dce ? 0x80 : 0) | 0x40, 0x80).u32(0x10).u32(0x10).zeros(4).build();

/** MODE SENSE(10) of page 0x0F with one block descriptor, as an LTO-6 drive returns it. */
function modeSense10Page0F(wp = false): Uint8Array {
  const page = compressionPage(true);
  return bb()
    .u16(6 + 8 + page.length)
    .u8(0x00, (wp ? 0x80 : 0) | 0x10, 0x00, 0x00)
    .u16(8)
    .u8(DensityCode.LTO6).u24(0).u8(0).u24(0)
    .bytes(page)
    .build();
}

describe("MODE SENSE/SELECT CDBs", () => {
  it("builds the PBS CDBs", () => {
    expect(hex(buildModeSense10Cdb({ page: 0x0f }))).toBe("5a 00 0f 00 00 00 00 10 00 00");
    expect(hex(buildModeSense6Cdb({ page: 0x0f }))).toBe("1a 00 0f 00 ff 00");
    expect(hex(buildModeSense6Cdb({ page: ModePage.ELEMENT_ADDRESS_ASSIGNMENT, disableBlockDescriptors: true }))).toBe("1a 08 1d 00 ff 00");
    expect(hex(buildModeSelect6Cdb({ parameterListLength: 0x1c }))).toBe("15 10 00 00 1c 00");
    expect(hex(buildModeSelect10Cdb({ parameterListLength: 0x1c }))).toBe("55 10 00 00 00 00 00 00 1c 00");
  });

  it("sets page control, subpage and save pages", () => {
    expect(hex(buildModeSense10Cdb({ page: 0x3f, subpage: 0xff, pageControl: "changeable", allocationLength: 0x100 }))).toBe("5a 00 7f ff 00 00 00 01 00 00");
    expect(hex(buildModeSelect6Cdb({ parameterListLength: 4, pageFormat: false, savePages: true }))).toBe("15 01 00 00 04 00");
    expect(() => buildModeSense6Cdb({ page: 0x40 })).toThrow(ScsiArgumentError);
    expect(() => buildModeSelect6Cdb({ parameterListLength: 256 })).toThrow(/parameterListLength/);
  });
});

describe("mode parameter decoding", () => {
  it("decodes MODE SENSE(10): header, block descriptor and page 0x0F", () => {
    const m = decodeModeSense10(modeSense10Page0F(true));
    expect(m).toMatchObject({ format: "10", writeProtect: true, bufferMode: 1, speed: 0, mediumType: 0 });
    expect(m.blockDescriptors).toEqual([{ densityCode: 0x5a, blockCount: 0, blockLength: 0 }]);
    const page = findModePage(m, ModePage.DATA_COMPRESSION);
    expect(page?.savable).toBe(true);
    expect(decodeDataCompressionPage(page?.bytes ?? new Uint8Array())).toEqual({
      dataCompressionEnabled: true,
      dataCompressionCapable: true,
      dataDecompressionEnabled: true,
      reportExceptionOnDecompression: 0,
      compressionAlgorithm: 0x10,
      decompressionAlgorithm: 0x10,
    });
  });

  it("decodes MODE SENSE(6)", () => {
    const page = compressionPage(false);
    const data = bb().u8(3 + 8 + page.length, 0, 0x10, 8).u8(0x58).u24(0).u8(0).u24(0x40000).bytes(page).build();
    const m = decodeModeSense6(data);
    expect(m.format).toBe("6");
    expect(m.writeProtect).toBe(false);
    expect(m.blockDescriptors[0]).toEqual({ densityCode: 0x58, blockCount: 0, blockLength: 262144 });
    expect(m.pages.map((p) => p.code)).toEqual([0x0f]);
  });

  it("tolerates more data than MODE DATA LENGTH announces (Quantum HH7 quirk)", () => {
    const good = modeSense10Page0F();
    const quirky = bb().bytes(good).zeros(24).build();
    expect(decodeModeSense10(quirky)).toEqual(decodeModeSense10(good));
  });

  it("decodes a sub-page format page", () => {
    const sub = bb().u8(0x40 | 0x10, 0x01).u16(2).u8(0xaa, 0xbb).build();
    const data = bb().u16(6 + sub.length).u8(0, 0, 0, 0).u16(0).bytes(sub).build();
    const m = decodeModeSense10(data);
    expect(m.pages[0]).toMatchObject({ code: 0x10, subpage: 1 });
    expect(findModePage(m, 0x10, 1)?.bytes.length).toBe(6);
  });

  it("rejects truncated and malformed data with ScsiDecodeError", () => {
    const data = modeSense10Page0F();
    expect(() => decodeModeSense10(data.subarray(0, 7))).toThrow(ScsiDecodeError);
    expect(() => decodeModeSense10(data.subarray(0, 12))).toThrow(/BLOCK DESCRIPTOR LENGTH/);
    expect(() => decodeModeSense10(data.subarray(0, 20))).toThrow(/runs past/);
    expect(() => decodeModeSense6(Uint8Array.of(3, 0, 0, 5, 0, 0, 0, 0, 0))).toThrow(/multiple of 8|runs past/);
    expect(() => decodeModeSense6(Uint8Array.of(1, 0, 0))).toThrow(ScsiDecodeError);
    expect(() => decodeModeSense10(bb().u16(6).u8(0, 0, 1, 0).u16(0).build())).toThrow(/LONGLBA/);
  });
});

describe("mode parameter encoding", () => {
  it("encodes the PBS MODE SELECT parameter list (mode data length 0)", () => {
    const data = encodeModeParameters10({
      bufferMode: 1,
      blockDescriptors: [{ densityCode: 0x5a, blockCount: 0, blockLength: 0 }],
      pages: [encodeDataCompressionPage({ dataCompressionEnabled: true, dataCompressionCapable: true, dataDecompressionEnabled: true, reportExceptionOnDecompression: 0, compressionAlgorithm: 0x10, decompressionAlgorithm: 0x10 })],
    });
    expect(hex(data.subarray(0, 16))).toBe("00 00 00 10 00 00 00 08 5a 00 00 00 00 00 00 00");
    expect(data.length).toBe(8 + 8 + 16);
    const back = decodeModeSense10(bb().bytes(data).patch(0, 2, data.length - 2).build());
    expect(back.bufferMode).toBe(1);
    expect(decodeDataCompressionPage(back.pages[0]?.bytes ?? new Uint8Array()).dataCompressionEnabled).toBe(true);
  });

  it("encodes MODE SENSE data for a virtual drive and decodes it back", () => {
    const data = encodeModeParameters6({ writeProtect: true, bufferMode: 1, blockDescriptors: [{ densityCode: 0x60, blockCount: 0, blockLength: 0 }], pages: [encodeMediumConfigurationPage({ worm: true, wormModeLabelRestrictions: 1, wormModeFilemarkRestrictions: 2 })] }, { forSelect: false });
    const m = decodeModeSense6(data);
    expect(m.modeDataLength).toBe(data.length - 1);
    expect(m.writeProtect).toBe(true);
    expect(decodeMediumConfigurationPage(m.pages[0]?.bytes ?? new Uint8Array())).toEqual({ worm: true, wormModeLabelRestrictions: 1, wormModeFilemarkRestrictions: 2 });
  });

  it("rejects parameters that do not fit", () => {
    expect(() => encodeModeParameters6({ pages: [new Uint8Array(300)] })).toThrow(ScsiArgumentError);
    expect(() => encodeModeParameters6({ bufferMode: 8 })).toThrow(/bufferMode/);
    expect(() => encodeModeParameters10({ blockDescriptors: [{ densityCode: 0, blockCount: 1 << 24, blockLength: 0 }] })).toThrow(/blockCount/);
  });
});

describe("mode pages", () => {
  it("round-trips the device configuration page 0x10", () => {
    const p = {
      changeActiveFormat: false, activeFormat: 0, activePartition: 0, writeObjectBufferFullRatio: 0, readObjectBufferEmptyRatio: 0,
      writeDelayTime: 0x64, objectBufferRecovery: false, logicalObjectIdentifiersSupported: true, reportSetmarks: false,
      automaticVelocityControl: 0, stopOnConsecutiveFilemarks: 0, recoverObjectBufferOrder: false, gapSize: 0, eodDefined: 3,
      enableEodGeneration: true, synchronizeAtEarlyWarning: true, softwareWriteProtect: false, blockAddressModeLock: false,
      blockAddressMode: false, objectBufferSizeAtEarlyWarning: 0, selectDataCompressionAlgorithm: 1, worldwideTapeReadError: 0,
      onlyIfReserved: false, rewindOnReset: 0, associatedWriteProtect: false, persistentWriteProtect: false, permanentWriteProtect: true,
    };
    const bytes = encodeDeviceConfigurationPage(p);
    expect(hex(bytes)).toBe("10 0e 00 00 00 00 00 64 40 00 78 00 00 00 01 01");
    expect(decodeDeviceConfigurationPage(bytes)).toEqual(p);
  });

  it("round-trips the medium partition page 0x11", () => {
    const p = {
      maximumAdditionalPartitions: 1, additionalPartitionsDefined: 1, fixedDataPartitions: false, selectDataPartitions: false,
      initiatorDefinedPartitions: true, partitionSizeUnitOfMeasure: 3, partitionOnFormat: true, clear: false, addp: false,
      mediumFormatRecognition: 3, partitioningType: 1, partitionUnits: 9, partitionSizes: [0x0001, 0xffff],
    };
    const bytes = encodeMediumPartitionPage(p);
    expect(bytes.length).toBe(12);
    expect(decodeMediumPartitionPage(bytes)).toEqual(p);
    expect(() => decodeMediumPartitionPage(bytes.subarray(0, 10))).toThrow(ScsiDecodeError);
  });

  it("decodes the tape medium configuration page 0x1D WORM bit (PBS: byte 2 bit 0)", () => {
    const page = bb().u8(0x1d, 0x1e, 0x01, 0x00, 0x01, 0x02).zeros(26).build();
    expect(decodeMediumConfigurationPage(page).worm).toBe(true);
    expect(decodeMediumConfigurationPage(bb().bytes(page).patch(2, 1, 0).build()).worm).toBe(false);
  });

  it("decodes the changer element address assignment page (mode data length 23)", () => {
    const page = bb().u8(0x9d, 0x12).u16(0x0000).u16(1).u16(0x0400).u16(24).u16(0x0300).u16(2).u16(0x0100).u16(2).zeros(2).build();
    const data = bb().u8(23, 0, 0, 0).bytes(page).build();
    const m = decodeModeSense6(data);
    expect(m.modeDataLength).toBe(23);
    const eaa = decodeElementAddressAssignmentPage(m.pages[0]?.bytes ?? new Uint8Array());
    expect(eaa).toEqual({
      firstTransportAddress: 0, transportCount: 1, firstStorageAddress: 0x400, storageCount: 24,
      firstImportExportAddress: 0x300, importExportCount: 2, firstDataTransferAddress: 0x100, dataTransferCount: 2,
    });
    expect(decodeElementAddressAssignmentPage(encodeElementAddressAssignmentPage(eaa))).toEqual(eaa);
  });

  it("rejects a page of the wrong code or too short", () => {
    expect(() => decodeDataCompressionPage(encodeMediumConfigurationPage({ worm: false, wormModeLabelRestrictions: 0, wormModeFilemarkRestrictions: 0 }))).toThrow(/expected 0xf/);
    expect(() => decodeDataCompressionPage(compressionPage(true).subarray(0, 10))).toThrow(ScsiDecodeError);
    expect(() => decodeElementAddressAssignmentPage(Uint8Array.of(0x1d, 0x02, 0, 0))).toThrow(/shorter/);
  });
});
