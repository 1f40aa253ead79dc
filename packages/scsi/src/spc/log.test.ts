import { describe, expect, it } from "vitest";
import { ScsiDecodeError } from "../errors.ts";
import { bb, hex } from "../testing/byte-builder.ts";
import {
  LogPage,
  buildLogSenseCdb,
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
  logCounter,
} from "./log.ts";

/** A big-endian counter value of `size` bytes. */
const u = (n: number, size: number) => bb().zeros(size).patch(0, size, n).build();

/** TapeAlert response page 0x12 with the given 8 flag bytes. */
const tapeAlertResponse = (flags: number[]) => bb().u8(0x12, 0x00).u16(0x0c).u16(0x0000).u8(0x03, 0x08).u8(...flags).build();

describe("LOG SENSE CDB", () => {
  it("builds the PBS CDB (PC=01 cumulative)", () => {
    expect(hex(buildLogSenseCdb({ page: 0x12, allocationLength: 512 }))).toBe("4d 00 52 00 00 00 00 02 00 00");
    expect(hex(buildLogSenseCdb({ page: 0x17 }))).toBe("4d 00 57 00 00 00 00 20 00 00");
    expect(hex(buildLogSenseCdb({ page: 0x2e, pageControl: "threshold", parameterPointer: 5, subpage: 1 }))).toBe("4d 00 2e 01 00 00 05 20 00 00");
  });
});

describe("generic log page", () => {
  it("decodes parameters and control bits", () => {
    const page = decodeLogPage(encodeLogPage(0x0c, [{ code: 0, control: 0x60, value: u(7, 4) }, { code: 0x100, value: Uint8Array.of(1) }]));
    expect(page.pageCode).toBe(0x0c);
    expect(page.parameters).toHaveLength(2);
    expect(page.parameters[0]).toMatchObject({ code: 0, control: 0x60, formatAndLinking: 0 });
    expect(logCounter(page.parameters[0]?.value ?? new Uint8Array())).toBe(7);
    expect(page.parameters[1]?.formatAndLinking).toBe(3);
  });

  it("keeps complete parameters of a page cut by the allocation length, rejects overruns inside it", () => {
    const bytes = encodeLogPage(0x17, [{ code: 1, value: u(5, 4) }, { code: 2, value: u(6, 8) }]);
    expect(decodeLogPage(bytes.subarray(0, 14)).parameters.map((p) => p.code)).toEqual([1]);
    const broken = bb().bytes(bytes.subarray(0, 8)).u8(0xff).build();
    expect(() => decodeLogPage(bb().bytes(broken).patch(2, 2, broken.length - 4).build())).toThrow(ScsiDecodeError);
    expect(() => decodeLogPage(Uint8Array.of(0x17, 0, 0))).toThrow(/4 bytes/);
  });

  it("ignores bytes beyond the page length", () => {
    const bytes = encodeLogPage(0x31, [{ code: 1, value: u(100, 4) }]);
    expect(decodeLogPage(bb().bytes(bytes).u8(1, 2, 3, 4, 5, 6, 7, 8).build())).toEqual(decodeLogPage(bytes));
  });
});

describe("supported pages 0x00", () => {
  it("lists page codes", () => {
    expect(decodeSupportedLogPages(bb().u8(0, 0).u16(6).u8(0x00, 0x0c, 0x11, 0x12, 0x17, 0x2e).build())).toEqual([0, 0x0c, 0x11, 0x12, 0x17, 0x2e]);
    expect(() => decodeSupportedLogPages(bb().u8(0x12, 0).u16(0).build())).toThrow(/expected 0x00/);
  });
});

describe("TapeAlert", () => {
  it("flag 1 is the most significant bit of the first byte", () => {
    expect(decodeTapeAlertResponse(tapeAlertResponse([0x80, 0, 0, 0, 0, 0, 0, 0])).flags).toEqual([{ number: 1, name: "READ_WARNING" }]);
    expect(decodeTapeAlertResponse(tapeAlertResponse([0x01, 0, 0, 0, 0, 0, 0, 0])).flags).toEqual([{ number: 8, name: "NOT_DATA_GRADE" }]);
    expect(decodeTapeAlertResponse(tapeAlertResponse([0, 0, 0x10, 0, 0, 0, 0, 0])).flags).toEqual([{ number: 20, name: "CLEAN_NOW" }]);
    expect(decodeTapeAlertResponse(tapeAlertResponse([0, 0, 0, 0, 0, 0, 0, 0x01])).flags).toEqual([{ number: 64, name: "RESERVED_40" }]);
  });

  it("reports several flags in number order", () => {
    const flags = decodeTapeAlertResponse(tapeAlertResponse([0x10, 0, 0x18, 0, 0, 0, 0, 0])).flags.map((f) => f.number);
    expect(flags).toEqual([4, 20, 21]);
  });

  it("round-trips the bit form", () => {
    const bits = encodeTapeAlertBits([1, 9, 0x3b, 64]);
    expect(hex(bits)).toBe("80 80 00 00 00 00 00 21");
    expect(decodeTapeAlertBits(bits).flags.map((f) => f.number)).toEqual([1, 9, 0x3b, 64]);
  });

  it("checks the page 0x12 structure as PBS does", () => {
    expect(() => decodeTapeAlertResponse(tapeAlertResponse([0, 0, 0, 0, 0, 0, 0, 0]).subarray(0, 15))).toThrow(ScsiDecodeError);
    expect(() => decodeTapeAlertResponse(bb().bytes(tapeAlertResponse(new Array(8).fill(0))).patch(0, 1, 0x2e).build())).toThrow(/expected 0x12/);
    expect(() => decodeTapeAlertResponse(bb().bytes(tapeAlertResponse(new Array(8).fill(0))).patch(1, 1, 1).build())).toThrow(/SUBPAGE/);
    expect(() => decodeTapeAlertResponse(bb().bytes(tapeAlertResponse(new Array(8).fill(0))).patch(2, 2, 8).build())).toThrow(/PAGE LENGTH/);
    expect(() => decodeTapeAlertResponse(bb().bytes(tapeAlertResponse(new Array(8).fill(0))).patch(4, 2, 1).build())).toThrow(/PARAMETER CODE/);
    expect(() => decodeTapeAlertResponse(bb().bytes(tapeAlertResponse(new Array(8).fill(0))).patch(7, 1, 4).build())).toThrow(/PARAMETER LENGTH/);
  });

  it("decodes page 0x2E (one parameter per flag)", () => {
    const params = Array.from({ length: 64 }, (_, i) => ({ code: i + 1, value: Uint8Array.of(i + 1 === 0x14 || i + 1 === 0x1f ? 1 : 0) }));
    const flags = decodeTapeAlertLog(encodeLogPage(LogPage.TAPEALERT, params)).flags;
    expect(flags).toEqual([{ number: 0x14, name: "CLEAN_NOW" }, { number: 0x1f, name: "HARDWARE_B" }]);
  });
});

