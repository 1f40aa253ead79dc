import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CATALOG_MEDIA_CATALOG_PAGE_MAX,
  CATALOG_MEDIA_CATALOG_PAGE_MIN,
  CATALOG_REQUESTS,
  catalogRecord,
  type CatalogMediaCatalogPage,
  type CatalogDigestsPage,
  type CatalogHeldRecord,
  type CatalogMediaContentEntry,
  type CatalogMediaFile,
  type CatalogMediaSummary,
  type CatalogRecordInput,
  type CatalogRestorePlan,
  type CatalogSnapshotLocation,
} from "@tapefleet/api-types";
import type { TapefleetError } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { MediaCatalog } from "@tapefleet/tape-format";
import { catalogRecordsFromMediaCatalog, INGEST_DURABLE, ingestBatch, mediaCatalogBytes } from "../../src/index.ts";
import { archive, digestOf, Harness, joined, labels, tape, uuidOf } from "./support.ts";

let env: TestEnv;
let h: Harness;

beforeAll(async () => {
  env = await provisionTestEnv("catalogingest");
  h = new Harness(env);
  await h.start();
});
afterAll(async () => {
  await h?.stop();
  await env?.cleanup();
});

const digests = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => digestOf(`${prefix}-${i}`));

// Media set "A": three tapes. Snapshot vm/100 has chunks on tapes 0 and 2,
// ct/200 (namespace a/b) on tape 1, host/web on tape 2.
const A0 = tape("A00000L9", "A", 0);
const A1 = tape("A00001L9", "A", 1);
const A2 = tape("A00002L9", "A", 2);
const VM100 = "vm/100/2026-03-01T10:00:00Z";
const CT200 = "ns/a/ns/b/ct/200/2026-03-01T11:00:00Z";
const HOST = "host/web/2026-03-01T12:00:00Z";
const TORN = "vm/101/2026-03-01T10:30:00Z";
const vmChunks0 = digests("vm100-t0", 300);
const vmChunks2 = digests("vm100-t2", 50);
const ctChunks = digests("ct200", 120);
const hostChunks = digests("host", 40);
const tornChunks = digests("torn", 7);

function setA(): CatalogRecordInput[] {
  return [
    joined(A0, { mediaSetName: "daily-2026-03-01" }),
    ...labels(A0),
    archive(A0, { fileNumber: 2, kind: "chunk-archive", store: "store1", digests: vmChunks0.slice(0, 200), bytes: 1000 }),
    // A second record of the same chunk archive (large archives come in parts).
    archive(A0, { fileNumber: 2, kind: "chunk-archive", store: "store1", digests: vmChunks0.slice(200), bytes: 1500 }),
    archive(A0, { fileNumber: 3, kind: "chunk-archive", store: "store1", digests: tornChunks, incomplete: true, bytes: 10 }),
    // Torn snapshot archive (LEOM): written again on the next tape, never listed as a snapshot.
    archive(A0, { fileNumber: 4, kind: "snapshot-archive", store: "store1", snapshot: TORN, incomplete: true, bytes: 5 }),
    joined(A1),
    ...labels(A1),
    archive(A1, { fileNumber: 2, kind: "catalog-archive", bytes: 100 }),
    archive(A1, { fileNumber: 3, kind: "chunk-archive", store: "store1", digests: ctChunks, bytes: 200 }),
    archive(A1, { fileNumber: 4, kind: "snapshot-archive", store: "store1", snapshot: CT200, bytes: 10 }),
    archive(A1, { fileNumber: 5, kind: "snapshot-archive", store: "store1", snapshot: TORN, bytes: 10 }),
    joined(A2),
    ...labels(A2),
    archive(A2, { fileNumber: 2, kind: "chunk-archive", store: "store1", digests: [...vmChunks2, ...hostChunks], bytes: 300 }),
    archive(A2, { fileNumber: 3, kind: "snapshot-archive", store: "store1", snapshot: VM100, bytes: 10 }),
    archive(A2, { fileNumber: 4, kind: "snapshot-archive", store: "store1", snapshot: HOST, bytes: 10 }),
    archive(A2, { fileNumber: 5, kind: "chunk-archive", store: "store2", digests: digests("other-store", 5), bytes: 10 }),
    archive(A2, { fileNumber: 6, kind: "snapshot-archive", store: "store2", snapshot: VM100, bytes: 10 }),
  ];
}

