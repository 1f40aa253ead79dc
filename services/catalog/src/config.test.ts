import { describe, expect, it } from "vitest";
import { DEFAULT_INGEST_ACK_WAIT_SECONDS, DEFAULT_INGEST_BATCH, loadCatalogConfig } from "./config.ts";

const DB = { TAPEFLEET_DATABASE_URL: "postgres://u@127.0.0.1:5432/db" };

describe("catalog configuration", () => {
  it("has ingest defaults and reads them from the environment", () => {
    expect(loadCatalogConfig({ env: DB })).toMatchObject({ ingestBatch: DEFAULT_INGEST_BATCH, ingestAckWaitSeconds: DEFAULT_INGEST_ACK_WAIT_SECONDS });
    expect(loadCatalogConfig({ env: { ...DB, TAPEFLEET_INGEST_BATCH: "32", TAPEFLEET_INGEST_ACK_WAIT_SECONDS: "120" } })).toMatchObject({ ingestBatch: 32, ingestAckWaitSeconds: 120 });
  });

  it("rejects out-of-range ingest settings naming the variable", () => {
    expect(() => loadCatalogConfig({ env: { ...DB, TAPEFLEET_INGEST_BATCH: "0" } })).toThrow(/TAPEFLEET_INGEST_BATCH/);
    expect(() => loadCatalogConfig({ env: { ...DB, TAPEFLEET_INGEST_BATCH: "5000" } })).toThrow(/TAPEFLEET_INGEST_BATCH/);
    expect(() => loadCatalogConfig({ env: { ...DB, TAPEFLEET_INGEST_ACK_WAIT_SECONDS: "1" } })).toThrow(/TAPEFLEET_INGEST_ACK_WAIT_SECONDS/);
    expect(() => loadCatalogConfig({ env: { TAPEFLEET_DATABASE_URL: "mysql://x" } })).toThrow(/TAPEFLEET_DATABASE_URL/);
  });
});
