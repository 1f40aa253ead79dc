import { describe, expect, it } from "vitest";
import type { AgentDevice } from "./devices.ts";
import { announceDevice, CleanRequestTracker, scanAnswer } from "./fleet.ts";
import { generationFromProduct } from "./sg-devices.ts";

const drive: AgentDevice = { id: "TFD9000001", kind: "tape-drive", vendor: "IBM", model: "ULT3580-TD9", revision: "Q3B0", serial: "TFD9000001", path: "vtl:lib1/drive0", state: "online", generation: "LTO-9", virtual: true };
const changer: AgentDevice = { id: "TFLIB00001", kind: "medium-changer", vendor: "IBM", model: "3573-TL", revision: "F.11", serial: "TFLIB00001", path: "/dev/tape/by-id/scsi-TFLIB00001", state: "offline", virtual: false };

describe("fleet announcements", () => {
  it("announces devices with kind drive/changer and online state", () => {
    expect(announceDevice(drive)).toEqual({ serial: "TFD9000001", path: "vtl:lib1/drive0", kind: "drive", vendor: "IBM", model: "ULT3580-TD9", revision: "Q3B0", generation: "LTO-9", online: true, virtual: true });
    expect(announceDevice(changer)).toMatchObject({ kind: "changer", online: false, virtual: false });
    expect("generation" in announceDevice(changer)).toBe(false);
  });

  it("answers device.scan filtered by kind", () => {
    expect(scanAnswer("h", "127.0.0.1:1", [drive, changer], {}).devices.map((d) => d.serial)).toEqual(["TFD9000001", "TFLIB00001"]);
    expect(scanAnswer("h", "127.0.0.1:1", [drive, changer], { kind: "changer" }).devices.map((d) => d.kind)).toEqual(["changer"]);
    expect(scanAnswer("h", "127.0.0.1:1", [drive, changer], { kind: "drive" })).toEqual({ hostId: "h", grpcAddress: "127.0.0.1:1", devices: [announceDevice(drive)] });
    expect(scanAnswer("h", "a:1", [drive], null).devices).toHaveLength(1);
  });

  it("raises a clean request once per appearance of CLEAN_NOW / CLEAN_PERIODIC", () => {
    const t = new CleanRequestTracker();
    const mask = [0x14, 0x15];
    expect(t.update("A", [0x03], mask)).toBe(false);
    expect(t.update("A", [0x14], mask)).toBe(true);
    expect(t.update("A", [0x14, 0x15], mask)).toBe(false);
    expect(t.update("B", [0x15], mask)).toBe(true);
    expect(t.update("A", [], mask)).toBe(false);
    expect(t.update("A", [0x15], mask)).toBe(true);
  });

  it("reads the LTO generation from product ids", () => {
    expect(generationFromProduct("ULT3580-TD9")).toBe("LTO-9");
    expect(generationFromProduct("ULTRIUM-HH8")).toBe("LTO-8");
    expect(generationFromProduct("Ultrium 7-SCSI LTO-7")).toBe("LTO-7");
    expect(generationFromProduct("3573-TL")).toBeUndefined();
  });
});
