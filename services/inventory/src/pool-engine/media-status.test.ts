import { describe, expect, it } from "vitest";
import { computeMediaStatus, isLocationAvailable, locationRejection } from "./media-status.ts";
import { ZERO_UUID } from "./types.ts";
import { s, tape } from "./test-media.ts";

const pool = { name: "daily" };

describe("computeMediaStatus (§6.3)", () => {
  // current set s(2): A (seq 0), B (seq 1, last); older set s(1): C
  const A = tape("A", { set: ["daily", s(2), 0, 200] });
  const B = tape("B", { set: ["daily", s(2), 1, 210] });
  const C = tape("C", { set: ["daily", s(1), 0, 100] });
  const media = [A, B, C];

  it("keeps a stored full, damaged or retired status, even on the last member of the current set", () => {
    for (const status of ["full", "damaged", "retired"] as const) {
      const last = { ...B, storedStatus: status };
      expect(computeMediaStatus(pool, last, [A, last, C])).toBe(status);
    }
  });

  it("a medium without set label is writable, whatever its label pool", () => {
    expect(computeMediaStatus(pool, tape("F"), media)).toBe("writable");
    expect(computeMediaStatus(pool, tape("P", { pool: "daily" }), media)).toBe("writable");
    expect(computeMediaStatus(pool, tape("Q", { pool: "other" }), media)).toBe("writable");
  });

  it("the zero (unassigned) set label of this pool is writable; of another pool it is unknown", () => {
    expect(computeMediaStatus(pool, tape("Z", { set: ["daily", ZERO_UUID, 0, 50] }), media)).toBe("writable");
    expect(computeMediaStatus(pool, tape("Z", { set: ["other", ZERO_UUID, 0, 50] }), media)).toBe("unknown");
  });

  it("a set label of another pool is unknown", () => {
    expect(computeMediaStatus(pool, tape("O", { set: ["other", s(9), 0, 300] }), media)).toBe("unknown");
  });

  it("a member of a set other than the current one is full", () => {
    expect(computeMediaStatus(pool, C, media)).toBe("full");
  });

  it("in the current set the last member is writable, the others full", () => {
    expect(computeMediaStatus(pool, B, media)).toBe("writable");
    expect(computeMediaStatus(pool, A, media)).toBe("full");
  });

  it("against a session's new empty set, the old last member is full", () => {
    expect(computeMediaStatus(pool, B, media, { current: { uuid: s(3), members: [] } })).toBe("full");
  });

  it("with no current set (two sets tie on the latest ctime) every set member is full", () => {
    const D = tape("D", { set: ["daily", s(4), 0, 210] });
    expect(computeMediaStatus(pool, B, [...media, D])).toBe("full");
    expect(computeMediaStatus(pool, D, [...media, D])).toBe("full");
  });

  it("a hole at the end of a session's member list makes no member the last", () => {
    expect(computeMediaStatus(pool, B, media, { current: { uuid: s(2), members: ["m-A", "m-B", null] } })).toBe("full");
  });
});

describe("location availability (§6.4)", () => {
  const cases: [string, string, string | null, boolean, string | null][] = [
    ["online in the drive's changer", "online:lib1", "lib1", true, null],
    ["online in another changer", "online:lib2", "lib1", false, "other-changer"],
    ["online, standalone drive", "online:lib1", null, false, "in-changer-standalone-drive"],
    ["offline, drive in a changer", "offline", "lib1", false, "offline"],
    ["offline, standalone drive", "offline", null, true, null],
    ["vault, drive in a changer", "vault:bunker", "lib1", false, "vault"],
    ["vault, standalone drive", "vault:bunker", null, false, "vault"],
    ["import/export slot of the drive's changer (counts as offline)", "ie:lib1", "lib1", false, "import-export"],
    ["import/export slot, standalone drive (counts as offline)", "ie:lib1", null, true, null],
  ];
  it.each(cases)("%s", (_name, where, changer, available, reason) => {
    const m = tape("X", { at: where });
    expect(isLocationAvailable(m, changer)).toBe(available);
    expect(locationRejection(m, changer)).toBe(reason);
  });

  it("an undefined drive changer means a standalone drive", () => {
    expect(isLocationAvailable(tape("X", { at: "offline" }), undefined)).toBe(true);
    expect(isLocationAvailable(tape("X", { at: "online:lib1" }), undefined)).toBe(false);
  });
});
