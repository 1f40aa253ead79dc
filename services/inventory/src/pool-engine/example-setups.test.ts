/**
 * The example setups of the PBS documentation ("Tape Backup" → "Example Setups"), run
 * over simulated weeks with the injected clock; day by day, which tapes each job
 * writes, which are expired, which are reused.
 */
import { describe, expect, it } from "vitest";
import { mediaExpireTime } from "./expiry.ts";
import { listMediaSets } from "./media-set.ts";
import { type JournalEntry, Simulator } from "./simulator.ts";
import { at } from "./test-media.ts";

const WEEK = 7 * 86_400;

/** One journal line: `day weekday pool: [new(reason)] label#seq+bytes[!=full] … [expired[…]] [reused[…]] [FAILED] name`. */
function line(e: JournalEntry): string {
  const writes = e.writes.map((w) => `${w.labelText}#${w.seqNr}+${w.bytes}${w.full ? "!" : ""}`).join(" ");
  return [
    `${e.day} ${e.weekday} ${e.pool}:`,
    e.newSet ? `new(${e.newSetReason})` : "",
    writes,
    e.expired.length > 0 ? `expired[${e.expired.join(",")}]` : "",
    e.reused.length > 0 ? `reused[${e.reused.join(",")}]` : "",
    e.outcome === "failed" ? "FAILED" : "",
    e.setName,
  ]
    .filter((x) => x !== "")
    .join(" ");
}

const tapes = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({ labelText: `T${String(i + from).padStart(2, "0")}` }));

describe("single continued media set (allocation continue, retention keep)", () => {
  const pool = { name: "single", template: "single-%F" };
  const sim = new Simulator({ pools: [pool], tapes: tapes(8), start: at("2026-11-30T00:00:00Z"), capacity: 1000 });

  it("one set grows by 400 bytes a day over 8 tapes; nothing is ever reused, so day 21 finds no tape", () => {
    const journal = sim.runSchedule([{ pool: "single", schedule: "21:00", bytes: 400 }], at("2026-12-21T00:00:00Z"));
    expect(journal.map(line)).toEqual([
      "2026-11-30 Mon single: new(no-current-set) T01#0+400 single-2026-11-30",
      "2026-12-01 Tue single: T01#0+400 single-2026-11-30",
      "2026-12-02 Wed single: T01#0+200! T02#1+200 single-2026-11-30",
      "2026-12-03 Thu single: T02#1+400 single-2026-11-30",
      "2026-12-04 Fri single: T02#1+400! single-2026-11-30",
      "2026-12-05 Sat single: T03#2+400 single-2026-11-30",
      "2026-12-06 Sun single: T03#2+400 single-2026-11-30",
      "2026-12-07 Mon single: T03#2+200! T04#3+200 single-2026-11-30",
      "2026-12-08 Tue single: T04#3+400 single-2026-11-30",
      "2026-12-09 Wed single: T04#3+400! single-2026-11-30",
      "2026-12-10 Thu single: T05#4+400 single-2026-11-30",
      "2026-12-11 Fri single: T05#4+400 single-2026-11-30",
      "2026-12-12 Sat single: T05#4+200! T06#5+200 single-2026-11-30",
      "2026-12-13 Sun single: T06#5+400 single-2026-11-30",
      "2026-12-14 Mon single: T06#5+400! single-2026-11-30",
      "2026-12-15 Tue single: T07#6+400 single-2026-11-30",
      "2026-12-16 Wed single: T07#6+400 single-2026-11-30",
      "2026-12-17 Thu single: T07#6+200! T08#7+200 single-2026-11-30",
      "2026-12-18 Fri single: T08#7+400 single-2026-11-30",
      "2026-12-19 Sat single: T08#7+400! single-2026-11-30",
      "2026-12-20 Sun single: FAILED single-2026-11-30",
    ]);
    expect(new Set(journal.map((e) => e.setUuid)).size).toBe(1);
    expect(journal.at(-1)?.error).toEqual({
      code: "NO_USABLE_MEDIA",
      message: "alloc writable media in pool 'single' failed: no usable media found (8 media already in the current set)",
    });
    for (const m of sim.media) expect(mediaExpireTime(pool, m, sim.media)).toBeNull();
  });

  it("a new tape continues the same set; moving the writable tape to a vault starts a new set", () => {
    sim.addTape({ labelText: "T09" });
    const cont = sim.runJob("single", at("2026-12-21T21:00:00Z"), { bytes: 400 });
    expect(line(cont)).toBe("2026-12-21 Mon single: T09#8+400 single-2026-11-30");
    sim.moveTape("T09", { kind: "vault", name: "offsite" });
    sim.addTape({ labelText: "T10" });
    const fresh = sim.runJob("single", at("2026-12-22T21:00:00Z"), { bytes: 400 });
    expect(line(fresh)).toBe("2026-12-22 Tue single: new(inconsistent) T10#0+400 single-2026-12-22");
    expect(listMediaSets(pool, sim.media).map((s) => s.members.length)).toEqual([9, 1]);
  });
});

