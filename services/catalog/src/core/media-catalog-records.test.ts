import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CATALOG_MAX_DIGESTS_PER_RECORD, type CatalogRecord } from "@tapefleet/api-types";
import { MediaCatalog, TapeFormatError } from "@tapefleet/tape-format";
import { catalogRecordsFromMediaCatalog, renderMediaCatalog, type TapeContent } from "./media-catalog-records.ts";

const MEDIA = "0e6f5c3a-9f1d-4e2b-8a7c-112233445566";
const SET = "7d1c9a4e-2b3f-4c5d-9e8f-a0b1c2d3e4f5";
const TAPE = { mediaUuid: MEDIA, labelText: "TAPE01L9", mediaSetUuid: SET, seqNr: 2, pool: "daily", committedAt: "2026-01-01T00:00:00Z" };

let n = 0;
const ids = () => `00000000-0000-4000-8000-${(n++).toString(16).padStart(12, "0")}`;
const digest = (i: number) => {
  const d = new Uint8Array(32);
  new DataView(d.buffer).setUint32(0, i);
  d[31] = 0xab;
  return d;
};

/** What the catalog stores for these records (the ingest's view), as `loadTapeContent` returns it. */
function contentOf(records: CatalogRecord[]): TapeContent {
  const files = new Map<number, TapeContent["files"][number]>();
  for (const r of records) {
    if (r.type !== "archive") continue;
    if (r.kind === "chunk-archive") {
      const prev = files.get(r.fileNumber);
      const digests = (r.digests ?? []).map((h) => Uint8Array.from(Buffer.from(h, "hex")));
      if (prev?.kind === "chunk-archive") prev.digests.push(...digests);
      else files.set(r.fileNumber, { kind: "chunk-archive", fileNumber: r.fileNumber, archiveUuid: r.archiveUuid, store: r.store!, digests });
    } else if (r.kind === "snapshot-archive") {
      files.set(r.fileNumber, { kind: "snapshot-archive", fileNumber: r.fileNumber, archiveUuid: r.archiveUuid, store: r.store!, snapshot: r.snapshot!, incomplete: r.incomplete === true });
    } else {
      files.set(r.fileNumber, { kind: r.kind, fileNumber: r.fileNumber });
    }
  }
  return { mediaUuid: MEDIA, mediaSetUuid: SET, seqNr: 2, files: [...files.values()].sort((a, b) => a.fileNumber - b.fileNumber) };
}

