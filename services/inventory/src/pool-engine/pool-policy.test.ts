import { describe, expect, it } from "vitest";
import { PoolConfigError } from "./errors.ts";
import { MAX_EPOCH_SECONDS, checkTime, poolPolicy } from "./pool-policy.ts";

describe("poolPolicy (§6.1)", () => {
  it("applies PBS's defaults: continue, keep, %c, no encryption", () => {
    expect(poolPolicy({ name: "p" })).toEqual({
      name: "p",
      allocation: { kind: "continue" },
      retention: { kind: "keep" },
      template: "%c",
      encrypt: null,
    });
  });

  it("parses keywords, calendar events and time spans", () => {
    const p = poolPolicy({ name: "p", allocation: "mon..fri 21:00", retention: "2 weeks 1500ms", template: "%F", encrypt: "AB:CD" });
    expect(p.allocation).toMatchObject({ kind: "event", text: "mon..fri 21:00" });
    expect(p.retention).toEqual({ kind: "span", text: "2 weeks 1500ms", seconds: 2 * 604_800 + 1 });
    expect(p.encrypt).toBe("ab:cd");
    expect(poolPolicy({ name: "p", allocation: "always", retention: "overwrite" })).toMatchObject({
      allocation: { kind: "always" },
      retention: { kind: "overwrite" },
    });
  });

  it("parses a config object once", () => {
    const config = { name: "p", allocation: "daily" };
    expect(poolPolicy(config)).toBe(poolPolicy(config));
  });

  it("names the bad field with the parser's reason", () => {
    const err = (() => {
      try {
        poolPolicy({ name: "p", retention: "" });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(PoolConfigError);
    expect(err).toMatchObject({ code: "INVALID_POOL_CONFIG", pool: "p", field: "retention" });
    expect((err as Error).message).toBe("pool 'p': retention: must be 'keep', 'overwrite' or a time span: empty time span at 0");
    expect(() => poolPolicy({ name: "p", allocation: "sometimes" })).toThrow(/^pool 'p': allocation: must be 'continue', 'always' or a calendar event: /);
  });
});

describe("checkTime", () => {
  it("accepts integer epoch seconds within the Date range only", () => {
    expect(checkTime("now", -5)).toBe(-5);
    expect(checkTime("now", MAX_EPOCH_SECONDS)).toBe(MAX_EPOCH_SECONDS);
    expect(() => checkTime("now", MAX_EPOCH_SECONDS + 1)).toThrow(/^now: must be within/);
    expect(() => checkTime("now", Number.POSITIVE_INFINITY)).toThrow(/^now: must be an integer number of epoch seconds, got Infinity/);
    expect(() => checkTime("now", "1" as unknown as number)).toThrow(/^now: must be an integer/);
  });
});
