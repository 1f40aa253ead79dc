import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Clock, UTC_ZONE, daysFromCivil, fieldsOf, getZone, linearSeconds, localTime } from "./time-zone.ts";

describe("civil date arithmetic", () => {
  it("agrees with Date for every instant (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }), (t) => {
        const d = new Date(t * 1000);
        const f = fieldsOf(t, 0);
        expect([f.year, f.mon, f.mday, f.hour, f.min, f.sec, f.wday]).toEqual([
          d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCDay(),
        ]);
        expect(linearSeconds(f)).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });

  it("carries overflowing fields like mktime", () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(linearSeconds({ year: 2026, mon: 15, mday: 1, hour: 0, min: 0, sec: 0, isdst: -1, wday: 0 })).toBe(Date.UTC(2027, 3, 1) / 1000);
    expect(linearSeconds({ year: 2026, mon: 1, mday: 31, hour: 24, min: 60, sec: 0, isdst: -1, wday: 0 })).toBe(Date.UTC(2026, 2, 4, 1) / 1000);
    expect(linearSeconds({ year: 2026, mon: -1, mday: 1, hour: 0, min: 0, sec: 0, isdst: -1, wday: 0 })).toBe(Date.UTC(2025, 11, 1) / 1000);
  });
});

describe("zones", () => {
  it("reads offsets and the DST flag from Intl", () => {
    const berlin = getZone("Europe/Berlin");
    expect(berlin.offsetAt(Date.UTC(2026, 0, 15) / 1000)).toBe(3600);
    expect(berlin.offsetAt(Date.UTC(2026, 6, 15) / 1000)).toBe(7200);
    expect(berlin.isDstAt(Date.UTC(2026, 6, 15) / 1000)).toBe(true);
    expect(berlin.isDstAt(Date.UTC(2026, 0, 15) / 1000)).toBe(false);
    const sydney = getZone("Australia/Sydney");
    expect(sydney.isDstAt(Date.UTC(2026, 0, 15) / 1000)).toBe(true);
    expect(getZone("Asia/Kolkata").offsetAt(0)).toBe(19_800);
    expect(getZone("UTC")).toBe(UTC_ZONE);
    expect(getZone("Etc/UTC")).toBe(UTC_ZONE);
    expect(localTime(berlin, Date.UTC(2026, 2, 29, 1) / 1000)).toMatchObject({ hour: 3, isdst: 1 });
  });

  it("maps a skipped local time forward by the gap, as glibc mktime does", () => {
    const clock = new Clock(getZone("Europe/Berlin"), 3600);
    const r = clock.mktime({ year: 2026, mon: 2, mday: 29, hour: 2, min: 30, sec: 0, isdst: -1, wday: 0 });
    expect(r?.t).toBe(Date.UTC(2026, 2, 29, 1, 30) / 1000);
    expect(r?.tm).toMatchObject({ hour: 3, min: 30, isdst: 1 });
  });

  it("maps a repeated local time by the previous result's offset", () => {
    const tm = { year: 2026, mon: 9, mday: 25, hour: 2, min: 30, sec: 0, isdst: -1, wday: 0 };
    const summer = new Clock(getZone("Europe/Berlin"), 7200);
    expect(summer.mktime({ ...tm })?.t).toBe(Date.UTC(2026, 9, 25, 0, 30) / 1000);
    const winter = new Clock(getZone("Europe/Berlin"), 3600);
    expect(winter.mktime({ ...tm })?.t).toBe(Date.UTC(2026, 9, 25, 1, 30) / 1000);
    // An explicit DST flag picks the pass regardless of the guess.
    expect(winter.mktime({ ...tm, isdst: 1 })?.t).toBe(Date.UTC(2026, 9, 25, 0, 30) / 1000);
    expect(summer.mktime({ ...tm, isdst: 0 })?.t).toBe(Date.UTC(2026, 9, 25, 1, 30) / 1000);
  });
});
