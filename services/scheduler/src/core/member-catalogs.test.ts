import { describe, expect, it } from "vitest";
import type { CatalogMediaCatalogPage } from "@tapefleet/api-types";
import { memberCatalogsFor, type MemberCatalogPort } from "./member-catalogs.ts";

const SET = "66666666-7777-4888-8999-aaaaaaaaaaaa";
const uuid = (n: number) => `11111111-2222-4333-8444-${String(n).padStart(12, "0")}`;
const members = [0, 1, 2].map((seqNr) => ({ uuid: uuid(seqNr), seqNr, labelText: `TF000${seqNr}L9` }));

/** A catalog with pages of the bytes [seq, page] for each tape, `lastFile` per tape. */
function port(lastFile: Map<string, number>, opts: { pages?: number; set?: string } = {}): MemberCatalogPort & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async mediaCatalogPage(mediaUuid, after): Promise<CatalogMediaCatalogPage> {
      asked.push(`${mediaUuid}:${after ?? ""}`);
      const m = members.find((x) => x.uuid === mediaUuid);
      if (!m) throw new Error("tape in the catalog not found");
      const page = after === undefined ? 0 : Number(after);
      const next = page + 1 < (opts.pages ?? 3) ? String(page + 1) : undefined;
      return { mediaUuid, mediaSetUuid: opts.set ?? SET, seqNr: m.seqNr, data: Buffer.from([m.seqNr, page]).toString("base64"), ...(next ? { next } : {}) };
    },
    async catalogLastFile(mediaUuid) {
      lastFile.set(mediaUuid, (lastFile.get(mediaUuid) ?? 0) + 1);
      return lastFile.get(mediaUuid);
    },
  };
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const p of it) out.push([...p]);
  return out;
}

describe("catalogs of the earlier members for a write session", () => {
  it("streams the pages of every member before the tape, in seq nr order, after the catalog lists the files this job committed", async () => {
    const last = new Map<string, number>();
    const p = port(last);
    const got = await memberCatalogsFor(p, SET, [...members].reverse(), 2, { committed: new Map([[uuid(1), 4]]), pollMs: 1 });
    if ("missing" in got) throw new Error(got.missing);
    expect(got.catalogs.map((c) => [c.mediaUuid, c.seqNr])).toEqual([
      [uuid(0), 0],
      [uuid(1), 1],
    ]);
    // Member 1 was polled until the catalog listed file 4.
    expect(last.get(uuid(1))).toBe(4);
    expect(last.has(uuid(0))).toBe(false);
    // Only the first page of each is read up front; the others as they are sent.
    expect(p.asked).toEqual([`${uuid(0)}:`, `${uuid(1)}:`]);
    expect(await collect(got.catalogs[1]!.pieces)).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
  });

  it("gives none (with the reason) when a member is unknown, belongs to another set, or the catalog lags", async () => {
    const none = await memberCatalogsFor(port(new Map()), SET, members.slice(1), 2);
    expect(none).toEqual({ missing: `member 0 of media set ${SET} is not known` });
    const other = await memberCatalogsFor(port(new Map(), { set: "77777777-7777-4888-8999-aaaaaaaaaaaa" }), SET, members, 1);
    expect("missing" in other && other.missing).toMatch(/as member 0 of media set 77777777-.* not member 0 of 66666666-/);
    const lagging: MemberCatalogPort = { ...port(new Map()), catalogLastFile: async () => 2 };
    const lag = await memberCatalogsFor(lagging, SET, members, 1, { committed: new Map([[uuid(0), 9]]), waitMs: 20, pollMs: 5 });
    expect("missing" in lag && lag.missing).toBe("the catalog lists media 'TF0000L9' up to file 2, not yet file 9");
    expect(await memberCatalogsFor(port(new Map()), SET, members, 0)).toEqual({ catalogs: [] });
  });
});
