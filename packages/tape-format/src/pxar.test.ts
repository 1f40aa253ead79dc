import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader } from "./byte-reader.ts";
import {
  PXAR_ROOT_MODE,
  PxarDecoder,
  PxarWriter,
  S_IFREG,
  arrangeGoodbyeItems,
  goodbyePermutation,
  isGoodbyeBst,
  pxarFilenameHash,
  type PxarEntry,
  type PxarStat,
} from "./pxar.ts";
import { sipHash24 } from "./siphash.ts";
import { catchTapeError, collect, flip } from "./test-support.ts";

const FILE_STAT: PxarStat = { mode: S_IFREG | 0o644, flags: 0, uid: 34, gid: 34, mtimeSecs: 1700000000, mtimeNanos: 123 };

async function buildPxar(files: Array<[string, Uint8Array]>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const w = new PxarWriter(async (b) => {
    parts.push(b.slice());
  });
  for (const [name, data] of files) await w.addFile(name, FILE_STAT, data.length, [data]);
  await w.finish();
  return Uint8Array.from(Buffer.concat(parts));
}

async function decodeAll(bytes: Uint8Array): Promise<Array<{ entry: PxarEntry; data?: Uint8Array }>> {
  const d = new PxarDecoder(new ByteReader(bytes));
  const out: Array<{ entry: PxarEntry; data?: Uint8Array }> = [];
  for await (const e of d) out.push(e.kind === "file" ? { entry: e, data: await collect(e.payload) } : { entry: e });
  return out;
}

function u64(n: bigint | number): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b.toString("hex");
}

describe("SipHash-2-4", () => {
  const k0 = 0x0706050403020100n;
  const k1 = 0x0f0e0d0c0b0a0908n;
  it("matches the paper's test vector (key 00..0f, message 00..0e)", () => {
    expect(sipHash24(k0, k1, Uint8Array.from({ length: 15 }, (_, i) => i))).toBe(0xa129ca6149be45e5n);
  });
  it("matches the reference implementation's vectors for lengths 0, 1, 7, 8", () => {
    const msg = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
    expect(sipHash24(k0, k1, msg(0))).toBe(0x726fdb47dd0e0e31n);
    expect(sipHash24(k0, k1, msg(1))).toBe(0x74f839c593dc67fdn);
    expect(sipHash24(k0, k1, msg(7))).toBe(0xab0200f58b01d137n);
    expect(sipHash24(k0, k1, msg(8))).toBe(0x93f5f5799a932462n);
  });
});

