import { describe, expect, it } from "vitest";
import { ManualClock, sequentialIds, systemClock, toEpochSeconds } from "./clock.ts";
import { PoolArgumentError } from "./errors.ts";
import { Simulator } from "./simulator.ts";
import { at } from "./test-media.ts";

const start = at("2026-11-30T00:00:00Z");

describe("ManualClock", () => {
  it("moves only forward, by set or advance", () => {
    const clock = new ManualClock(new Date("2026-11-30T00:00:00Z"));
    expect(clock.now()).toBe(start);
    clock.advance(60);
    clock.set(start + 120);
    expect(clock.now()).toBe(start + 120);
    expect(() => clock.set(start)).toThrow(/clock cannot go back/);
    expect(() => clock.advance(-1)).toThrow(PoolArgumentError);
    expect(() => new ManualClock(new Date("nope"))).toThrow(/start: invalid date/);
  });

  it("toEpochSeconds rounds dates down and checks numbers", () => {
    expect(toEpochSeconds("t", new Date(1999))).toBe(1);
    expect(() => toEpochSeconds("t", 0.5)).toThrow(/t: must be an integer/);
  });

  it("the system clock reads the current time in seconds", () => {
    const before = Math.floor(Date.now() / 1000);
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(Number.isSafeInteger(now)).toBe(true);
  });
});

describe("sequentialIds", () => {
  it("gives distinct well-formed UUIDs per namespace", () => {
    const ids = sequentialIds(0xbeef);
    expect([ids(), ids()]).toEqual(["0000beef-0000-4000-8000-000000000001", "0000beef-0000-4000-8000-000000000002"]);
    expect(() => sequentialIds(-1)).toThrow(/namespace/);
  });
});

