import { describe, expect, it } from "vitest";
import { ScsiDecodeError } from "../errors.ts";
import { bb, hex } from "../testing/byte-builder.ts";
import {
  buildChangerStatus,
  buildInitializeElementStatusCdb,
  buildInitializeElementStatusWithRangeCdb,
  buildMoveMediumCdb,
  buildReadElementStatusCdb,
  decodeReadElementStatus,
  encodeReadElementStatus,
} from "./element-status.ts";

/** A 12-byte element descriptor head (SMC-3 table 22 and following). */
function head(address: number, flags: number, opts: { asc?: number; ascq?: number; b6?: number; b7?: number; source?: number } = {}) {
  return bb()
    .u16(address)
    .u8(flags, 0, opts.asc ?? 0, opts.ascq ?? 0, opts.b6 ?? 0, opts.b7 ?? 0, 0)
    .u8(opts.source !== undefined ? 0x80 : 0)
    .u16(opts.source ?? 0);
}

/** An element status page: type, PVolTag, descriptors of one length. */
function page(type: number, pvol: boolean, descriptors: Uint8Array[]) {
  const dlen = descriptors[0]?.length ?? (12 + (pvol ? 36 : 0));
  const body = bb();
  for (const d of descriptors) body.bytes(d);
  return bb().u8(type, pvol ? 0x80 : 0).u16(dlen).u8(0).u24(body.length).bytes(body.build()).build();
}

function report(first: number, count: number, pages: Uint8Array[]) {
  const body = bb();
  for (const p of pages) body.bytes(p);
  return bb().u16(first).u16(count).u8(0).u24(body.length).bytes(body.build()).build();
}

const tag = (t: string) => bb().ascii(t, 32).u16(0).u16(0).build();

/** A 24-slot library like an mhvtl L700: 1 transport, 4 slots shown, 1 I/E, 2 drives. */
function library(): Uint8Array {
  const storage = page(2, true, [
    bb().bytes(head(0x400, 0x09).build()).bytes(tag("ABC001L6")).build(),
    bb().bytes(head(0x401, 0x08).build()).bytes(tag("")).build(),
    bb().bytes(head(0x402, 0x09).build()).bytes(tag("CLN001L1")).build(),
    bb().bytes(head(0x403, 0x0d, { asc: 0x3b, ascq: 0x0e }).build()).bytes(tag("")).build(),
  ]);
  const ie = page(3, true, [bb().bytes(head(0x300, 0x3b).build()).bytes(tag("EXP001L6")).build()]);
  const drives = page(4, true, [
    bb().bytes(head(0x100, 0x09, { b6: 0x30, b7: 5, source: 0x401 }).build()).bytes(tag("ABC002L6")).build(),
    bb().bytes(head(0x101, 0x08).build()).bytes(tag("")).build(),
  ]);
  const transport = page(1, true, [bb().bytes(head(0x000, 0x00).build()).bytes(tag("")).build()]);
  return report(0, 8, [storage, ie, drives, transport]);
}

/** The DVCID answer: drives with VOLTAG=0 and a 34-byte T10-style identifier. */
function drivesWithIds(): Uint8Array {
  const id = (serial: string) => bb().u8(0x02, 0x01, 0x00, 34).ascii("IBM", 8).ascii("ULT3580-TD6", 16).ascii(serial, 10).build();
  return report(0x100, 2, [page(4, false, [bb().bytes(head(0x100, 0x09, { source: 0x401 }).build()).bytes(id("1013000001")).build(), bb().bytes(head(0x101, 0x08).build()).bytes(id("1013000002")).build()])]);
}

describe("changer CDBs as PBS sends them (§7.3)", () => {
  it("READ ELEMENT STATUS", () => {
    expect(hex(buildReadElementStatusCdb({ type: "storage" }))).toBe("b8 12 00 00 03 e8 00 00 ff ff 00 00");
    expect(hex(buildReadElementStatusCdb({ type: "data-transfer", volumeTags: false, deviceIds: true }))).toBe("b8 04 00 00 03 e8 01 00 ff ff 00 00");
    expect(hex(buildReadElementStatusCdb({ type: "all", startAddress: 0x3e9, count: 10, currentData: true, allocationLength: 0x10000 }))).toBe("b8 10 03 e9 00 0a 02 01 00 00 00 00");
  });

  it("MOVE MEDIUM and INITIALIZE ELEMENT STATUS", () => {
    expect(hex(buildMoveMediumCdb({ transport: 0, source: 0x400, destination: 0x100 }))).toBe("a5 00 00 00 04 00 01 00 00 00 00 00");
    expect(hex(buildMoveMediumCdb({ source: 1, destination: 2, invert: true }))).toBe("a5 00 00 00 00 01 00 02 00 00 01 00");
    expect(hex(buildInitializeElementStatusCdb())).toBe("07 00 00 00 00 00");
    expect(hex(buildInitializeElementStatusWithRangeCdb({ startAddress: 0x400, count: 24, fast: true }))).toBe("37 03 04 00 00 00 00 18 00 00");
  });
});

