import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PoolArgumentError } from "./errors.ts";
import { formatStrftime, mediaSetName } from "./media-set-name.ts";
import { at, s } from "./test-media.ts";

const UUID = s(0xabc);

describe("mediaSetName (§6.1)", () => {
  it("renders the default template %c in the C locale", () => {
    expect(mediaSetName({}, at("2026-11-26T10:05:22Z"), UUID)).toBe("Thu Nov 26 10:05:22 2026");
    expect(mediaSetName({ template: undefined }, at("2026-03-01T00:00:00Z"), UUID)).toBe("Sun Mar  1 00:00:00 2026");
  });

  it("replaces every %id% with the set UUID before rendering", () => {
    expect(mediaSetName({ template: "%id%" }, 0, UUID)).toBe(UUID);
    expect(mediaSetName({ template: "weekly-%F-%id%/%id%" }, at("2026-11-30T21:00:00Z"), UUID)).toBe(`weekly-2026-11-30-${UUID}/${UUID}`);
  });

  it("is the UUID when the set start time is unknown", () => {
    expect(mediaSetName({ template: "%F" }, null, UUID)).toBe(UUID);
  });

  it("renders every specifier templates use, in UTC", () => {
    const t = at("2026-11-26T09:05:02Z");
    expect(mediaSetName({ template: "%Y|%m|%d|%H|%M|%S|%a|%b|%F|%T|%y|%j|%%" }, t, UUID)).toBe(
      "2026|11|26|09|05|02|Thu|Nov|2026-11-26|09:05:02|26|330|%",
    );
    expect(formatStrftime("%A %B %e %D %R %u %w %z %s", t)).toBe("Thursday November 26 11/26/26 09:05 4 4 +0000 " + t);
    expect(formatStrftime("%j %u %w %a", at("2024-12-31T23:59:59Z"))).toBe("366 2 2 Tue");
    expect(formatStrftime("%u %w %a", at("2026-11-29T12:00:00Z"))).toBe("7 0 Sun");
    expect(formatStrftime("a%nb%tc", 0)).toBe("a\nb\tc");
  });

  it("renders local time at the set start in a zone with daylight saving time", () => {
    const berlin = { timeZone: "Europe/Berlin" };
    const tpl = { template: "%F %T %z %a" };
    expect(mediaSetName(tpl, at("2026-01-15T12:00:00Z"), UUID, berlin)).toBe("2026-01-15 13:00:00 +0100 Thu");
    expect(mediaSetName(tpl, at("2026-07-15T12:00:00Z"), UUID, berlin)).toBe("2026-07-15 14:00:00 +0200 Wed");
    // spring forward, 2026-03-29: 02:00 CET becomes 03:00 CEST
    expect(mediaSetName(tpl, at("2026-03-29T00:59:59Z"), UUID, berlin)).toBe("2026-03-29 01:59:59 +0100 Sun");
    expect(mediaSetName(tpl, at("2026-03-29T01:00:00Z"), UUID, berlin)).toBe("2026-03-29 03:00:00 +0200 Sun");
    // fall back, 2026-10-25: 02:30 happens twice
    expect(mediaSetName(tpl, at("2026-10-25T00:30:00Z"), UUID, berlin)).toBe("2026-10-25 02:30:00 +0200 Sun");
    expect(mediaSetName(tpl, at("2026-10-25T01:30:00Z"), UUID, berlin)).toBe("2026-10-25 02:30:00 +0100 Sun");
    // the local date can be a day (and a year) later than the UTC one
    expect(mediaSetName({ template: "%Y %j %y %c" }, at("2026-12-31T23:30:00Z"), UUID, berlin)).toBe("2027 001 27 Fri Jan  1 00:30:00 2027");
    expect(formatStrftime("%F %T %z", at("2026-07-01T03:00:00Z"), { timeZone: "America/New_York" })).toBe("2026-06-30 23:00:00 -0400");
  });

  it("keeps unknown specifiers and a trailing % as written", () => {
    expect(formatStrftime("%Q-%Y-%", 0)).toBe("%Q-1970-%");
  });

  it("rejects an unknown time zone and a non-integer time", () => {
    expect(() => mediaSetName({}, 0, UUID, { timeZone: "Nowhere/Atlantis" })).toThrow(PoolArgumentError);
    expect(() => mediaSetName({}, 0, UUID, { timeZone: "Nowhere/Atlantis" })).toThrow(/^timeZone: unknown time zone "Nowhere\/Atlantis"/);
    expect(() => mediaSetName({}, 1.5, UUID)).toThrow(/setStartTime: must be an integer/);
  });
});

describe("formatStrftime agrees with glibc strftime (GNU date, C locale)", () => {
  const zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"];
  const format = "%Y %m %d %H %M %S %a %b %c %F %T %y %j %e %z %u %w %A %B %D %R %%";

  it("for random instants 1970–2100 in five zones", () => {
    if (!existsSync("/usr/share/zoneinfo/Europe/Berlin")) {
      execFileSync("sh", ["-c", "command -v apt-get >/dev/null && (apt-get install -y tzdata || (apt-get update && apt-get install -y tzdata))"], {
        stdio: "ignore",
      });
    }
    const times = fc.sample(fc.integer({ min: 0, max: at("2100-01-01T00:00:00Z") }), { numRuns: 200, seed: 20261126 });
    times.push(at("2026-03-29T01:00:00Z"), at("2026-10-25T01:30:00Z"), at("2024-02-29T12:00:00Z"));
    for (const zone of zones) {
      const out = execFileSync("date", ["-f", "-", `+${format}`], {
        input: times.map((t) => `@${t}\n`).join(""),
        env: { ...process.env, TZ: zone, LC_ALL: "C" },
        encoding: "utf8",
      }).split("\n");
      times.forEach((t, i) => {
        expect(formatStrftime(format, t, { timeZone: zone }), `${zone} @${t}`).toBe(out[i]);
      });
    }
  });
});
