import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeBlob } from "./blob.ts";
import { ChunkStore } from "./chunk-store.ts";
import { expectCode, pseudoRandom, useTmpDirs } from "./test-support.ts";

const tmp = useTmpDirs();
const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("chunk store", () => {
  it("places chunks under .chunks/<4 hex>/<64 hex>", async () => {
    const store = new ChunkStore("/srv/ds");
    const d = "0a1b" + "c".repeat(60);
    expect(store.chunkPath(d)).toBe(`/srv/ds/.chunks/0a1b/${d}`);
    expect(store.chunkPath(Buffer.from(d, "hex"))).toBe(`/srv/ds/.chunks/0a1b/${d}`);
    await expectCode(() => store.chunkPath("../../etc/passwd"), "invalid-name");
    await expectCode(() => store.chunkPath(new Uint8Array(31)), "invalid-name");
  });

  it("inserts a verified chunk, reads it back raw, and skips it the second time", async () => {
    const base = await tmp();
    const store = new ChunkStore(base);
    await store.create();
    const data = pseudoRandom(10000, 3);
    const digest = sha(data);
    const raw = await encodeBlob(data);
    expect(await store.hasChunk(digest)).toBe(false);
    const r = await store.insertChunk(digest, raw);
    expect(r).toEqual({ inserted: true, check: { kind: "uncompressed", digestChecked: true } });
    expect(await store.hasChunk(digest)).toBe(true);
    expect(await store.readChunk(digest)).toEqual(raw);
    const before = await store.stat(digest);
    expect(before.size).toBe(raw.length);
    expect(before.ino).toBeGreaterThan(0);
    expect((await store.insertChunk(digest, raw)).inserted).toBe(false);
    expect((await store.stat(digest)).ino).toBe(before.ino);
    expect(await readdir(join(store.dir, hexOf(digest).slice(0, 4)))).toEqual([hexOf(digest)]);
    expect([...(await collect(store.listChunks()))]).toEqual([hexOf(digest)]);
  });

  it("refuses a chunk whose content does not match its digest and leaves nothing behind", async () => {
    const base = await tmp();
    const store = new ChunkStore(base);
    const raw = await encodeBlob(pseudoRandom(1000, 4));
    const wrong = sha(new Uint8Array([1, 2, 3]));
    await expectCode(() => store.insertChunk(wrong, raw), "digest-mismatch");
    expect(await store.hasChunk(wrong)).toBe(false);
    const sub = join(store.dir, hexOf(wrong).slice(0, 4));
    expect(await readdir(sub).catch(() => [])).toEqual([]);
    const corrupt = raw.slice();
    corrupt[20]! ^= 1;
    await expectCode(() => store.insertChunk(sha(pseudoRandom(1000, 4)), corrupt), "checksum-mismatch");
  });

  it("accepts encrypted chunks by CRC only", async () => {
    const store = new ChunkStore(await tmp());
    const raw = await encodeBlob(pseudoRandom(500, 6), { key: new Uint8Array(32).fill(2) });
    const name = sha(new Uint8Array([9]));
    const r = await store.insertChunk(name, raw);
    expect(r.check).toEqual({ kind: "encrypted", digestChecked: false });
    expect(await store.readChunk(name)).toEqual(raw);
  });

  it("replaces a stale tmp file left by an interrupted insert", async () => {
    const store = new ChunkStore(await tmp());
    const data = pseudoRandom(2000, 8);
    const digest = sha(data);
    const path = store.chunkPath(digest);
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(`${path}.tmp`, "partial");
    expect(await store.hasChunk(digest)).toBe(false);
    await store.insertChunk(digest, await encodeBlob(data));
    expect(await readdir(join(path, ".."))).toEqual([hexOf(digest)]);
    expect((await readFile(path)).length).toBeGreaterThan(2000);
  });

  it("deduplicates concurrent inserts of one digest", async () => {
    const store = new ChunkStore(await tmp());
    const data = pseudoRandom(3000, 10);
    const raw = await encodeBlob(data);
    const results = await Promise.all([store.insertChunk(sha(data), raw), store.insertChunk(sha(data), raw)]);
    expect(results.map((r) => r.inserted).sort()).toEqual([false, true]);
  });

  it("reports a missing chunk as not-found", async () => {
    const store = new ChunkStore(await tmp());
    await expectCode(() => store.readChunk("00".repeat(32)), "not-found");
    await expectCode(() => store.stat("00".repeat(32)), "not-found");
    expect(await collect(store.listChunks())).toEqual([]);
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
