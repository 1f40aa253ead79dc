import { describe, expect, it } from "vitest";
import { PoolArgumentError } from "./errors.ts";
import { checkMediaSetConsistency, currentMediaSet, listMediaSets, mediaSetStartTime } from "./media-set.ts";
import { ZERO_UUID } from "./types.ts";
import { at, s, tape } from "./test-media.ts";
import { mustStartNewSet, startWriteSession } from "./write-session.ts";
import { sequentialIds } from "./clock.ts";

const pool = { name: "daily" };

describe("currentMediaSet (§6.5)", () => {
  it("is the set of the pool with the greatest set label ctime over all media", () => {
    const media = [
      tape("A", { set: ["daily", s(1), 0, 100] }),
      tape("B", { set: ["daily", s(1), 1, 400] }), // s(1) grew after s(2) started
      tape("C", { set: ["daily", s(2), 0, 300] }),
      tape("D", { set: ["other", s(3), 0, 900] }),
      tape("E", { set: ["daily", ZERO_UUID, 0, 999] }),
    ];
    const cur = currentMediaSet(pool, media);
    expect(cur?.uuid).toBe(s(1));
    expect(cur?.members).toEqual(["m-A", "m-B"]);
    expect(cur?.startTime).toBe(100);
    expect(cur?.ctime).toBe(400);
    expect(cur?.firstCtime).toBe(100);
  });

  it("ties on the greatest ctime give no current set", () => {
    const media = [tape("A", { set: ["daily", s(1), 0, 500] }), tape("C", { set: ["daily", s(2), 0, 500] })];
    expect(currentMediaSet(pool, media)).toBeNull();
  });

  it("a pool without sets (only free, zero-labelled or other pools' media) has none", () => {
    const media = [tape("F"), tape("Z", { set: ["daily", ZERO_UUID, 0, 9] }), tape("O", { set: ["other", s(1), 0, 9] })];
    expect(currentMediaSet(pool, media)).toBeNull();
  });
});

describe("listMediaSets and mediaSetStartTime", () => {
  const media = [
    tape("A", { set: ["daily", s(2), 0, 300] }),
    tape("B", { set: ["daily", s(1), 2, 150] }),
    tape("C", { set: ["daily", s(1), 0, 100] }),
    tape("D", { set: ["daily", s(1), 2, 160] }),
  ];

  it("lists the pool's sets oldest first, with holes as null and duplicate sequence numbers", () => {
    const sets = listMediaSets(pool, media);
    expect(sets.map((x) => x.uuid)).toEqual([s(1), s(2)]);
    expect(sets[0]?.members).toEqual(["m-C", null, "m-B"]);
    expect(sets[0]?.duplicates).toEqual([{ seqNr: 2, media: ["m-B", "m-D"] }]);
    expect(sets[1]?.duplicates).toEqual([]);
  });

  it("the start time is the ctime of the seq_nr 0 member, null when it is unknown", () => {
    expect(mediaSetStartTime(media, s(1))).toBe(100);
    expect(mediaSetStartTime(media, s(2))).toBe(300);
    expect(mediaSetStartTime(media.slice(0, 2), s(1))).toBeNull();
    expect(mediaSetStartTime(media, s(7))).toBeNull();
    expect(mediaSetStartTime([tape("Z", { set: ["daily", ZERO_UUID, 0, 5] })], ZERO_UUID)).toBeNull();
  });
});

