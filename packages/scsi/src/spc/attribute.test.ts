import { describe, expect, it } from "vitest";
import { MamAttribute, MamFormat } from "../constants/mam.ts";
import { ScsiArgumentError, ScsiDecodeError } from "../errors.ts";
import { bb, hex } from "../testing/byte-builder.ts";
import { buildReadAttributeCdb, buildWriteAttributeCdb, decodeAttributeList, decodeAttributeValues, encodeAttributeValues, encodeWriteAttributes } from "./attribute.ts";

/** One attribute as a drive returns it: id, READ ONLY|FORMAT, length, value. */
const attr = (id: number, flags: number, value: Uint8Array) => bb().u16(id).u8(flags).u16(value.length).bytes(value).build();

/** READ ATTRIBUTE data from attributes, like an LTO-6 cartridge memory answers. */
function mamResponse(): Uint8Array {
  const parts = [
    attr(0x0000, 0x80, bb().u64(2_300_000).build()),
    attr(0x0001, 0x80, bb().u64(2_500_000).build()),
    attr(0x0002, 0x80, bb().u8(0x00, 0x00, 0x10, 0, 0, 0, 0, 0).build()),
    attr(0x0003, 0x80, bb().u64(37).build()),
    attr(0x0006, 0x80, Uint8Array.of(0x5a)),
    attr(0x0220, 0x80, bb().u64(1_048_576).build()),
    attr(0x0400, 0x81, bb().ascii("FUJIFILM", 8).build()),
    attr(0x0401, 0x81, bb().ascii("1234567890", 32).build()),
    attr(0x0406, 0x81, bb().ascii("20190412", 8).build()),
    attr(0x0800, 0x01, bb().ascii("Proxmox", 8, 0).build()),
    attr(0x0803, 0x02, bb().ascii("LABEL-Ü", 160, 0).build()),
    attr(0x0806, 0x01, bb().ascii("ABC123L6", 32).build()),
    attr(0x0820, 0x00, new Uint8Array(36).fill(0xab)),
    attr(0x1001, 0x80, new Uint8Array(24).fill(1)),
    attr(0x0aaa, 0x00, Uint8Array.of(1, 2)),
    attr(0x0802, 0x01, new Uint8Array(0)),
  ];
  const body = bb();
  for (const p of parts) body.bytes(p);
  return bb().u32(body.length).bytes(body.build()).build();
}

describe("READ/WRITE ATTRIBUTE CDBs", () => {
  it("builds the PBS CDBs", () => {
    expect(hex(buildReadAttributeCdb())).toBe("8c 00 00 00 00 00 00 00 00 00 00 00 80 00 00 00");
    expect(hex(buildWriteAttributeCdb({ parameterListLength: 0x34 }))).toBe("8d 01 00 00 00 00 00 00 00 00 00 00 00 34 00 00");
  });

  it("sets service action, partition, first attribute and cache", () => {
    expect(hex(buildReadAttributeCdb({ serviceAction: "list", partition: 1, firstAttribute: 0x0400, allocationLength: 512, cache: true }))).toBe("8c 01 00 00 00 00 00 01 04 00 00 00 02 00 01 00");
    expect(() => buildReadAttributeCdb({ firstAttribute: 0x10000 })).toThrow(ScsiArgumentError);
  });
});

