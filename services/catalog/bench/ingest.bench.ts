/**
 * Ingest benchmark: N chunk digests published as chunk archive records on
 * JetStream, then ingested by a catalog started afterwards (the real path:
 * JetStream delivery, record validation, batched transactions into
 * PostgreSQL with the production indexes). Baseline: plain COPY of the same
 * rows into an unindexed temporary table, in the same run. Then the digest
 * set load (`catalog.media-set.digests`, paged) against COPY TO STDOUT of the
 * same digests. Then one tape's media catalog in pages (`catalog.media.catalog`).
 *
 *   npm run bench -w @tapefleet/catalog            # 2,000,000 digests
 *   BENCH_DIGESTS=200000 npm run bench -w @tapefleet/catalog
 */
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { CATALOG_REQUESTS, CATALOG_STREAM, CATALOG_STREAM_SUBJECTS, catalogCommitSubject, type CatalogDigestsPage, type CatalogMediaCatalogPage, type CatalogRecordInput } from "@tapefleet/api-types";
import { Bus, createLogger, runMigrations } from "@tapefleet/common";
import { provisionTestEnv } from "@tapefleet/testkit";
import { CATALOG_MIGRATIONS, loadCatalogConfig, startCatalog, startIngestConsumer } from "../src/index.ts";

const N = Number(process.env["BENCH_DIGESTS"] ?? 2_000_000);
/** Digests per chunk archive (≈ 4 GiB of 4 MiB chunks, as PBS closes archives at 4 GiB). */
const PER_ARCHIVE = Number(process.env["BENCH_PER_ARCHIVE"] ?? 1000);
const ARCHIVES_PER_TAPE = 100;

