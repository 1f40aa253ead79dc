import { describe, expect, it } from "vitest";
import { ASC_ASCQ_RANGES, ASC_ASCQ_TABLE } from "./asc-ascq-table.ts";
import { DensityCode, LTO_DENSITIES, densityInfo, densityName } from "./density.ts";
import { MAM_ATTRIBUTES, MamAttribute, MamFormat, isHostAttribute, mamAttributeInfo } from "./mam.ts";
import { OPCODE_NAMES, Opcode, opcodeName } from "./opcodes.ts";
import { Asc, SENSE_KEY_NAMES, SenseKey, ascAscqDescription, isAsc, senseKeyName } from "./sense.ts";
import { TAPE_ALERT_CLEANING_REQUEST, TAPE_ALERT_FLAGS, TAPE_ALERT_MEDIA_LIFE, TapeAlert, tapeAlertFlag } from "./tape-alert.ts";

describe("opcodes", () => {
  it("names every opcode and only LOCATE(10)/POSITION TO ELEMENT share a value", () => {
    const byValue = new Map<number, string[]>();
    for (const [name, v] of Object.entries(Opcode)) byValue.set(v, [...(byValue.get(v) ?? []), name]);
    const shared = [...byValue.entries()].filter(([, names]) => names.length > 1);
    expect(shared).toEqual([[0x2b, ["LOCATE_10", "POSITION_TO_ELEMENT"]]]);
    for (const v of byValue.keys()) expect(OPCODE_NAMES.has(v)).toBe(true);
  });

  it("uses the PBS opcode values", () => {
    expect([Opcode.TEST_UNIT_READY, Opcode.REWIND, Opcode.REQUEST_SENSE, Opcode.FORMAT_MEDIUM, Opcode.READ_6, Opcode.WRITE_6]).toEqual([0x00, 0x01, 0x03, 0x04, 0x08, 0x0a]);
    expect([Opcode.WRITE_FILEMARKS_6, Opcode.SPACE_6, Opcode.INQUIRY, Opcode.MODE_SELECT_6, Opcode.ERASE_6, Opcode.MODE_SENSE_6]).toEqual([0x10, 0x11, 0x12, 0x15, 0x19, 0x1a]);
    expect([Opcode.LOAD_UNLOAD, Opcode.PREVENT_ALLOW_MEDIUM_REMOVAL, Opcode.READ_POSITION, Opcode.REPORT_DENSITY_SUPPORT, Opcode.LOG_SENSE]).toEqual([0x1b, 0x1e, 0x34, 0x44, 0x4d]);
    expect([Opcode.MODE_SELECT_10, Opcode.MODE_SENSE_10, Opcode.READ_ATTRIBUTE, Opcode.WRITE_ATTRIBUTE, Opcode.SPACE_16, Opcode.LOCATE_16]).toEqual([0x55, 0x5a, 0x8c, 0x8d, 0x91, 0x92]);
    expect([Opcode.SECURITY_PROTOCOL_IN, Opcode.MOVE_MEDIUM, Opcode.SECURITY_PROTOCOL_OUT, Opcode.READ_ELEMENT_STATUS, Opcode.INITIALIZE_ELEMENT_STATUS]).toEqual([0xa2, 0xa5, 0xb5, 0xb8, 0x07]);
  });

  it("prints names and unknown opcodes", () => {
    expect(opcodeName(0x34)).toBe("READ POSITION");
    expect(opcodeName(0xfe)).toBe("OPCODE 0xFE");
  });
});