describe("attribute values", () => {
  it("decodes every kind of value", () => {
    const list = decodeAttributeValues(mamResponse());
    const byId = new Map(list.map((a) => [a.id, a]));
    expect(byId.get(0x0000)).toMatchObject({ name: "REMAINING_CAPACITY_IN_PARTITION", readOnly: true, format: 0, length: 8, value: 2_300_000 });
    expect(byId.get(0x0002)?.value).toEqual([20]);
    expect(byId.get(0x0003)?.value).toBe(37);
    expect(byId.get(0x0006)?.value).toBe(0x5a);
    expect(byId.get(0x0400)?.value).toBe("FUJIFILM");
    expect(byId.get(0x0401)?.value).toBe("1234567890");
    expect(byId.get(0x0406)?.value).toBe("20190412");
    expect(byId.get(0x0800)).toMatchObject({ name: "APPLICATION_VENDOR", readOnly: false, format: MamFormat.ASCII, value: "Proxmox" });
    expect(byId.get(0x0806)?.value).toBe("ABC123L6");
    expect(byId.get(0x0820)?.value).toBe("ab".repeat(36));
    expect(byId.get(0x1001)).toMatchObject({ name: "ALTERNATE_UNIQUE_CARTRIDGE_IDENTITY", value: "01".repeat(24) });
    expect(byId.get(0x0aaa)).toMatchObject({ name: "UNKNOWN_0x0aaa", value: 0x0102 });
    expect(byId.get(0x0802)).toMatchObject({ value: null, lengthMismatch: true });
    expect(list).toHaveLength(16);
  });

  it("decodes TEXT as UTF-8", () => {
    const text = new TextEncoder().encode("Übung");
    const data = encodeAttributeValues([{ id: 0x0803, format: MamFormat.TEXT, value: bb().bytes(text).zeros(160 - text.length).build() }]);
    expect(decodeAttributeValues(data)[0]?.value).toBe("Übung");
  });

  it("renders integers above 2^53 as decimal strings", () => {
    const data = encodeAttributeValues([{ id: 0x0003, format: MamFormat.BINARY, value: bb().u64(2n ** 60n).build() }]);
    expect(decodeAttributeValues(data)[0]?.value).toBe((2n ** 60n).toString());
  });

  it("flags lengths that differ from the standard", () => {
    const data = encodeAttributeValues([{ id: 0x0400, format: MamFormat.ASCII, value: bb().ascii("SONY", 4).build() }]);
    expect(decodeAttributeValues(data)[0]).toMatchObject({ value: "SONY", lengthMismatch: true });
  });

  it("keeps complete attributes of data cut by the allocation length", () => {
    const full = mamResponse();
    const cut = decodeAttributeValues(full.subarray(0, 4 + 13 + 13 + 5));
    expect(cut.map((a) => a.id)).toEqual([0x0000, 0x0001]);
  });

  it("rejects an attribute running past AVAILABLE DATA and truncated headers", () => {
    const bad = bb().u32(7).u16(0x0000).u8(0).u16(8).u8(1, 2).build();
    expect(() => decodeAttributeValues(bad)).toThrow(ScsiDecodeError);
    expect(() => decodeAttributeValues(Uint8Array.of(0, 0))).toThrow(/AVAILABLE DATA/);
  });

  it("ignores bytes beyond AVAILABLE DATA", () => {
    const data = mamResponse();
    expect(decodeAttributeValues(bb().bytes(data).u8(0xff, 0xff, 0xff).build())).toHaveLength(16);
  });
});

describe("attribute list", () => {
  it("decodes identifiers", () => {
    expect(decodeAttributeList(bb().u32(6).u16(0).u16(0x0401).u16(0x0800).build())).toEqual([0, 0x0401, 0x0800]);
    expect(decodeAttributeList(bb().u32(6).u16(0).u16(0x0401).build())).toEqual([0, 0x0401]);
  });
});

describe("WRITE ATTRIBUTE parameter data", () => {
  it("encodes the attributes PBS writes", () => {
    const data = encodeWriteAttributes([
      { id: MamAttribute.APPLICATION_VENDOR, value: "Proxmox" },
      { id: MamAttribute.APPLICATION_NAME, value: "Proxmox Backup Server" },
      { id: MamAttribute.MEDIA_POOL, value: "daily" },
    ]);
    expect(data.length).toBe(4 + (5 + 8) + (5 + 32) + (5 + 160));
    expect(hex(data.subarray(0, 17))).toBe("00 00 00 d7 08 00 01 00 08 50 72 6f 78 6d 6f 78 20");
    const back = decodeAttributeValues(data);
    expect(back.map((a) => a.value)).toEqual(["Proxmox", "Proxmox Backup Server", "daily"]);
    expect(back[2]?.format).toBe(MamFormat.TEXT);
    expect(data[data.length - 1]).toBe(0);
  });

  it("clears attributes with length 0 (PBS format)", () => {
    const data = encodeWriteAttributes([{ id: 0x0803, value: null }]);
    expect(hex(data)).toBe("00 00 00 05 08 03 02 00 00");
  });

  it("encodes binary integers at their defined length", () => {
    const data = encodeWriteAttributes([{ id: 0x0805, value: 1 }]);
    expect(hex(data)).toBe("00 00 00 06 08 05 00 00 01 01");
  });

  it("rejects values that do not fit and unknown ids without a format", () => {
    expect(() => encodeWriteAttributes([{ id: 0x0800, value: "Too long vendor" }])).toThrow(/exceed the defined length 8/);
    expect(() => encodeWriteAttributes([{ id: 0x0805, value: 256 }])).toThrow(ScsiArgumentError);
    expect(() => encodeWriteAttributes([{ id: 0x0806, value: "bad\u0001" }])).toThrow(/printable ASCII/);
    expect(() => encodeWriteAttributes([{ id: 0x0aaa, value: "x" }])).toThrow(/format/);
    expect(hex(encodeWriteAttributes([{ id: 0x1800, value: Uint8Array.of(9), format: MamFormat.BINARY }]))).toBe("00 00 00 06 18 00 00 00 01 09");
  });
});
