import { describe, expect, it } from "vitest";
import { SenseKey } from "../constants/sense.ts";
import {
  AbortedCommandError,
  BlankCheckError,
  DataProtectError,
  HardwareError,
  IllegalRequestError,
  MediumError,
  NotReadyError,
  ScsiDecodeError,
  ScsiSenseError,
  UnitAttentionError,
  VolumeOverflowError,
} from "../errors.ts";
import { bb, fixedSense, hex } from "../testing/byte-builder.ts";
import { buildRequestSenseCdb, buildTestUnitReadyCdb, classifySense, decodeSense, encodeSense, senseToError } from "./sense-data.ts";

describe("fixed-format sense", () => {
  it("decodes a filemark read by READ(6) (mhvtl-like, 18 bytes)", () => {
    const s = decodeSense(fixedSense({ key: SenseKey.NO_SENSE, asc: 0, ascq: 1, filemark: true, information: 262144 }));
    expect(s).toMatchObject({
      responseCode: 0x70,
      format: "fixed",
      deferred: false,
      senseKey: 0,
      senseKeyName: "NO SENSE",
      asc: 0,
      ascq: 1,
      description: "Filemark detected",
      filemark: true,
      eom: false,
      ili: false,
      information: 262144,
    });
  });

  it("reads INFORMATION as signed (overlength ILI residue)", () => {
    const s = decodeSense(fixedSense({ key: 0, ili: true, information: -4096 }));
    expect(s.ili).toBe(true);
    expect(s.information).toBe(-4096);
  });

  it("omits INFORMATION when VALID is clear", () => {
    const s = decodeSense(bb().u8(0x70, 0, 0x08).u32(1234).u8(10).u32(0).u8(0, 5, 0, 0, 0, 0).build());
    expect(s.information).toBeUndefined();
    expect(s.senseKey).toBe(SenseKey.BLANK_CHECK);
    expect(s.description).toBe("End-of-data detected");
  });

  it("decodes the sense-key specific field pointer of ILLEGAL REQUEST", () => {
    const s = decodeSense(fixedSense({ key: 5, asc: 0x24, ascq: 0, sks: [0xc8 | 0x05, 0x00, 0x02] }));
    expect(s.senseKeySpecific).toEqual({ kind: "field-pointer", commandData: true, bitPointer: 5, fieldPointer: 2 });
  });

  it("decodes progress indication of NOT READY", () => {
    const s = decodeSense(fixedSense({ key: 2, asc: 4, ascq: 4, sks: [0x80, 0x80, 0x00] }));
    expect(s.senseKeySpecific).toEqual({ kind: "progress", progress: 0.5 });
  });

  it("decodes command-specific information and FRU when non-zero", () => {
    const bytes = bb().u8(0x70, 0, 0x03).u32(0).u8(10).u32(0xdeadbeef).u8(0x11, 0x00, 0x42).zeros(3).build();
    const s = decodeSense(bytes);
    expect(s.commandSpecific).toBe(0xdeadbeef);
    expect(s.fru).toBe(0x42);
    expect(s.description).toBe("Unrecovered read error");
  });

  it("accepts a short buffer whose additional length leaves out ASC/ASCQ", () => {
    const s = decodeSense(bb().u8(0x70, 0, 0x06, 0, 0, 0, 0, 0).build());
    expect(s.senseKey).toBe(SenseKey.UNIT_ATTENTION);
    expect(s.asc).toBe(0);
  });

  it("ignores bytes beyond the additional sense length (over-long buffer)", () => {
    const base = fixedSense({ key: 2, asc: 0x3a, ascq: 0 });
    const long = bb().bytes(base).bytes(new Array(14).fill(0xff)).build();
    expect(decodeSense(long)).toEqual(decodeSense(base));
  });

  it("decodes deferred errors (0x71)", () => {
    const s = decodeSense(fixedSense({ key: 3, asc: 0x0c, ascq: 0, deferred: true }));
    expect(s.deferred).toBe(true);
    expect(s.responseCode).toBe(0x71);
  });

  it("rejects truncated and malformed buffers with ScsiDecodeError", () => {
    expect(() => decodeSense(new Uint8Array(0))).toThrow(ScsiDecodeError);
    expect(() => decodeSense(Uint8Array.of(0x70, 0, 2))).toThrow(/at least 8 bytes/);
    expect(() => decodeSense(bb().u8(0x70, 0, 2, 0, 0, 0, 0, 10, 0, 0).build())).toThrow(/ASC\/ASCQ/);
    expect(() => decodeSense(Uint8Array.of(0x20, 0, 0, 0, 0, 0, 0, 0))).toThrow(/not a sense format/);
    try {
      decodeSense(Uint8Array.of(0x70, 0, 2));
    } catch (e) {
      expect(e).toBeInstanceOf(ScsiDecodeError);
      expect((e as ScsiDecodeError).structure).toBe("sense data");
      expect((e as ScsiDecodeError).code).toBe("DECODE");
    }
  });
});

