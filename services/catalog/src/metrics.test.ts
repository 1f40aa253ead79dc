import { describe, expect, it } from "vitest";
import { Registry, type Bus } from "@tapefleet/common";
import { ingestLagSeconds, registerCatalogMetrics } from "./metrics.ts";

describe("ingestLagSeconds", () => {
  it("is the age of the oldest unacknowledged record in seconds", () => {
    expect(ingestLagSeconds({ pending: 3, oldestMs: 1_000 }, 4_500)).toBe(3.5);
  });
  it("is 0 when nothing waits, whatever the last record's time", () => {
    expect(ingestLagSeconds({ pending: 0, oldestMs: 1_000 }, 90_000)).toBe(0);
    expect(ingestLagSeconds({ pending: 2, oldestMs: null }, 90_000)).toBe(0);
  });
  it("never goes below 0 when the receive time is ahead of the local clock", () => {
    expect(ingestLagSeconds({ pending: 1, oldestMs: 5_000 }, 4_000)).toBe(0);
  });
});

describe("registerCatalogMetrics", () => {
  it("counts the ingest's results and reports an unknown lag (NaN) when NATS does not answer, without failing the scrape", async () => {
    const registry = new Registry();
    const bus = { streamName: (s: string) => s, nc: { jetstreamManager: () => Promise.reject(new Error("nats down")) } } as unknown as Bus;
    registerCatalogMetrics(registry, bus, { stats: { batches: 2, applied: 5, duplicate: 1, held: 2, parseMs: 0, applyMs: 0 } });
    const text = await registry.metrics();
    expect(text).toContain('tapefleet_catalog_records_total{result="applied"} 5');
    expect(text).toContain('tapefleet_catalog_records_total{result="duplicate"} 1');
    expect(text).toContain('tapefleet_catalog_records_total{result="held"} 2');
    // prom-client writes NaN as `Nan`; Prometheus reads it case-insensitively.
    expect(text).toMatch(/^tapefleet_catalog_ingest_lag_seconds nan$/im);
  });
});
