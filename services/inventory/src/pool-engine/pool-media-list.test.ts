import { describe, expect, it } from "vitest";
import { listPoolMedia } from "./pool-media-list.ts";
import { at, s, tape } from "./test-media.ts";

const DAY = 86_400;
const mon = at("2026-11-30T21:00:00Z");
const pool = { name: "p", allocation: "mon", retention: "overwrite", template: "p-%F" };
const media = [
  tape("B", { set: ["p", s(2), 0, mon + 7 * DAY] }), // current set, writable last member
  tape("A", { set: ["p", s(1), 0, mon], status: "full" }),
  tape("E", { pool: "p" }),
  tape("X", { set: ["q", s(3), 0, mon] }), // another pool
  tape("F"), // free
];

describe("listPoolMedia", () => {
  it("lists the pool's media by label with status, expiry and set name", () => {
    const list = listPoolMedia(pool, media, mon + 8 * DAY);
    expect(list.map((v) => [v.medium.label.labelText, v.status, v.expireTime, v.expired, v.mediaSet?.name ?? null])).toEqual([
      ["A", "full", mon + 7 * DAY, true, "p-2026-11-30"],
      ["B", "writable", at("2026-12-14T00:00:00Z"), false, "p-2026-12-07"],
      ["E", "writable", null, false, null],
    ]);
    expect(list[1]?.mediaSet).toEqual({ uuid: s(2), seqNr: 0, name: "p-2026-12-07" });
  });

  it("shows the current set's last member as full (and expired) once a job now would start a new set", () => {
    const list = listPoolMedia(pool, media, at("2026-12-14T00:00:00Z"));
    expect(list.find((v) => v.medium.label.labelText === "B")).toMatchObject({ status: "full", expired: true });
  });

  it("takes an explicit current set", () => {
    const list = listPoolMedia(pool, media, at("2026-12-14T00:00:00Z"), { current: { uuid: s(2), members: ["m-B"] } });
    expect(list.find((v) => v.medium.label.labelText === "B")).toMatchObject({ status: "writable", expired: false });
  });

  it("renders set names in the given zone", () => {
    const list = listPoolMedia({ ...pool, template: "%F %H:%M" }, media, mon + 8 * DAY, { timeZone: "Asia/Tokyo" });
    expect(list[0]?.mediaSet?.name).toBe("2026-12-01 06:00");
  });
});