describe("weekday scheme (pools monday…friday, allocation mon…fri, retention overwrite)", () => {
  const days = ["monday", "tuesday", "wednesday", "thursday", "friday"];
  const sim = new Simulator({
    pools: days.map((d) => ({ name: d, allocation: d.slice(0, 3), retention: "overwrite", template: `${d}-%F` })),
    tapes: tapes(6),
    start: at("2026-11-30T00:00:00Z"),
    capacity: 1000,
  });
  const jobs = days.map((d) => ({ pool: d, schedule: `${d.slice(0, 3)} 22:00`, bytes: d === "friday" ? 1500 : 300 }));

  it("each weekday starts a new set in its pool and reuses that weekday's tapes a week later", () => {
    const journal = sim.runSchedule(jobs, at("2026-12-21T00:00:00Z"));
    expect(journal.map(line)).toEqual([
      "2026-11-30 Mon monday: new(no-current-set) T01#0+300 monday-2026-11-30",
      "2026-12-01 Tue tuesday: new(no-current-set) T02#0+300 tuesday-2026-12-01",
      "2026-12-02 Wed wednesday: new(no-current-set) T03#0+300 wednesday-2026-12-02",
      "2026-12-03 Thu thursday: new(no-current-set) T04#0+300 thursday-2026-12-03",
      "2026-12-04 Fri friday: new(no-current-set) T05#0+1000! T06#1+500 friday-2026-12-04",
      "2026-12-07 Mon monday: new(allocation-event) T01#0+300 expired[T01] reused[T01] monday-2026-12-07",
      "2026-12-08 Tue tuesday: new(allocation-event) T02#0+300 expired[T02] reused[T02] tuesday-2026-12-08",
      "2026-12-09 Wed wednesday: new(allocation-event) T03#0+300 expired[T03] reused[T03] wednesday-2026-12-09",
      "2026-12-10 Thu thursday: new(allocation-event) T04#0+300 expired[T04] reused[T04] thursday-2026-12-10",
      // both Friday tapes have the same set ctime: the smaller label goes first
      "2026-12-11 Fri friday: new(allocation-event) T05#0+1000! T06#1+500 expired[T05,T06] reused[T05,T06] friday-2026-12-11",
      "2026-12-14 Mon monday: new(allocation-event) T01#0+300 expired[T01] reused[T01] monday-2026-12-14",
      "2026-12-15 Tue tuesday: new(allocation-event) T02#0+300 expired[T02] reused[T02] tuesday-2026-12-15",
      "2026-12-16 Wed wednesday: new(allocation-event) T03#0+300 expired[T03] reused[T03] wednesday-2026-12-16",
      "2026-12-17 Thu thursday: new(allocation-event) T04#0+300 expired[T04] reused[T04] thursday-2026-12-17",
      "2026-12-18 Fri friday: new(allocation-event) T05#0+1000! T06#1+500 expired[T05,T06] reused[T05,T06] friday-2026-12-18",
    ]);
  });

  it("a weekday's tape expires at 00:00 of the next such weekday (next event after the set start)", () => {
    const monday = { name: "monday", allocation: "mon", retention: "overwrite" };
    expect(mediaExpireTime(monday, sim.tape("T01"), sim.media)).toBe(at("2026-12-21T00:00:00Z"));
    const friday = { name: "friday", allocation: "fri", retention: "overwrite" };
    expect(mediaExpireTime(friday, sim.tape("T06"), sim.media)).toBe(at("2026-12-25T00:00:00Z"));
  });

  it("a Monday job without its tape (taken offline) fails rather than take another pool's tape", () => {
    sim.moveTape("T01", { kind: "offline" });
    const e = sim.runJob("monday", at("2026-12-21T22:00:00Z"), { bytes: 300 });
    expect(line(e)).toBe(`2026-12-21 Mon monday: new(allocation-event) expired[T01] FAILED ${e.setUuid}`);
    expect(e.error?.message).toContain("1 medium offline (the drive is in a changer)");
  });
});