describe("catalogRecordsFromMediaCatalog", () => {
  it("turns a media catalog into the join, the labels and one record per archive", () => {
    const c = MediaCatalog.createForMediaSet(MEDIA, SET, 2);
    c.startChunkArchive(2, ids(), "store1");
    c.registerChunk(digest(1));
    c.registerChunk(digest(2));
    c.endChunkArchive();
    c.registerSnapshot(3, ids(), "store1", "ns/a/vm/100/2026-01-01T00:00:00Z");
    const records = catalogRecordsFromMediaCatalog(c.toBytes(), { ...TAPE, newRecordId: ids });
    expect(records.map((r) => (r.type === "archive" ? [r.fileNumber, r.kind, r.digests?.length ?? r.snapshot ?? null] : [r.type]))).toEqual([
      ["media-set-joined"],
      [0, "media-label", null],
      [1, "media-set-label", null],
      [2, "chunk-archive", 2],
      [3, "snapshot-archive", "ns/a/vm/100/2026-01-01T00:00:00Z"],
    ]);
    expect(records[0]).toMatchObject({ mediaUuid: MEDIA, mediaSetUuid: SET, seqNr: 2, pool: "daily", labelText: "TAPE01L9", mediaSetCtime: TAPE.committedAt, joinedAt: TAPE.committedAt });
    expect(new Set(records.map((r) => r.recordId)).size).toBe(records.length);
    expect(records[3]).toMatchObject({ digests: [Buffer.from(digest(1)).toString("hex"), Buffer.from(digest(2)).toString("hex")] });
  });

  it("splits a chunk archive with more digests than a record carries", () => {
    const c = MediaCatalog.createForMediaSet(MEDIA, SET, 2);
    c.startChunkArchive(2, ids(), "store1");
    for (let i = 0; i < CATALOG_MAX_DIGESTS_PER_RECORD * 2 + 1; i++) c.registerChunk(digest(i));
    c.endChunkArchive();
    const records = catalogRecordsFromMediaCatalog(c.toBytes(), TAPE);
    const parts = records.filter((r) => r.type === "archive" && r.kind === "chunk-archive");
    expect(parts.map((r) => (r.type === "archive" ? r.digests?.length : 0))).toEqual([CATALOG_MAX_DIGESTS_PER_RECORD, CATALOG_MAX_DIGESTS_PER_RECORD, 1]);
    expect(new Set(parts.map((r) => (r.type === "archive" ? r.archiveUuid : "")))).toHaveProperty("size", 1);
  });

  it("drops an unterminated chunk archive at the end (a torn catalog tail)", () => {
    const c = MediaCatalog.createForMediaSet(MEDIA, SET, 2);
    c.registerSnapshot(2, ids(), "store1", "vm/1/2026-01-01T00:00:00Z");
    const complete = c.toBytes();
    c.startChunkArchive(3, ids(), "store1");
    c.registerChunk(digest(9));
    const torn = c.toBytes();
    const records = catalogRecordsFromMediaCatalog(torn.subarray(0, torn.length - 5), TAPE);
    expect(records.map((r) => (r.type === "archive" ? r.fileNumber : -1))).toEqual([-1, 0, 1, 2]);
    expect(catalogRecordsFromMediaCatalog(complete, TAPE)).toHaveLength(4);
  });

  it("rejects bytes that are not this tape's catalog with typed errors", () => {
    const other = MediaCatalog.createForMediaSet(MEDIA, "11111111-2222-4333-8444-555555555555", 2).toBytes();
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array(3), "truncated"],
      [new Uint8Array(40), "bad-magic"],
      [other, "catalog-order"],
      [MediaCatalog.create(MEDIA).toBytes(), "catalog-order"],
    ];
    for (const [bytes, code] of cases) {
      const err = (() => {
        try {
          catalogRecordsFromMediaCatalog(bytes, TAPE);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(TapeFormatError);
      expect((err as TapeFormatError).code).toBe(code);
    }
  });

  it("round-trips: bytes → records → stored content → the same bytes (random catalogs)", () => {
    const archiveArb = fc.oneof(
      fc.record({ kind: fc.constant("chunk" as const), store: fc.constantFrom("store1", "store_2"), chunks: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant("snapshot" as const), store: fc.constantFrom("store1", "store_2"), ns: fc.constantFrom("", "ns/a/", "ns/a/ns/b/"), id: fc.integer({ min: 1, max: 999 }) }),
    );
    fc.assert(
      fc.property(fc.array(archiveArb, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 12, maxLength: 12 }), (archives, gaps) => {
        const c = MediaCatalog.createForMediaSet(MEDIA, SET, 2);
        let file = 1;
        let k = 0;
        archives.forEach((a, i) => {
          file += gaps[i]!; // gaps: catalog archives and torn archives have no entries
          if (a.kind === "chunk") {
            c.startChunkArchive(file, ids(), a.store);
            for (let j = 0; j < a.chunks; j++) c.registerChunk(digest(k++));
            c.endChunkArchive();
          } else c.registerSnapshot(file, ids(), a.store, `${a.ns}vm/${a.id}/2026-01-01T00:00:00Z`);
        });
        const bytes = c.toBytes();
        const records = catalogRecordsFromMediaCatalog(bytes, TAPE);
        expect(Buffer.from(renderMediaCatalog(contentOf(records))).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe("renderMediaCatalog", () => {
  it("leaves out labels, catalog archives and incomplete snapshot archives, keeps incomplete chunk archives", () => {
    const bytes = renderMediaCatalog({
      mediaUuid: MEDIA,
      mediaSetUuid: SET,
      seqNr: 2,
      files: [
        { kind: "media-label", fileNumber: 0 },
        { kind: "media-set-label", fileNumber: 1 },
        { kind: "catalog-archive", fileNumber: 2 },
        { kind: "chunk-archive", fileNumber: 3, archiveUuid: ids(), store: "s1", digests: [digest(1)] },
        { kind: "snapshot-archive", fileNumber: 4, archiveUuid: ids(), store: "s1", snapshot: "vm/1/2026-01-01T00:00:00Z", incomplete: true },
        { kind: "snapshot-archive", fileNumber: 5, archiveUuid: ids(), store: "s1", snapshot: "vm/2/2026-01-01T00:00:00Z", incomplete: false },
      ],
    });
    const c = MediaCatalog.load(bytes, { mediaUuid: MEDIA, mediaSetUuid: SET, seqNr: 2, requireMediaSetLabel: true });
    expect(c.snapshots("s1")).toEqual([{ snapshot: "vm/2/2026-01-01T00:00:00Z", fileNumber: 5 }]);
    expect(c.chunkFile("s1", digest(1))).toBe(3);
    expect(c.lastFileNumber).toBe(5);
  });
});
