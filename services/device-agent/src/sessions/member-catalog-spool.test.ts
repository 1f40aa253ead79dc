import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MediaCatalog } from "@tapefleet/tape-format";
import { MemberCatalogSpool, memberCatalogBytes, memberCatalogPieces, memberCatalogSize, memberCatalogSnapshots } from "./member-catalog-spool.ts";

const MEDIA = "0e6f5c3a-9f1d-4e2b-8a7c-112233445566";
const SET = "7d1c9a4e-2b3f-4c5d-9e8f-a0b1c2d3e4f5";
const uuid = (n: number) => `11111111-1111-4111-8111-${String(n).padStart(12, "0")}`;

/** A member catalog: per snapshot a chunk archive of `chunks` chunks, then the snapshot; a second store in between. */
function catalog(snapshots: number, chunks: number): { bytes: Uint8Array; paths: string[] } {
  const c = MediaCatalog.createForMediaSet(MEDIA, SET, 0);
  const paths: string[] = [];
  let file = 2;
  for (let i = 0; i < snapshots; i++) {
    c.startChunkArchive(file, uuid(file), "store1");
    for (let k = 0; k < chunks; k++) c.registerChunk(new Uint8Array(32).fill((i * 7 + k) % 251));
    c.endChunkArchive();
    file++;
    const path = `ns/a/vm/${100 + i}/2026-01-0${(i % 9) + 1}T00:00:00Z`;
    c.registerSnapshot(file, uuid(file), "store1", path);
    paths.push(path);
    file++;
    c.registerSnapshot(file, uuid(file), "other", `ct/${i}/2026-01-01T00:00:00Z`);
    file++;
  }
  return { bytes: c.toBytes(), paths };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function collect(src: AsyncIterable<Uint8Array> | Uint8Array): Promise<Buffer> {
  if (src instanceof Uint8Array) return Buffer.from(src);
  const parts: Uint8Array[] = [];
  for await (const p of src) parts.push(p);
  return Buffer.concat(parts);
}

describe("member catalog spool", () => {
  it("spools pieces to files and reads them back whole, in pieces, and as the snapshot list of one store", async () => {
    const parent = await mkdtemp(join(tmpdir(), "tf-spool-test-"));
    dirs.push(parent);
    const { bytes, paths } = catalog(12, 9000);
    expect(bytes.length).toBeGreaterThan(3 * 256 * 1024);
    const spool = new MemberCatalogSpool(parent);
    // Odd piece sizes: records straddle the piece boundaries.
    for (let off = 0; off < bytes.length; off += 77_777) await spool.add(MEDIA, 0, bytes.subarray(off, off + 77_777));
    await spool.add(uuid(99), 1, catalog(1, 1).bytes);
    const members = await spool.members();
    expect(members.map((m) => [m.mediaUuid, m.seqNr, m.bytes])).toEqual([
      [MEDIA, 0, undefined],
      [uuid(99), 1, undefined],
    ]);
    const m = members[0]!;
    expect(memberCatalogSize(m)).toBe(bytes.length);
    expect((await collect(memberCatalogPieces(m))).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(await memberCatalogBytes(m)).equals(Buffer.from(bytes))).toBe(true);
    expect([...(await memberCatalogSnapshots(m, "store1"))]).toEqual(paths);
    expect((await memberCatalogSnapshots(m, "other")).size).toBe(12);
    expect((await memberCatalogSnapshots(m, "nowhere")).size).toBe(0);
    // The same from memory.
    expect([...(await memberCatalogSnapshots({ mediaUuid: MEDIA, seqNr: 0, bytes }, "store1"))]).toEqual(paths);
    const files = await readdir(parent);
    expect(files.length).toBe(1);
    await spool.dispose();
    expect(existsSync(join(parent, files[0]!))).toBe(false);
  });

  it("refuses bytes that are not a media catalog; a cut-off last entry is left out", async () => {
    await expect(memberCatalogSnapshots({ mediaUuid: MEDIA, seqNr: 0, bytes: new Uint8Array(64).fill(1) }, "store1")).rejects.toMatchObject({ code: "bad-magic" });
    const { bytes, paths } = catalog(2, 3);
    expect([...(await memberCatalogSnapshots({ mediaUuid: MEDIA, seqNr: 0, bytes: bytes.subarray(0, bytes.length - 50) }, "store1"))]).toEqual(paths);
    expect([...(await memberCatalogSnapshots({ mediaUuid: MEDIA, seqNr: 0, bytes: bytes.subarray(0, 5) }, "store1"))]).toEqual([]);
  });
});