describe("Simulator", () => {
  const pools = [{ name: "p", allocation: "always", retention: "overwrite" }, { name: "q" }];

  it("labels tapes into its changer by default, offline with a standalone drive", () => {
    const sim = new Simulator({ pools, tapes: [{ labelText: "T1" }], start, capacity: 100 });
    expect(sim.tape("T1")).toMatchObject({ location: { kind: "online", changer: "lib1" }, bytesUsed: 0, label: { ctime: start - 86_400 } });
    const standalone = new Simulator({ pools, tapes: [{ labelText: "T1", pool: "q", worm: true, labelCtime: 5 }], start, capacity: 100, changer: null });
    expect(standalone.tape("T1")).toMatchObject({ location: { kind: "offline" }, worm: true, label: { ctime: 5, pool: "q" } });
    expect(standalone.runJob("q", start, { bytes: 10 }).writes).toEqual([{ labelText: "T1", seqNr: 0, bytes: 10, source: "empty", full: false }]);
  });

  it("writes across tapes of different capacities and marks each full when it reaches its capacity", () => {
    const sim = new Simulator({ pools, tapes: [{ labelText: "A", capacity: 50 }, { labelText: "B" }], start, capacity: 100 });
    const e = sim.runJob("q", start + 10, { bytes: 120 });
    expect(e.writes).toEqual([
      { labelText: "A", seqNr: 0, bytes: 50, source: "free", full: true },
      { labelText: "B", seqNr: 1, bytes: 70, source: "free", full: false },
    ]);
    expect(sim.tape("A")).toMatchObject({ storedStatus: "full", bytesUsed: 50 });
    expect(sim.tape("B").bytesUsed).toBe(70);
    expect(sim.clock.now()).toBe(start + 10);
    // a job of 0 bytes still takes its tape
    expect(sim.runJob("q", start + 20).writes).toEqual([{ labelText: "B", seqNr: 1, bytes: 0, source: "current-set", full: false }]);
  });

  it("clears a reused tape's bytes and status", () => {
    const sim = new Simulator({ pools, tapes: [{ labelText: "A" }], start, capacity: 100 });
    sim.runJob("p", start, { bytes: 100 });
    const e = sim.runJob("p", start + 1, { bytes: 30 });
    expect(e).toMatchObject({ newSet: true, newSetReason: "policy-always", reused: ["A"], expired: ["A"] });
    expect(sim.tape("A")).toMatchObject({ bytesUsed: 30 });
    expect(sim.tape("A").storedStatus).toBeUndefined();
  });

  it("applies operator actions: status, location", () => {
    const sim = new Simulator({ pools, tapes: [{ labelText: "A" }, { labelText: "B" }], start, capacity: 100 });
    sim.setStatus("A", "damaged");
    expect(sim.runJob("q", start, { bytes: 1 }).writes[0]?.labelText).toBe("B");
    sim.setStatus("A", undefined);
    expect(sim.tape("A").storedStatus).toBeUndefined();
    sim.moveTape("B", { kind: "online", changer: "lib1" }, true);
    const e = sim.runJob("q", start + 1, { bytes: 1 });
    expect(e.writes[0]).toMatchObject({ labelText: "A", seqNr: 1 });
    // a job on a standalone drive may use a tape in an import/export slot (it counts as offline);
    // A, the writable last member, went to a vault: a new set starts
    sim.addTape({ labelText: "C", location: { kind: "online", changer: "lib1" }, inImportExport: true });
    sim.moveTape("A", { kind: "vault", name: "v" });
    const f = sim.runJob("q", start + 2, { bytes: 1, driveChanger: null });
    expect(f).toMatchObject({ newSet: true, newSetReason: "inconsistent", writes: [{ labelText: "C", seqNr: 0, source: "free" }] });
  });

  it("runs scheduled jobs in time order, jobs due at the same time in list order, and stops at `until`", () => {
    const sim = new Simulator({ pools, tapes: [{ labelText: "A" }, { labelText: "B" }], start, capacity: 1000 });
    const out = sim.runSchedule(
      [
        { pool: "q", schedule: "12:00", bytes: (t) => (t === start + 86_400 + 43_200 ? 7 : 1) },
        { pool: "p", schedule: "00:00", bytes: 1, forceMediaSet: true },
      ],
      start + 86_400 + 43_200,
    );
    expect(out.map((e) => [e.time - start, e.pool, e.writes[0]?.bytes])).toEqual([
      [0, "p", 1],
      [43_200, "q", 1],
      [86_400, "p", 1],
      [129_600, "q", 7],
    ]);
    expect(out[2]?.newSetReason).toBe("forced");
    expect(sim.journal).toHaveLength(4);
    expect(sim.clock.now()).toBe(start + 129_600);
    sim.runSchedule([], start + 200_000);
    expect(sim.clock.now()).toBe(start + 200_000);
  });

  it("evaluates schedules, allocation events, days and set names in its time zone, across a DST change", () => {
    const sim = new Simulator({
      pools: [{ name: "w", allocation: "mon", retention: "overwrite", template: "%F %H:%M %z" }],
      tapes: [{ labelText: "A" }, { labelText: "B" }],
      start: at("2026-03-22T00:00:00Z"),
      capacity: 1000,
      timeZone: "Europe/Berlin",
    });
    const out = sim.runSchedule([{ pool: "w", schedule: "mon..fri 01:30", bytes: 100 }], at("2026-04-04T00:00:00Z"));
    expect(out.map((e) => [e.day, e.weekday, new Date(e.time * 1000).toISOString(), e.newSet, e.setName, e.reused.join()])).toEqual([
      ["2026-03-23", "Mon", "2026-03-23T00:30:00.000Z", true, "2026-03-23 01:30 +0100", ""],
      ["2026-03-24", "Tue", "2026-03-24T00:30:00.000Z", false, "2026-03-23 01:30 +0100", ""],
      ["2026-03-25", "Wed", "2026-03-25T00:30:00.000Z", false, "2026-03-23 01:30 +0100", ""],
      ["2026-03-26", "Thu", "2026-03-26T00:30:00.000Z", false, "2026-03-23 01:30 +0100", ""],
      ["2026-03-27", "Fri", "2026-03-27T00:30:00.000Z", false, "2026-03-23 01:30 +0100", ""],
      // summer time from Sunday 29 March: Monday 01:30 local is Sunday 23:30 UTC
      ["2026-03-30", "Mon", "2026-03-29T23:30:00.000Z", true, "2026-03-30 01:30 +0200", "A"],
      ["2026-03-31", "Tue", "2026-03-30T23:30:00.000Z", false, "2026-03-30 01:30 +0200", ""],
      ["2026-04-01", "Wed", "2026-03-31T23:30:00.000Z", false, "2026-03-30 01:30 +0200", ""],
      ["2026-04-02", "Thu", "2026-04-01T23:30:00.000Z", false, "2026-03-30 01:30 +0200", ""],
      ["2026-04-03", "Fri", "2026-04-02T23:30:00.000Z", false, "2026-03-30 01:30 +0200", ""],
    ]);
  });

  it("rejects unknown pools and tapes, duplicate tapes, bad schedules, capacities and byte counts", () => {
    const sim = new Simulator({ pools, tapes: [{ labelText: "A" }], start, capacity: 100 });
    expect(() => sim.runJob("zz")).toThrow("pool: no pool 'zz' in the simulation");
    expect(() => sim.tape("ZZ")).toThrow("labelText: no tape 'ZZ' in the simulation");
    expect(() => sim.addTape({ labelText: "A" })).toThrow("labelText: tape 'A' exists already");
    expect(() => sim.addTape({ labelText: "B", capacity: 0 })).toThrow("capacity: must be a number > 0, got 0");
    expect(() => sim.runSchedule([{ pool: "p", schedule: "mon 25:00", bytes: 1 }], start + 1)).toThrow(/^jobs\[0\]\.schedule: /);
    expect(() => sim.runJob("p", start, { bytes: -1 })).toThrow("bytes: must be a number >= 0, got -1");
    expect(() => new Simulator({ pools, tapes: [], start, capacity: Number.NaN })).toThrow(PoolArgumentError);
    sim.runJob("p", start + 5);
    expect(() => sim.runJob("p", start + 4)).toThrow(/clock cannot go back/);
  });
});
