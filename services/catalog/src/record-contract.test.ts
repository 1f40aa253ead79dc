import { describe, expect, it } from "vitest";
import {
  CATALOG_MAX_DIGESTS_PER_RECORD,
  catalogCommitSubject,
  catalogDigestsRequest,
  catalogRecord,
  catalogRestorePlanRequest,
  CATALOG_STREAM_SUBJECTS,
  CATALOG_REQUESTS,
  formatSnapshotPath,
  parseInput,
  parseSnapshotPath,
} from "@tapefleet/api-types";
import { ValidationError } from "@tapefleet/common";
import { receiveRecord } from "./core/ingest.ts";

const base = {
  type: "archive",
  recordId: "0E6F5C3A-9F1D-4E2B-8A7C-112233445566",
  mediaUuid: "0e6f5c3a-9f1d-4e2b-8a7c-112233440001",
  labelText: "TAPE01L9",
  mediaSetUuid: "7d1c9a4e-2b3f-4c5d-9e8f-a0b1c2d3e4f5",
  seqNr: 0,
  pool: "daily",
  archiveUuid: "7d1c9a4e-2b3f-4c5d-9e8f-a0b1c2d30002",
  committedAt: "2026-01-01T00:00:00Z",
};
const D = "ab".repeat(32);

function fieldsOf(value: unknown): string[] {
  try {
    parseInput(catalogRecord, value);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return ((e as ValidationError).fields ?? []).map((f) => `${f.field}: ${f.message}`);
  }
  return [];
}

