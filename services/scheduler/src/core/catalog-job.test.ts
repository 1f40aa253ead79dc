import { catalogRecord, type CatalogRecord } from "@tapefleet/api-types";
import { describe, expect, it } from "vitest";
import { MediaCatalog } from "@tapefleet/tape-format";
import { archivesOfMediaCatalog, CatalogJob, nameUuid, recordId, recordsOfScan, type CatalogJobDeps } from "./catalog-job.ts";
import type { TaskContext } from "./task-registry.ts";

const tape = { mediaUuid: "11111111-2222-4333-8444-555555555555", labelText: "TF0001L9", pool: "daily", mediaSetUuid: "66666666-7777-4888-8999-aaaaaaaaaaaa", seqNr: 1, mediaSetCtime: 1_700_000_000 };

describe("catalog records of a scan", () => {
  it("name-based ids are RFC 9562 version 5 UUIDs (the DNS namespace example)", () => {
    // RFC 9562 appendix A.4: www.example.com in the DNS namespace.
    expect(nameUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });

  it("builds the join, the two labels and one record per archive, chunk digests split by the record limit; every record valid", () => {
    const digests = Array.from({ length: 10_001 }, (_, i) => i.toString(16).padStart(64, "0"));
    const records = recordsOfScan(
      tape,
      [
        { fileNumber: 2, archiveUuid: "aaaaaaaa-0000-4000-8000-000000000002", kind: "chunk-archive", store: "store1", snapshot: "", digests },
        { fileNumber: 3, archiveUuid: "aaaaaaaa-0000-4000-8000-000000000003", kind: "snapshot-archive", store: "store1", snapshot: "vm/100/2024-01-01T00:00:00Z", digests: [] },
        { fileNumber: 4, archiveUuid: "aaaaaaaa-0000-4000-8000-000000000004", kind: "catalog-archive", store: "", snapshot: "", digests: [] },
      ],
      new Date("2026-01-01T00:00:00.123Z"),
    );
    expect(records.map((r) => (r.type === "archive" ? `${r.fileNumber}:${r.kind}` : r.type))).toEqual([
      "media-set-joined",
      "0:media-label",
      "1:media-set-label",
      "2:chunk-archive",
      "2:chunk-archive",
      "3:snapshot-archive",
      "4:catalog-archive",
    ]);
    for (const r of records) expect(catalogRecord.safeParse(r).success, JSON.stringify(r).slice(0, 200)).toBe(true);
    const chunkParts = records.filter((r) => r.type === "archive" && r.kind === "chunk-archive") as { digests?: string[]; recordId: string }[];
    expect(chunkParts.map((r) => r.digests!.length)).toEqual([10_000, 1]);
    expect(new Set(records.map((r) => r.recordId)).size).toBe(records.length);
    // Built again: the same ids (a rescan publishes duplicates the catalog drops).
    expect(recordsOfScan(tape, [], new Date()).map((r) => r.recordId)).toEqual(records.slice(0, 3).map((r) => r.recordId));
    expect(records[0]!.recordId).toBe(recordId({ mediaSetUuid: tape.mediaSetUuid, seqNr: 1, mediaUuid: tape.mediaUuid, joined: true }));
  });
});

describe("archives of a media catalog (catalog fast path)", () => {
  it("lists the chunk archives with their digests and the snapshots, and refuses a catalog of another tape or set", () => {
    const c = MediaCatalog.createForMediaSet(tape.mediaUuid, tape.mediaSetUuid, 1);
    c.startChunkArchive(4, "aaaaaaaa-0000-4000-8000-000000000004", "store1");
    c.registerChunk(new Uint8Array(32).fill(1));
    c.registerChunk(new Uint8Array(32).fill(2));
    c.endChunkArchive();
    c.registerSnapshot(5, "aaaaaaaa-0000-4000-8000-000000000005", "store1", "vm/100/2024-01-01T00:00:00Z");
    // A torn tail (an archive start without its end) is dropped.
    c.startChunkArchive(6, "aaaaaaaa-0000-4000-8000-000000000006", "store1");
    const bytes = c.toBytes();
    const got = archivesOfMediaCatalog(bytes, tape);
    expect(got.seqNr).toBe(1);
    expect(got.archives).toEqual([
      { fileNumber: 4, archiveUuid: "aaaaaaaa-0000-4000-8000-000000000004", kind: "chunk-archive", store: "store1", snapshot: "", digests: ["01".repeat(32), "02".repeat(32)] },
      { fileNumber: 5, archiveUuid: "aaaaaaaa-0000-4000-8000-000000000005", kind: "snapshot-archive", store: "store1", snapshot: "vm/100/2024-01-01T00:00:00Z", digests: [] },
    ]);
    expect(() => archivesOfMediaCatalog(bytes, { ...tape, mediaSetUuid: "77777777-7777-4888-8999-aaaaaaaaaaaa" })).toThrow(/media set uuid/);
    expect(() => archivesOfMediaCatalog(bytes, { ...tape, mediaUuid: "77777777-7777-4888-8999-aaaaaaaaaaaa" })).toThrow(/media uuid/);
    expect(() => archivesOfMediaCatalog(bytes.subarray(0, 5), tape)).toThrow();
  });

  it("salted record ids (catalog --force) differ from the write sessions' and are stable per task", () => {
    const plain = recordsOfScan(tape, [], new Date()).map((r) => r.recordId);
    const salted = recordsOfScan(tape, [], new Date(), "UPID:x").map((r) => r.recordId);
    expect(salted.filter((id) => plain.includes(id))).toEqual([]);
    expect(recordsOfScan(tape, [], new Date(), "UPID:x").map((r) => r.recordId)).toEqual(salted);
  });
});

describe("catalog job", () => {
  const SET = tape.mediaSetUuid;
  const T0 = "00000000-0000-4000-8000-000000000010";
  const T1 = tape.mediaUuid;
  const catalogOf = (mediaUuid: string, seqNr: number, snapshot: string) => {
    const c = MediaCatalog.createForMediaSet(mediaUuid, SET, seqNr);
    c.registerSnapshot(seqNr === 0 ? 3 : 5, `aaaaaaaa-0000-4000-8000-00000000000${seqNr}`, "store1", snapshot);
    return c.toBytes();
  };
  /** Tape 1 (seq 1) of a set: file 2 member 0's catalog, files 3..5 data, file 6 its own catalog (unless `cut`). */
  function world(opts: { cut?: boolean; failRead?: boolean } = {}) {
    const reads: number[] = [];
    const published: CatalogRecord[] = [];
    const lines: string[] = [];
    let scans = 0;
    const files = opts.cut ? 6 : 7;
    const deps = {
      inventory: {
        drive: async () => ({ name: "d1", path: "/dev/d1" }),
        locations: async () => [{ kind: "drive", path: "/dev/d1", serial: "D1", "host-id": "h1", "grpc-address": "a:1", online: true, vendor: "", model: "", "last-seen": "" }],
        findMedia: async (sel: { uuid?: string }) => (sel.uuid === T0 ? { uuid: T0, "label-text": "TF0000L9" } : undefined),
      },
      agent: {
        readLabel: async () => ({ uuid: T1, "label-text": "TF0001L9", ctime: 1, pool: "daily", "media-set-uuid": SET, "seq-nr": 1, "media-set-ctime": 1_700_000_000 }),
        endOfData: async () => ({ fileNumber: files, missingFilemark: false }),
        readCatalogArchive: async (_h: unknown, _d: string, f: number) => {
          reads.push(f);
          if (opts.failRead) throw new Error("medium error at tape file 2, block 0");
          if (f === 2) return { kind: "catalog-archive", fileNumber: f, mediaUuid: T0, bytes: catalogOf(T0, 0, "vm/100/2024-01-01T00:00:00Z"), complete: true };
          if (f === 6 && !opts.cut) return { kind: "catalog-archive", fileNumber: f, mediaUuid: T1, bytes: catalogOf(T1, 1, "vm/101/2024-01-01T00:00:00Z"), complete: true };
          return { kind: "other", fileNumber: f };
        },
        scanTape: async () => {
          scans++;
          return { archives: [{ fileNumber: 5, archiveUuid: "aaaaaaaa-0000-4000-8000-000000000001", kind: "snapshot-archive", store: "store1", snapshot: "vm/101/2024-01-01T00:00:00Z", digests: [] }], skippedFiles: [] };
        },
      },
      leases: { acquireAnyDrive: async () => ({ lease: { holderJob: "j", holderWorker: "w", resources: ["drive:d1"] }, drive: "d1" }), release: async () => undefined },
      publish: async (r: readonly CatalogRecord[]) => void published.push(...r),
      now: () => new Date("2026-01-01T00:00:00Z"),
    } as unknown as CatalogJobDeps;
    const ctx = { upid: "UPID:n:1:1:1:1:catalog-media:d1:root@pam:", signal: new AbortController().signal, log: (t: string) => lines.push(t), warn: (t: string) => lines.push(`WARN ${t}`), error: (t: string) => lines.push(`ERR ${t}`), progress: () => undefined } as unknown as TaskContext;
    return { deps, ctx, reads, published, lines, scans: () => scans };
  }
  const snapshotsOf = (records: CatalogRecord[]) => records.filter((r) => r.type === "archive" && r.kind === "snapshot-archive").map((r) => `${r.labelText}:${(r as { snapshot?: string }).snapshot}`);

  it("fast path: the leading catalog archives, then the last file; every member's records, no scan", async () => {
    const w = world();
    await new CatalogJob(w.deps).run({ drive: "d1" }, w.ctx);
    // File 2 is a catalog, file 3 is not: PBS then checks the last file (6).
    expect(w.reads).toEqual([2, 3, 6]);
    expect(w.scans()).toBe(0);
    expect(snapshotsOf(w.published)).toEqual(["TF0000L9:vm/100/2024-01-01T00:00:00Z", "TF0001L9:vm/101/2024-01-01T00:00:00Z"]);
    expect(w.published.filter((r) => r.type === "media-set-joined").map((r) => [r.mediaUuid, r.seqNr])).toEqual([
      [T0, 0],
      [T1, 1],
    ]);
    // The write sessions' ids without force; salted (new) ids with it.
    expect(w.published[0]!.recordId).toBe(recordId({ mediaSetUuid: SET, seqNr: 0, mediaUuid: T0, joined: true }));
    const f = world();
    await new CatalogJob(f.deps).run({ drive: "d1", force: true }, f.ctx);
    expect(f.published.map((r) => r.recordId).filter((id) => w.published.some((x) => x.recordId === id))).toEqual([]);
  });

  it("a tape without its own catalog archive (cut before its end) is scanned; a failing fast path too", async () => {
    const w = world({ cut: true });
    await new CatalogJob(w.deps).run({ drive: "d1" }, w.ctx);
    expect(w.reads).toEqual([2, 3, 5]);
    expect(w.scans()).toBe(1);
    expect(w.lines).toContain("no catalog archive of media 'TF0001L9' at its end: scanning every archive");
    expect(snapshotsOf(w.published)).toEqual(["TF0000L9:vm/100/2024-01-01T00:00:00Z", "TF0001L9:vm/101/2024-01-01T00:00:00Z"]);
    const e = world({ failRead: true });
    await new CatalogJob(e.deps).run({ drive: "d1" }, e.ctx);
    expect(e.lines.some((l) => l.startsWith("WARN reading the catalog archives failed: medium error"))).toBe(true);
    expect(e.scans()).toBe(1);
    expect(snapshotsOf(e.published)).toEqual(["TF0001L9:vm/101/2024-01-01T00:00:00Z"]);
    const s = world();
    await new CatalogJob(s.deps).run({ drive: "d1", scan: true }, s.ctx);
    expect(s.reads).toEqual([]);
    expect(s.scans()).toBe(1);
  });
});