describe("two pools: weekly allocation with 3 weeks retention, yearly allocation kept forever", () => {
  const weekly = { name: "weekly", allocation: "mon", retention: "3 weeks", template: "weekly-%F" };
  const yearly = { name: "yearly", allocation: "yearly", retention: "keep", template: "yearly-%Y" };
  const sim = new Simulator({ pools: [weekly, yearly], tapes: tapes(14), start: at("2026-11-30T00:00:00Z"), capacity: 1000 });
  const jobs = [
    { pool: "weekly", schedule: "mon..fri 21:00", bytes: 300 },
    { pool: "yearly", schedule: "*-01 03:00", bytes: 600 },
  ];
  let journal: JournalEntry[] = [];

  it("the first six weeks, day by day: weekly tapes come back after 4 weeks, yearly tapes never", () => {
    journal = sim.runSchedule(jobs, at("2027-01-09T00:00:00Z"));
    expect(journal.map(line)).toEqual([
      "2026-11-30 Mon weekly: new(no-current-set) T01#0+300 weekly-2026-11-30",
      "2026-12-01 Tue yearly: new(no-current-set) T02#0+600 yearly-2026",
      "2026-12-01 Tue weekly: T01#0+300 weekly-2026-11-30",
      "2026-12-02 Wed weekly: T01#0+300 weekly-2026-11-30",
      "2026-12-03 Thu weekly: T01#0+100! T03#1+200 weekly-2026-11-30",
      "2026-12-04 Fri weekly: T03#1+300 weekly-2026-11-30",
      "2026-12-07 Mon weekly: new(allocation-event) T04#0+300 weekly-2026-12-07",
      "2026-12-08 Tue weekly: T04#0+300 weekly-2026-12-07",
      "2026-12-09 Wed weekly: T04#0+300 weekly-2026-12-07",
      "2026-12-10 Thu weekly: T04#0+100! T05#1+200 weekly-2026-12-07",
      "2026-12-11 Fri weekly: T05#1+300 weekly-2026-12-07",
      "2026-12-14 Mon weekly: new(allocation-event) T06#0+300 weekly-2026-12-14",
      "2026-12-15 Tue weekly: T06#0+300 weekly-2026-12-14",
      "2026-12-16 Wed weekly: T06#0+300 weekly-2026-12-14",
      "2026-12-17 Thu weekly: T06#0+100! T07#1+200 weekly-2026-12-14",
      "2026-12-18 Fri weekly: T07#1+300 weekly-2026-12-14",
      "2026-12-21 Mon weekly: new(allocation-event) T08#0+300 weekly-2026-12-21",
      "2026-12-22 Tue weekly: T08#0+300 weekly-2026-12-21",
      "2026-12-23 Wed weekly: T08#0+300 weekly-2026-12-21",
      "2026-12-24 Thu weekly: T08#0+100! T09#1+200 weekly-2026-12-21",
      "2026-12-25 Fri weekly: T09#1+300 weekly-2026-12-21",
      // week 1's tapes expired at 21:00 today: week 2's start (Mon 21:00) + 3 weeks
      "2026-12-28 Mon weekly: new(allocation-event) T01#0+300 expired[T01,T03] reused[T01] weekly-2026-12-28",
      "2026-12-29 Tue weekly: T01#0+300 expired[T03] weekly-2026-12-28",
      "2026-12-30 Wed weekly: T01#0+300 expired[T03] weekly-2026-12-28",
      "2026-12-31 Thu weekly: T01#0+100! T03#1+200 expired[T03] reused[T03] weekly-2026-12-28",
      "2027-01-01 Fri yearly: new(allocation-event) T10#0+600 yearly-2027",
      "2027-01-01 Fri weekly: T03#1+300 weekly-2026-12-28",
      "2027-01-04 Mon weekly: new(allocation-event) T04#0+300 expired[T04,T05] reused[T04] weekly-2027-01-04",
      "2027-01-05 Tue weekly: T04#0+300 expired[T05] weekly-2027-01-04",
      "2027-01-06 Wed weekly: T04#0+300 expired[T05] weekly-2027-01-04",
      "2027-01-07 Thu weekly: T04#0+100! T05#1+200 expired[T05] reused[T05] weekly-2027-01-04",
      "2027-01-08 Fri weekly: T05#1+300 weekly-2027-01-04",
    ]);
  });

  it("over 26 weeks the rotation holds: 8 weekly tapes, each reused exactly 4 weeks after it was last started", () => {
    journal = [...journal, ...sim.runSchedule(jobs, at("2027-05-31T00:00:00Z"))];
    const weeklyJobs = journal.filter((e) => e.pool === "weekly");
    const yearlyJobs = journal.filter((e) => e.pool === "yearly");
    expect(weeklyJobs.length).toBe(26 * 5);
    expect(weeklyJobs.every((e) => e.outcome === "ok")).toBe(true);
    // every Monday starts a set
    const mondays = weeklyJobs.filter((e) => e.weekday === "Mon");
    expect(mondays.length).toBe(26);
    expect(mondays.every((e) => e.newSet)).toBe(true);
    expect(weeklyJobs.filter((e) => e.newSet).length).toBe(26);
    // the weekly pool uses 8 tapes, the yearly pool 4, T13 and T14 stay free
    const used = (jobs: JournalEntry[]) => [...new Set(jobs.flatMap((e) => e.writes.map((w) => w.labelText)))].sort();
    expect(used(weeklyJobs)).toEqual(["T01", "T03", "T04", "T05", "T06", "T07", "T08", "T09"]);
    expect(used(yearlyJobs)).toEqual(["T02", "T10", "T11", "T12"]);
    expect(sim.tape("T13").setLabel).toBeUndefined();
    expect(sim.tape("T14").setLabel).toBeUndefined();
    // from week 5 on, each Monday reuses the seq 0 tape and each Thursday the seq 1 tape of the set of 4 weeks before
    for (let w = 4; w < 26; w++) {
      const week = weeklyJobs.slice(w * 5, w * 5 + 5);
      const before = weeklyJobs.slice((w - 4) * 5, (w - 4) * 5 + 5);
      const seq0 = before[0]?.writes[0]?.labelText;
      const seq1 = before[3]?.writes[1]?.labelText;
      expect(week.map((e) => e.reused)).toEqual([[seq0], [], [], [seq1], []]);
      expect(week[0]?.time! - before[0]?.time!).toBe(4 * WEEK);
    }
    // yearly: new set on the first job after 1 January only; nothing ever expires or is reused
    expect(yearlyJobs.map(line)).toEqual([
      "2026-12-01 Tue yearly: new(no-current-set) T02#0+600 yearly-2026",
      "2027-01-01 Fri yearly: new(allocation-event) T10#0+600 yearly-2027",
      "2027-02-01 Mon yearly: T10#0+400! T11#1+200 yearly-2027",
      "2027-03-01 Mon yearly: T11#1+600 yearly-2027",
      "2027-04-01 Thu yearly: T11#1+200! T12#2+400 yearly-2027",
      "2027-05-01 Sat yearly: T12#2+600! yearly-2027",
    ]);
    expect(yearlyJobs.flatMap((e) => [...e.expired, ...e.reused])).toEqual([]);
    for (const label of ["T02", "T10", "T11", "T12"]) expect(mediaExpireTime(yearly, sim.tape(label), sim.media)).toBeNull();
  });

  it("expiry: set start + next event + 3 weeks for the newest set; the next set's start + 3 weeks once one exists", () => {
    // newest weekly set started Monday 2027-05-24 21:00 with T04: no newer set yet
    expect(sim.tape("T04").setLabel?.ctime).toBe(at("2027-05-24T21:00:00Z"));
    expect(mediaExpireTime(weekly, sim.tape("T04"), sim.media)).toBe(at("2027-05-31T00:00:00Z") + 3 * WEEK);
    // the set before it (2027-05-17, T01/T03) expires 3 weeks after the newest set's start
    expect(sim.tape("T01").setLabel?.ctime).toBe(at("2027-05-17T21:00:00Z"));
    expect(mediaExpireTime(weekly, sim.tape("T01"), sim.media)).toBe(at("2027-05-24T21:00:00Z") + 3 * WEEK);
    expect(mediaExpireTime(weekly, sim.tape("T03"), sim.media)).toBe(at("2027-05-24T21:00:00Z") + 3 * WEEK);
  });
});