const uuid = (name: string): string => {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

function digestsHex(n: number, seed: string): string[] {
  const out: string[] = [];
  let h = createHash("sha256").update(seed).digest();
  for (let i = 0; i < n; i++) {
    h = createHash("sha256").update(h).digest();
    out.push(h.toString("hex"));
  }
  return out;
}

const env = await provisionTestEnv("catalogbench");
const bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "catalog-bench", logger: createLogger({ service: "bench", level: "silent" }) });
const sql = postgres(env.databaseUrl, { max: 4, onnotice: () => {} });
try {
  await bus.ensureStream(CATALOG_STREAM, CATALOG_STREAM_SUBJECTS);
  const js = bus.nc.jetstream();
  const set = uuid("bench-set");
  const all = digestsHex(N, "bench");
  const archives = Math.ceil(N / PER_ARCHIVE);
  const tapes = Math.ceil(archives / ARCHIVES_PER_TAPE);
  const records: CatalogRecordInput[] = [];
  const now = new Date().toISOString();
  for (let t = 0; t < tapes; t++) {
    const base = { mediaUuid: uuid(`tape-${t}`), labelText: `BEN${String(t).padStart(3, "0")}L9`, mediaSetUuid: set, seqNr: t, pool: "bench" };
    records.push({ type: "media-set-joined", recordId: uuid(`join-${t}`), ...base, mediaSetCtime: now, joinedAt: now });
    for (let a = 0; a < ARCHIVES_PER_TAPE; a++) {
      const index = t * ARCHIVES_PER_TAPE + a;
      if (index >= archives) break;
      const digests = all.slice(index * PER_ARCHIVE, (index + 1) * PER_ARCHIVE);
      records.push({ type: "archive", recordId: uuid(`rec-${index}`), ...base, fileNumber: 2 + a, kind: "chunk-archive", archiveUuid: uuid(`archive-${index}`), store: "store1", digests, committedAt: now });
    }
  }
  // The schema is migrated; no consumer runs while the records are published.
  const config = loadCatalogConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "warn" } });
  const logger = createLogger({ service: "catalog-bench", level: "warn" });
  await runMigrations({ url: env.databaseUrl, migrationsFolder: CATALOG_MIGRATIONS, schema: "catalog", logger });
  let t0 = performance.now();
  const enc = new TextEncoder();
  const acks: Promise<unknown>[] = [];
  for (const r of records) {
    acks.push(js.publish(bus.subject(catalogCommitSubject(set)), enc.encode(JSON.stringify(r))));
    if (acks.length >= 64) await Promise.all(acks.splice(0));
  }
  await Promise.all(acks);
  const publishS = (performance.now() - t0) / 1000;

  // Real ingest path: the durable consumer takes the waiting records.
  const batchSizes: number[] = [];
  const batchTimes: number[] = [];
  t0 = performance.now();
  const ingest = await startIngestConsumer(bus, sql, logger, {
    batchSize: config.ingestBatch,
    ackWaitSeconds: config.ingestAckWaitSeconds,
    onBatch: (o) => { batchSizes.push(o.length); batchTimes.push(performance.now() - t0); },
  });
  const s = ingest.stats;
  while (s.applied + s.duplicate + s.held < records.length) await new Promise((r) => setTimeout(r, 5));
  const ingestS = (performance.now() - t0) / 1000;
  await ingest.stop();
  if (process.env["BENCH_VERBOSE"]) console.log("batches", batchSizes.join(","), batchTimes.map((t) => t.toFixed(0)).join(","), "parse ms", s.parseMs.toFixed(0), "apply ms", s.applyMs.toFixed(0));
  if (s.held > 0) throw new Error(`${s.held} records held`);
  const [{ n }] = (await sql<{ n: string }[]>`select count(*) as n from catalog.chunks`) as unknown as [{ n: string }];
  if (Number(n) !== N) throw new Error(`catalog holds ${n} digests, expected ${N}`);

  // Baseline: COPY of the same rows into an unindexed unlogged table (no WAL, as a temporary table).
  await sql`create unlogged table bench_copy (archive_id bigint, digest bytea, ord integer)`;
  t0 = performance.now();
  const writable = await sql`copy bench_copy (archive_id, digest, ord) from stdin`.writable();
  const lines = async function* () {
    for (let i = 0; i < N; i += 10_000) {
      let chunk = "";
      for (let j = i; j < Math.min(N, i + 10_000); j++) chunk += `${Math.floor(j / PER_ARCHIVE) + 1}\t\\\\x${all[j]}\t${j % PER_ARCHIVE}\n`;
      yield chunk;
    }
  };
  await pipeline(lines, writable);
  const copyS = (performance.now() - t0) / 1000;

  // Second baseline: COPY into a logged table shaped like catalog.chunks (WAL, BRIN, check), in one transaction.
  await sql`create table bench_copy_logged (like catalog.chunks including all)`;
  t0 = performance.now();
  await sql.begin(async (tx) => {
    const w = await tx`copy bench_copy_logged (archive_id, ord, digest) from stdin`.writable();
    const rows = async function* () {
      for (let i = 0; i < N; i += 10_000) {
        let chunk = "";
        for (let j = i; j < Math.min(N, i + 10_000); j++) chunk += `${Math.floor(j / PER_ARCHIVE) + 1}\t${j % PER_ARCHIVE}\t\\\\x${all[j]}\n`;
        yield chunk;
      }
    };
    await pipeline(rows, w);
  });
  const copyLoggedS = (performance.now() - t0) / 1000;

  const catalog = await startCatalog(config, { installSignalHandlers: false });
  // Digest set load through the catalog (paged over NATS) vs COPY TO STDOUT of the same digests.
  t0 = performance.now();
  let loaded = 0;
  let after: string | undefined;
  for (;;) {
    const page: CatalogDigestsPage = await bus.request(CATALOG_REQUESTS.mediaSetDigests, { mediaSetUuid: set, store: "store1", ...(after ? { after } : {}) }, { timeoutMs: 60_000 });
    loaded += page.count;
    if (page.next === undefined) break;
    after = page.next;
  }
  const loadS = (performance.now() - t0) / 1000;
  if (loaded !== N) throw new Error(`digest set: ${loaded} digests, expected ${N}`);
  t0 = performance.now();
  let bytes = 0;
  const readable = await sql`copy (select digest from bench_copy) to stdout with (format binary)`.readable();
  await pipeline(readable, new Writable({ write(c: Buffer, _e, cb) { bytes += c.length; cb(); } }));
  const copyOutS = (performance.now() - t0) / 1000;
  // A member's media catalog as a backup reads it for the next tape's catalog archives (catalog.media.catalog pages).
  t0 = performance.now();
  let catalogBytes = 0;
  let catalogPages = 0;
  let cursor: string | undefined;
  for (;;) {
    const page: CatalogMediaCatalogPage = await bus.request(CATALOG_REQUESTS.mediaCatalog, { mediaUuid: uuid("tape-0"), ...(cursor ? { after: cursor } : {}) }, { timeoutMs: 60_000 });
    catalogBytes += Buffer.from(page.data, "base64").length;
    catalogPages++;
    if (page.next === undefined) break;
    cursor = page.next;
  }
  const catalogS = (performance.now() - t0) / 1000;
  const tape0Chunks = Math.min(N, ARCHIVES_PER_TAPE * PER_ARCHIVE);
  await catalog.stop();

  const rate = (x: number, sec: number) => Math.round(x / sec).toLocaleString("en-US");
  console.log(`digests: ${N.toLocaleString("en-US")} in ${records.length} records (${PER_ARCHIVE} per chunk archive, ${tapes} tapes); JetStream publish ${publishS.toFixed(1)} s`);
  console.log(`ingest (JetStream → catalog → PostgreSQL)        : ${rate(N, ingestS)} digests/s (${ingestS.toFixed(1)} s)`);
  console.log(`baseline COPY into an unindexed table:            ${rate(N, copyS)} digests/s (${copyS.toFixed(1)} s)`);
  console.log(`ingest / baseline: ${(copyS / ingestS).toFixed(2)}`);
  console.log(`baseline COPY into a logged table like chunks:    ${rate(N, copyLoggedS)} digests/s (${copyLoggedS.toFixed(1)} s); ingest / this: ${(copyLoggedS / ingestS).toFixed(2)}`);
  console.log(`digest set load (catalog.media-set.digests pages): ${rate(N, loadS)} digests/s (${loadS.toFixed(1)} s)`);
  console.log(`baseline COPY TO STDOUT of the digests:             ${rate(N, copyOutS)} digests/s (${copyOutS.toFixed(1)} s, ${bytes} bytes)`);
  console.log(`load / baseline: ${(copyOutS / loadS).toFixed(2)}`);
  console.log(`media catalog of one tape (catalog.media.catalog, ${catalogPages} pages, ${(catalogBytes / 1048576).toFixed(1)} MiB): ${rate(tape0Chunks, catalogS)} chunks/s (${catalogS.toFixed(1)} s)`);
} finally {
  await bus.close();
  await sql.end({ timeout: 5 });
  await env.cleanup();
}
