import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TimeSpanSyntaxError } from "./errors.ts";
import { SECONDS_PER_UNIT, type TimeSpan, formatTimeSpan, parseTimeSpan, timeSpanToSeconds } from "./time-span.ts";

function spanError(text: string): TimeSpanSyntaxError {
  try {
    parseTimeSpan(text);
  } catch (err) {
    expect(err).toBeInstanceOf(TimeSpanSyntaxError);
    return err as TimeSpanSyntaxError;
  }
  throw new Error(`"${text}" parsed`);
}

describe("parseTimeSpan", () => {
  it("parses the §10.2 examples", () => {
    expect(parseTimeSpan("2 weeks").seconds).toBe(14 * 86_400);
    expect(parseTimeSpan("2 weeks").weeks).toBe(2);
    expect(parseTimeSpan("7days").seconds).toBe(7 * 86_400);
    expect(parseTimeSpan("7days").days).toBe(7);
    const a = parseTimeSpan("1d 2h 3m");
    expect(a).toMatchObject({ days: 1, hours: 2, minutes: 3, seconds: 93_780 });
    expect(parseTimeSpan("26h 180s").seconds).toBe(a.seconds);
    expect(parseTimeSpan("1y").seconds).toBe(31_557_600);
    expect(parseTimeSpan("6M").seconds).toBe(6 * 2_630_016);
  });

  it("treats M as months and m as minutes", () => {
    expect(parseTimeSpan("1M")).toMatchObject({ months: 1, minutes: 0, seconds: 2_630_016 });
    expect(parseTimeSpan("1m")).toMatchObject({ months: 0, minutes: 1, seconds: 60 });
    expect(SECONDS_PER_UNIT.months).toBe(2_630_016);
    expect(SECONDS_PER_UNIT.years).toBe(31_557_600);
  });

  it("accepts every unit name", () => {
    const cases: [string, Partial<TimeSpan>][] = [
      ["1s 1sec 1second 1seconds", { sec: 4 }],
      ["1ms 1msec", { msec: 2 }],
      ["1us 1usec 1µs", { usec: 3 }],
      ["1ns 1nsec", { nsec: 2 }],
      ["1m 1min 1minute 1minutes", { minutes: 4 }],
      ["1h 1hr 1hour 1hours", { hours: 4 }],
      ["1d 1day 1days", { days: 3 }],
      ["1w 1week 1weeks", { weeks: 3 }],
      ["1M 1month 1months", { months: 3 }],
      ["1y 1year 1years", { years: 3 }],
    ];
    for (const [text, expected] of cases) expect(parseTimeSpan(text)).toMatchObject(expected);
  });

  it("takes a number without a unit as seconds, and adds repeated parts", () => {
    expect(parseTimeSpan("90")).toMatchObject({ sec: 90, seconds: 90 });
    expect(parseTimeSpan("1h 30 1h")).toMatchObject({ hours: 2, sec: 30, seconds: 7_230 });
    expect(parseTimeSpan("  3 h   ").seconds).toBe(10_800);
    expect(parseTimeSpan("1500ms").seconds).toBeCloseTo(1.5, 12);
  });

  it("rejects bad input with a message naming the problem", () => {
    expect(spanError("7dayz").message).toBe('invalid time span unit "dayz" at 1');
    expect(spanError("7dayz").code).toBe("TIMESPAN_SYNTAX");
    expect(spanError("7dayz").position).toBe(1);
    expect(spanError("").message).toBe("empty time span at 0");
    expect(spanError("   ").message).toBe("empty time span at 0");
    expect(spanError("h").message).toBe('expected a number but found "h" at 0');
    expect(spanError("1H").message).toBe('invalid time span unit "H" at 1');
    expect(spanError("1.5h").message).toBe('unexpected "." in time span at 1');
    expect(spanError("-1d").message).toBe('expected a number but found "-1d" at 0');
    expect(spanError("1d,2h").message).toBe('expected a number but found ",2h" at 2');
    expect(spanError("99999999999999999999s").message).toBe("number 99999999999999999999 is too large at 0");
  });

  it("never throws anything but TimeSpanSyntaxError (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        try {
          expect(parseTimeSpan(text).seconds).toBeGreaterThanOrEqual(0);
        } catch (err) {
          expect(err).toBeInstanceOf(TimeSpanSyntaxError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("formatTimeSpan / timeSpanToSeconds", () => {
  it("formats components largest first and skips zeros", () => {
    expect(formatTimeSpan(parseTimeSpan("3m 1y 2h 6M"))).toBe("1y 6M 2h 3m");
    expect(formatTimeSpan(parseTimeSpan("0s"))).toBe("0s");
    expect(formatTimeSpan(parseTimeSpan("1w 2d 3s 4ms 5us 6ns"))).toBe("1w 2d 3s 4ms 5us 6ns");
  });

  it("round-trips through parseTimeSpan and keeps the total (property)", () => {
    const component = fc.nat({ max: 1000 });
    fc.assert(
      fc.property(
        fc.record({
          years: component, months: component, weeks: component, days: component, hours: component,
          minutes: component, sec: component, msec: component, usec: component, nsec: component,
        }),
        (parts) => {
          const text = formatTimeSpan(parts);
          const back = parseTimeSpan(text);
          expect({ ...back, seconds: undefined }).toEqual({ ...parts, seconds: undefined });
          expect(back.seconds).toBeCloseTo(timeSpanToSeconds(parts), 6);
        },
      ),
      { numRuns: 300 },
    );
  });
});
