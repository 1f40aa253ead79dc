import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatMediaLocation, isCleaningTag, mediaSelector, parseMediaLocation, registerMediaRequest } from "./media.ts";
import { DEVICE_OPS, formatUpid, matchesConfiguredPath, parseUpid, serialOfByIdPath, type Upid } from "./tape-device.ts";
import { parseInput } from "./validate.ts";

describe("UPID", () => {
  it("formats as PBS does and parses back", () => {
    const u: Upid = { node: "tapefleet", pid: 0x1234, pstart: 0xabc, taskId: 7, starttime: 1700000000, workerType: "label-media", workerId: "d1", user: "admin" };
    const text = formatUpid(u);
    expect(text).toBe("UPID:tapefleet:00001234:00000ABC:00000007:6553F100:label-media:d1:admin:");
    expect(parseUpid(text)).toEqual(u);
  });
  it("round-trips any worker id, escaping colons", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/\s/.test(s)), fc.nat(), (id, t) => {
        const u: Upid = { node: "n1", pid: 1, pstart: 2, taskId: 3, starttime: t % 0xffffffff, workerType: "clean", workerId: id, user: "root" };
        expect(parseUpid(formatUpid(u))).toEqual(u);
      }),
    );
  });
  it("rejects malformed text", () => {
    for (const bad of ["", "UPID:", "UPID:n:1:2:3:4:x:y:z:", "upid:n:00000001:00000002:00000003:00000004:t::u:"]) expect(parseUpid(bad)).toBeUndefined();
  });
});

describe("device matching", () => {
  const dev = { path: "vtl:lib1/drive0", serial: "TFD9000001" };
  it("matches equal paths, by-id paths naming the serial and the bare serial", () => {
    expect(serialOfByIdPath("/dev/tape/by-id/scsi-TFD9000001-sg")).toBe("TFD9000001");
    expect(serialOfByIdPath("/dev/tape/by-id/scsi-TFC0000001")).toBe("TFC0000001");
    expect(serialOfByIdPath("/dev/sg3")).toBeUndefined();
    expect(matchesConfiguredPath("/dev/tape/by-id/scsi-TFD9000001-sg", dev)).toBe(true);
    expect(matchesConfiguredPath("vtl:lib1/drive0", dev)).toBe(true);
    expect(matchesConfiguredPath("TFD9000001", dev)).toBe(true);
    expect(matchesConfiguredPath("/dev/tape/by-id/scsi-TFD9000002-sg", dev)).toBe(false);
    expect(matchesConfiguredPath("/dev/sg3", dev)).toBe(false);
  });
});

describe("media fields", () => {
  it("parses and formats locations", () => {
    for (const t of ["offline", "online-lib1", "vault-safe1"]) expect(formatMediaLocation(parseMediaLocation(t)!)).toBe(t);
    expect(parseMediaLocation("online-")).toBeUndefined();
    expect(parseMediaLocation("somewhere")).toBeUndefined();
  });
  it("validates register requests naming the field", () => {
    expect(() => parseInput(registerMediaRequest, { uuid: "x", "label-text": "TF0001L9", ctime: 1 })).toThrow(/uuid: must be a lowercase hyphenated UUID/);
    expect(() => parseInput(registerMediaRequest, { uuid: "0e6f5c3a-9f1d-4e2b-8a7c-112233445566", "label-text": "-bad", ctime: 1 })).toThrow(/label-text/);
    expect(() => parseInput(mediaSelector, {})).toThrow(/exactly one/);
    expect(isCleaningTag("CLN001L1")).toBe(true);
    expect(isCleaningTag("TF0001L9")).toBe(false);
  });
  it("has a request schema for every device operation", () => {
    expect(() => parseInput(DEVICE_OPS.label.request, { drive: "d1", "label-text": "TF0001L9", pool: "daily" })).not.toThrow();
    expect(() => parseInput(DEVICE_OPS.transfer.request, { changer: "lib1", from: 0, to: 2 })).toThrow(/from/);
  });
});
