import { describe, expect, it } from "vitest";
import { isMediumExpired, mediaExpireTime } from "./expiry.ts";
import { at, s, tape } from "./test-media.ts";

const DAY = 86_400;
const WEEK = 7 * DAY;

// Set s(1) started Monday 2026-11-30 21:00 UTC with A (seq 0), B joined on Thursday.
const start = at("2026-11-30T21:00:00Z");
const A = tape("A", { set: ["p", s(1), 0, start], status: "full" });
const B = tape("B", { set: ["p", s(1), 1, start + 3 * DAY] });
const alone = [A, B];
// A newer set s(2) started the next Monday at 21:00, a third s(3) the Monday after.
const start2 = start + WEEK;
const C = tape("C", { set: ["p", s(2), 0, start2] });
const D = tape("D", { set: ["p", s(3), 0, start2 + WEEK] });

describe("mediaExpireTime (§6.7)", () => {
  it("`keep` never expires", () => {
    expect(mediaExpireTime({ name: "p", allocation: "always", retention: "keep" }, A, alone)).toBeNull();
    expect(mediaExpireTime({ name: "p" }, A, [...alone, C])).toBeNull();
  });

  it("a medium without set label has nothing to expire", () => {
    expect(mediaExpireTime({ name: "p", allocation: "always", retention: "overwrite" }, tape("F", { pool: "p" }), alone)).toBeNull();
  });

  it("WORM media never expire (§6.8)", () => {
    const worm = { ...A, worm: true };
    expect(mediaExpireTime({ name: "p", allocation: "always", retention: "overwrite" }, worm, [worm, B])).toBeNull();
  });

  describe("without a newer set", () => {
    it("`continue` never expires", () => {
      expect(mediaExpireTime({ name: "p", allocation: "continue", retention: "overwrite" }, A, alone)).toBeNull();
    });

    it("`always` expires at the set start", () => {
      expect(mediaExpireTime({ name: "p", allocation: "always", retention: "overwrite" }, B, alone)).toBe(start);
    });

    it("a calendar event expires at its next occurrence after the set start", () => {
      expect(mediaExpireTime({ name: "p", allocation: "mon", retention: "overwrite" }, A, alone)).toBe(at("2026-12-07T00:00:00Z"));
      expect(mediaExpireTime({ name: "p", allocation: "sat 18:15", retention: "overwrite" }, B, alone)).toBe(at("2026-12-05T18:15:00Z"));
    });

    it("…evaluated in the given time zone", () => {
      expect(mediaExpireTime({ name: "p", allocation: "mon", retention: "overwrite" }, A, alone, { timeZone: "Europe/Berlin" })).toBe(
        at("2026-12-06T23:00:00Z"),
      );
      // an event with UTC ignores the zone
      expect(mediaExpireTime({ name: "p", allocation: "mon UTC", retention: "overwrite" }, A, alone, { timeZone: "Europe/Berlin" })).toBe(
        at("2026-12-07T00:00:00Z"),
      );
    });

    it("an event that never occurs again never expires", () => {
      expect(mediaExpireTime({ name: "p", allocation: "2020-01-01", retention: "overwrite" }, A, alone)).toBeNull();
    });

    it("a time span retention adds its seconds; fractions are truncated", () => {
      expect(mediaExpireTime({ name: "p", allocation: "mon", retention: "3 weeks" }, A, alone)).toBe(at("2026-12-07T00:00:00Z") + 3 * WEEK);
      expect(mediaExpireTime({ name: "p", allocation: "always", retention: "1d 12h" }, A, alone)).toBe(start + 36 * 3600);
      expect(mediaExpireTime({ name: "p", allocation: "always", retention: "1s 1500ms" }, A, alone)).toBe(start + 2);
      expect(mediaExpireTime({ name: "p", allocation: "always", retention: "1M" }, A, alone)).toBe(start + 2_630_016);
    });
  });

  describe("with a newer set in the pool", () => {
    const media = [A, B, C, D];

    it("a calendar event or `continue` uses the start of the nearest newer set", () => {
      expect(mediaExpireTime({ name: "p", allocation: "mon", retention: "overwrite" }, A, media)).toBe(start2);
      expect(mediaExpireTime({ name: "p", allocation: "mon", retention: "overwrite" }, C, media)).toBe(start2 + WEEK);
      expect(mediaExpireTime({ name: "p", allocation: "continue", retention: "overwrite" }, B, media)).toBe(start2);
      expect(mediaExpireTime({ name: "p", allocation: "mon", retention: "3 weeks" }, B, media)).toBe(start2 + 3 * WEEK);
    });

    it("`always` uses the set's own start", () => {
      expect(mediaExpireTime({ name: "p", allocation: "always", retention: "overwrite" }, B, media)).toBe(start);
      expect(mediaExpireTime({ name: "p", allocation: "always", retention: "2d" }, C, media)).toBe(start2 + 2 * DAY);
    });

    it("sets of other pools do not count", () => {
      const other = tape("O", { set: ["q", s(8), 0, start + DAY] });
      expect(mediaExpireTime({ name: "p", allocation: "continue", retention: "overwrite" }, A, [A, B, other])).toBeNull();
    });
  });

  it("with the set's seq_nr 0 member unknown (reused), the medium's own set label ctime is the start", () => {
    // A was overwritten into set s(3): s(1) is only B now
    const reusedA = tape("A", { set: ["p", s(3), 1, start2 + WEEK] });
    const media = [reusedA, B];
    expect(mediaExpireTime({ name: "p", allocation: "mon", retention: "overwrite" }, B, [B])).toBe(at("2026-12-07T00:00:00Z"));
    expect(mediaExpireTime({ name: "p", allocation: "always", retention: "overwrite" }, B, [B])).toBe(start + 3 * DAY);
    // …and the newer-set rule still applies
    expect(mediaExpireTime({ name: "p", allocation: "mon", retention: "overwrite" }, B, media)).toBe(start2 + WEEK);
  });
});

describe("isMediumExpired", () => {
  const pool = { name: "p", allocation: "mon", retention: "overwrite" };
  const media = [A, B, C];

  it("is true from the expire time on (now >= expire)", () => {
    expect(isMediumExpired(pool, A, media, start2 - 1)).toBe(false);
    expect(isMediumExpired(pool, A, media, start2)).toBe(true);
  });

  it("only full media expire: the writable last member of the current set does not", () => {
    expect(isMediumExpired(pool, C, media, start2 + 100 * WEEK)).toBe(false);
    // against a session that already started a new set, C is full and expires
    expect(isMediumExpired(pool, C, media, start2 + 100 * WEEK, { current: { uuid: s(9), members: [] } })).toBe(true);
  });

  it("damaged and retired media never expire", () => {
    for (const status of ["damaged", "retired"] as const) {
      const bad = { ...A, storedStatus: status };
      expect(isMediumExpired(pool, bad, [bad, B, C], start2 + 100 * WEEK)).toBe(false);
    }
  });
});