describe("goodbye table order", () => {
  it.each([
    [1, [0]],
    [2, [1, 0]],
    [3, [1, 0, 2]],
    [4, [2, 1, 3, 0]],
    [5, [3, 1, 4, 0, 2]],
    [8, [4, 2, 6, 1, 3, 5, 7, 0]],
  ])("n=%i gives %j", (n, perm) => {
    expect(goodbyePermutation(n)).toEqual(perm);
  });

  it("property: the permutation is a bijection and arranged items form a BST over the sorted hashes", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 0, maxLength: 200 }), (hashes) => {
        const perm = goodbyePermutation(hashes.length);
        expect([...perm].sort((a, b) => a - b)).toEqual(hashes.map((_, i) => i));
        const arranged = arrangeGoodbyeItems(hashes.map((h, i) => ({ hash: h, offset: BigInt(i), size: 0n })));
        expect(isGoodbyeBst(arranged.map((x) => x.hash))).toBe(true);
        expect(arranged.map((x) => x.hash).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(
          [...hashes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("isGoodbyeBst detects a swapped pair", () => {
    expect(isGoodbyeBst([2n, 1n, 3n])).toBe(true);
    expect(isGoodbyeBst([1n, 2n, 3n])).toBe(false);
  });
});

describe("pxar writer", () => {
  it("produces the exact byte layout for one file", async () => {
    const bytes = await buildPxar([["a", new TextEncoder().encode("hi")]]);
    const stat = (mode: number, uid: number, gid: number, secs: number, nanos: number) =>
      u64(mode) + u64(0) + Buffer.from(Uint32Array.of(uid, gid).buffer).toString("hex") + u64(secs) + Buffer.from(Uint32Array.of(nanos, 0).buffer).toString("hex");
    const expected =
      u64(0xd5956474e588acefn) + u64(56) + stat(PXAR_ROOT_MODE, 0, 0, 0, 0) + // root ENTRY @0
      u64(0x16701121063917b3n) + u64(18) + "6100" + // FILENAME @56
      u64(0xd5956474e588acefn) + u64(56) + stat(S_IFREG | 0o644, 34, 34, 1700000000, 123) + // ENTRY @74
      u64(0x28147a1b0b7c1a25n) + u64(18) + "6869" + // PAYLOAD @130 .. 148
      u64(0x2fec4fa642d5731dn) + u64(64) + // GOODBYE @148
      u64(pxarFilenameHash(Uint8Array.of(0x61))) + u64(148 - 56) + u64(148 - 56) +
      u64(0xef5eed5b753e1555n) + u64(148) + u64(64);
    expect(Buffer.from(bytes).toString("hex")).toBe(expected);
  });

  it("an empty directory is root ENTRY + goodbye with only the tail", async () => {
    const bytes = await buildPxar([]);
    expect(bytes.length).toBe(56 + 16 + 24);
    expect(await decodeAll(bytes)).toHaveLength(1);
  });

  it("rejects bad names, duplicates, non-regular files and size changes", async () => {
    const w = new PxarWriter(async () => {});
    expect((await catchTapeError(() => w.addFile("a/b", FILE_STAT, 0, []))).code).toBe("pxar-structure");
    expect((await catchTapeError(() => w.addFile("..", FILE_STAT, 0, []))).code).toBe("pxar-structure");
    expect((await catchTapeError(() => w.addFile("d", { ...FILE_STAT, mode: 0o040755 }, 0, []))).code).toBe("invalid-field");
    await w.addFile("x", FILE_STAT, 1, [Uint8Array.of(1)]);
    expect((await catchTapeError(() => w.addFile("x", FILE_STAT, 0, []))).code).toBe("pxar-structure");
    expect((await catchTapeError(() => w.addFile("y", FILE_STAT, 1, [Uint8Array.of(1, 2)]))).code).toBe("size-mismatch");
    expect((await catchTapeError(() => new PxarWriter(async () => {}).addFile("z", FILE_STAT, 3, [Uint8Array.of(1)]))).code).toBe("size-mismatch");
  });
});

describe("pxar decoder", () => {
  const files: Array<[string, Uint8Array]> = [
    ["index.json.blob", new TextEncoder().encode("{}")],
    ["drive-scsi0.img.fidx", new Uint8Array(5000).fill(3)],
    ["root.pxar.didx", new Uint8Array(0)],
    ["client.log.blob", new TextEncoder().encode("log")],
    ["qemu-server.conf.blob", new Uint8Array(70_000).fill(9)],
  ];

  it("round trips entries in order with stat and payloads", async () => {
    const bytes = await buildPxar(files);
    const out = await decodeAll(bytes);
    expect(out[0]!.entry).toEqual({ kind: "directory", stat: { mode: PXAR_ROOT_MODE, flags: 0, uid: 0, gid: 0, mtimeSecs: 0, mtimeNanos: 0 } });
    expect(out.slice(1).map((x) => (x.entry.kind === "file" ? x.entry.name : ""))).toEqual(files.map((f) => f[0]));
    out.slice(1).forEach((x, i) => {
      expect(Buffer.from(x.data!).equals(Buffer.from(files[i]![1]))).toBe(true);
      if (x.entry.kind === "file") expect(x.entry.stat).toEqual(FILE_STAT);
    });
  });

  it("skips unread payloads and reads from small pieces", async () => {
    const bytes = await buildPxar(files);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7));
    const d = new PxarDecoder(new ByteReader(pieces));
    const names: string[] = [];
    for await (const e of d) if (e.kind === "file") names.push(e.name);
    expect(names).toHaveLength(files.length);
  });

  it("rejects reading a payload after moving on", async () => {
    const bytes = await buildPxar(files);
    const d = new PxarDecoder(new ByteReader(bytes));
    await d.next();
    const first = await d.next();
    await d.next();
    if (first?.kind !== "file") throw new Error("expected a file");
    expect((await catchTapeError(() => collect(first.payload))).code).toBe("invalid-state");
  });

  const goodbyeAt = (bytes: Uint8Array) => bytes.length - (16 + 24 * (files.length + 1));
  const cases: Array<[string, (b: Uint8Array) => void, string]> = [
    ["hash", (b) => { flip(b, goodbyeAt(b) + 16, 1); }, "pxar-goodbye"],
    ["offset", (b) => { flip(b, goodbyeAt(b) + 16 + 8, 4); }, "pxar-goodbye"],
    ["size", (b) => { flip(b, goodbyeAt(b) + 16 + 16, 1); }, "pxar-goodbye"],
    ["tail marker", (b) => { flip(b, b.length - 24, 1); }, "pxar-goodbye"],
    ["tail offset", (b) => { flip(b, b.length - 16, 1); }, "pxar-goodbye"],
    ["tail size", (b) => { flip(b, b.length - 8, 1); }, "pxar-goodbye"],
    ["order", (b) => {
      const at = goodbyeAt(b) + 16;
      const a = b.slice(at, at + 24);
      b.copyWithin(at, at + 24, at + 48);
      b.set(a, at + 24);
    }, "pxar-goodbye"],
    ["root not a directory", (b) => { b[16 + 1] = 0x81; }, "pxar-structure"],
    ["unknown item", (b) => { flip(b, 56, 1); }, "pxar-structure"],
    ["file not regular", (b) => { b[56 + 16 + 16 + 16 + 1] = 0x41; }, "pxar-structure"],
  ];
  it.each(cases)("detects a corrupted %s", async (_what, corrupt, code) => {
    const bytes = await buildPxar(files);
    corrupt(bytes);
    expect((await catchTapeError(() => decodeAll(bytes))).code).toBe(code);
  });

  it("detects trailing data and truncation", async () => {
    const bytes = await buildPxar(files);
    expect((await catchTapeError(() => decodeAll(Uint8Array.from([...bytes, 0])))).code).toBe("trailing-data");
    expect((await catchTapeError(() => decodeAll(bytes.subarray(0, bytes.length - 1)))).code).toBe("truncated");
    expect((await catchTapeError(() => decodeAll(bytes.subarray(0, 1000)))).code).toBe("truncated");
  });
});

describe("pxar property", () => {
  const name = fc
    .uint8Array({ minLength: 1, maxLength: 40 })
    .map((b) => b.map((x) => (x === 0 || x === 0x2f ? 0x61 : x)))
    .filter((b) => !(b.length === 1 && b[0] === 0x2e) && !(b.length === 2 && b[0] === 0x2e && b[1] === 0x2e));
  it("writer → decoder round trips any set of regular files (names as raw bytes)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(name, fc.nat(3000), fc.nat(0xffffffff)), { maxLength: 12, selector: ([n]) => Buffer.from(n).toString("latin1") }),
        async (files) => {
          const parts: Uint8Array[] = [];
          const w = new PxarWriter(async (b) => {
            parts.push(b.slice());
          });
          for (const [n, size, uid] of files) {
            const data = new Uint8Array(size).fill(size & 0xff);
            await w.addFile(n, { ...FILE_STAT, uid }, size, [data.subarray(0, size >> 1), data.subarray(size >> 1)]);
          }
          await w.finish();
          const out = await decodeAll(Uint8Array.from(Buffer.concat(parts)));
          expect(out).toHaveLength(files.length + 1);
          files.forEach(([n, size, uid], i) => {
            const e = out[i + 1]!;
            if (e.entry.kind !== "file") throw new Error("expected a file");
            expect(Buffer.from(e.entry.nameBytes).equals(Buffer.from(n))).toBe(true);
            expect(e.entry.stat.uid).toBe(uid);
            expect(e.data!.length).toBe(size);
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});