describe("descriptor-format sense", () => {
  const descriptor = (key: number, asc: number, ascq: number, descs: Uint8Array) =>
    bb().u8(0x72, key, asc, ascq, 0, 0, 0, descs.length).bytes(descs).build();

  it("decodes information, stream and sense-key specific descriptors", () => {
    const descs = bb()
      .u8(0x00, 0x0a, 0x80, 0x00).u64(-512)
      .u8(0x04, 0x02, 0x00, 0xa0)
      .u8(0x02, 0x06, 0x00, 0x00, 0x80, 0x07, 0x00, 0x00)
      .build();
    const s = decodeSense(descriptor(0, 0, 0, descs));
    expect(s.format).toBe("descriptor");
    expect(s.information).toBe(-512);
    expect(s.filemark).toBe(true);
    expect(s.ili).toBe(true);
    expect(s.eom).toBe(false);
    expect(s.senseKeySpecific).toEqual({ kind: "progress", progress: 7 / 256 });
    expect(s.descriptors?.map((d) => d.type)).toEqual([0x00, 0x04, 0x02]);
  });

  it("decodes an EOM stream descriptor on WRITE (early warning)", () => {
    const s = decodeSense(descriptor(0, 0, 2, bb().u8(0x04, 0x02, 0x00, 0x40).build()));
    expect(s.eom).toBe(true);
    expect(s.description).toBe("End-of-partition/medium detected");
  });

  it("keeps complete descriptors when the buffer was cut by the allocation length", () => {
    const full = descriptor(3, 0x11, 0, bb().u8(0x04, 0x02, 0, 0x80).u8(0x00, 0x0a, 0x80, 0).u64(7).build());
    const s = decodeSense(full.subarray(0, 14));
    expect(s.filemark).toBe(true);
    expect(s.information).toBeUndefined();
  });

  it("rejects a descriptor running past the declared length", () => {
    const bad = bb().u8(0x72, 0, 0, 0, 0, 0, 0, 4).u8(0x04, 0x08, 0, 0).build();
    expect(() => decodeSense(bad)).toThrow(ScsiDecodeError);
  });

  it("decodes a 4-byte descriptor-format header alone", () => {
    const s = decodeSense(Uint8Array.of(0x73, 0x02, 0x04, 0x01));
    expect(s).toMatchObject({ deferred: true, senseKey: 2, asc: 4, ascq: 1, description: "Logical unit is in process of becoming ready" });
  });
});

describe("CDBs", () => {
  it("builds TEST UNIT READY and REQUEST SENSE as PBS sends them", () => {
    expect(hex(buildTestUnitReadyCdb())).toBe("00 00 00 00 00 00");
    expect(hex(buildRequestSenseCdb())).toBe("03 00 00 00 fc 00");
    expect(hex(buildRequestSenseCdb({ allocationLength: 18, descriptorFormat: true }))).toBe("03 01 00 00 12 00");
    expect(() => buildRequestSenseCdb({ allocationLength: 300 })).toThrow(/allocationLength/);
  });
});

describe("classifySense (§7.4)", () => {
  it("READ 0/00/01 is a filemark", () => {
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 1, filemark: true, information: 262144 }), "read")).toEqual({ kind: "filemark", information: 262144 });
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 1 }), "read").kind).toBe("filemark");
  });

  it("READ 8/00/05 is end of data", () => {
    expect(classifySense(fixedSense({ key: 8, asc: 0, ascq: 5 }), "read")).toEqual({ kind: "end-of-data" });
  });

  it("WRITE 0/00/02 is early warning (the write succeeded)", () => {
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 2, eom: true }), "write")).toEqual({ kind: "early-warning" });
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 7 }), "write")).toEqual({ kind: "early-warning" });
  });

  it("WRITE FILEMARKS 0/00/02 is early warning too", () => {
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 2, eom: true }), "write-filemarks")).toEqual({ kind: "early-warning" });
  });

  it("SPACE 0/00/01 reports the filemark met", () => {
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 1, filemark: true, information: 1 }), "space")).toEqual({ kind: "filemark", information: 1 });
    expect(classifySense(fixedSense({ key: 8, asc: 0, ascq: 5 }), "space").kind).toBe("end-of-data");
  });

  it("READ with ILI gives the residual", () => {
    expect(classifySense(fixedSense({ key: 0, ili: true, information: 100 }), "read")).toEqual({ kind: "ili", residual: 100 });
    expect(classifySense(fixedSense({ key: 0, ili: true, information: -100 }), "read")).toEqual({ kind: "ili", residual: -100 });
  });

  it("VOLUME OVERFLOW on WRITE is an error", () => {
    const c = classifySense(fixedSense({ key: 0xd, asc: 0, ascq: 2, eom: true }), "write");
    expect(c.kind).toBe("error");
    expect(c.kind === "error" && c.error).toBeInstanceOf(VolumeOverflowError);
  });

  it("a filemark in the write context is not taken as a result", () => {
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 1, filemark: true }), "write").kind).toBe("error");
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 2, eom: true }), "read").kind).toBe("error");
  });

  it("RECOVERED ERROR and plain NO SENSE are informational", () => {
    expect(classifySense(fixedSense({ key: 1, asc: 0x17, ascq: 1 }), "other").kind).toBe("recovered");
    expect(classifySense(fixedSense({ key: 0, asc: 0, ascq: 0x17 }), "write").kind).toBe("recovered");
  });

  it("deferred errors are always errors", () => {
    const c = classifySense(fixedSense({ key: 0, asc: 0, ascq: 2, eom: true, deferred: true }), "write");
    expect(c.kind).toBe("error");
    expect(c.kind === "error" && (c.error as ScsiSenseError).deferred).toBe(true);
  });

  it("undecodable sense is an error result, never an exception", () => {
    const c = classifySense(Uint8Array.of(0x01), "read");
    expect(c.kind).toBe("error");
    expect(c.kind === "error" && c.error).toBeInstanceOf(ScsiDecodeError);
  });

  it("accepts already decoded sense", () => {
    const s = decodeSense(fixedSense({ key: 8, asc: 0, ascq: 5 }));
    expect(classifySense(s, "read").kind).toBe("end-of-data");
  });
});

