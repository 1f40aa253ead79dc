import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CATALOG_MAX_DIGESTS_PER_RECORD, catalogRecord, type CatalogRecord } from "@tapefleet/api-types";
import { catalogRecordsOf, commitRecordId, commitRecordsFromCatalog, commitSubject, nameUuid, type CommitRecord, type CommitTape } from "./commit-record.ts";
import { SessionError } from "./session-error.ts";

const SET = "7D1C9A4E-2B3F-4C5D-9E8F-A0B1C2D3E4F5";
const MEDIA = "0e6f5c3a-9f1d-4e2b-8a7c-112233445566";
const tape: CommitTape = { kind: "tape", mediaUuid: MEDIA, labelText: "TAPE01L9", mediaSetUuid: SET, seqNr: 1, pool: "daily", mediaSetCtime: 1_700_000_000, joined: false };
const NOW = new Date("2026-03-01T10:20:30.456Z");
const digest = (i: number) => i.toString(16).padStart(64, "0");
const commit = (fileNumber: number, kind: CommitRecord["kind"], extra: Partial<CommitRecord> = {}): CommitRecord => ({
  mediaSetUuid: SET.toLowerCase(),
  mediaUuid: MEDIA,
  seqNr: 1,
  fileNumber,
  archiveUuid: `11111111-2222-4333-8444-${fileNumber.toString().padStart(12, "0")}`,
  kind,
  store: kind === "catalog-archive" ? "" : "store1",
  chunkDigests: [],
  ...extra,
});

function refusal(fn: () => unknown): SessionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SessionError);
    return e as SessionError;
  }
  throw new Error("no error thrown");
}

