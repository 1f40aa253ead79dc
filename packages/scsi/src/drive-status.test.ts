import { describe, expect, it } from "vitest";
import { decodeDriveStatus } from "./drive-status.ts";
import { ScsiDecodeError } from "./errors.ts";
import { encodeAttributeValues } from "./spc/attribute.ts";
import { encodeLogPage, encodeTapeAlertBits } from "./spc/log.ts";
import { encodeDataCompressionPage, encodeModeParameters10 } from "./spc/mode.ts";
import { encodeReadPositionLong } from "./ssc/position.ts";
import { bb } from "./testing/byte-builder.ts";

describe("decodeDriveStatus (PBS §8.4 fields)", () => {
  const inquiry = bb().u8(1, 0x80, 6, 2, 31, 0, 0, 0).ascii("IBM", 8).ascii("ULT3580-TD8", 16).ascii("N9M1", 4).build();
  const modeSense = encodeModeParameters10(
    {
      writeProtect: false,
      bufferMode: 1,
      blockDescriptors: [{ densityCode: 0x5e, blockCount: 0, blockLength: 0 }],
      pages: [encodeDataCompressionPage({ dataCompressionEnabled: true, dataCompressionCapable: true, dataDecompressionEnabled: true, reportExceptionOnDecompression: 0, compressionAlgorithm: 1, decompressionAlgorithm: 1 })],
    },
    { forSelect: false },
  );
  const tapeAlert = bb().u8(0x12, 0).u16(12).u16(0).u8(3, 8).bytes(encodeTapeAlertBits([0x14])).build();
  const volumeStats = encodeLogPage(0x17, [
    { code: 0, value: Uint8Array.of(1) },
    { code: 1, value: Uint8Array.of(0, 0, 0, 12) },
    { code: 0x101, value: Uint8Array.of(0, 0, 0x0f, 0xa0) },
    { code: 0x102, value: Uint8Array.of(0, 0, 0x1f, 0x40) },
  ]);
  const deviceStatus = encodeLogPage(0x11, [{ code: 0, value: Uint8Array.of(0x01, 0x11, 0x05, 0) }]);
  const mam = encodeAttributeValues([
    { id: 0x0406, format: 1, value: bb().ascii("20200131", 8).build() },
    { id: 0x0220, format: 0, value: bb().u32(0).u32(1000).build() },
    { id: 0x0221, format: 0, value: bb().u32(0).u32(10).build() },
  ]);

  it("assembles every field", () => {
    const s = decodeDriveStatus({
      inquiry,
      modeSense: { bytes: modeSense, format: "10" },
      readPosition: encodeReadPositionLong({ blockNumber: 77, fileNumber: 5 }),
      tapeAlert,
      volumeStatistics: volumeStats,
      deviceStatus,
      mam,
    });
    expect(s).toEqual({
      vendor: "IBM",
      product: "ULT3580-TD8",
      revision: "N9M1",
      writeProtect: false,
      bufferMode: 1,
      blockSize: 0,
      densityCode: 0x5e,
      density: "LTO-8",
      compression: true,
      fileNumber: 5,
      blockNumber: 77,
      alertFlags: ["CLEAN_NOW"],
      volumeMounts: 12,
      mediumPasses: 8000,
      mediumWearout: 0.5,
      driveActivity: "reading",
      manufactured: "2020-01-31T00:00:00.000Z",
      bytesWritten: 1000 * 1048576,
      bytesRead: 10 * 1048576,
    });
  });

  it("returns only what it is given", () => {
    expect(decodeDriveStatus({})).toEqual({});
    expect(decodeDriveStatus({ inquiry })).toEqual({ vendor: "IBM", product: "ULT3580-TD8", revision: "N9M1" });
  });

  it("propagates decode errors of a malformed response", () => {
    expect(() => decodeDriveStatus({ readPosition: new Uint8Array(3) })).toThrow(ScsiDecodeError);
  });
});