describe("snapshot paths", () => {
  it("parses PBS print form with and without namespaces and prints it back", () => {
    for (const [text, parts] of [
      ["vm/100/2026-01-02T03:04:05Z", { namespace: "", type: "vm", id: "100", time: "2026-01-02T03:04:05Z" }],
      ["ns/a/ns/b-2/ct/web.1/2026-01-02T03:04:05Z", { namespace: "a/b-2", type: "ct", id: "web.1", time: "2026-01-02T03:04:05Z" }],
      ["host/h_1/2030-12-31T23:59:59Z", { namespace: "", type: "host", id: "h_1", time: "2030-12-31T23:59:59Z" }],
    ] as const) {
      expect(parseSnapshotPath(text)).toEqual(parts);
      expect(formatSnapshotPath(parts)).toBe(text);
    }
  });

  it("says what is wrong with a bad path", () => {
    expect(parseSnapshotPath("vm/100")).toMatch(/must be/);
    expect(parseSnapshotPath("xx/100/2026-01-02T03:04:05Z")).toMatch(/backup type 'xx'/);
    expect(parseSnapshotPath("vm/-1/2026-01-02T03:04:05Z")).toMatch(/backup id/);
    expect(parseSnapshotPath("vm/1/2026-01-02 03:04:05")).toMatch(/backup time/);
    expect(parseSnapshotPath("nx/a/vm/1/2026-01-02T03:04:05Z")).toMatch(/ns\//);
    expect(parseSnapshotPath("ns/vm/1/2026-01-02T03:04:05Z")).toMatch(/pairs/);
    expect(parseSnapshotPath(`${"ns/a/".repeat(8)}vm/1/2026-01-02T03:04:05Z`)).toMatch(/7 levels/);
  });
});

describe("catalog records", () => {
  it("accepts the record kinds and normalizes UUIDs to lower case", () => {
    const r = parseInput(catalogRecord, { ...base, fileNumber: 2, kind: "chunk-archive", store: "store1", digests: [D, D.toUpperCase()], bytes: 10, incomplete: true });
    expect(r.recordId).toBe(base.recordId.toLowerCase());
    expect(parseInput(catalogRecord, { ...base, fileNumber: 0, kind: "media-label" })).toMatchObject({ kind: "media-label" });
    expect(parseInput(catalogRecord, { ...base, fileNumber: 5, kind: "catalog-archive" })).toMatchObject({ kind: "catalog-archive" });
    expect(
      parseInput(catalogRecord, {
        type: "media-set-joined",
        recordId: base.recordId,
        mediaUuid: base.mediaUuid,
        labelText: base.labelText,
        mediaSetUuid: base.mediaSetUuid,
        seqNr: 3,
        pool: base.pool,
        mediaSetCtime: "2026-01-01T00:00:00+01:00",
        joinedAt: "2026-01-01T00:00:00.5Z",
        mediaSetName: "daily 1",
      }),
    ).toMatchObject({ type: "media-set-joined", mediaSetName: "daily 1" });
  });

  it("names the field and the reason for every rule", () => {
    expect(fieldsOf({ ...base, fileNumber: 2, kind: "snapshot-archive" })).toEqual(["store: is required for a snapshot-archive", "snapshot: is required for a snapshot-archive"]);
    expect(fieldsOf({ ...base, fileNumber: 1, kind: "chunk-archive", store: "store1" })).toEqual(["fileNumber: must be at least 2 for a chunk-archive (files 0 and 1 are the labels)"]);
    expect(fieldsOf({ ...base, fileNumber: 3, kind: "media-label" })).toEqual(["fileNumber: must be 0 for a media-label"]);
    expect(fieldsOf({ ...base, fileNumber: 3, kind: "catalog-archive", digests: [] })).toEqual(["digests: is only allowed for a chunk-archive, not a catalog-archive"]);
    expect(fieldsOf({ ...base, fileNumber: 3, kind: "chunk-archive", store: "store1", snapshot: "vm/1/2026-01-02T03:04:05Z" })).toEqual([
      "snapshot: is only allowed for a snapshot-archive, not a chunk-archive",
    ]);
    expect(fieldsOf({ ...base, fileNumber: 3, kind: "chunk-archive", store: "store1", digests: [D, D, "xyz", D] })).toEqual(["digests.2: must be a chunk digest (64 hex digits)"]);
    expect(fieldsOf({ ...base, fileNumber: 3, kind: "chunk-archive", store: "store1", digests: new Array(CATALOG_MAX_DIGESTS_PER_RECORD + 1).fill(D) })[0]).toMatch(
      /^digests: must hold at most 10000 digests/,
    );
    expect(fieldsOf({ ...base, fileNumber: 3, kind: "tape", seqNr: -1, mediaUuid: "x", committedAt: "yesterday", extra: 1 }).sort()).toEqual([
      "committedAt: must be an RFC 3339 time (2026-01-02T03:04:05Z)",
      "extra: unknown field",
      "kind: must be one of media-label, media-set-label, chunk-archive, snapshot-archive, catalog-archive",
      "mediaUuid: must be a UUID (8-4-4-4-12 hex digits)",
      "seqNr: must be an integer from 0 to 4294967295",
    ]);
    expect(fieldsOf({ ...base, type: "other" })[0]).toMatch(/^type: /);
  });

  it("receives JSON bytes, never throwing", () => {
    const ok = receiveRecord(new TextEncoder().encode(JSON.stringify({ ...base, fileNumber: 1, kind: "media-set-label" })));
    expect(ok.ok).toBe(true);
    const notJson = receiveRecord(new TextEncoder().encode("{"));
    expect(notJson).toMatchObject({ ok: false });
    expect(!notJson.ok && notJson.message).toMatch(/^not JSON/);
    const bad = receiveRecord({ ...base, fileNumber: 1 });
    expect(!bad.ok && bad.message).toMatch(/kind/);
    expect(receiveRecord(null).ok).toBe(false);
  });
});

describe("catalog subjects and requests", () => {
  it("keeps the record stream off the request subjects", () => {
    expect(catalogCommitSubject(base.mediaSetUuid.toUpperCase())).toBe(`catalog.commit.${base.mediaSetUuid}`);
    for (const subject of Object.values(CATALOG_REQUESTS)) {
      for (const captured of CATALOG_STREAM_SUBJECTS) expect(subject.startsWith(captured.replace(">", ""))).toBe(false);
    }
  });

  it("validates restore plan and digest page requests", () => {
    expect(() => parseInput(catalogRestorePlanRequest, { mediaSetUuid: base.mediaSetUuid, snapshots: ["store1:vm/1/2026-01-02T03:04:05Z"], digests: { store1: [D] } })).not.toThrow();
    const err = (() => {
      try {
        parseInput(catalogRestorePlanRequest, { mediaSetUuid: base.mediaSetUuid, snapshots: ["vm/1/2026-01-02T03:04:05Z", "x:vm/1/2026-01-02T03:04:05Z"], digests: { store1: ["00"] } });
      } catch (e) {
        return e as ValidationError;
      }
      return undefined;
    })();
    expect(err?.fields?.map((f) => f.field)).toEqual(["snapshots.0", "snapshots.1", "digests.store1.0"]);
    expect(() => parseInput(catalogDigestsRequest, { mediaSetUuid: base.mediaSetUuid, store: "store1", after: "12:7", limit: 100 })).not.toThrow();
    expect(() => parseInput(catalogDigestsRequest, { mediaSetUuid: base.mediaSetUuid, store: "store1", after: "zz", limit: 0 })).toThrow(/after: must be the 'next' cursor.*limit: must be at least 1/);
  });
});
