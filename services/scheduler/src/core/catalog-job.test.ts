import { catalogRecord } from "@tapefleet/api-types";
import { describe, expect, it } from "vitest";
import { MediaCatalog } from "@tapefleet/tape-format";
import { archivesOfMediaCatalog, nameUuid, recordId, recordsOfScan } from "./catalog-job.ts";

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