describe("sense to typed errors", () => {
  const err = (key: number, asc: number, ascq: number) => senseToError(decodeSense(fixedSense({ key, asc, ascq })));

  it("maps NOT READY with its reason", () => {
    const becoming = err(2, 4, 1) as NotReadyError;
    expect(becoming).toBeInstanceOf(NotReadyError);
    expect(becoming.reason).toBe("becomingReady");
    expect((err(2, 0x3a, 0) as NotReadyError).reason).toBe("noMedium");
    expect((err(2, 0x3a, 4) as NotReadyError).reason).toBe("noMedium");
    expect((err(2, 4, 3) as NotReadyError).reason).toBe("other");
    expect(becoming.code).toBe("NOT_READY");
    expect(becoming.description).toBe("Logical unit is in process of becoming ready");
  });

  it("maps every other sense key to its class", () => {
    expect(err(6, 0x28, 0)).toBeInstanceOf(UnitAttentionError);
    expect(err(3, 0x11, 0)).toBeInstanceOf(MediumError);
    expect(err(4, 0x44, 0)).toBeInstanceOf(HardwareError);
    expect(err(5, 0x20, 0)).toBeInstanceOf(IllegalRequestError);
    expect(err(8, 0, 5)).toBeInstanceOf(BlankCheckError);
    expect(err(0xb, 0x47, 0)).toBeInstanceOf(AbortedCommandError);
    expect(err(0xe, 0x1d, 0).code).toBe("SENSE");
  });

  it("DATA PROTECT knows write protection", () => {
    const wp = err(7, 0x27, 0) as DataProtectError;
    expect(wp.writeProtected).toBe(true);
    expect(wp.code).toBe("DATA_PROTECT");
    expect((err(7, 0x30, 0x0c) as DataProtectError).writeProtected).toBe(false);
  });

  it("carries key, ASC, ASCQ, description and information in the message and fields", () => {
    const e = senseToError(decodeSense(fixedSense({ key: 3, asc: 0x11, ascq: 0, information: 42 })), "READ(6)");
    expect(e.message).toBe("READ(6): MEDIUM ERROR (ASC 0x11, ASCQ 0x00): Unrecovered read error");
    expect(e.information).toBe(42);
    expect(e.senseKey).toBe(3);
  });
});

describe("encodeSense", () => {
  it("round-trips both formats", () => {
    const input = { senseKey: 0, asc: 0, ascq: 1, filemark: true, information: -7 };
    for (const format of ["fixed", "descriptor"] as const) {
      const s = decodeSense(encodeSense(input, format));
      expect(s).toMatchObject({ format, senseKey: 0, asc: 0, ascq: 1, filemark: true, eom: false, ili: false, information: -7 });
    }
    expect(hex(encodeSense({ senseKey: 8, asc: 0, ascq: 5 }))).toBe("70 00 08 00 00 00 00 0a 00 00 00 00 00 05 00 00 00 00");
  });

  it("encodes deferred errors and sense-key specific data", () => {
    const s = decodeSense(encodeSense({ senseKey: 5, asc: 0x24, ascq: 0, deferred: true, senseKeySpecific: [0xc0, 0x00, 0x01] }, "descriptor"));
    expect(s).toMatchObject({ deferred: true, responseCode: 0x73, senseKeySpecific: { kind: "field-pointer", commandData: true, fieldPointer: 1 } });
    expect(decodeSense(encodeSense({ senseKey: 5, asc: 0x24, ascq: 0, senseKeySpecific: [0x80, 0x00, 0x04] })).senseKeySpecific).toEqual({ kind: "field-pointer", commandData: false, fieldPointer: 4 });
  });

  it("rejects out-of-range fields", () => {
    expect(() => encodeSense({ senseKey: 16 })).toThrow(/senseKey/);
    expect(() => encodeSense({ senseKey: 0, information: 2 ** 33 })).toThrow(/information/);
    expect(decodeSense(encodeSense({ senseKey: 0, information: 2 ** 33 }, "descriptor")).information).toBe(2 ** 33);
  });
});
