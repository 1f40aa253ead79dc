import { JOB_REASONS } from "@tapefleet/api-types";
import { TapefleetError } from "@tapefleet/common";
import { describe, expect, it } from "vitest";
import { requestNow } from "./job-handlers.ts";

describe("requestNow", () => {
  const clock = (allowClientClock: boolean) => ({ allowClientClock, system: () => 1_800_000_000 });

  it("uses the system clock when the request carries no time", () => {
    expect(requestNow(clock(false), {})).toBe(1_800_000_000);
    expect(requestNow(clock(true), {})).toBe(1_800_000_000);
  });

  it("uses the request's time only when client clocks are allowed", () => {
    expect(requestNow(clock(true), { now: 42 })).toBe(42);
    let err: unknown;
    try {
      requestNow(clock(false), { now: 42 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TapefleetError);
    expect((err as TapefleetError).code).toBe("VALIDATION");
    expect((err as TapefleetError).reason).toBe(JOB_REASONS.CLIENT_CLOCK_DISABLED);
    expect((err as TapefleetError).message).toMatch(/TAPEFLEET_ALLOW_CLIENT_CLOCK=1/);
  });
});
