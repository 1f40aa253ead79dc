import { describe, expect, it } from "vitest";
import { create, toBinary, fromBinary } from "@bufbuild/protobuf";
import { DriveStatusSchema, ChangerStatusSchema, ReadLabelResponseSchema } from "@tapefleet/proto";
import { big, changerStatusToProto, driveStatusToProto, fromBig, labelsToProto } from "./converters.ts";

describe("converters", () => {
  it("turns a drive status into the proto with 64-bit fields as bigint and absent fields unset", () => {
    const p = create(
      DriveStatusSchema,
      driveStatusToProto({ vendor: "IBM", product: "ULT3580-TD9", revision: "Q3B0", serial: "S1", ready: true, mediumPresent: true, alertFlags: ["CLEAN_NOW"], notes: [], fileNumber: 3, blockNumber: 2 ** 40, bytesWritten: 1048576, density: "LTO-9" }),
    );
    const back = fromBinary(DriveStatusSchema, toBinary(DriveStatusSchema, p));
    expect(back).toMatchObject({ serial: "S1", fileNumber: 3n, blockNumber: 2n ** 40n, bytesWritten: 1048576n, density: "LTO-9", alertFlags: ["CLEAN_NOW"] });
    expect(back.volumeMounts).toBeUndefined();
    expect(back.compression).toBeUndefined();
  });

  it("maps labels and changer status", () => {
    expect(create(ReadLabelResponseSchema, labelsToProto({ empty: true })).mediaLabel).toBeUndefined();
    const l = create(ReadLabelResponseSchema, labelsToProto({ empty: false, mediaLabel: { labelText: "T1L9", uuid: "u", ctime: 5 }, mediaSetLabel: { pool: "p", uuid: "s", seqNr: 1, ctime: 6 } }));
    expect(l).toMatchObject({ empty: false, mediaLabel: { labelText: "T1L9", ctime: 5n }, mediaSetLabel: { seqNr: 1n, ctime: 6n } });
    expect(l.mediaLabel?.pool).toBeUndefined();
    const c = create(
      ChangerStatusSchema,
      changerStatusToProto(
        {
          transports: [{ address: 1, full: false }],
          slots: [
            { slot: 1, address: 0x1000, importExport: false, full: true, volumeTag: "CLN001L1" },
            { slot: 2, address: 0x10, importExport: true, full: false },
          ],
          drives: [{ index: 0, address: 0x100, full: true, volumeTag: "T1L9", loadedSlot: 3, serial: "D0" }],
        },
        { vendor: "IBM", product: "3573-TL", serial: "C1" },
        new Map([[0, "vtl:lib1/drive0"]]),
      ),
    );
    expect(c).toMatchObject({ serial: "C1", model: "3573-TL", drives: [{ driveNumber: 0, labelText: "T1L9", loadedSlot: 3, serial: "D0", path: "vtl:lib1/drive0" }] });
    expect(c.slots.map((s) => [s.slot, s.importExport, s.cleaning, s.labelText ?? null])).toEqual([
      [1, false, true, "CLN001L1"],
      [2, true, false, null],
    ]);
  });

  it("converts 64-bit request fields back, refusing what a number cannot hold", () => {
    expect(fromBig(42n, "file_number")).toBe(42);
    expect(() => fromBig(2n ** 53n, "file_number")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "file_number" }));
    expect(big(undefined)).toBeUndefined();
    expect(big(7.9)).toBe(7n);
  });
});
