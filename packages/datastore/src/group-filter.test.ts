import { describe, expect, it } from "vitest";
import { applyGroupFilters, formatGroupFilter, parseGroupFilter } from "./group-filter.ts";
import type { BackupType } from "./names.ts";
import { expectCode } from "./test-support.ts";

const g = (type: BackupType, id: string) => ({ type, id });

describe("group filters", () => {
  it("parses the PBS forms and formats them back", () => {
    for (const text of ["type:vm", "group:ct/200", "regex:^vm/1\\d\\d$", "exclude:type:host", "exclude:group:vm/100", "exclude:regex:test"]) {
      expect(formatGroupFilter(parseGroupFilter(text))).toBe(text);
    }
    expect(parseGroupFilter("include:type:ct")).toEqual({ exclude: false, kind: "type", type: "ct" });
  });

  it("rejects malformed filters", async () => {
    for (const bad of ["vm", "type:qemu", "group:vm", "group:vm/../x", "regex:(", "exclude:", "Type:vm", "include:exclude:type:vm"]) {
      const e = await expectCode(() => parseGroupFilter(bad), "invalid-filter");
      expect(e.message).toContain(bad);
    }
  });

  it("includes everything without filters", () => {
    expect(applyGroupFilters(g("vm", "1"), [])).toBe(true);
  });

  it("selects groups matching any include filter and no exclude filter", () => {
    const f = ["type:vm", "group:ct/200", "exclude:regex:^vm/9", "exclude:group:vm/150"].map(parseGroupFilter);
    const table: [BackupType, string, boolean][] = [
      ["vm", "100", true],
      ["vm", "150", false],
      ["vm", "900", false],
      ["ct", "200", true],
      ["ct", "201", false],
      ["host", "x", false],
    ];
    for (const [type, id, want] of table) expect(applyGroupFilters(g(type, id), f), `${type}/${id}`).toBe(want);
  });

  it("with only exclude filters, keeps the rest", () => {
    const f = [parseGroupFilter("exclude:type:host")];
    expect(applyGroupFilters(g("vm", "1"), f)).toBe(true);
    expect(applyGroupFilters(g("host", "a"), f)).toBe(false);
  });

  it("matches the regex unanchored against type/id", () => {
    const f = [parseGroupFilter("regex:/10")];
    expect(applyGroupFilters(g("vm", "100"), f)).toBe(true);
    expect(applyGroupFilters(g("ct", "210"), f)).toBe(false);
  });
});
