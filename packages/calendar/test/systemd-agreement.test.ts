/**
 * Agreement with systemd: a seeded set of expressions in the grammar PBS shares with
 * systemd.time is run through `systemd-analyze calendar` (UTC and two zones with
 * daylight saving time, base times next to the clock changes) and through this
 * package; normalized forms and the next occurrences must match exactly.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { computeNextEvents, normalizeCalendarEvent, parseCalendarEvent } from "@tapefleet/calendar";

const ITERATIONS = 8;
const SEED = 20_260_329;
const EXPRESSION_COUNT = 600;
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"] as const;

/** Base times: next to the 2026 and 2027 clock changes of both zones, and some ordinary ones. */
const DST_BASES = [
  "2026-03-29T00:30:00Z", // Berlin, 30 min before 02:00 CET becomes 03:00 CEST
  "2026-03-29T00:59:59Z",
  "2026-10-24T23:50:00Z", // Berlin, 01:50 CEST before 03:00 CEST becomes 02:00 CET
  "2026-10-25T00:30:00Z", // Berlin, inside the first pass of the repeated hour
  "2026-10-25T01:10:00Z", // Berlin, inside the second pass
  "2026-03-08T06:30:00Z", // New York, 01:30 EST before 02:00 EST becomes 03:00 EDT
  "2026-11-01T05:10:00Z", // New York, 01:10 EDT, first pass of the repeated hour
  "2026-11-01T06:10:00Z", // New York, 01:10 EST, second pass
  "2027-03-27T23:00:00Z", // Berlin 2027 (a Saturday evening before the change)
  "2027-11-06T12:00:00Z", // New York 2027
  "2026-04-04T15:30:00Z", // Sydney, 02:30 AEDT before 03:00 AEDT becomes 02:00 AEST
  "2026-04-04T16:20:00Z", // Sydney, 02:20 AEST, second pass
  "2026-10-03T15:30:00Z", // Sydney, 01:30 AEST before 02:00 AEST becomes 03:00 AEDT
].map((iso) => Date.parse(iso) / 1000);

/** Hand-written expressions that fire in the hours the clock skips or repeats. */
const DST_EXPRESSIONS = [
  "*-*-* 02:30:00",
  "*-*-* 01:30:00",
  "*-*-* 2:*:0",
  "*:0/20",
  "*:30:0/10",
  "*:*:0",
  "Sun *-*-* 1,2,3:15",
  "Sun *-*-* 0..4:0/30",
  "*-*-* 1..3:0,30:0,30",
  "*-03,10,11-* 02:00:00",
  "Sat..Sun 2:59:59",
  "*-*-* 3:0",
  "daily",
  "hourly",
  "minutely",
];

/** mulberry32: small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function generator(seed: number): () => string {
  const rnd = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const chance = (p: number): boolean => rnd() < p;
  const num = (v: number, width: number): string => (chance(0.5) ? String(v).padStart(width, "0") : String(v));

  /** A value list systemd accepts: start + repeat must stay within the range or field. */
  const list = (min: number, max: number, width: number, star: number, favour: readonly number[] = []): string => {
    if (chance(star)) return "*";
    const value = (lo: number, hi: number): number => {
      const near = favour.filter((f) => f >= lo && f <= hi);
      return near.length > 0 && chance(0.5) ? pick(near) : int(lo, hi);
    };
    const items: string[] = [];
    for (let n = int(1, 3); n > 0; n--) {
      const kind = rnd();
      if (kind < 0.5) {
        items.push(num(value(min, max), width));
      } else if (kind < 0.7) {
        const a = value(min, max - 1);
        items.push(`${num(a, width)}..${num(int(a + 1, max), width)}`);
      } else if (kind < 0.9) {
        const a = value(min, max - 1);
        items.push(`${num(a, width)}/${int(1, max - a)}`);
      } else {
        const a = value(min, max - 2);
        const b = int(a + 2, max);
        items.push(`${num(a, width)}..${num(b, width)}/${int(1, b - a)}`);
      }
    }
    return items.join(",");
  };

  const names = [
    ["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
    ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"],
  ] as const;
  const dayName = (d: number): string => {
    const pair = names[d] as readonly [string, string];
    const word = chance(0.7) ? pair[0] : pair[1];
    return pick([word, word.toUpperCase(), word[0]?.toUpperCase() + word.slice(1)]);
  };
  const weekdays = (): string => {
    const items: string[] = [];
    for (let n = int(1, 3); n > 0; n--) {
      if (chance(0.6)) items.push(dayName(int(0, 6)));
      else {
        const a = int(0, 5);
        items.push(`${dayName(a)}..${dayName(int(a + 1, 6))}`);
      }
    }
    return items.join(",");
  };
  const keywords = ["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually", "semi-annually"];

  return () => {
    if (chance(0.04)) return pick(keywords) + (chance(0.3) ? " UTC" : "");
    const parts: string[] = [];
    if (chance(0.3)) parts.push(weekdays());
    if (chance(0.55)) {
      const month = list(1, 12, 2, 0.5, [3, 10, 11]);
      const day = list(1, 31, 2, 0.45, [1, 8, 25, 29, 31]);
      if (chance(0.35)) parts.push(`${list(2025, 2030, 4, 0.4)}-${month}-${day}`);
      else parts.push(`${month}-${day}`);
    }
    if (parts.length === 0 || chance(0.8)) {
      const hour = list(0, 23, 2, 0.3, [1, 2, 3]);
      const minute = list(0, 59, 2, 0.25, [0, 30, 59]);
      parts.push(chance(0.4) ? `${hour}:${minute}:${list(0, 59, 2, 0.3, [0, 59])}` : `${hour}:${minute}`);
    }
    return parts.join(" ") + (chance(0.12) ? " UTC" : "");
  };
}

