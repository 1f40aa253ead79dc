import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBlob } from "./blob.ts";
import { Datastore } from "./datastore.ts";
import { archiveNameFor, ingestFiles } from "./ingest.ts";
import { expectCode, pseudoRandom, useTmpDirs } from "./test-support.ts";

const tmp = useTmpDirs();
const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

async function store(): Promise<Datastore> {
  const ds = new Datastore(await tmp(), "ingest");
  await ds.chunks.create();
  return ds;
}

function image(): Uint8Array {
  const cs = 64 * 1024;
  const img = new Uint8Array(cs * 3 + 1234);
  img.set(pseudoRandom(cs, 11), 0); // random: stored uncompressed
  img.fill(0x41, cs, 2 * cs); // repetitive: stored zstd
  // third chunk stays zero, the tail is random
  img.set(pseudoRandom(1234, 12), 3 * cs);
  return img;
}

async function readAll(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}

describe("ingestFiles", () => {
  it("names archives as PBS does", () => {
    expect(archiveNameFor("drive-scsi0", "image")).toBe("drive-scsi0.img.fidx");
    expect(archiveNameFor("disk.img", "image")).toBe("disk.img.fidx");
    expect(archiveNameFor("qemu-server.conf", "blob")).toBe("qemu-server.conf.blob");
  });

  it("round-trips an image byte for byte through fidx and chunks", async () => {
    const ds = await store();
    const dir = await tmp();
    const img = image();
    await writeFile(join(dir, "disk.raw"), img);
    const conf = new TextEncoder().encode("memory: 2048\n");
    const r = await ingestFiles(ds, {
      ns: ["lab"],
      type: "vm",
      id: "900",
      time: 1700000000,
      chunkSize: 64 * 1024,
      blobLimit: 1024,
      notes: "ingested",
      files: [
        { name: "drive-scsi0", path: join(dir, "disk.raw") },
        { name: "qemu-server.conf", data: conf },
      ],
    });
    expect(r.chunksWritten).toBe(4);
    expect(r.ref).toEqual({ ns: ["lab"], type: "vm", id: "900", time: 1700000000 });
    const back = await readAll(ds.readIndexContent(r.ref, "drive-scsi0.img.fidx"));
    expect(back.length).toBe(img.length);
    expect(sha(back)).toBe(sha(img));

    const m = await ds.readManifest(r.ref);
    expect(m.unprotected).toEqual({ notes: "ingested" });
    const fidxEntry = m.files.find((f) => f.filename === "drive-scsi0.img.fidx")!;
    expect(fidxEntry.size).toBe(img.length);
    const idx = await ds.readIndex(r.ref, "drive-scsi0.img.fidx");
    expect(fidxEntry.csum).toBe(Buffer.from(idx.indexCsum).toString("hex"));
    const blobEntry = m.files.find((f) => f.filename === "qemu-server.conf.blob")!;
    const rawBlob = await ds.readSnapshotFile(r.ref, "qemu-server.conf.blob");
    expect(blobEntry.size).toBe(rawBlob.length);
    expect(blobEntry.csum).toBe(sha(rawBlob));
    expect(await ds.readOwner(r.ref)).toBe("root@pam");

    // zstd only where it is smaller
    const kinds: string[] = [];
    if (idx.kind !== "fixed") throw new Error("expected a fixed index");
    for (let i = 0; i < idx.count; i++) kinds.push(parseBlob(await ds.chunks.readChunk(idx.digests.subarray(i * 32, i * 32 + 32))).kind);
    expect(kinds).toEqual(["uncompressed", "compressed", "compressed", "uncompressed"]);
  });

  it("reuses chunks already in the store", async () => {
    const ds = await store();
    const img = image();
    const opts = { type: "vm" as const, id: "1", chunkSize: 64 * 1024, files: [{ name: "drive-scsi0", data: img, as: "image" as const }] };
    const first = await ingestFiles(ds, { ...opts, time: 1000 });
    const second = await ingestFiles(ds, { ...opts, time: 2000 });
    expect(first.chunksWritten).toBe(4);
    expect(second.chunksWritten).toBe(0);
    expect(second.chunksReused).toBe(4);
    expect(second.bytesWritten).toBe(0);
    expect((await ds.listSnapshots(second.ref)).map((s) => s.finished)).toEqual([true, true]);
  });

  it("refuses bad input and leaves no snapshot behind", async () => {
    const ds = await store();
    await expectCode(() => ingestFiles(ds, { type: "vm", id: "1", time: 5, chunkSize: 3000, files: [] }), "invalid-field");
    await expectCode(() => ingestFiles(ds, { type: "vm", id: "a/b", files: [] }), "invalid-name");
    await expectCode(() => ingestFiles(ds, { type: "vm", id: "1", time: 5, files: [{ name: "x" }] }), "invalid-field");
    await expectCode(() => ingestFiles(ds, { type: "vm", id: "1", time: 6, files: [{ name: "x", path: "/nonexistent/file" }] }), "not-found");
    await expectCode(() => ingestFiles(ds, { type: "vm", id: "1", time: 7, files: [{ name: "../x", data: new Uint8Array(3) }] }), "invalid-name");
    expect(await ds.listSnapshots({ ns: [], type: "vm", id: "1" })).toEqual([]);
  });
});