describe("sense tables", () => {
  it("has sixteen sense key names", () => {
    expect(SENSE_KEY_NAMES).toHaveLength(16);
    expect(senseKeyName(SenseKey.BLANK_CHECK)).toBe("BLANK CHECK");
    expect(senseKeyName(0xf7)).toBe("DATA PROTECT");
    expect(senseKeyName(SenseKey.VOLUME_OVERFLOW)).toBe("VOLUME OVERFLOW");
  });

  it("has no duplicate (ASC, ASCQ) rows and a description for each", () => {
    const keys = new Set<number>();
    for (const [asc, ascq, text] of ASC_ASCQ_TABLE) {
      const k = (asc << 8) | ascq;
      expect(keys.has(k)).toBe(false);
      keys.add(k);
      expect(text.length).toBeGreaterThan(0);
    }
    expect(ASC_ASCQ_TABLE.length).toBeGreaterThan(700);
  });

  it("every named constant is a row of the SPC table", () => {
    const keys = new Set(ASC_ASCQ_TABLE.map(([a, q]) => (a << 8) | q));
    for (const [name, c] of Object.entries(Asc)) {
      expect(keys.has((c.asc << 8) | c.ascq), name).toBe(true);
    }
  });

  it("looks up descriptions used by tapes and changers", () => {
    expect(ascAscqDescription(0x00, 0x01)).toBe("Filemark detected");
    expect(ascAscqDescription(0x00, 0x02)).toBe("End-of-partition/medium detected");
    expect(ascAscqDescription(0x00, 0x05)).toBe("End-of-data detected");
    expect(ascAscqDescription(0x04, 0x01)).toBe("Logical unit is in process of becoming ready");
    expect(ascAscqDescription(0x3a, 0x00)).toBe("Medium not present");
    expect(ascAscqDescription(0x27, 0x00)).toBe("Write protected");
    expect(ascAscqDescription(0x3b, 0x0e)).toBe("Medium source element empty");
    expect(ascAscqDescription(0x3b, 0x0d)).toBe("Medium destination element full");
    expect(ascAscqDescription(0x30, 0x0c)).toBe("WORM medium - overwrite attempted");
  });

  it("formats the SPC ranges, vendor specific and unknown codes", () => {
    expect(ASC_ASCQ_RANGES.length).toBe(6);
    expect(ascAscqDescription(0x40, 0x81)).toBe("Diagnostic failure on component [0x81]");
    expect(ascAscqDescription(0x41, 0x07)).toBe("Data path failure [0x07]");
    expect(ascAscqDescription(0x80, 0x12)).toBe("Vendor specific ASC 0x80, ASCQ 0x12");
    expect(ascAscqDescription(0x04, 0x90)).toBe("Vendor specific ASCQ 0x90 for ASC 0x04");
    expect(ascAscqDescription(0x7e, 0x7e)).toBe("Unknown ASC 0x7e, ASCQ 0x7e");
  });

  it("compares codes", () => {
    expect(isAsc(0x00, 0x01, Asc.FILEMARK_DETECTED)).toBe(true);
    expect(isAsc(0x00, 0x02, Asc.FILEMARK_DETECTED)).toBe(false);
  });
});

describe("densities", () => {
  it("lists LTO-1..LTO-10 with LTO-7 Type M", () => {
    expect(LTO_DENSITIES.map((d) => d.name)).toEqual(["LTO-1", "LTO-2", "LTO-3", "LTO-4", "LTO-5", "LTO-6", "LTO-7", "LTO-7 Type M", "LTO-8", "LTO-9", "LTO-10"]);
    expect(LTO_DENSITIES.map((d) => d.code)).toEqual([0x40, 0x42, 0x44, 0x46, 0x58, 0x5a, 0x5c, 0x5d, 0x5e, 0x60, 0x62]);
    expect(densityInfo(DensityCode.LTO7_TYPE_M)?.nativeCapacityBytes).toBe(9e12);
    expect(densityInfo(DensityCode.LTO9)?.generation).toBe(9);
  });

  it("names unknown codes", () => {
    expect(densityName(0)).toBe("unknown");
    expect(densityName(0x58)).toBe("LTO-5");
    expect(densityName(0x13)).toBe("density 0x13");
    expect(densityInfo(0x13)).toBeUndefined();
  });
});