interface SystemdResult {
  /** The "Normalized form" line. */
  readonly normalized: string;
  /** Epoch seconds of the next occurrences (empty for "never"). */
  readonly next: number[];
}

function ensureTool(command: string, debianPackage: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  if (found.status === 0) return;
  execFileSync("sh", ["-c", `apt-get install -y ${debianPackage} || (apt-get update && apt-get install -y ${debianPackage})`], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

function parseUtcStamp(line: string): number {
  const m = /(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) UTC$/.exec(line.trim());
  if (m === null) throw new Error(`no UTC timestamp in systemd-analyze line "${line}"`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
}

const FAILED_NEXT = /^Failed to determine next elapse for '(.*)': /;

/**
 * Runs one batch through `systemd-analyze calendar` and parses every block of its output.
 * An expression whose search systemd abandons ("Infinite loop in calendar calculation",
 * then "Failed to determine next elapse") prints no block; it maps to `undefined`.
 */
function runSystemd(zone: string, base: number, expressions: readonly string[], iterations = ITERATIONS): (SystemdResult | undefined)[] {
  const out = spawnSync(
    "systemd-analyze",
    ["calendar", "--no-pager", `--base-time=@${base}`, `--iterations=${iterations}`, ...expressions],
    { encoding: "utf8", env: { ...process.env, TZ: zone, LC_ALL: "C", SYSTEMD_COLORS: "0" }, maxBuffer: 64 * 1024 * 1024 },
  );
  const failed = new Set<string>();
  for (const line of out.stderr.split("\n")) {
    if (line.trim() === "" || line.startsWith("Infinite loop in calendar calculation")) continue;
    const m = FAILED_NEXT.exec(line);
    if (m === null) throw new Error(`systemd-analyze failed (status ${out.status}): ${out.stderr}`);
    failed.add(m[1] as string);
  }
  if (out.status !== 0 && failed.size === 0) throw new Error(`systemd-analyze failed (status ${out.status}): ${out.stderr}`);
  const lines = out.stdout.split("\n");
  const blocks: { normalized: string; next: number[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const normalized = /^\s*Normalized form: (.*)$/.exec(line);
    if (normalized !== null) {
      blocks.push({ normalized: normalized[1] as string, next: [] });
      continue;
    }
    const current = blocks[blocks.length - 1];
    const elapse = /^\s*(?:Next elapse|Iter\. #\d+): (.*)$/.exec(line);
    if (elapse === null || current === undefined) continue;
    if (elapse[1] === "never") continue;
    const following = lines[i + 1] ?? "";
    current.next.push(/^\s*\(in UTC\): /.test(following) ? parseUtcStamp(following) : parseUtcStamp(line));
  }
  const results = expressions.map((text) => (failed.has(text) ? undefined : blocks.shift()));
  if (blocks.length !== 0 || results.some((r, i) => r === undefined && !failed.has(expressions[i] as string))) {
    throw new Error(`systemd-analyze printed ${results.filter(Boolean).length + blocks.length} blocks for ${expressions.length - failed.size} expressions`);
  }
  return results;
}

/** For an expression systemd abandons: the occurrences it still finds with fewer iterations. */
function systemdPrefix(zone: string, base: number, text: string): number[] {
  for (let k = ITERATIONS - 1; k > 0; k--) {
    const [result] = runSystemd(zone, base, [text], k);
    if (result !== undefined) return result.next;
  }
  return [];
}

describe("agreement with systemd-analyze calendar", () => {
  beforeAll(() => {
    ensureTool("systemd-analyze", "systemd");
    if (!ZONES.every((zone) => existsSync(`/usr/share/zoneinfo/${zone}`))) {
      execFileSync("sh", ["-c", "apt-get install -y tzdata || (apt-get update && apt-get install -y tzdata)"], {
        stdio: "inherit",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    }
  });

  it("generates a deterministic expression set that both parsers accept", () => {
    const a = Array.from({ length: 50 }, generator(7));
    const b = Array.from({ length: 50 }, generator(7));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(45);
    for (const text of a) expect(() => parseCalendarEvent(text)).not.toThrow();
  });

  it(`matches ${ITERATIONS} next occurrences and the normalized form in ${ZONES.join(", ")}`, () => {
    const next = generator(SEED);
    const generated = Array.from({ length: EXPRESSION_COUNT }, next);
    const bases = DST_BASES.concat([prng(99)].flatMap((r) => Array.from({ length: 4 }, () => 1_735_689_600 + Math.floor(r() * 5 * 365 * 86_400))));

    let expressionsCompared = 0;
    let occurrencesCompared = 0;
    let nevers = 0;
    let abandoned = 0;
    const mismatches: string[] = [];
    for (const zone of ZONES) {
      for (const base of bases) {
        // Every generated expression runs at every base time in every zone.
        const batch = generated.concat(DST_EXPRESSIONS);
        const expected = runSystemd(zone, base, batch);
        for (const [i, text] of batch.entries()) {
          const ev = parseCalendarEvent(text);
          const got = computeNextEvents(ev, new Date(base * 1000), ITERATIONS, { timeZone: zone }).map((d) => d.getTime() / 1000);
          const normalized = normalizeCalendarEvent(ev);
          let want = expected[i];
          if (want === undefined) {
            // systemd gave up on a later occurrence: we must agree on every one it finds
            // and go on past the point where it stopped.
            abandoned++;
            const prefix = systemdPrefix(zone, base, text);
            if (got.length <= prefix.length) mismatches.push(`${zone} @${base} "${text}": systemd gives up after ${prefix.length}, we stop at ${got.length}`);
            want = { normalized, next: prefix };
            got.length = Math.min(got.length, prefix.length);
          }
          expressionsCompared++;
          occurrencesCompared += want.next.length;
          if (want.next.length === 0) nevers++;
          if (normalized !== want.normalized) {
            mismatches.push(`${zone} "${text}": normalized "${normalized}", systemd "${want.normalized}"`);
          }
          if (JSON.stringify(got) !== JSON.stringify(want.next)) {
            const fmt = (xs: number[]): string => xs.map((x) => new Date(x * 1000).toISOString()).join(" ");
            mismatches.push(`${zone} @${base} "${text}":\n  ours    ${fmt(got)}\n  systemd ${fmt(want.next)}`);
          }
        }
      }
    }
    const expressions = EXPRESSION_COUNT + DST_EXPRESSIONS.length;
    console.log(
      `systemd agreement: ${expressions} expressions (${EXPRESSION_COUNT} generated, seed ${SEED}, + ${DST_EXPRESSIONS.length} DST cases) ` +
        `× ${ITERATIONS} iterations × ${ZONES.length} zones (${ZONES.join(", ")}) × ${bases.length} base times = ` +
        `${expressionsCompared} expression runs, ${occurrencesCompared} occurrences and ${expressionsCompared} normalized forms compared; ` +
        `${nevers} "never", ${abandoned} runs where systemd gives up (compared up to there), ${mismatches.length} mismatches`,
    );
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(expressionsCompared).toBeGreaterThanOrEqual(EXPRESSION_COUNT * ZONES.length * bases.length);
  });
});
