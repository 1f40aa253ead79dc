import { describe, expect, it } from "vitest";
import { allocWritableMedia, applyAllocation } from "./alloc.ts";
import { sequentialIds } from "./clock.ts";
import {
  InvalidMediumError,
  MediaSetInconsistentError,
  NoUsableMediaError,
  PoolArgumentError,
  PoolConfigError,
  WormPolicyError,
} from "./errors.ts";
import { startWriteSession } from "./write-session.ts";
import { assertErasable, checkPoolWorm, isErasable, poolMediaKind } from "./worm.ts";
import { ZERO_UUID, type Medium } from "./types.ts";
import { s, tape } from "./test-media.ts";

const NOW = 1_000_000;
const lib1 = () => ({ driveChanger: "lib1", newSetId: sequentialIds(5) });
const newSet = "00000005-0000-4000-8000-000000000001";
const overwrite = { name: "p", allocation: "always", retention: "overwrite" };
const labels = (media: readonly Medium[]) => media.map((m) => m.label.labelText);

/** The error `f` throws (fails the test when it returns). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("allocWritableMedia (§6.6)", () => {
  describe("1. the last member of the current set", () => {
    const A = tape("A", { set: ["p", s(1), 0, 100], status: "full" });
    const B = tape("B", { set: ["p", s(1), 1, 200] });

    it("is taken when writable and available; nothing is assigned", () => {
      const a = allocWritableMedia({ name: "p" }, [A, B, tape("F")], NOW, lib1());
      expect(a).toMatchObject({ medium: B, setLabel: B.setLabel, source: "current-set", assigned: false });
      expect(a.session).toMatchObject({ newSet: false, set: { uuid: s(1), members: ["m-A", "m-B"] } });
    });

    it("a writable last member that is offline makes the set continue on another tape", () => {
      const away = tape("B", { set: ["p", s(1), 1, 200], at: "offline" });
      const a = allocWritableMedia({ name: "p" }, [A, away, tape("F")], NOW, lib1());
      expect(a).toMatchObject({ source: "free", assigned: true, setLabel: { uuid: s(1), seqNr: 2, ctime: NOW } });
      expect(labels([a.medium])).toEqual(["F"]);
    });

    it("a full last member likewise", () => {
      const full = { ...B, storedStatus: "full" as const };
      const a = allocWritableMedia({ name: "p" }, [A, full, tape("F")], NOW, lib1());
      expect(a.setLabel).toMatchObject({ uuid: s(1), seqNr: 2 });
    });
  });

  describe("2. empty media of the pool", () => {
    it("come before expired and free media; oldest label ctime first, ties to the smallest label", () => {
      const media = [
        tape("OLD", { set: ["p", s(1), 0, 10] }), // expired under `always`
        tape("FREE", { ctime: 1 }),
        tape("E3", { pool: "p", ctime: 500 }),
        tape("E2", { pool: "p", ctime: 400 }),
        tape("E1b", { pool: "p", ctime: 300 }),
        tape("E1a", { pool: "p", ctime: 300 }),
      ];
      const a = allocWritableMedia(overwrite, media, NOW, lib1());
      expect(a).toMatchObject({ source: "empty", setLabel: { pool: "p", uuid: newSet, seqNr: 0, ctime: NOW } });
      expect(a.medium.label.labelText).toBe("E1a");
    });

    it("include media reserved with the legacy zero set label (§3.4)", () => {
      const a = allocWritableMedia({ name: "p" }, [tape("Z", { set: ["p", ZERO_UUID, 0, 5] }), tape("F", { ctime: 1 })], NOW, lib1());
      expect(a).toMatchObject({ source: "empty", medium: { label: { labelText: "Z" } } });
    });

    it("skip unavailable ones and ones with a stored status", () => {
      const media = [
        tape("V", { pool: "p", ctime: 1, at: "vault:v" }),
        tape("X", { pool: "p", ctime: 2, at: "online:lib2" }),
        tape("D", { pool: "p", ctime: 3, status: "damaged" }),
        tape("R", { pool: "p", ctime: 4, status: "retired" }),
        tape("OK", { pool: "p", ctime: 5 }),
      ];
      expect(allocWritableMedia({ name: "p" }, media, NOW, lib1()).medium.label.labelText).toBe("OK");
    });

    it("with a standalone drive only offline media are available", () => {
      const media = [tape("IN", { pool: "p", ctime: 1 }), tape("OUT", { pool: "p", ctime: 2, at: "offline" })];
      expect(allocWritableMedia({ name: "p" }, media, NOW, { driveChanger: null }).medium.label.labelText).toBe("OUT");
      expect(allocWritableMedia({ name: "p" }, media, NOW, {}).medium.label.labelText).toBe("OUT");
    });
  });

  describe("3. expired media of the pool", () => {
    it("oldest set label ctime first, ties to the smallest label; the current set and unexpired media are skipped", () => {
      const media = [
        tape("N1", { set: ["p", s(3), 0, 900], status: "full" }), // current set (newest)
        tape("Y", { set: ["p", s(2), 0, 500] }),
        tape("Xb", { set: ["p", s(1), 0, 100] }),
        tape("Xa", { set: ["p", s(1), 1, 100] }),
      ];
      const pool = { name: "p", allocation: "continue", retention: "overwrite" };
      const a = allocWritableMedia(pool, media, NOW, lib1());
      expect(a).toMatchObject({ source: "expired", setLabel: { uuid: s(3), seqNr: 1, ctime: NOW } });
      expect(a.medium.label.labelText).toBe("Xa");
      // with Xa full in the current set, Xb (same set ctime as Xa) comes before Y
      const applied = applyAllocation(media, a).map((m) => (m.label.labelText === "Xa" ? { ...m, storedStatus: "full" as const } : m));
      const b = allocWritableMedia(pool, applied, NOW, { ...lib1(), session: a.session });
      expect(b).toMatchObject({ medium: { label: { labelText: "Xb" } }, setLabel: { seqNr: 2 } });
    });

    it("skips media not expired yet, unavailable ones and sets locked by a restore", () => {
      const pool = { name: "p", allocation: "continue", retention: "10s" };
      const media = [
        tape("CUR", { set: ["p", s(9), 0, NOW - 5], status: "full" }), // current set, continued on another tape
        tape("VAULTED", { set: ["p", s(1), 0, 10], at: "vault:v" }), // expired at 30, but in a vault
        tape("LOCKED", { set: ["p", s(2), 0, 20] }), // expired at 40
        tape("RECENT", { set: ["p", s(3), 0, 30] }), // expires at NOW + 5
        tape("F"),
      ];
      expect(allocWritableMedia(pool, media, NOW, lib1())).toMatchObject({
        source: "expired",
        medium: { label: { labelText: "LOCKED" } },
        setLabel: { uuid: s(9), seqNr: 1 },
      });
      const locked = allocWritableMedia(pool, media, NOW, { ...lib1(), lockedSets: [s(2)] });
      expect(locked).toMatchObject({ source: "free", medium: { label: { labelText: "F" } } });
      expect(allocWritableMedia(pool, media, NOW + 5, { ...lib1(), lockedSets: new Set([s(2)]) }).medium.label.labelText).toBe("RECENT");
      const err = thrown(() => allocWritableMedia(pool, media.slice(0, 4), NOW, { ...lib1(), lockedSets: [s(2)] }));
      expect(err).toBeInstanceOf(NoUsableMediaError);
      expect((err as NoUsableMediaError).rejected.map((r) => r.reason)).toEqual(["vault", "current-set", "set-locked", "not-expired"]);
    });
  });

  describe("4. free media", () => {
    it("oldest label ctime first, ties to the smallest label; writable and available only", () => {
      const media = [
        tape("F3", { ctime: 30 }),
        tape("F2b", { ctime: 20 }),
        tape("F2a", { ctime: 20 }),
        tape("F1", { ctime: 10, status: "full" }),
        tape("F0", { ctime: 5, at: "vault:v" }),
        tape("OTHER", { pool: "q", ctime: 1 }),
      ];
      const a = allocWritableMedia({ name: "p" }, media, NOW, lib1());
      expect(a).toMatchObject({ source: "free", medium: { label: { labelText: "F2a" } }, setLabel: { pool: "p", seqNr: 0 } });
    });

    it("the new label carries the pool's encryption key fingerprint", () => {
      const a = allocWritableMedia({ name: "p", encrypt: "ab:cd" }, [tape("F")], NOW, lib1());
      expect(a.setLabel).toEqual({ pool: "p", uuid: newSet, seqNr: 0, ctime: NOW, encryptionKeyFingerprint: "ab:cd" });
    });
  });

  describe("5. no usable media", () => {
    it("names why each candidate was refused and when the next one expires", () => {
      const pool = { name: "p", allocation: "continue", retention: "1d" };
      const media = [
        tape("CUR", { set: ["p", s(2), 0, NOW - 10], status: "full" }),
        tape("OLD", { set: ["p", s(1), 0, NOW - 100] }),
        tape("VAULT", { pool: "p", at: "vault:v" }),
        tape("OTHERLIB", { at: "online:lib2" }),
        tape("DAMAGED", { pool: "p", status: "damaged" }),
        tape("FOREIGN", { pool: "q" }),
      ];
      const err = thrown(() => allocWritableMedia(pool, media, NOW, lib1()));
      expect(err).toBeInstanceOf(NoUsableMediaError);
      const e = err as NoUsableMediaError;
      expect(e.code).toBe("NO_USABLE_MEDIA");
      expect(e.pool).toBe("p");
      expect(e.nextExpiry).toBe(NOW - 10 + 86_400);
      expect(e.rejected).toEqual([
        { labelText: "CUR", reason: "current-set" },
        { labelText: "OLD", reason: "not-expired", expiresAt: NOW - 10 + 86_400 },
        { labelText: "VAULT", reason: "vault" },
        { labelText: "DAMAGED", reason: "not-writable", status: "damaged" },
        { labelText: "OTHERLIB", reason: "other-changer" },
      ].sort((x, y) => order(x.labelText) - order(y.labelText)));
      expect(e.message).toMatch(/^alloc writable media in pool 'p' failed: no usable media found \(/);
      expect(e.message).toContain("1 medium not expired yet");
      expect(e.message).toContain("next expiry at 1970-01-13T");
      function order(l: string) {
        return ["VAULT", "DAMAGED", "CUR", "OLD", "OTHERLIB"].indexOf(l);
      }
    });

    it("says so when there are no media at all", () => {
      expect(() => allocWritableMedia({ name: "p" }, [], NOW, lib1())).toThrow(/the pool has no media and there are no free media/);
    });

    it("`keep` media never expire", () => {
      const media = [tape("A", { set: ["p", s(1), 0, 10], status: "full" })];
      expect(() => allocWritableMedia({ name: "p", allocation: "always" }, media, NOW, lib1())).toThrow(/never expire/);
    });
  });

  describe("write sessions", () => {
    it("a job continues its new set on the next tape with the next sequence number", () => {
      let media: Medium[] = [tape("F1", { ctime: 1 }), tape("F2", { ctime: 2 })];
      const first = allocWritableMedia({ name: "p" }, media, NOW, lib1());
      expect(first.session).toMatchObject({ newSet: true, reason: { code: "no-current-set" } });
      media = applyAllocation(media, first).map((m) => (m.label.labelText === "F1" ? { ...m, storedStatus: "full" } : m));
      const second = allocWritableMedia({ name: "p" }, media, NOW + 60, { ...lib1(), session: first.session });
      expect(second).toMatchObject({ source: "free", setLabel: { uuid: newSet, seqNr: 1, ctime: NOW + 60 } });
      expect(second.session.set.members).toEqual(["m-F1", "m-F2"]);
    });

    it("fails when the session's set no longer matches the inventory", () => {
      const media = [tape("F1")];
      const first = allocWritableMedia({ name: "p" }, media, NOW, lib1());
      // the allocation was not applied: F1 has no set label
      const err = thrown(() => allocWritableMedia({ name: "p" }, media, NOW, { ...lib1(), session: first.session }));
      expect(err).toBeInstanceOf(MediaSetInconsistentError);
      expect(err).toMatchObject({ code: "MEDIA_SET_INCONSISTENT", inconsistency: { code: "owner-mismatch" } });
    });

    it("refuses a session of another pool", () => {
      const session = startWriteSession({ name: "q" }, [], NOW, lib1());
      expect(() => allocWritableMedia({ name: "p" }, [tape("F")], NOW, { ...lib1(), session })).toThrow(PoolArgumentError);
    });

    it("warns from the 21st tape of a set on (seq_nr >= 20)", () => {
      const members = Array.from({ length: 20 }, (_, i) => tape(`M${String(i).padStart(2, "0")}`, { set: ["p", s(1), i, 100 + i], status: "full" }));
      const a = allocWritableMedia({ name: "p" }, [...members, tape("F")], NOW, lib1());
      expect(a.setLabel.seqNr).toBe(20);
      expect(a.warning).toBe(`media set ${s(1)} of pool 'p' is large: this is its tape number 21 (seq_nr 20)`);
      const b = allocWritableMedia({ name: "p" }, [...members.slice(0, 19), tape("F")], NOW, lib1());
      expect(b.setLabel.seqNr).toBe(19);
      expect(b.warning).toBeUndefined();
    });

    it("reports when a reused medium expired", () => {
      const a = allocWritableMedia(overwrite, [tape("X", { set: ["p", s(1), 0, 500] })], NOW, lib1());
      expect(a).toMatchObject({ source: "expired", expiredAt: 500 });
      expect(allocWritableMedia(overwrite, [tape("F")], NOW, lib1()).expiredAt).toBeUndefined();
    });

    it("forceMediaSet starts a new set", () => {
      const media = [tape("A", { set: ["p", s(1), 0, 100] }), tape("F")];
      const a = allocWritableMedia({ name: "p" }, media, NOW, { ...lib1(), forceMediaSet: true });
      expect(a).toMatchObject({ source: "free", setLabel: { uuid: newSet, seqNr: 0 }, session: { reason: { code: "forced" } } });
    });
  });

  describe("applyAllocation", () => {
    it("sets the new label, clears the stored status and the byte count", () => {
      const old = { ...tape("X", { set: ["p", s(1), 0, 10], status: "full" }), bytesUsed: 500 };
      const a = allocWritableMedia(overwrite, [old], NOW, lib1());
      const [after] = applyAllocation([old], a);
      expect(after).toEqual({ label: old.label, setLabel: a.setLabel, location: old.location, bytesUsed: 0 });
    });

    it("changes nothing for the current set's last member", () => {
      const media = [tape("A", { set: ["p", s(1), 0, 100] })];
      const a = allocWritableMedia({ name: "p" }, media, NOW, lib1());
      expect(applyAllocation(media, a)).toEqual(media);
    });

    it("refuses an allocation of a medium that is not in the inventory", () => {
      const a = allocWritableMedia({ name: "p" }, [tape("F")], NOW, lib1());
      expect(() => applyAllocation([tape("G")], a)).toThrow(/alloc.medium: medium m-F is not in the inventory/);
    });
  });
});

describe("WORM (§6.8)", () => {
  it("a pool holding WORM media must use retention keep", () => {
    const media = [tape("W", { pool: "p", worm: true })];
    expect(() => allocWritableMedia(overwrite, media, NOW, lib1())).toThrow(WormPolicyError);
    const err = thrown(() => checkPoolWorm({ name: "p", retention: "2 weeks" }, media));
    expect(err).toMatchObject({ code: "WORM_POLICY", rule: "retention", pool: "p", media: ["W"] });
    expect((err as Error).message).toContain("its retention is '2 weeks'");
    expect(allocWritableMedia({ name: "p" }, media, NOW, lib1()).medium.label.labelText).toBe("W");
  });

  it("a pool may not mix WORM and normal media", () => {
    const media = [tape("W", { set: ["p", s(1), 0, 10], worm: true }), tape("N", { pool: "p" })];
    expect(poolMediaKind("p", media)).toBe("mixed");
    expect(() => allocWritableMedia({ name: "p" }, media, NOW, lib1())).toThrow(/mixes WORM media \(W\) and normal media \(N\)/);
    expect(() => checkPoolWorm({ name: "p" }, media)).toThrow(expect.objectContaining({ rule: "mixed" }));
  });

  it("free WORM media are refused by a pool without keep, and free media of the other kind by any pool", () => {
    const freeWorm = tape("FW", { ctime: 1, worm: true });
    const freeNormal = tape("FN", { ctime: 2 });
    // overwrite pool: skips the WORM tape
    expect(allocWritableMedia(overwrite, [freeWorm, freeNormal], NOW, lib1()).medium.label.labelText).toBe("FN");
    expect(() => allocWritableMedia(overwrite, [freeWorm], NOW, lib1())).toThrow(/WORM media refused \(pool retention is not 'keep'\)/);
    // a keep pool that already holds WORM media takes only WORM media
    const wormPool = [tape("W", { set: ["p", s(1), 0, 10], worm: true, status: "full" }), freeNormal, { ...freeWorm, label: { ...freeWorm.label, ctime: 3 } }];
    expect(poolMediaKind("p", wormPool)).toBe("worm");
    expect(allocWritableMedia({ name: "p" }, wormPool, NOW, lib1()).medium.label.labelText).toBe("FW");
    // and a normal pool takes no WORM media
    const normalPool = [tape("N", { set: ["p", s(1), 0, 10], status: "full" }), freeWorm];
    expect(poolMediaKind("p", normalPool)).toBe("normal");
    expect(() => allocWritableMedia({ name: "p" }, normalPool, NOW, lib1())).toThrow(/refused to mix WORM and normal media/);
    // an empty keep pool takes the oldest free medium, WORM or not
    expect(poolMediaKind("p", [freeWorm, freeNormal])).toBe("empty");
    expect(allocWritableMedia({ name: "p" }, [freeWorm, freeNormal], NOW, lib1()).medium.label.labelText).toBe("FW");
  });

  it("WORM media are never erased", () => {
    const w = tape("W", { worm: true });
    expect(isErasable(w)).toBe(false);
    expect(isErasable(tape("N"))).toBe(true);
    expect(() => assertErasable(w)).toThrow(expect.objectContaining({ code: "WORM_POLICY", rule: "erase", media: ["W"] }));
    expect(() => assertErasable(tape("N"))).not.toThrow();
  });
});

describe("bad input", () => {
  it("names the malformed field of a medium", () => {
    const cases: [unknown, string][] = [
      [{ ...tape("A"), label: { ...tape("A").label, ctime: 1.5 } }, "media[0].label.ctime: must be an integer from -8640000000000 to 8640000000000, got 1.5"],
      [{ ...tape("A"), setLabel: { pool: "p", uuid: s(1), seqNr: -1, ctime: 1 } }, "media[0].setLabel.seqNr: must be an integer from 0 to 999999, got -1"],
      [{ ...tape("A"), setLabel: { pool: "", uuid: s(1), seqNr: 0, ctime: 1 } }, 'media[0].setLabel.pool: must be a non-empty string, got ""'],
      [{ ...tape("A"), location: { kind: "moon" } }, 'media[0].location.kind: must be \'online\', \'offline\' or \'vault\', got "moon"'],
      [{ ...tape("A"), location: { kind: "vault" } }, "media[0].location.name: must be a non-empty string, got undefined"],
      [{ ...tape("A"), storedStatus: "writable" }, "media[0].storedStatus: must be 'full', 'damaged' or 'retired', got \"writable\""],
      [{ ...tape("A"), setLabel: { pool: "p", uuid: s(1), seqNr: 0, ctime: 9e12 } }, "media[0].setLabel.ctime: must be an integer from -8640000000000 to 8640000000000, got 9000000000000"],
      [{ ...tape("A"), bytesUsed: -1 }, "media[0].bytesUsed: must be a number >= 0, got -1"],
      [{ location: { kind: "offline" } }, "media[0].label: is required"],
      [null, "media[0]: must be an object, got null"],
    ];
    for (const [medium, message] of cases) {
      expect(() => allocWritableMedia({ name: "p" }, [medium as Medium], NOW, lib1())).toThrow(InvalidMediumError);
      expect(() => allocWritableMedia({ name: "p" }, [medium as Medium], NOW, lib1())).toThrow(message);
    }
  });

  it("refuses a medium UUID listed twice", () => {
    expect(() => allocWritableMedia({ name: "p" }, [tape("A"), tape("A")], NOW, lib1())).toThrow(
      "media[1].label.uuid: duplicate of media[0] (m-A)",
    );
  });

  it("names the bad pool setting", () => {
    expect(() => allocWritableMedia({ name: "p", allocation: "mon 25:00" }, [], NOW, lib1())).toThrow(PoolConfigError);
    expect(() => allocWritableMedia({ name: "p", allocation: "mon 25:00" }, [], NOW, lib1())).toThrow(/^pool 'p': allocation: must be/);
    expect(() => allocWritableMedia({ name: "p", retention: "7dayz" }, [], NOW, lib1())).toThrow(/^pool 'p': retention: must be 'keep', 'overwrite' or a time span/);
    expect(() => allocWritableMedia({ name: "" }, [], NOW, lib1())).toThrow(/pool.name: must be a non-empty string/);
  });

  it("refuses a non-integer now", () => {
    expect(() => allocWritableMedia({ name: "p" }, [tape("F")], Number.NaN, lib1())).toThrow(PoolArgumentError);
  });
});