describe("checkMediaSetConsistency (§6.5)", () => {
  const set = (...members: (string | null)[]) => ({ uuid: s(1), members });
  const A = tape("A", { set: ["daily", s(1), 0, 100] });
  const B = tape("B", { set: ["daily", s(1), 1, 110] });

  it("accepts an empty set; nothing to continue on", () => {
    expect(checkMediaSetConsistency(pool, set(), [])).toEqual({ ok: true, lastIsWritable: false, last: null });
  });

  it("continues on the last member when it is writable and available", () => {
    expect(checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, B], { driveChanger: "lib1" })).toEqual({
      ok: true,
      lastIsWritable: true,
      last: B,
    });
  });

  it("a full last member, or a writable one that is offline or in another changer, is consistent but not continued", () => {
    const full = { ...B, storedStatus: "full" as const };
    expect(checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, full], { driveChanger: "lib1" })).toMatchObject({
      ok: true,
      lastIsWritable: false,
    });
    for (const where of ["offline", "online:lib2", "ie:lib1"]) {
      const away = tape("B", { set: ["daily", s(1), 1, 110], at: where });
      expect(checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, away], { driveChanger: "lib1" })).toMatchObject({
        ok: true,
        lastIsWritable: false,
      });
    }
  });

  const failures: [string, () => ReturnType<typeof checkMediaSetConsistency>, string, number, string][] = [
    [
      "two media claim one sequence number",
      () => {
        const B2 = tape("B2", { set: ["daily", s(1), 1, 120] });
        const info = listMediaSets(pool, [A, B, B2])[0]!;
        return checkMediaSetConsistency(pool, info, [A, B, B2]);
      },
      "duplicate-seq-nr",
      1,
      "found duplicate sequence number in media set",
    ],
    [
      "a member is missing (hole in the sequence)",
      () => {
        const C = tape("C", { set: ["daily", s(1), 2, 120] });
        const info = listMediaSets(pool, [A, C])[0]!;
        return checkMediaSetConsistency(pool, info, [A, C]);
      },
      "member-missing",
      1,
      "media set is incomplete",
    ],
    ["a member is not in the inventory", () => checkMediaSetConsistency(pool, set("m-A", "m-gone"), [A]), "member-unknown", 1, "unable to lookup media m-gone"],
    [
      "a member now belongs to another pool",
      () => checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, tape("B", { set: ["other", s(5), 0, 500] })]),
      "member-other-pool",
      1,
      "media does not belong to pool (other != daily)",
    ],
    [
      "a member's seq_nr is wrong",
      () => checkMediaSetConsistency(pool, set("m-B", "m-A"), [A, B]),
      "seq-nr-mismatch",
      0,
      "media sequence error (1 != 0)",
    ],
    [
      "a member was relabelled into another set",
      () => checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, tape("B", { set: ["daily", s(6), 0, 600] })]),
      "owner-mismatch",
      1,
      `media owner error (${s(6)} != ${s(1)})`,
    ],
    [
      "a member lost its set label",
      () => checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, tape("B", { pool: "daily" })]),
      "owner-mismatch",
      1,
      "media owner error (no owner)",
    ],
    [
      "member fingerprints differ from each other",
      () =>
        checkMediaSetConsistency({ name: "daily", encrypt: "aa:01" }, set("m-A", "m-B"), [
          tape("A", { set: ["daily", s(1), 0, 100, "aa:01"] }),
          tape("B", { set: ["daily", s(1), 1, 110, "bb:02"] }),
        ]),
      "encryption-key-inconsistent",
      1,
      "inconsistent media encryption key",
    ],
    [
      "the pool's key changed since the set started",
      () => checkMediaSetConsistency({ name: "daily", encrypt: "cc:03" }, set("m-A", "m-B"), [A, B]),
      "encryption-key-changed",
      0,
      "pool encryption key changed",
    ],
    [
      "a member before the last is not full",
      () => checkMediaSetConsistency(pool, set("m-A", "m-B"), [{ ...A, storedStatus: "damaged" }, B]),
      "member-not-full",
      0,
      "wrong media status damaged",
    ],
    [
      "the last member is damaged",
      () => checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, { ...B, storedStatus: "damaged" }]),
      "last-member-unusable",
      1,
      "wrong media status damaged",
    ],
    [
      "the last member is retired",
      () => checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, { ...B, storedStatus: "retired" }]),
      "last-member-unusable",
      1,
      "wrong media status retired",
    ],
    [
      "the last member is writable but in a vault",
      () => checkMediaSetConsistency(pool, set("m-A", "m-B"), [A, tape("B", { set: ["daily", s(1), 1, 110], at: "vault:bunker" })]),
      "last-member-in-vault",
      1,
      "writable media offsite in vault 'bunker'",
    ],
  ];
  it.each(failures)("fails when %s", (_name, run, code, seqNr, message) => {
    const result = run();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.inconsistency.code).toBe(code);
    expect(result.inconsistency.seqNr).toBe(seqNr);
    expect(result.inconsistency.message).toContain(message);
  });

  it("compares fingerprints case-insensitively", () => {
    const media = [tape("A", { set: ["daily", s(1), 0, 100, "AA:01"] }), tape("B", { set: ["daily", s(1), 1, 110, "aa:01"] })];
    expect(checkMediaSetConsistency({ name: "daily", encrypt: "aa:01" }, set("m-A", "m-B"), media).ok).toBe(true);
  });

  it("a full member in a vault is fine (only a writable last member there is not)", () => {
    const media = [tape("A", { set: ["daily", s(1), 0, 100], at: "vault:v1" }), { ...B, storedStatus: "full" as const }];
    expect(checkMediaSetConsistency(pool, set("m-A", "m-B"), media).ok).toBe(true);
  });
});

