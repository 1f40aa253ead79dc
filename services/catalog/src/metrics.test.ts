import { describe, expect, it } from "vitest";
import { ingestLagSeconds } from "./metrics.ts";

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
