import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ChangerStatusSchema, DriveStatusSchema, GrpcCode, GrpcError, ReadLabelResponseSchema, VolumeStatisticsSchema } from "@tapefleet/proto";
import { changerStatusToApi, driveStatusToApi, fromAgentError, labelToApi, onlineTagsOf, volumeStatisticsToApi, DeviceAgentError } from "./converters.ts";

describe("proto to API conversion", () => {
  const status = create(ChangerStatusSchema, {
    drives: [{ driveNumber: 0, full: true, labelText: "TF0001L9", loadedSlot: 1 }, { driveNumber: 1 }],
    slots: [
      { slot: 1 },
      { slot: 2, full: true, labelText: "TF0002L9" },
      { slot: 15, full: true, labelText: "CLN001L1", cleaning: true },
      { slot: 16, full: true, labelText: "TF0009L9", importExport: true },
    ],
  });
  it("turns changer status into PBS rows: drives, slots, import-export", () => {
    expect(changerStatusToApi(status)).toEqual([
      { "entry-kind": "drive", "entry-id": 0, "label-text": "TF0001L9", "loaded-slot": 1 },
      { "entry-kind": "drive", "entry-id": 1 },
      { "entry-kind": "slot", "entry-id": 1 },
      { "entry-kind": "slot", "entry-id": 2, "label-text": "TF0002L9" },
      { "entry-kind": "slot", "entry-id": 15, "label-text": "CLN001L1" },
      { "entry-kind": "import-export", "entry-id": 16, "label-text": "TF0009L9" },
    ]);
    expect(onlineTagsOf(status)).toEqual(["CLN001L1", "TF0001L9", "TF0002L9"]);
  });
  it("flattens labels; the all-zero set uuid is no set", () => {
    expect(labelToApi(create(ReadLabelResponseSchema, { empty: true }))).toBeUndefined();
    const withSet = create(ReadLabelResponseSchema, {
      mediaLabel: { labelText: "TF0001L9", uuid: "u1", ctime: 10n as never },
      mediaSetLabel: { pool: "daily", uuid: "s1", seqNr: 2n as never, ctime: 20n as never },
    });
    expect(labelToApi(withSet)).toEqual({ "label-text": "TF0001L9", uuid: "u1", ctime: 10, pool: "daily", "media-set-uuid": "s1", "media-set-ctime": 20, "seq-nr": 2 });
    const zero = create(ReadLabelResponseSchema, {
      mediaLabel: { labelText: "TF0001L9", uuid: "u1", ctime: 10n as never },
      mediaSetLabel: { pool: "daily", uuid: "00000000-0000-0000-0000-000000000000" },
    });
    expect(labelToApi(zero)).toEqual({ "label-text": "TF0001L9", uuid: "u1", ctime: 10, pool: "daily" });
  });
  it("names drive status and volume statistics fields as PBS", () => {
    const s = driveStatusToApi(create(DriveStatusSchema, { vendor: "IBM", product: "ULT3580-TD9", revision: "Q3A0", mediumPresent: true, blockSize: 0, density: "LTO-9", alertFlags: [], fileNumber: 2 as never, volumeMounts: 7 as never }));
    expect(s).toMatchObject({ vendor: "IBM", product: "ULT3580-TD9", blocksize: 0, density: "LTO-9", "alert-flags": "(empty)", "file-number": 2, "volume-mounts": 7 });
    expect(JSON.parse(JSON.stringify(volumeStatisticsToApi(create(VolumeStatisticsSchema, { volumeMounts: 3 as never, lifetimeBytesWritten: 1000 as never, worm: false }))))).toEqual({
      "volume-mounts": 3,
      "lifetime-bytes-written": 1000,
      worm: false,
    });
  });
  it("maps agent failures once, keeping the agent's message and reason", () => {
    const busy = fromAgentError(new GrpcError(GrpcCode.FAILED_PRECONDITION, "drive TFD1 is busy"), "h:1");
    expect(busy).toBeInstanceOf(DeviceAgentError);
    expect(busy).toMatchObject({ code: "CONFLICT", message: "drive TFD1 is busy" });
    expect(fromAgentError(new GrpcError(GrpcCode.UNAVAILABLE, "connect ECONNREFUSED"), "h:1")).toMatchObject({ code: "UNAVAILABLE", message: /device agent at h:1 is unavailable/ });
    const plain = new Error("x");
    expect(fromAgentError(plain, "h:1")).toBe(plain);
  });
});