describe("catalog records of a write session", () => {
  it("publishes a set join as media-set-joined and the two label files, with the set's ctime", () => {
    const records = catalogRecordsOf([{ ...tape, joined: true }], NOW);
    expect(records).toEqual([
      {
        type: "media-set-joined",
        recordId: commitRecordId({ mediaSetUuid: SET, seqNr: 1, mediaUuid: MEDIA, joined: true }),
        mediaUuid: MEDIA,
        labelText: "TAPE01L9",
        mediaSetUuid: SET.toLowerCase(),
        seqNr: 1,
        pool: "daily",
        mediaSetCtime: "2023-11-14T22:13:20Z",
        joinedAt: NOW.toISOString(),
      },
      expect.objectContaining({ type: "archive", fileNumber: 0, kind: "media-label", archiveUuid: MEDIA, committedAt: NOW.toISOString() }),
      expect.objectContaining({ type: "archive", fileNumber: 1, kind: "media-set-label", archiveUuid: SET.toLowerCase() }),
    ]);
    // a tape that is only named (appended to) makes no record of its own
    expect(catalogRecordsOf([tape], NOW)).toEqual([]);
  });

  it("carries the media set's name in its joined record when the caller gave it", () => {
    const [joined] = catalogRecordsOf([{ ...tape, joined: true, mediaSetName: "daily 2026-11-26 02:00" }], NOW);
    expect(joined).toMatchObject({ type: "media-set-joined", mediaSetName: "daily 2026-11-26 02:00" });
    expect(catalogRecordsOf([{ ...tape, joined: true }], NOW)[0]).not.toHaveProperty("mediaSetName");
  });

  it("makes one archive record per chunk, snapshot and catalog archive, with the tape's label text and pool", () => {
    const chunks = commit(2, "chunk-archive", { chunkDigests: [digest(1), digest(2)] });
    const snap = commit(3, "snapshot-archive", { snapshot: "ns/a/vm/100/2026-01-02T03:04:05Z" });
    const cat = commit(4, "catalog-archive", { snapshot: MEDIA });
    const records = catalogRecordsOf([tape, chunks, snap, cat], NOW);
    const base = { type: "archive", mediaUuid: MEDIA, labelText: "TAPE01L9", mediaSetUuid: SET.toLowerCase(), seqNr: 1, pool: "daily", committedAt: NOW.toISOString() };
    expect(records).toEqual([
      { ...base, recordId: expect.any(String), fileNumber: 2, kind: "chunk-archive", archiveUuid: chunks.archiveUuid, store: "store1", digests: [digest(1), digest(2)] },
      { ...base, recordId: expect.any(String), fileNumber: 3, kind: "snapshot-archive", archiveUuid: snap.archiveUuid, store: "store1", snapshot: "ns/a/vm/100/2026-01-02T03:04:05Z" },
      // a catalog archive names neither a datastore nor (in the catalog's contract) the media it describes
      { ...base, recordId: expect.any(String), fileNumber: 4, kind: "catalog-archive", archiveUuid: cat.archiveUuid },
    ]);
    for (const r of records) expect(catalogRecord.parse(r)).toEqual(r);
    expect(new Set(records.map((r) => r.recordId)).size).toBe(3);
    expect(commitRecordsFromCatalog(records)).toEqual([chunks, snap, { ...cat, snapshot: undefined }]);
  });

  it(`splits a chunk archive into records of at most ${CATALOG_MAX_DIGESTS_PER_RECORD} digests, in write order, and joins them back`, () => {
    const n = 2 * CATALOG_MAX_DIGESTS_PER_RECORD + 17;
    const big = commit(5, "chunk-archive", { chunkDigests: Array.from({ length: n }, (_, i) => digest(i)) });
    const records = catalogRecordsOf([tape, big], NOW) as Array<Extract<CatalogRecord, { type: "archive" }>>;
    expect(records.map((r) => r.digests?.length)).toEqual([CATALOG_MAX_DIGESTS_PER_RECORD, CATALOG_MAX_DIGESTS_PER_RECORD, 17]);
    expect(records.every((r) => r.fileNumber === 5 && r.archiveUuid === big.archiveUuid)).toBe(true);
    expect(new Set(records.map((r) => r.recordId)).size).toBe(3);
    expect(records.flatMap((r) => r.digests)).toEqual(big.chunkDigests);
    expect(commitRecordsFromCatalog(records)).toEqual([big]);
    // exactly the limit is one record; an archive without complete chunks still gets its record
    expect(catalogRecordsOf([tape, commit(6, "chunk-archive", { chunkDigests: big.chunkDigests.slice(0, CATALOG_MAX_DIGESTS_PER_RECORD) })], NOW)).toHaveLength(1);
    expect(catalogRecordsOf([tape, commit(7, "chunk-archive")], NOW)).toEqual([expect.objectContaining({ fileNumber: 7, digests: [] })]);
  });

  it("builds the same record ids again (a retried publish is a duplicate), and new ones when the tape joins another set", () => {
    const entries = [{ ...tape, joined: true }, commit(2, "chunk-archive", { chunkDigests: [digest(9)] }), commit(3, "snapshot-archive", { snapshot: "vm/1/2026-01-02T03:04:05Z" })];
    const first = catalogRecordsOf(entries, NOW);
    const again = catalogRecordsOf(entries, new Date(NOW.getTime() + 60_000));
    expect(again.map((r) => r.recordId)).toEqual(first.map((r) => r.recordId));
    expect(again.map((r) => ("committedAt" in r ? r.committedAt : r.joinedAt))).not.toEqual(first.map((r) => ("committedAt" in r ? r.committedAt : r.joinedAt)));
    for (const id of first.map((r) => r.recordId)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const otherSet = "00000000-1111-4222-8333-444444444444";
    const rejoined = catalogRecordsOf([{ ...tape, mediaSetUuid: otherSet, seqNr: 0, joined: true }], NOW);
    expect(rejoined.map((r) => r.recordId).filter((id) => first.some((r) => r.recordId === id))).toEqual([]);
    // upper- and lower-case spellings of the same uuids name the same record
    expect(commitRecordId({ mediaSetUuid: SET, seqNr: 1, mediaUuid: MEDIA.toUpperCase(), fileNumber: 2, archiveUuid: "AA".repeat(4) + "-1111-4111-8111-111111111111", part: 0 })).toBe(
      commitRecordId({ mediaSetUuid: SET.toLowerCase(), seqNr: 1, mediaUuid: MEDIA, fileNumber: 2, archiveUuid: "aa".repeat(4) + "-1111-4111-8111-111111111111", part: 0 }),
    );
  });

  it("computes name-based UUIDs as RFC 9562 version 5", () => {
    // RFC 9562 / Python uuid.uuid5(NAMESPACE_DNS, "www.example.com")
    expect(nameUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });

  it("refuses records the catalog would not take, naming the record and the field, and returns none of the batch", () => {
    const noTape = refusal(() => catalogRecordsOf([commit(2, "snapshot-archive", { snapshot: "vm/1/2026-01-02T03:04:05Z" })], NOW));
    expect(noTape).toMatchObject({ code: "invalid-request", field: "mediaUuid", fileNumber: 2 });
    expect(noTape.message).toMatch(/snapshot-archive record of tape file 2: mediaUuid: no tape/);

    const pool = refusal(() => catalogRecordsOf([{ ...tape, pool: "p", joined: true }], NOW));
    expect(pool).toMatchObject({ code: "invalid-request", field: "pool" });
    expect(pool.message).toMatch(/^media-set-joined record of tape .*: pool: must be at least 2 characters/);

    const snap = refusal(() => catalogRecordsOf([tape, commit(2, "chunk-archive"), commit(3, "snapshot-archive", { snapshot: "vm/1/yesterday" })], NOW));
    expect(snap).toMatchObject({ field: "snapshot", fileNumber: 3 });
    expect(snap.message).toMatch(/snapshot-archive record of tape file 3: snapshot: backup time 'yesterday'/);

    expect(refusal(() => catalogRecordsOf([tape, commit(2, "chunk-archive", { chunkDigests: [digest(1), "xyz"] })], NOW))).toMatchObject({ field: "digests.1", fileNumber: 2 });
    expect(refusal(() => catalogRecordsOf([tape, commit(2, "chunk-archive", { store: "" })], NOW)).message).toMatch(/store: must be at least 3 characters/);
    expect(refusal(() => catalogRecordsOf([tape, commit(1, "snapshot-archive", { snapshot: "vm/1/2026-01-02T03:04:05Z" })], NOW))).toMatchObject({ field: "fileNumber", fileNumber: 1 });
    expect(refusal(() => catalogRecordsOf([{ ...tape, mediaUuid: "not-a-uuid", joined: true }], NOW))).toMatchObject({ field: "mediaUuid" });
    for (const ctime of [Number.NaN, 1.5, 1e300]) expect(refusal(() => catalogRecordsOf([{ ...tape, mediaSetCtime: ctime, joined: true }], NOW))).toMatchObject({ field: "mediaSetCtime" });
  });

  it("publishes on the catalog's subject of the media set", () => {
    expect(commitSubject(SET)).toBe(`catalog.commit.${SET.toLowerCase()}`);
  });

  it("round-trips any sequence of commit records through catalog records (property)", () => {
    const kindArb = fc.constantFrom<CommitRecord["kind"]>("chunk-archive", "snapshot-archive", "catalog-archive");
    fc.assert(
      fc.property(fc.array(fc.tuple(kindArb, fc.nat({ max: 2 * CATALOG_MAX_DIGESTS_PER_RECORD + 5 }), fc.integer({ min: 1, max: 0xffff })), { maxLength: 6 }), (specs) => {
        let next = 0;
        const commits = specs.map(([kind, n, id], i) =>
          commit(2 + i, kind, {
            chunkDigests: kind === "chunk-archive" ? Array.from({ length: n }, () => digest(next++)) : [],
            ...(kind === "snapshot-archive" ? { snapshot: `ct/${id}/2026-01-02T03:04:05Z` } : {}),
          }),
        );
        const records = catalogRecordsOf([{ ...tape, joined: true }, ...commits], NOW);
        expect(new Set(records.map((r) => r.recordId)).size).toBe(records.length);
        for (const r of records) if (r.type === "archive") expect(r.digests?.length ?? 0).toBeLessThanOrEqual(CATALOG_MAX_DIGESTS_PER_RECORD);
        expect(commitRecordsFromCatalog(records)).toEqual(commits.map((c) => (c.kind === "catalog-archive" ? { ...c, snapshot: undefined } : c)));
      }),
      { numRuns: 40, seed: 4242 },
    );
  });
});