async function state(): Promise<unknown> {
  return {
    content: await h.request(CATALOG_REQUESTS.mediaContent, {}),
    media: await h.request(CATALOG_REQUESTS.mediaList, {}),
    files: await Promise.all([A0, A1, A2].map((t) => h.request(CATALOG_REQUESTS.mediaFiles, { mediaUuid: t.mediaUuid }))),
  };
}

describe("catalog ingest and queries", () => {
  let recordsA: CatalogRecordInput[];
  let before: unknown;

  it("ingests every record published twice, applying each once", async () => {
    recordsA = setA();
    const twice = recordsA.flatMap((r) => [r, r]);
    await h.publishAndWait(twice);
    const stats = h.catalog.ingest.stats;
    expect(stats.applied).toBe(recordsA.length);
    expect(stats.duplicate).toBe(recordsA.length);
    expect(stats.held).toBe(0);
    before = await state();
  });

  it("lists media content as PBS does, with each filter", async () => {
    const all = await h.request<CatalogMediaContentEntry[]>(CATALOG_REQUESTS.mediaContent, {});
    expect(all.map((e) => [e["label-text"], e["seq-nr"], e.store, e.snapshot])).toEqual([
      ["A00001L9", 1, "store1", CT200],
      ["A00001L9", 1, "store1", TORN],
      ["A00002L9", 2, "store1", VM100],
      ["A00002L9", 2, "store1", HOST],
      ["A00002L9", 2, "store2", VM100],
    ]);
    expect(all[0]).toMatchObject({
      pool: "daily",
      "media-set-name": "daily-2026-03-01",
      "media-set-uuid": A0.mediaSetUuid,
      "media-set-ctime": Date.parse("2026-03-01T00:00:00Z") / 1000,
      "backup-time": Date.parse("2026-03-01T11:00:00Z") / 1000,
      uuid: A1.mediaUuid,
    });
    const q = async (f: Record<string, unknown>) => (await h.request<CatalogMediaContentEntry[]>(CATALOG_REQUESTS.mediaContent, f)).map((e) => `${e["label-text"]}:${e.store}:${e.snapshot}`);
    expect(await q({ "label-text": "A00002L9" })).toEqual([`A00002L9:store1:${VM100}`, `A00002L9:store1:${HOST}`, `A00002L9:store2:${VM100}`]);
    expect(await q({ "seq-nr": 1 })).toEqual([`A00001L9:store1:${CT200}`, `A00001L9:store1:${TORN}`]);
    expect(await q({ snapshot: "vm/100" })).toEqual([`A00002L9:store1:${VM100}`, `A00002L9:store2:${VM100}`]);
    expect(await q({ snapshot: "ns/a" })).toEqual([`A00001L9:store1:${CT200}`]);
    expect(await q({ snapshot: VM100, store: "store2" })).toEqual([`A00002L9:store2:${VM100}`]);
    expect(await q({ "media-set-name": "daily-2026-03-01", "seq-nr": 2, store: "store1" })).toHaveLength(2);
    expect(await q({ "media-set-uuid": A0.mediaSetUuid })).toHaveLength(5);
    expect(await q({ pool: "weekly" })).toEqual([]);
    expect(await q({ "media-set-name": "nope" })).toEqual([]);
    // "vm/10" is not a component prefix of "vm/100/…"
    expect(await q({ snapshot: "vm/10" })).toEqual([]);
    const bad = (await h.request(CATALOG_REQUESTS.mediaContent, { "seq-nr": -1, colour: "red" }).catch((e: unknown) => e)) as TapefleetError;
    expect(bad.code).toBe("VALIDATION");
    expect(bad.fields?.map((f) => f.field).sort()).toEqual(["colour", "seq-nr"]);
  });

  it("never lists a torn (incomplete) archive as complete", async () => {
    const files = await h.request<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: A0.mediaUuid });
    expect(files.map((f) => [f.fileNumber, f.kind, f.incomplete, f.chunks])).toEqual([
      [0, "media-label", false, 0],
      [1, "media-set-label", false, 0],
      [2, "chunk-archive", false, 300],
      [3, "chunk-archive", true, 7],
      [4, "snapshot-archive", true, 0],
    ]);
    expect(files[2]!.bytes).toBe(1500);
    // The torn copy on tape 0 is not content; the rewritten one on tape 1 is.
    const torn = await h.request<CatalogMediaContentEntry[]>(CATALOG_REQUESTS.mediaContent, { snapshot: TORN });
    expect(torn.map((e) => e["label-text"])).toEqual(["A00001L9"]);
    const snaps = await h.request<CatalogSnapshotLocation[]>(CATALOG_REQUESTS.mediaSetSnapshots, { mediaSetUuid: A0.mediaSetUuid, store: "store1" });
    expect(snaps.map((s) => [s.labelText, s.fileNumber, s.snapshot, s.namespace])).toEqual([
      ["A00001L9", 4, CT200, "a/b"],
      ["A00001L9", 5, TORN, ""],
      ["A00002L9", 3, VM100, ""],
      ["A00002L9", 4, HOST, ""],
    ]);
    const plan = await h.request<CatalogRestorePlan>(CATALOG_REQUESTS.restorePlan, { mediaSetUuid: A0.mediaSetUuid, snapshots: [`store1:${TORN}`] });
    expect(plan.tapes.map((t) => [t.labelText, t.files.map((f) => f.fileNumber)])).toEqual([["A00001L9", [5]]]);
  });

  it("summarizes each tape", async () => {
    const media = await h.request<CatalogMediaSummary[]>(CATALOG_REQUESTS.mediaList, { mediaSetUuid: A0.mediaSetUuid });
    expect(media.map((m) => [m.labelText, m.seqNr, m.archives, m.incomplete, m.snapshots, m.chunks, m.lastFileNumber])).toEqual([
      ["A00000L9", 0, 5, 2, 0, 307, 4],
      ["A00001L9", 1, 6, 0, 2, 120, 5],
      ["A00002L9", 2, 7, 0, 3, 95, 6],
    ]);
    // The sizes the records carried (the second part of file 2 corrected it to 1500).
    expect(media.map((m) => [m.bytes, m.bytesComplete])).toEqual([[1515, true], [320, true], [340, true]]);
    expect(media[0]!.mediaSetName).toBe("daily-2026-03-01");
    expect(media.map((m) => m.missingFiles)).toEqual([[], [], []]);
    expect(await h.request(CATALOG_REQUESTS.mediaList, { pool: "weekly" })).toEqual([]);
  });

  it("plans a restore across three tapes in tape order, files ascending", async () => {
    const needed = { store1: [...vmChunks0.slice(0, 10), ...vmChunks2.slice(0, 5), ...ctChunks.slice(0, 3), ...tornChunks.slice(0, 2), digestOf("nowhere")] };
    const plan = await h.request<CatalogRestorePlan>(CATALOG_REQUESTS.restorePlan, {
      mediaSetUuid: A0.mediaSetUuid,
      snapshots: [`store1:${HOST}`, `store1:${VM100}`, `store1:${CT200}`, "store1:vm/999/2026-03-01T00:00:00Z"],
      digests: needed,
    });
    expect(plan.tapes.map((t) => [t.seqNr, t.labelText, t.files.map((f) => `${f.fileNumber}:${f.kind}:${f.chunks ?? f.snapshot}`)])).toEqual([
      [0, "A00000L9", ["2:chunk-archive:10", "3:chunk-archive:2"]],
      [1, "A00001L9", ["3:chunk-archive:3", `4:snapshot-archive:store1:${CT200}`]],
      [2, "A00002L9", ["2:chunk-archive:5", `3:snapshot-archive:store1:${VM100}`, `4:snapshot-archive:store1:${HOST}`]],
    ]);
    expect(plan.missingSnapshots).toEqual(["store1:vm/999/2026-03-01T00:00:00Z"]);
    expect(plan.missingDigests).toEqual({ store1: [digestOf("nowhere")] });
    const unknown = (await h.request(CATALOG_REQUESTS.restorePlan, { mediaSetUuid: uuidOf("none"), snapshots: [] }).catch((e: unknown) => e)) as TapefleetError;
    expect(unknown.code).toBe("NOT_FOUND");
    const badSpec = (await h.request(CATALOG_REQUESTS.restorePlan, { mediaSetUuid: A0.mediaSetUuid, snapshots: ["vm/100"] }).catch((e: unknown) => e)) as TapefleetError;
    expect(badSpec.fields?.[0]?.field).toBe("snapshots.0");
  });

  it("streams the digest set of a media set in pages", async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page: CatalogDigestsPage = await h.request(CATALOG_REQUESTS.mediaSetDigests, { mediaSetUuid: A0.mediaSetUuid, store: "store1", limit: 100, ...(after ? { after } : {}) });
      pages += 1;
      const blob = Buffer.from(page.digests, "base64");
      expect(blob.length).toBe(page.count * 32);
      for (let i = 0; i < page.count; i++) seen.push(blob.subarray(i * 32, i * 32 + 32).toString("hex"));
      if (page.next === undefined) break;
      after = page.next;
    }
    const expected = [...vmChunks0, ...tornChunks, ...ctChunks, ...vmChunks2, ...hostChunks];
    expect(seen.length).toBe(expected.length);
    expect(new Set(seen)).toEqual(new Set(expected));
    expect(pages).toBe(Math.ceil(expected.length / 100));
    const other: CatalogDigestsPage = await h.request(CATALOG_REQUESTS.mediaSetDigests, { mediaSetUuid: A0.mediaSetUuid, store: "store2" });
    expect(other.count).toBe(5);
    expect(other.next).toBeUndefined();
  });

  it("changes nothing when the whole stream is delivered again", async () => {
    await h.catalog.stop();
    const jsm = await h.bus.nc.jetstreamManager();
    await jsm.consumers.delete(h.bus.streamName("catalog"), INGEST_DURABLE);
    await h.startCatalog();
    const info = await jsm.streams.info(h.bus.streamName("catalog"));
    await h.waitProcessed(info.state.messages);
    expect(h.catalog.ingest.stats).toMatchObject({ applied: 0, held: 0, duplicate: info.state.messages });
    expect(await state()).toEqual(before);
  });

  it("resets a reused tape when it joins another set", async () => {
    const B0 = { ...tape("A00000L9", "B", 0, "weekly") };
    await h.publishAndWait([joined(B0, { mediaSetName: "weekly-1" }), ...labels(B0), archive(B0, { fileNumber: 2, kind: "snapshot-archive", store: "store1", snapshot: "ct/300/2026-04-01T00:00:00Z" })]);
    const files = await h.request<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: B0.mediaUuid });
    expect(files.map((f) => [f.fileNumber, f.kind])).toEqual([[0, "media-label"], [1, "media-set-label"], [2, "snapshot-archive"]]);
    const content = await h.request<CatalogMediaContentEntry[]>(CATALOG_REQUESTS.mediaContent, { "label-text": "A00000L9" });
    expect(content.map((c) => [c["media-set-name"], c.pool, c.snapshot])).toEqual([["weekly-1", "weekly", "ct/300/2026-04-01T00:00:00Z"]]);
    // Set A lost the tape's chunks: the plan no longer finds them.
    const plan = await h.request<CatalogRestorePlan>(CATALOG_REQUESTS.restorePlan, { mediaSetUuid: A0.mediaSetUuid, snapshots: [], digests: { store1: vmChunks0.slice(0, 3) } });
    expect(plan.tapes).toEqual([]);
    expect(plan.missingDigests["store1"]).toHaveLength(3);
    const setA = await h.request<CatalogMediaSummary[]>(CATALOG_REQUESTS.mediaList, { mediaSetUuid: A0.mediaSetUuid });
    expect(setA.map((m) => m.labelText)).toEqual(["A00001L9", "A00002L9"]);
  });

  it("keeps records it cannot apply, and applies them once their tape joins", async () => {
    const C0 = tape("C00000L9", "C", 0);
    const early = [...labels(C0), archive(C0, { fileNumber: 2, kind: "snapshot-archive", store: "store1", snapshot: "vm/7/2026-05-01T00:00:00Z" })];
    const notJson = { subjectSet: C0.mediaSetUuid, raw: new TextEncoder().encode("{not json\u0000") };
    const badRecord = { ...archive(C0, { fileNumber: 1, kind: "chunk-archive", store: "store1" }) };
    await h.publishAndWait([...early, notJson, badRecord]);
    let held = await h.request<CatalogHeldRecord[]>(CATALOG_REQUESTS.heldRecords, {});
    expect(held.map((r) => r.reason)).toEqual(["not-a-member", "not-a-member", "not-a-member", "invalid", "invalid"]);
    expect(held[3]!.message).toMatch(/not JSON/);
    expect(held[4]!.message).toMatch(/fileNumber: must be at least 2/);
    expect(held[4]!.recordId).toBe(badRecord.recordId);
    await h.publishAndWait([joined(C0)]);
    const files = await h.request<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: C0.mediaUuid });
    expect(files.map((f) => f.fileNumber)).toEqual([0, 1, 2]);
    held = await h.request<CatalogHeldRecord[]>(CATALOG_REQUESTS.heldRecords, {});
    expect(held.map((r) => r.reason)).toEqual(["invalid", "invalid"]);

    // Another archive on an occupied file, and another tape on a taken seq nr: kept, nothing changed.
    const conflict = archive(C0, { fileNumber: 2, kind: "chunk-archive", store: "store1", digests: [] });
    const C0b = tape("C0000BL9", "C", 0);
    await h.publishAndWait([conflict, joined(C0b)]);
    held = await h.request<CatalogHeldRecord[]>(CATALOG_REQUESTS.heldRecords, {});
    expect(held.map((r) => r.reason)).toEqual(["invalid", "invalid", "conflict", "seq-nr-taken"]);
    expect(held[2]!.message).toContain("already holds snapshot-archive");
    expect((await h.request<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: C0.mediaUuid })).map((f) => f.kind)).toEqual(["media-label", "media-set-label", "snapshot-archive"]);
  });

  it("restores a tape's catalog from PBS media catalog bytes and renders the same bytes back", async () => {
    const D1 = tape("D00001L9", "D", 1, "offsite");
    const c = MediaCatalog.createForMediaSet(D1.mediaUuid, D1.mediaSetUuid, 1);
    c.startChunkArchive(3, uuidOf("d-a3"), "store1");
    // More digests than one record carries: the archive is published in parts.
    const many = digests("d-many", 10_500);
    for (const d of many) c.registerChunk(Buffer.from(d, "hex"));
    c.endChunkArchive();
    c.registerSnapshot(4, uuidOf("d-s4"), "store1", "ns/x/vm/1/2026-06-01T00:00:00Z");
    c.startChunkArchive(6, uuidOf("d-a6"), "store9");
    c.endChunkArchive();
    c.registerSnapshot(7, uuidOf("d-s7"), "store9", "host/h/2026-06-01T00:00:00Z");
    const bytes = c.toBytes();
    const records = catalogRecordsFromMediaCatalog(bytes, { ...D1, mediaSetName: "offsite-1", mediaSetCtime: "2026-06-01T00:00:00Z" });
    expect(records.map((r) => (r.type === "archive" ? `${r.fileNumber}:${r.kind}:${r.digests?.length ?? ""}` : r.type))).toEqual([
      "media-set-joined",
      "0:media-label:",
      "1:media-set-label:",
      "3:chunk-archive:10000",
      "3:chunk-archive:500",
      "4:snapshot-archive:",
      "6:chunk-archive:0",
      "7:snapshot-archive:",
    ]);
    await h.publishAndWait(records);
    const rendered = await mediaCatalogBytes(h.catalog.service.database!.sql, D1.mediaUuid);
    expect(Buffer.from(rendered).equals(Buffer.from(bytes))).toBe(true);
    // Restoring the same catalog again (new record ids) ends in the same state.
    await h.publishAndWait(catalogRecordsFromMediaCatalog(bytes, { ...D1, mediaSetCtime: "2026-06-01T00:00:00Z" }));
    expect(Buffer.from(await mediaCatalogBytes(h.catalog.service.database!.sql, D1.mediaUuid)).equals(Buffer.from(bytes))).toBe(true);
    const summary = await h.request<CatalogMediaSummary[]>(CATALOG_REQUESTS.mediaList, { mediaUuids: [D1.mediaUuid] });
    // Files 2 and 5 have no media catalog entry (a catalog archive, a torn archive): reported as missing.
    expect(summary[0]).toMatchObject({ chunks: 10_500, snapshots: 2, archives: 6, mediaSetName: "offsite-1", lastFileNumber: 7, missingFiles: [2, 5] });
  });

  it("serves a tape's media catalog in pages (catalog.media.catalog) that add up to the rendered bytes", async () => {
    const sql = h.catalog.service.database!.sql;
    for (const t of [A0, A2, tape("D00001L9", "D", 1, "offsite")]) {
      const whole = Buffer.from(await mediaCatalogBytes(sql, t.mediaUuid));
      for (const limit of [CATALOG_MEDIA_CATALOG_PAGE_MIN, 100_000, undefined]) {
        const pieces: Buffer[] = [];
        let after: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await h.request<CatalogMediaCatalogPage>(CATALOG_REQUESTS.mediaCatalog, { mediaUuid: t.mediaUuid, ...(after ? { after } : {}), ...(limit ? { limit } : {}) });
          expect(page.mediaUuid).toBe(t.mediaUuid);
          const data = Buffer.from(page.data, "base64");
          expect(data.length).toBeLessThanOrEqual(limit ?? CATALOG_MEDIA_CATALOG_PAGE_MAX);
          pieces.push(data);
          pages++;
          if (page.next === undefined) break;
          after = page.next;
        }
        expect(Buffer.concat(pieces).equals(whole), `${t.labelText} limit ${limit}`).toBe(true);
        if (limit === CATALOG_MEDIA_CATALOG_PAGE_MIN && whole.length > limit) expect(pages).toBeGreaterThan(1);
      }
    }
    // A chunk count that does not match the rows (it never should): the page is built archive by archive, still exact.
    const whole = Buffer.from(await mediaCatalogBytes(sql, A2.mediaUuid));
    await sql`update catalog.archives set chunk_count = chunk_count + 1 where media_uuid = ${A2.mediaUuid} and kind = 'chunk-archive'`;
    try {
      const page = await h.request<CatalogMediaCatalogPage>(CATALOG_REQUESTS.mediaCatalog, { mediaUuid: A2.mediaUuid });
      expect(page.next).toBeUndefined();
      expect(Buffer.from(page.data, "base64").equals(whole)).toBe(true);
    } finally {
      await sql`update catalog.archives set chunk_count = chunk_count - 1 where media_uuid = ${A2.mediaUuid} and kind = 'chunk-archive'`;
    }
    await expect(h.request(CATALOG_REQUESTS.mediaCatalog, { mediaUuid: uuidOf("nobody") })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(h.request(CATALOG_REQUESTS.mediaCatalog, { mediaUuid: A0.mediaUuid, limit: 10 })).rejects.toMatchObject({ code: "VALIDATION" });
  });

  it("applies a failing batch record by record, holding the record the database refuses", async () => {
    const E0 = tape("E00000L9", "E", 0);
    const sql = h.catalog.service.database!.sql;
    const ok = (r: CatalogRecordInput) => ({ ok: true as const, record: catalogRecord.parse(r) });
    await ingestBatch(sql, [ok(joined(E0))]);
    const good1 = ok(archive(E0, { fileNumber: 2, kind: "catalog-archive" }));
    // Past validation (as if a newer publisher sent a kind this schema does not know): the table's check refuses it.
    const bad = { ok: true as const, record: { ...catalogRecord.parse(archive(E0, { fileNumber: 3, kind: "catalog-archive" })), kind: "tape-archive" } as never };
    const good2 = ok(archive(E0, { fileNumber: 4, kind: "catalog-archive" }));
    const outcomes = await ingestBatch(sql, [good1, bad, good2]);
    expect(outcomes.map((o) => o.outcome)).toEqual(["applied", "held", "applied"]);
    const held = await h.request<CatalogHeldRecord[]>(CATALOG_REQUESTS.heldRecords, {});
    expect(held.at(-1)).toMatchObject({ reason: "failed", mediaUuid: E0.mediaUuid });
    expect(held.at(-1)!.message).toContain("archives_kind_v2_check");
    const files = await h.request<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: E0.mediaUuid });
    expect(files.map((f) => f.fileNumber)).toEqual([2, 4]);
  });

  it("keeps its stream off the request subjects", async () => {
    const jsm = await h.bus.nc.jetstreamManager();
    const info = await jsm.streams.info(h.bus.streamName("catalog"));
    expect(info.config.subjects).toEqual([h.bus.subject("catalog.commit.>")]);
  });

  it("forgets a tape", async () => {
    const A2files = await h.request<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: A2.mediaUuid });
    expect(A2files).toHaveLength(7);
    const dropped = await h.request(CATALOG_REQUESTS.mediaForget, { mediaUuid: A2.mediaUuid });
    expect(dropped).toEqual({ mediaUuid: A2.mediaUuid, archives: 7, snapshots: 3, chunks: 95, member: true });
    const gone = (await h.request(CATALOG_REQUESTS.mediaFiles, { mediaUuid: A2.mediaUuid }).catch((e: unknown) => e)) as TapefleetError;
    expect(gone.code).toBe("NOT_FOUND");
    expect(await h.request(CATALOG_REQUESTS.mediaContent, { "label-text": "A00002L9" })).toEqual([]);
  });
});
