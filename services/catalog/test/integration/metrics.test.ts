import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { archive, Harness, joined, labels, tape } from "./support.ts";

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await provisionTestEnv("catalogmetrics");
  h = new Harness(env);
  await h.start();
});
afterAll(async () => {
  await h?.stop();
  await env?.cleanup();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${h.catalog.service.healthUrl}/metrics`);
  expect(res.status, res.status === 200 ? "" : await res.clone().text()).toBe(200);
  return res.text();
}

/** Value of the first series `name{…labels…}` (or `name` without labels but the default ones). */
function sample(text: string, name: string, labels = ""): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    if (line.slice(name.length + 1, close).includes(labels)) return Number(line.slice(close + 2));
  }
  return undefined;
}

describe("catalog /metrics", () => {
  it("counts records by result and reports no lag once everything is ingested", async () => {
    const t = tape("M00000L9", "M", 0);
    const rec = archive(t, { fileNumber: 2, kind: "snapshot-archive", store: "store1", snapshot: "vm/100/2026-04-01T00:00:00Z" });
    await h.publishAndWait([joined(t, { mediaSetName: "daily-1" }), ...labels(t), rec]);
    // The same record again: a duplicate; a record of a tape outside any set: held.
    const stray = tape("M00009L9", "M9", 0);
    await h.publishAndWait([rec, archive(stray, { fileNumber: 2, kind: "snapshot-archive", store: "store1", snapshot: "vm/101/2026-04-01T00:00:00Z" })]);

    const text = await scrape();
    expect(text).toContain("# TYPE tapefleet_catalog_records_total counter");
    expect(sample(text, "tapefleet_catalog_records_total", 'result="applied"')).toBe(4);
    expect(sample(text, "tapefleet_catalog_records_total", 'result="duplicate"')).toBe(1);
    expect(sample(text, "tapefleet_catalog_records_total", 'result="held"')).toBe(1);
    expect(text).toContain("# TYPE tapefleet_catalog_ingest_lag_seconds gauge");
    expect(sample(text, "tapefleet_catalog_ingest_lag_seconds")).toBe(0);
  });

  it("reports the age of the oldest record waiting while the ingest does not consume", async () => {
    await h.catalog.ingest.stop();
    const t = tape("M00001L9", "M", 1);
    await h.publish([joined(t)]);
    // The record was received by JetStream before publish resolved: after 50 ms it is at least that old.
    await new Promise((r) => setTimeout(r, 50));
    const lag = sample(await scrape(), "tapefleet_catalog_ingest_lag_seconds");
    expect(lag).toBeGreaterThanOrEqual(0.05);
    expect(lag).toBeLessThan(3600);
  });
});
