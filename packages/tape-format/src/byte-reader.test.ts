import { describe, expect, it } from "vitest";
import { ByteReader } from "./byte-reader.ts";

/** 1..n as bytes, cut into pieces of the given lengths. */
function piecesOf(lengths: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let next = 1;
  for (const n of lengths) {
    out.push(Uint8Array.from({ length: n }, () => next++));
  }
  return out;
}

describe("ByteReader.readInto", () => {
  it("fills `out` across several input pieces and advances the position", async () => {
    const r = new ByteReader(piecesOf([3, 2, 4, 1]));
    const out = new Uint8Array(7);
    expect(await r.readInto(out)).toBe(7);
    expect([...out]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(r.position).toBe(7);
    // the rest of the split piece is not lost: the next read starts at byte 8
    expect([...(await r.readExact(2, "next"))]).toEqual([8, 9]);
    expect(r.position).toBe(9);
  });

  it("returns fewer bytes at the end of the stream, then 0", async () => {
    const r = new ByteReader(piecesOf([4, 3]));
    const out = new Uint8Array(5).fill(0xee);
    expect(await r.readInto(out)).toBe(5);
    const tail = new Uint8Array(5).fill(0xee);
    expect(await r.readInto(tail)).toBe(2);
    expect([...tail]).toEqual([6, 7, 0xee, 0xee, 0xee]);
    expect(r.position).toBe(7);
    expect(await r.readInto(tail)).toBe(0);
    expect(r.position).toBe(7);
    expect(await r.atEof()).toBe(true);
  });

  it("an empty `out` reads nothing and leaves the position alone", async () => {
    const r = new ByteReader(piecesOf([3]));
    expect(await r.readInto(new Uint8Array(0))).toBe(0);
    expect(r.position).toBe(0);
    expect([...(await r.readExact(3, "all"))]).toEqual([1, 2, 3]);
  });

  it("`out` never aliases an input piece: changing the pieces afterwards leaves it as read", async () => {
    // within one piece (where readUpTo would hand out a view) and across pieces, plain and Buffer pieces
    const pieces = [Buffer.from([10, 11, 12, 13, 14, 15]), Uint8Array.from([16, 17]), Buffer.from([18, 19, 20])];
    const r = new ByteReader(pieces);
    const a = new Uint8Array(3);
    const b = new Uint8Array(6);
    expect(await r.readInto(a)).toBe(3);
    expect(await r.readInto(b)).toBe(6);
    expect(a.buffer).not.toBe(pieces[0]!.buffer);
    for (const p of pieces) p.fill(0);
    expect([...a]).toEqual([10, 11, 12]);
    expect([...b]).toEqual([13, 14, 15, 16, 17, 18]);
    expect(r.position).toBe(9);
  });

  it("reads from a single buffer, an async iterable and a read() source alike", async () => {
    const whole = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
    const inputs = [
      () => new ByteReader(whole.slice()),
      () =>
        new ByteReader(
          (async function* () {
            yield whole.slice(0, 4);
            yield new Uint8Array(0);
            yield whole.slice(4);
          })(),
        ),
      () => {
        const parts = [whole.slice(0, 1), whole.slice(1, 9), whole.slice(9)];
        return new ByteReader({ read: async () => parts.shift() ?? null });
      },
    ];
    for (const make of inputs) {
      const r = make();
      const out = new Uint8Array(6);
      expect(await r.readInto(out)).toBe(6);
      expect([...out]).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await r.readInto(out)).toBe(4);
      expect([...out.subarray(0, 4)]).toEqual([7, 8, 9, 10]);
      expect(r.position).toBe(10);
    }
  });
});
