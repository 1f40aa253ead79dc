import { describe, expect, it } from "vitest";
import { VtlSpecError } from "./errors.ts";
import { defaultSiteSpec, normalizeCartridge, validateSpec } from "./spec.ts";

function fieldOf(input: unknown): string {
  try {
    validateSpec(input);
  } catch (e) {
    if (e instanceof VtlSpecError) return `${e.field}: ${e.message}`;
    throw e;
  }
  return "valid";
}

const lib = (o: Record<string, unknown> = {}) => ({ name: "l1", slots: 4, drives: [{ generation: 9, serial: "D1" }], ...o });

describe("validateSpec", () => {
  it("accepts the default site and resolves kinds and media from barcodes", () => {
    const s = validateSpec(defaultSiteSpec());
    const carts = s.libraries![0]!.cartridges!;
    expect(carts.find((c) => c.barcode === "TFW001LZ")).toMatchObject({ kind: "worm", media: "L9" });
    expect(carts.find((c) => c.barcode === "CLN001L1")).toMatchObject({ kind: "cleaning" });
    expect(carts.find((c) => c.barcode === "TF0009L8")).toMatchObject({ kind: "data", media: "L8" });
    expect(validateSpec(s)).toEqual(s);
  });

  it.each([
    [null, "spec: invalid spec: spec: must be an object"],
    [{}, "spec: invalid spec: spec: needs at least one library or standalone drive"],
    [{ libraries: [lib()], extra: 1 }, "spec.extra: invalid spec: spec.extra: unknown field"],
    [{ libraries: [lib({ slots: 0 })] }, "libraries[0].slots: invalid spec: libraries[0].slots: must be between 1 and 4000"],
    [{ libraries: [lib({ name: "a b" })] }, `libraries[0].name: invalid spec: libraries[0].name: "a b" is not a name of letters, digits, '.', '_' or '-'`],
    [{ libraries: [lib({ drives: [{ generation: 4, serial: "X" }] })] }, "libraries[0].drives[0].generation: invalid spec: libraries[0].drives[0].generation: must be one of 5, 6, 7, 8, 9, 10"],
    [{ libraries: [lib({ drives: [{ generation: 9, serial: "TOO-LONG-SERIAL" }] })] }, `libraries[0].drives[0].serial: invalid spec: libraries[0].drives[0].serial: "TOO-LONG-SERIAL" is not 1 to 10 letters or digits`],
    [{ libraries: [lib({ cartridges: [{ barcode: "X00001L9" }] })] }, "libraries[0].cartridges[0]: invalid spec: libraries[0].cartridges[0]: needs a location: slot, importExport or drive"],
    [{ libraries: [lib({ cartridges: [{ barcode: "X00001L9", slot: 5 }] })] }, "libraries[0].cartridges[0].slot: invalid spec: libraries[0].cartridges[0].slot: library has 4 slots"],
    [{ libraries: [lib({ cartridges: [{ barcode: "X00001L9", slot: 1 }, { barcode: "X00002L9", slot: 1 }] })] }, "libraries[0].cartridges[1]: invalid spec: libraries[0].cartridges[1]: slot 1 already holds X00001L9"],
    [{ libraries: [lib({ cartridges: [{ barcode: "X00001L9", slot: 1 }, { barcode: "X00001L9", slot: 2 }] })] }, `libraries[0].cartridges[1].barcode: invalid spec: libraries[0].cartridges[1].barcode: barcode "X00001L9" is used twice`],
    [{ libraries: [lib({ cartridges: [{ barcode: "NOSUFFIX", slot: 1 }] })] }, `libraries[0].cartridges[0].media: invalid spec: libraries[0].cartridges[0].media: required: barcode "NOSUFFIX" has no LTO medium suffix`],
    [{ libraries: [lib({ cartridges: [{ barcode: "X00001L8", slot: 1, newMedia: true }] })] }, "libraries[0].cartridges[0].newMedia: invalid spec: libraries[0].cartridges[0].newMedia: only LTO-9 media need media optimization"],
    [{ libraries: [lib({ cartridges: [{ barcode: "X00001L9", slot: 1, capacityBytes: 2e6, earlyWarningBytes: 3e6 }] })] }, "libraries[0].cartridges[0].earlyWarningBytes: invalid spec: libraries[0].cartridges[0].earlyWarningBytes: must be smaller than the capacity (2000000)"],
    [{ libraries: [lib({ cartridges: [{ barcode: "X00001L9", slot: 1, cleaningCycles: 3 }] })] }, "libraries[0].cartridges[0].cleaningCycles: invalid spec: libraries[0].cartridges[0].cleaningCycles: only cleaning cartridges have cleaning cycles"],
    [{ libraries: [lib(), lib()] }, `libraries[1].name: invalid spec: libraries[1].name: name "l1" is used twice`],
    [{ libraries: [lib()], drives: [{ name: "t", generation: 9, serial: "D1" }] }, `drives[0].serial: invalid spec: drives[0].serial: serial "D1" is used twice`],
    [{ libraries: [lib()], timing: { loadMs: -1 } }, "timing.loadMs: invalid spec: timing.loadMs: must be between 0 and 86400000"],
    [{ libraries: [lib()], faults: [{ type: "offline", device: "l1/drive7" }] }, `faults[0].device: invalid spec: faults[0].device: no device "l1/drive7"`],
    [{ libraries: [lib()], faults: [{ type: "melt" }] }, "faults[0].type: invalid spec: faults[0].type: must be one of medium-error, hardware-error, offline, changer-jam, throttle"],
    [{ libraries: [lib()], faults: [{ type: "medium-error", barcode: "ZZ", block: 1, op: "read" }] }, `faults[0].barcode: invalid spec: faults[0].barcode: no cartridge "ZZ"`],
  ])("rejects %j naming the field", (input, expected) => {
    expect(fieldOf(input)).toBe(expected);
  });

  it("resolves cartridge defaults", () => {
    const s = validateSpec({ libraries: [lib({ cartridges: [{ barcode: "X00001L9", slot: 1 }, { barcode: "CLN002L1", slot: 2 }] })], defaults: { capacityBytes: 100 * 1024 * 1024 } });
    const [data, cln] = s.libraries![0]!.cartridges!;
    expect(normalizeCartridge(data!, s)).toMatchObject({ capacityBytes: 100 * 1024 * 1024, earlyWarningBytes: 2 * 1024 * 1024, cleaningCycles: 0, newMedia: false });
    expect(normalizeCartridge(cln!, s)).toMatchObject({ kind: "cleaning", cleaningCycles: 50 });
  });
});
