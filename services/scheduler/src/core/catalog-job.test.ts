import { catalogRecord } from "@tapefleet/api-types";
import { describe, expect, it } from "vitest";
import { nameUuid, recordId, recordsOfScan } from "./catalog-job.ts";

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
