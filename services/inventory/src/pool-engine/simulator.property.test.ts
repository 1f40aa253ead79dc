/**
 * Random libraries, pools and job sequences: whatever the engine decides, the invariants
 * of §6.3–6.7 hold, and the same inputs always give the same journal.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mediumPool } from "./inventory-index.ts";
import { listMediaSets } from "./media-set.ts";
import { isLocationAvailable } from "./media-status.ts";
import { type JournalEntry, Simulator } from "./simulator.ts";
import type { MediaLocation, Medium, PoolConfig } from "./types.ts";
import { at } from "./test-media.ts";

const ALLOCATIONS = ["continue", "always", "mon", "daily", "sat 18:15", "*-01"];
const RETENTIONS = ["keep", "overwrite", "1d", "2 weeks"];
const LOCATIONS: MediaLocation[] = [
  { kind: "online", changer: "lib1" },
  { kind: "online", changer: "lib1" },
  { kind: "online", changer: "lib1" },
  { kind: "online", changer: "lib2" },
  { kind: "offline" },
  { kind: "vault", name: "v" },
];

type Step =
  | { kind: "job"; pool: number; bytes: number; hours: number; force: boolean }
  | { kind: "move"; tape: number; location: number }
  | { kind: "status"; tape: number; status: "damaged" | "full" | undefined };

const scenario = fc.record({
  pools: fc.array(fc.record({ allocation: fc.constantFrom(...ALLOCATIONS), retention: fc.constantFrom(...RETENTIONS) }), {
    minLength: 1,
    maxLength: 3,
  }),
  tapes: fc.array(fc.record({ location: fc.nat(LOCATIONS.length - 1), pool: fc.option(fc.nat(2), { nil: undefined }), ctime: fc.nat(3) }), {
    minLength: 2,
    maxLength: 12,
  }),
  steps: fc.array(
    fc.oneof(
      { weight: 8, arbitrary: fc.record({ kind: fc.constant("job" as const), pool: fc.nat(2), bytes: fc.nat(2500), hours: fc.integer({ min: 1, max: 100 }), force: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("move" as const), tape: fc.nat(11), location: fc.nat(LOCATIONS.length - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("status" as const), tape: fc.nat(11), status: fc.constantFrom("damaged" as const, "full" as const, undefined) }) },
    ),
    { minLength: 1, maxLength: 40 },
  ),
});

type Scenario = { pools: { allocation: string; retention: string }[]; tapes: { location: number; pool?: number; ctime: number }[]; steps: Step[] };

function run(sc: Scenario, check: (e: JournalEntry, before: readonly Medium[], after: readonly Medium[], pool: PoolConfig) => void): JournalEntry[] {
  const start = at("2026-11-30T00:00:00Z");
  const pools: PoolConfig[] = sc.pools.map((p, i) => ({ name: `pool${i}`, ...p }));
  const sim = new Simulator({
    pools,
    tapes: sc.tapes.map((t, i) => ({
      labelText: `T${String(i).padStart(2, "0")}`,
      labelCtime: start - 86_400 + t.ctime,
      location: LOCATIONS[t.location] as MediaLocation,
      ...(t.pool === undefined || t.pool >= pools.length ? {} : { pool: `pool${t.pool}` }),
    })),
    start,
    capacity: 1000,
  });
  let now = start;
  for (const step of sc.steps) {
    if (step.kind === "job") {
      const pool = pools[step.pool % pools.length] as PoolConfig;
      now += step.hours * 3600;
      const before = sim.media;
      const e = sim.runJob(pool.name, now, { bytes: step.bytes, forceMediaSet: step.force });
      check(e, before, sim.media, pool);
    } else {
      const label = `T${String(step.tape % sc.tapes.length).padStart(2, "0")}`;
      if (step.kind === "move") sim.moveTape(label, LOCATIONS[step.location] as MediaLocation);
      else sim.setStatus(label, step.status);
    }
  }
  return [...sim.journal];
}

describe("engine invariants over random simulations", () => {
  it("hold for every job", () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        run(sc as Scenario, (e, before, after, pool) => {
          const byLabel = (media: readonly Medium[], l: string) => media.find((m) => m.label.labelText === l) as Medium;
          // written tapes were available to the job's drive, and written in sequence
          e.writes.forEach((w, i) => {
            expect(isLocationAvailable(byLabel(before, w.labelText), "lib1")).toBe(true);
            if (i > 0) expect(w.seqNr).toBe((e.writes[i - 1]?.seqNr ?? -1) + 1);
            if (i < e.writes.length - 1) expect(w.full).toBe(true);
          });
          // a tape only moves from no pool into this pool, never between pools
          for (const m of after) {
            const old = mediumPool(byLabel(before, m.label.labelText));
            if (old !== null) expect(mediumPool(m)).toBe(old);
            else if (mediumPool(m) !== null) expect(mediumPool(m)).toBe(pool.name);
          }
          // only expired tapes are reused; keep pools never reuse
          const reusedWrites = e.writes.filter((w) => w.source === "expired");
          expect(reusedWrites.map((w) => w.labelText)).toEqual(e.reused);
          for (const w of reusedWrites) expect(w.expiredAt).toBeLessThanOrEqual(e.time);
          if ((pool.retention ?? "keep") === "keep") expect(e.reused).toEqual([]);
          if (e.outcome === "ok") {
            const set = listMediaSets(pool, after).find((x) => x.uuid === e.setUuid);
            // the written set is complete: no hole, no duplicate
            expect(set?.duplicates).toEqual([]);
            expect(set?.members.every((x) => x !== null)).toBe(true);
            expect(e.writes.length).toBeGreaterThan(0);
          } else {
            expect(e.error?.code).toBe("NO_USABLE_MEDIA");
          }
        });
      }),
      { numRuns: 150, seed: 4242 },
    );
  });

  it("are deterministic: the same scenario gives the same journal", () => {
    fc.assert(
      fc.property(scenario, (sc) => {
        expect(run(sc as Scenario, () => {})).toEqual(run(sc as Scenario, () => {}));
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});
