import { MemoryTape, S_IFREG, openSnapshotArchive, openTapeFile, writeSnapshotArchive } from "@tapefleet/tape-format";
import { describe, expect, it } from "vitest";
import { Datastore } from "./datastore.ts";
import { decodeManifestBlob } from "./manifest.ts";
import { CLIENT_LOG_BLOB_NAME, MANIFEST_BLOB_NAME, parseSnapshotPath, snapshotPath } from "./names.ts";
import { createSampleDatastore } from "./sample.ts";
import { restoreSnapshot, type RestoreEntry } from "./snapshot-writer.ts";
import { useTmpDirs } from "./test-support.ts";
import { verifyDatastore } from "./verify.ts";

const tmp = useTmpDirs();

async function concat(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

describe("datastore → snapshot archive on tape → restored datastore", () => {
  it("restores every finished snapshot of a namespace byte for byte (manifest re-encoded)", async () => {
    const { datastore: src } = await createSampleDatastore(await tmp(), { size: 1024 * 1024, seed: 11 });
    const dst = new Datastore(await tmp(), "restored");
    await dst.chunks.create();
    const selected = [];
    for await (const s of src.selectSnapshots({ ns: ["prod"], maxDepth: 1 })) selected.push(s);
    expect(selected.length).toBeGreaterThan(3);

    for (const snap of selected) {
      // backup side: chunks first (raw blobs), then the snapshot archive
      for await (const d of src.snapshotDigests(snap)) await dst.chunks.insertChunk(d, await src.chunks.readChunk(d));
      const files = await src.snapshotArchiveFiles(snap);
      expect(files[0]!.name).toBe(MANIFEST_BLOB_NAME);
      expect(files[files.length - 1]!.name).toBe(CLIENT_LOG_BLOB_NAME);
      for (const f of files) expect(f.stat.mode & 0o170000).toBe(S_IFREG);
      const tape = new MemoryTape();
      const out = await writeSnapshotArchive(tape, { snapshot: snapshotPath(snap), store: src.name }, files);
      expect(out.kind).toBe("complete");

      // restore side
      await tape.seekFile(0);
      const opened = await openTapeFile(tape, { requireEndMarker: true });
      if (opened.kind !== "file") throw new Error(opened.kind);
      const archive = await openSnapshotArchive(opened.file.bytes);
      expect(archive.version).toBe("1.2");
      const ref = parseSnapshotPath(archive.snapshot);
      expect(ref).toEqual({ ns: snap.ns, type: snap.type, id: snap.id, time: snap.time });
      const root = await archive.entries.next();
      expect(root?.kind).toBe("directory");
      async function* entries(): AsyncGenerator<RestoreEntry> {
        for (;;) {
          const e = await archive.entries.next();
          if (e === null) return;
          if (e.kind !== "file") throw new Error("only regular files below the root");
          yield { name: e.name, data: e.payload };
        }
      }
      await restoreSnapshot(dst, ref, entries(), { owner: "root@pam" });
    }

    for (const snap of selected) {
      const [info] = (await dst.listSnapshots(snap)).filter((s) => s.time === snap.time);
      expect(info?.finished).toBe(true);
      const srcManifest = await src.readManifest(snap);
      const dstManifest = await dst.readManifest(snap);
      expect(dstManifest.files).toEqual(srcManifest.files);
      expect(dstManifest.unprotected["verify_state"]).toBeUndefined();
      for (const f of srcManifest.files) {
        expect(Buffer.compare(await dst.readSnapshotFile(snap, f.filename), await src.readSnapshotFile(snap, f.filename))).toBe(0);
        if (f.filename.endsWith("idx")) {
          expect((await concat(dst.readIndexContent(snap, f.filename))).equals(await concat(src.readIndexContent(snap, f.filename)))).toBe(true);
        }
      }
      expect((await decodeManifestBlob(await dst.readSnapshotFile(snap, MANIFEST_BLOB_NAME))).backupTime).toBe(snap.time);
    }
    const report = await verifyDatastore(dst);
    expect(report.bad).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(report.snapshots).toBe(selected.length);
  });
});