describe("TapeAlert flags", () => {
  const PBS_CRITICAL = [0x04, 0x05, 0x06, 0x09, 0x0e, 0x10, 0x16, 0x17, 0x1e, 0x1f, 0x21, 0x26, 0x29, 0x2d, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39];

  it("has 64 flags numbered 1..64", () => {
    expect(TAPE_ALERT_FLAGS).toHaveLength(64);
    TAPE_ALERT_FLAGS.forEach((f, i) => expect(f.number).toBe(i + 1));
    expect(new Set(TAPE_ALERT_FLAGS.map((f) => f.name)).size).toBe(64);
  });

  it("marks exactly the PBS critical flags (§8.1)", () => {
    expect(TAPE_ALERT_FLAGS.filter((f) => f.critical).map((f) => f.number)).toEqual(PBS_CRITICAL);
    for (const f of TAPE_ALERT_FLAGS) expect(f.critical).toBe(f.severity === "critical");
  });

  it("leaves out the numbers PBS does not define", () => {
    expect(TAPE_ALERT_FLAGS.filter((f) => !f.pbsDefined).map((f) => f.number)).toEqual([0x28, 0x2b, 0x2c, 0x2e, 0x2f, 0x30, 0x3e, 0x3f, 0x40]);
  });

  it("names flags as PBS does", () => {
    expect(tapeAlertFlag(0x14)?.name).toBe("CLEAN_NOW");
    expect(tapeAlertFlag(0x1d)?.name).toBe("DRIVE_MAINTENANCE");
    expect(tapeAlertFlag(0x0e)?.name).toBe("UNRECOVERABLE_SNAPPED_TAPE");
    expect(tapeAlertFlag(0x3d)?.name).toBe("ENCRYPTION_POLICY_VIOLATION");
    expect(tapeAlertFlag(0)).toBeUndefined();
    expect(tapeAlertFlag(65)).toBeUndefined();
    expect(TapeAlert.WORM_OVERWRITE_ATTEMPTED).toBe(0x3c);
    expect(TAPE_ALERT_MEDIA_LIFE).toEqual([0x07, 0x13]);
    expect(TAPE_ALERT_CLEANING_REQUEST).toEqual([0x14, 0x15]);
  });
});

describe("MAM attributes", () => {
  it("has unique ids in order with the PBS expected lengths", () => {
    const ids = MAM_ATTRIBUTES.map((a) => a.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const expectLen: Array<[number, number]> = [
      [0x0000, 8], [0x0001, 8], [0x0002, 8], [0x0003, 8], [0x0004, 8], [0x0005, 8], [0x0006, 1], [0x0007, 2],
      [0x020a, 40], [0x0220, 8], [0x0224, 8], [0x0400, 8], [0x0401, 32], [0x0402, 4], [0x0406, 8], [0x0408, 1],
      [0x0409, 2], [0x0800, 8], [0x0801, 32], [0x0802, 8], [0x0803, 160], [0x0804, 12], [0x0805, 1], [0x0806, 32],
      [0x0807, 80], [0x0808, 160], [0x080b, 16], [0x0820, 36], [0x0821, 36], [0x1000, 28], [0x1001, 24],
    ];
    for (const [id, len] of expectLen) expect(mamAttributeInfo(id)?.length, `0x${id.toString(16)}`).toBe(len);
    expect(mamAttributeInfo(MamAttribute.VOLUME_COHERENCY_INFORMATION)?.length).toBeNull();
  });

  it("records formats", () => {
    expect(mamAttributeInfo(MamAttribute.BARCODE)?.format).toBe(MamFormat.ASCII);
    expect(mamAttributeInfo(MamAttribute.MEDIA_POOL)?.format).toBe(MamFormat.TEXT);
    expect(mamAttributeInfo(MamAttribute.LOAD_COUNT)?.format).toBe(MamFormat.BINARY);
    expect(mamAttributeInfo(MamAttribute.TOTAL_MIB_WRITTEN_IN_MEDIUM_LIFE)?.unit).toBe("MiB");
    expect(mamAttributeInfo(0x0aaa)).toBeUndefined();
  });

  it("knows the host-writable ranges", () => {
    expect(isHostAttribute(0x0800)).toBe(true);
    expect(isHostAttribute(0x0bff)).toBe(true);
    expect(isHostAttribute(0x1800)).toBe(true);
    expect(isHostAttribute(0x0400)).toBe(false);
    expect(isHostAttribute(0x1000)).toBe(false);
  });
});
