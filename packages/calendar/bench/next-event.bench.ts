/**
 * Throughput of the next-event search, printed as ratios to a baseline measured in
 * the same run (the same expressions evaluated in UTC), plus absolute figures.
 * Run: npm run bench -w @tapefleet/calendar
 */
import { computeNextEvents, parseCalendarEvent, parseTimeSpan } from "@tapefleet/calendar";

const EXPRESSIONS = ["daily", "mon..fri 02:00", "*:0/15", "sat *-1..7 15:00", "*-02-29", "4/6-8", "*:*:*", "12,14,16,18,20,22:5"];
const FROM = new Date("2026-03-01T00:00:00Z");
const COUNT = 20;

function measure(label: string, rounds: number, fn: () => void): number {
  fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) fn();
  const ns = Number(process.hrtime.bigint() - start) / rounds;
  console.log(`${label.padEnd(34)} ${(ns / 1000).toFixed(1).padStart(9)} µs/round`);
  return ns;
}

const events = EXPRESSIONS.map(parseCalendarEvent);
const run = (timeZone: string) => (): void => {
  for (const ev of events) computeNextEvents(ev, FROM, COUNT, { timeZone });
};

const baseline = measure(`UTC (${EXPRESSIONS.length} exprs × ${COUNT} next)`, 50, run("UTC"));
const berlin = measure("Europe/Berlin", 20, run("Europe/Berlin"));
const newYork = measure("America/New_York", 20, run("America/New_York"));
const parse = measure("parse (all expressions)", 2000, () => {
  for (const text of EXPRESSIONS) parseCalendarEvent(text);
});
const spans = measure("parseTimeSpan × 8", 2000, () => {
  for (const text of ["2 weeks", "7days", "1d 2h 3m", "26h 180s", "1y", "6M", "90", "1500ms"]) parseTimeSpan(text);
});
console.log(`ratio Europe/Berlin / UTC:    ${(berlin / baseline).toFixed(2)}`);
console.log(`ratio America/New_York / UTC: ${(newYork / baseline).toFixed(2)}`);
console.log(`ratio parse / UTC search:     ${(parse / baseline).toFixed(3)}`);
console.log(`ratio time spans / UTC search: ${(spans / baseline).toFixed(3)}`);