describe("mustStartNewSet (§6.5)", () => {
  const monday = at("2026-11-30T21:00:00Z");
  const media = [tape("A", { set: ["daily", s(1), 0, monday] })];

  it("forced: even a consistent set under `continue` is replaced", () => {
    const d = mustStartNewSet({ name: "daily" }, media, monday + 60, { forceMediaSet: true });
    expect(d).toMatchObject({ required: true, reason: { code: "forced", message: "forced" } });
    expect(d.current?.uuid).toBe(s(1));
  });

  it("no current set yet", () => {
    expect(mustStartNewSet(pool, [tape("F")], monday).reason?.code).toBe("no-current-set");
  });

  it("two sets tied on the latest ctime", () => {
    const tied = [...media, tape("B", { set: ["daily", s(2), 0, monday] })];
    const d = mustStartNewSet(pool, tied, monday + 1);
    expect(d).toMatchObject({ required: true, current: null, reason: { code: "ambiguous-current-set" } });
    expect(d.reason?.message).toContain(s(1));
  });

  it("an inconsistent current set, with the failure attached", () => {
    const vaulted = [tape("A", { set: ["daily", s(1), 0, monday], at: "vault:v" })];
    const d = mustStartNewSet(pool, vaulted, monday + 1);
    expect(d.reason).toMatchObject({ code: "inconsistent", inconsistency: { code: "last-member-in-vault" } });
    expect(d.reason?.message).toBe("writable media offsite in vault 'v'");
  });

  it("`always` starts a new set at every job", () => {
    expect(mustStartNewSet({ name: "daily", allocation: "always" }, media, monday + 1).reason).toEqual({
      code: "policy-always",
      message: "policy is AlwaysCreate",
    });
  });

  it("`continue` never does, even years later", () => {
    expect(mustStartNewSet({ name: "daily", allocation: "continue" }, media, monday + 10 * 365 * 86400)).toMatchObject({
      required: false,
      reason: null,
    });
    expect(mustStartNewSet({ name: "daily" }, media, monday + 86400).required).toBe(false);
  });

  it("a calendar event starts a new set once its next occurrence after the set start is <= now", () => {
    const weekly = { name: "daily", allocation: "mon" };
    const next = at("2026-12-07T00:00:00Z");
    expect(mustStartNewSet(weekly, media, next - 1).required).toBe(false);
    const d = mustStartNewSet(weekly, media, next);
    expect(d.reason).toMatchObject({ code: "allocation-event", eventTime: next });
    expect(d.reason?.message).toContain("policy CreateAt event triggered");
  });

  it("evaluates the event in the given time zone", () => {
    const weekly = { name: "daily", allocation: "mon" };
    // Monday 00:00 in Berlin is Sunday 23:00 UTC
    const berlinMidnight = at("2026-12-06T23:00:00Z");
    expect(mustStartNewSet(weekly, media, berlinMidnight, { timeZone: "Europe/Berlin" }).required).toBe(true);
    expect(mustStartNewSet(weekly, media, berlinMidnight).required).toBe(false);
    expect(() => mustStartNewSet(weekly, media, berlinMidnight, { timeZone: "Mars/Olympus" })).toThrow(PoolArgumentError);
  });

  it("an event that never occurs again keeps the set", () => {
    expect(mustStartNewSet({ name: "daily", allocation: "2020-01-01" }, media, monday + 400 * 86400).required).toBe(false);
  });

  it("rejects a non-integer now", () => {
    expect(() => mustStartNewSet(pool, media, 1.5)).toThrow(/now: must be an integer number of epoch seconds/);
  });
});

describe("startWriteSession", () => {
  const media = [tape("A", { set: ["daily", s(1), 0, 100] }), tape("B", { set: ["daily", s(1), 1, 110] })];

  it("continues the current set with its members", () => {
    const session = startWriteSession(pool, media, 200, { newSetId: () => s(99) });
    expect(session).toEqual({ pool: "daily", set: { uuid: s(1), members: ["m-A", "m-B"] }, newSet: false, reason: null, startedAt: 200 });
  });

  it("starts a new set with an id from the generator", () => {
    const session = startWriteSession({ name: "daily", allocation: "always" }, media, 200, { newSetId: sequentialIds(7) });
    expect(session).toMatchObject({ set: { uuid: "00000007-0000-4000-8000-000000000001", members: [] }, newSet: true });
    expect(session.reason?.code).toBe("policy-always");
  });

  it("uses random UUIDs by default", () => {
    const session = startWriteSession(pool, [], 200);
    expect(session.set.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("refuses a malformed, zero or already used set UUID", () => {
    const always = { name: "daily", allocation: "always" };
    expect(() => startWriteSession(always, media, 200, { newSetId: () => "nope" })).toThrow(/newSetId: must return a lower-case UUID/);
    expect(() => startWriteSession(always, media, 200, { newSetId: () => ZERO_UUID })).toThrow(PoolArgumentError);
    expect(() => startWriteSession(always, media, 200, { newSetId: () => s(1) })).toThrow(/already a media set/);
  });
});