describe("READ ELEMENT STATUS data", () => {
  it("decodes every element type with volume tags, except codes and source addresses", () => {
    const d = decodeReadElementStatus(library());
    expect(d.firstElementAddress).toBe(0);
    expect(d.numberOfElements).toBe(8);
    expect(d.pages.map((p) => [p.kind, p.elements.length])).toEqual([["storage", 4], ["import-export", 1], ["data-transfer", 2], ["transport", 1]]);
    const [s0, s1, s2, s3] = d.pages[0]?.elements ?? [];
    expect(s0).toMatchObject({ address: 0x400, full: true, access: true, primaryVolumeTag: { id: "ABC001L6", sequence: 0 } });
    expect(s1).toMatchObject({ address: 0x401, full: false });
    expect(s1?.primaryVolumeTag).toBeUndefined();
    expect(s2?.primaryVolumeTag?.id).toBe("CLN001L1");
    expect(s3).toMatchObject({ except: true, asc: 0x3b, ascq: 0x0e });
    expect(d.pages[1]?.elements[0]?.importExport).toEqual({ impExp: true, importEnabled: true, exportEnabled: true, cmc: false });
    expect(d.pages[2]?.elements[0]).toMatchObject({ sourceValid: true, sourceAddress: 0x401, dataTransfer: { idValid: true, luValid: true, scsiBusAddress: 5, lun: 0, notBus: false } });
  });

  it("decodes DVCID device identifiers", () => {
    const d = decodeReadElementStatus(drivesWithIds());
    expect(d.pages[0]?.elements[0]?.deviceId).toMatchObject({ codeSet: 2, identifierType: 1, vendor: "IBM", product: "ULT3580-TD6", serial: "1013000001" });
    const serialOnly = report(0x100, 1, [page(4, false, [bb().bytes(head(0x100, 0).build()).u8(2, 0, 0, 10).ascii("HU1234567X", 10).build()])]);
    expect(decodeReadElementStatus(serialOnly).pages[0]?.elements[0]?.deviceId?.serial).toBe("HU1234567X");
  });

  it("ignores data beyond the byte count and keeps complete descriptors of cut data", () => {
    const data = library();
    expect(decodeReadElementStatus(bb().bytes(data).zeros(64).build())).toEqual(decodeReadElementStatus(data));
    const cut = decodeReadElementStatus(data.subarray(0, 8 + 8 + 48 * 2 + 10));
    expect(cut.truncated).toBe(true);
    expect(decodeReadElementStatus(data).truncated).toBe(false);
    expect(cut.pages).toHaveLength(1);
    expect(cut.pages[0]?.elements).toHaveLength(2);
  });

  it("rejects malformed reports", () => {
    expect(() => decodeReadElementStatus(new Uint8Array(7))).toThrow(ScsiDecodeError);
    const badType = report(0, 1, [page(7, false, [head(1, 0).build()])]);
    expect(() => decodeReadElementStatus(badType)).toThrow(/ELEMENT TYPE CODE 7/);
    const shortDesc = report(0, 1, [bb().u8(2, 0x80).u16(12).u8(0).u24(12).bytes(head(1, 0).build()).build()]);
    expect(() => decodeReadElementStatus(shortDesc)).toThrow(/shorter than 48/);
    const overrun = report(0, 1, [bb().u8(2, 0).u16(16).u8(0).u24(12).bytes(head(1, 0).build()).build()]);
    expect(() => decodeReadElementStatus(overrun)).toThrow(/runs past/);
  });

  it("round-trips the encoder used by the virtual library", () => {
    const bytes = encodeReadElementStatus([
      { kind: "storage", volumeTags: true, elements: [{ address: 0x400, full: true, volumeTag: "TAPE01L8" }, { address: 0x401, full: false }] },
      { kind: "data-transfer", volumeTags: true, deviceIds: true, elements: [{ address: 0x100, full: true, sourceAddress: 0x401, volumeTag: "TAPE02L8", deviceId: { identifierType: 1, vendor: "HP", product: "Ultrium 8-SCSI", serial: "HU12345678" } }] },
    ]);
    const d = decodeReadElementStatus(bytes);
    expect(d.numberOfElements).toBe(3);
    expect(d.pages[0]?.elements.map((e) => e.primaryVolumeTag?.id)).toEqual(["TAPE01L8", undefined]);
    expect(d.pages[1]?.elements[0]).toMatchObject({ full: true, sourceAddress: 0x401, deviceId: { serial: "HU12345678", vendor: "HP" } });
  });
});

describe("changer status", () => {
  it("numbers storage then import/export slots as mtx does, maps drives' source slots and DVCID serials", () => {
    const elements = [...decodeReadElementStatus(library()).pages.flatMap((p) => p.elements), ...decodeReadElementStatus(drivesWithIds()).pages.flatMap((p) => p.elements)];
    const s = buildChangerStatus(elements);
    expect(s.slots.map((x) => [x.slot, x.address, x.importExport, x.full, x.volumeTag])).toEqual([
      [1, 0x400, false, true, "ABC001L6"],
      [2, 0x401, false, false, undefined],
      [3, 0x402, false, true, "CLN001L1"],
      [4, 0x403, false, true, undefined],
      [5, 0x300, true, true, "EXP001L6"],
    ]);
    expect(s.slots[3]?.except).toEqual({ asc: 0x3b, ascq: 0x0e, description: "Medium source element empty" });
    expect(s.drives).toHaveLength(2);
    expect(s.drives[0]).toMatchObject({ index: 0, address: 0x100, full: true, volumeTag: "ABC002L6", sourceAddress: 0x401, loadedSlot: 2, serial: "1013000001" });
    expect(s.drives[1]).toMatchObject({ index: 1, full: false, serial: "1013000002" });
    expect(s.transports).toEqual([{ address: 0, full: false }]);
  });

  it("treats configured export slots as import/export", () => {
    const s = buildChangerStatus(decodeReadElementStatus(library()).pages.flatMap((p) => p.elements), { exportSlots: [4] });
    expect(s.slots.filter((x) => x.importExport).map((x) => x.slot)).toEqual([4, 5]);
  });
});