describe("volume statistics 0x17", () => {
  it("decodes the PBS fields", () => {
    const bytes = encodeLogPage(LogPage.VOLUME_STATISTICS, [
      { code: 0x0000, value: u(1, 2) },
      { code: 0x0001, value: u(42, 4) },
      { code: 0x0010, value: u(123456, 8) },
      { code: 0x0017, value: u(2500000, 4) },
      { code: 0x0040, value: bb().ascii("VOL001L6", 32).build() },
      { code: 0x0080, value: u(0, 1) },
      { code: 0x0081, value: u(1, 1) },
      { code: 0x0101, value: u(300, 4) },
      { code: 0x0102, value: u(500, 4) },
      { code: 0x0999, value: u(9, 4) },
    ]);
    expect(decodeVolumeStatistics(bytes)).toEqual({
      pageValid: true,
      volumeMounts: 42,
      lifetimeBytesWritten: 123456,
      totalUsedNativeCapacity: 2500000,
      volumeSerialNumber: "VOL001L6",
      writeProtect: false,
      worm: true,
      beginningOfMediumPasses: 300,
      middleOfTapePasses: 500,
    });
  });

  it("reports page valid = false when parameter 0 is zero, and rejects another page", () => {
    expect(decodeVolumeStatistics(encodeLogPage(0x17, [{ code: 0, value: u(0, 1) }])).pageValid).toBe(false);
    expect(() => decodeVolumeStatistics(encodeLogPage(0x18, []))).toThrow(/expected 0x17/);
  });
});

describe("sequential-access device 0x0C", () => {
  it("decodes the counters and cleaning required", () => {
    const bytes = encodeLogPage(LogPage.SEQUENTIAL_ACCESS_DEVICE, [
      { code: 0, value: u(1_000_000, 8) },
      { code: 1, value: u(600_000, 8) },
      { code: 4, value: u(1200, 4) },
      { code: 0x100, value: u(1, 4) },
    ]);
    expect(decodeSequentialAccessLog(bytes)).toEqual({ dataBytesReceived: 1_000_000, dataBytesWrittenToMedia: 600_000, nativeCapacityBopToEod: 1200, cleaningRequired: true });
  });
});

describe("DT device status 0x11", () => {
  it("decodes the VHF data and device activity", () => {
    const bytes = encodeLogPage(LogPage.DT_DEVICE_STATUS, [{ code: 0, value: Uint8Array.of(0x21, 0x17, 0x06, 0x01) }]);
    expect(decodeDeviceStatusLog(bytes)).toMatchObject({
      valid: true,
      mamAccessible: true,
      mediumPresent: true,
      mediumSeated: true,
      mediumThreaded: true,
      mounted: true,
      activityCode: 6,
      activity: "writing",
      tapeAlertStateChanged: true,
    });
  });

  it("names activity codes beyond the table as vendor codes", () => {
    const bytes = encodeLogPage(0x11, [{ code: 0, value: Uint8Array.of(0x01, 0, 0x80, 0) }]);
    expect(decodeDeviceStatusLog(bytes).activity).toBe("vendor-0x80");
  });

  it("rejects a missing or short VHF parameter", () => {
    expect(() => decodeDeviceStatusLog(encodeLogPage(0x11, [{ code: 1, value: u(0, 4) }]))).toThrow(/0x0000/);
    expect(() => decodeDeviceStatusLog(encodeLogPage(0x11, [{ code: 0, value: u(0, 2) }]))).toThrow(/4 bytes/);
  });
});

describe("tape usage 0x30 and tape capacity 0x31", () => {
  it("decodes the LTO vendor pages", () => {
    expect(decodeTapeUsageLog(encodeLogPage(0x30, [{ code: 1, value: u(17, 4) }, { code: 2, value: u(9000, 8) }, { code: 0x0b, value: u(1, 2) }]))).toEqual({ threadCount: 17, totalDataSetsWritten: 9000, totalFatalSuspendedReads: 1 });
    expect(decodeTapeCapacityLog(encodeLogPage(0x31, [{ code: 1, value: u(2_400_000, 4) }, { code: 3, value: u(2_500_000, 4) }]))).toEqual({ mainPartitionRemainingCapacity: 2_400_000, mainPartitionMaximumCapacity: 2_500_000 });
  });
});
