import { describe, expect, it } from "vitest";
import { ScsiArgumentError, ScsiDecodeError } from "../errors.ts";
import { bb, hex } from "../testing/byte-builder.ts";
import { buildInquiryCdb, decodeInquiry, decodeVpdDeviceIdentification, decodeVpdSupportedPages, decodeVpdUnitSerial } from "./inquiry.ts";

/** Standard INQUIRY data of an LTO-5 drive as an IBM drive answers (96 bytes). */
function ibmInquiry(): Uint8Array {
  const b = bb()
    .u8(0x01, 0x80, 0x06, 0x12, 91, 0x00, 0x00, 0x02)
    .ascii("IBM", 8)
    .ascii("ULT3580-TD5", 16)
    .ascii("D8D5", 4)
    .ascii("X3D0M12", 20)
    .zeros(96 - 56);
  return b.build();
}

describe("INQUIRY CDB", () => {
  it("builds the standard INQUIRY PBS sends", () => {
    expect(hex(buildInquiryCdb())).toBe("12 00 00 00 24 00");
  });

  it("builds VPD requests with EVPD", () => {
    expect(hex(buildInquiryCdb({ page: 0x80 }))).toBe("12 01 80 00 ff 00");
    expect(hex(buildInquiryCdb({ page: 0x83, allocationLength: 0x1000 }))).toBe("12 01 83 10 00 00");
    expect(() => buildInquiryCdb({ page: 0x100 })).toThrow(ScsiArgumentError);
  });
});

describe("standard INQUIRY data", () => {
  it("decodes a tape drive", () => {
    const d = decodeInquiry(ibmInquiry());
    expect(d).toMatchObject({
      peripheralQualifier: 0,
      peripheralDeviceType: 1,
      removable: true,
      version: 6,
      responseDataFormat: 2,
      vendor: "IBM",
      product: "ULT3580-TD5",
      revision: "D8D5",
      vendorSpecific: "X3D0M12",
    });
  });

  it("decodes a medium changer from exactly 36 bytes (NULs trimmed as PBS does)", () => {
    const data = bb().u8(0x08, 0x80, 0x05, 0x02, 31, 0, 0, 0).ascii("STK", 8, 0).ascii("L700", 16, 0).ascii("0107", 4).build();
    const d = decodeInquiry(data);
    expect(d.peripheralDeviceType).toBe(8);
    expect(d.vendor).toBe("STK");
    expect(d.product).toBe("L700");
    expect(d.vendorSpecific).toBeUndefined();
  });

  it("rejects data shorter than 36 bytes", () => {
    expect(() => decodeInquiry(ibmInquiry().subarray(0, 35))).toThrow(ScsiDecodeError);
    expect(() => decodeInquiry(new Uint8Array(0))).toThrow(/36 bytes/);
  });

  it("ignores bytes past the additional length (over-long buffer)", () => {
    const d = decodeInquiry(bb().bytes(ibmInquiry().subarray(0, 36)).patch(4, 1, 31).ascii("JUNK", 200).build());
    expect(d.vendorSpecific).toBeUndefined();
    expect(d.revision).toBe("D8D5");
  });
});

describe("VPD pages", () => {
  it("decodes supported pages (0x00)", () => {
    expect(decodeVpdSupportedPages(bb().u8(0x01, 0x00, 0x00, 0x04, 0x00, 0x80, 0x83, 0xb0).build())).toEqual([0x00, 0x80, 0x83, 0xb0]);
  });

  it("decodes the unit serial number (0x80)", () => {
    const d = bb().u8(0x01, 0x80, 0x00, 0x0c).ascii("  1068000073", 12).build();
    expect(decodeVpdUnitSerial(d)).toBe("1068000073");
    expect(decodeVpdUnitSerial(bb().bytes(d).ascii("trailing junk", 13).build())).toBe("1068000073");
  });

  it("rejects a wrong page code and a truncated page", () => {
    expect(() => decodeVpdUnitSerial(bb().u8(0x01, 0x83, 0x00, 0x00).build())).toThrow(/expected 0x80/);
    expect(() => decodeVpdUnitSerial(bb().u8(0x01, 0x80, 0x00, 0x0c).ascii("123", 3).build())).toThrow(ScsiDecodeError);
  });

  it("decodes device identification designators (0x83)", () => {
    const t10 = bb().u8(0x02, 0x01, 0x00, 34).ascii("IBM", 8).ascii("ULT3580-TD5", 16).ascii("1068000073", 10).build();
    const naa = bb().u8(0x01, 0x03, 0x00, 0x08).u8(0x50, 0x05, 0x07, 0x63, 0x0f, 0x12, 0x34, 0x56).build();
    const port = bb().u8(0x61, 0x93, 0x00, 0x08).u8(0x50, 0x05, 0x07, 0x63, 0x0f, 0x12, 0x34, 0x57).build();
    const page = bb().u8(0x01, 0x83).u16(t10.length + naa.length + port.length).bytes(t10).bytes(naa).bytes(port).build();
    const ds = decodeVpdDeviceIdentification(page);
    expect(ds).toHaveLength(3);
    expect(ds[0]).toMatchObject({ codeSet: 2, designatorType: 1, association: "logical-unit", t10: { vendor: "IBM", specific: "ULT3580-TD5     1068000073" } });
    expect(ds[1]).toMatchObject({ codeSet: 1, designatorType: 3, hex: "500507630f123456" });
    expect(ds[2]).toMatchObject({ protocolIdentifier: 6, association: "target-port", designatorType: 3 });
  });

  it("rejects a designator running past the page", () => {
    const page = bb().u8(0x01, 0x83, 0x00, 0x06).u8(0x01, 0x03, 0x00, 0x08).u8(0x50, 0x05).build();
    expect(() => decodeVpdDeviceIdentification(page)).toThrow(ScsiDecodeError);
  });
});
