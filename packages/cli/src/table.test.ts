import { describe, expect, it } from "vitest";
import { cellText, displayWidth, renderKeyValue, renderTable } from "./table.ts";

describe("renderTable", () => {
  it("draws a PBS-style box with a header rule and rules between rows", () => {
    const out = renderTable(
      [{ key: "name" }, { key: "drive" }, { key: "retention" }],
      [
        { name: "daily", drive: "drv1", retention: "7days" },
        { name: "weekly-long", retention: "keep" },
      ],
    );
    expect(out).toBe(
      [
        "┌─────────────┬───────┬───────────┐",
        "│ name        │ drive │ retention │",
        "╞═════════════╪═══════╪═══════════╡",
        "│ daily       │ drv1  │ 7days     │",
        "├─────────────┼───────┼───────────┤",
        "│ weekly-long │       │ keep      │",
        "└─────────────┴───────┴───────────┘",
        "",
      ].join("\n"),
    );
  });

  it("prints only the header for an empty list", () => {
    expect(renderTable([{ key: "id" }], [])).toBe(["┌────┐", "│ id │", "╞════╡", "└────┘", ""].join("\n"));
  });

  it("renders lists, booleans, numbers and hides control characters", () => {
    expect(cellText([1, 2, 3])).toBe("1,2,3");
    expect(cellText(true)).toBe("true");
    expect(cellText(0)).toBe("0");
    expect(cellText(undefined)).toBe("");
    expect(cellText("a\nb\tc")).toBe("a b c");
  });

  it("pads by display width (wide characters take two columns)", () => {
    expect(displayWidth("テープ")).toBe(6);
    expect(displayWidth("e\u0301")).toBe(1);
    const out = renderTable([{ key: "c" }], [{ c: "テープ" }, { c: "ab" }]).split("\n");
    expect(out[3]).toBe("│ テープ │");
    expect(out[5]).toBe("│ ab     │");
  });
});

describe("renderKeyValue", () => {
  it("prints a Name/Value table in the given key order, skipping absent fields", () => {
    const out = renderKeyValue({ retention: "7days", name: "daily", drive: undefined, comment: "x" }, ["name", "drive", "retention"]);
    expect(out).toBe(
      [
        "┌───────────┬───────┐",
        "│ Name      │ Value │",
        "╞═══════════╪═══════╡",
        "│ name      │ daily │",
        "├───────────┼───────┤",
        "│ retention │ 7days │",
        "├───────────┼───────┤",
        "│ comment   │ x     │",
        "└───────────┴───────┘",
        "",
      ].join("\n"),
    );
  });
});
