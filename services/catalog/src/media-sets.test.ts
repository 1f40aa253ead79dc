import { describe, expect, it } from "vitest";
import { ValidationError } from "@tapefleet/common";
import { parseListMediaSets } from "./media-sets.ts";

describe("parseListMediaSets", () => {
  it("accepts no payload, an empty object and a valid pool", () => {
    expect(parseListMediaSets(undefined)).toEqual({});
    expect(parseListMediaSets({})).toEqual({});
    expect(parseListMediaSets({ pool: "daily" })).toEqual({ pool: "daily" });
  });

  it("rejects a bad pool name naming the field", () => {
    for (const bad of [{ pool: "-x" }, { pool: 7 }, { pool: "a" }]) {
      const err = (() => {
        try {
          parseListMediaSets(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).fields?.[0]?.field).toBe("pool");
    }
  });

  it("rejects a payload that is not an object", () => {
    expect(() => parseListMediaSets([1])).toThrow(ValidationError);
    expect(() => parseListMediaSets("daily")).toThrow(ValidationError);
  });
});
