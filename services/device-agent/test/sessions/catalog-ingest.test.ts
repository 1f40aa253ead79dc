/**
 * The device agent's commit records, end to end into the catalog service: a
 * write session of a sample datastore across two tapes (and an append to the
 * second) publishes on NATS; the catalog service, run as its own process,
 * ingests the records; its queries must list exactly what a scan of the
 * tapes finds on them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CATALOG_REQUESTS,
  CATALOG_STREAM,
  catalogCommitSubject,
  parseSnapshotPath,
  type CatalogDigestsPage,
  type CatalogHeldRecord,
  type CatalogMediaContentEntry,
  type CatalogMediaFile,
  type CatalogMediaSummary,
  type CatalogRestorePlan,
  type CatalogSnapshotLocation,
} from "@tapefleet/api-types";
import { Bus, createLogger } from "@tapefleet/common";
import { createSampleDatastore, ingestFiles, snapshotPath, type Datastore, type SnapshotRef } from "@tapefleet/datastore";
import { freePort, provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import type { VirtualLibrary } from "@tapefleet/vtl";
import { catalogRecordsOf, commitFromProto, natsCommitPublisher, virtualLibraryDrives, writeStatusNumber, type CommitPublisher, type CommitRecord } from "../../src/sessions/index.ts";
import { DRIVE, MiB, createSessionLibrary, loadAndLabel, runWrite, sessionSiteSpec, startSessionServer, tmpDir, type SessionServer } from "./helpers/session-fixture.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const INGEST_DURABLE = "catalog-ingest";
const STORE = "sample";
const POOL = "weekly";
const CTIME = 1_750_000_000;

let env: TestEnv;
let bus: Bus;
let lib: VirtualLibrary;
let server: SessionServer;
let publisher: CommitPublisher;
let catalog: { proc: ChildProcess; exited: Promise<void>; logFile: string } | undefined;
const dirs: Array<{ remove(): Promise<void> }> = [];
let source: Datastore;
let sourcePath: string;
let logDir: string;
const mediaSet = { uuid: randomUUID(), pool: POOL, seqNr: 0, ctime: CTIME };

/** What a scan of one tape found. */
interface TapeScan {
  mediaUuid: string;
  labelText: string;
  seqNr: number;
  records: CommitRecord[];
  catalog: Uint8Array;
  skippedFiles: number[];
}
const scans: TapeScan[] = [];
/** The commits the write sessions reported over gRPC, per session. */
const sessions: CommitRecord[][] = [];

function logTail(file: string): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Runs the catalog service as a child process (`node --import tsx services/catalog/src/main.ts`) and waits for /readyz. */
async function startCatalogProcess(): Promise<NonNullable<typeof catalog>> {
  const port = await freePort();
  const logFile = join(logDir, "catalog.log");
  const fd = openSync(logFile, "a");
  let proc: ChildProcess;
  try {
    proc = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "services/catalog/src/main.ts")], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env.serviceEnv(), TAPEFLEET_HTTP_HOST: "127.0.0.1", TAPEFLEET_HTTP_PORT: String(port), TAPEFLEET_LOG_LEVEL: "warn", TAPEFLEET_INSTANCE_ID: `catalog-${env.id}` },
      stdio: ["ignore", fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let running = true;
  const exited = new Promise<void>((resolve) => proc.once("exit", () => ((running = false), resolve())));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!running) throw new Error(`the catalog service exited during start; last lines of ${logFile}:\n${logTail(logFile)}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { proc, exited, logFile };
    if (Date.now() > deadline) throw new Error(`the catalog service was not ready in time; last lines of ${logFile}:\n${logTail(logFile)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the catalog has acknowledged (applied or held) every record the stream holds. */
async function waitIngested(): Promise<number> {
  const jsm = await bus.nc.jetstreamManager();
  const stream = bus.streamName(CATALOG_STREAM);
  const last = (await jsm.streams.info(stream)).state.last_seq;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const c = await jsm.consumers.info(stream, INGEST_DURABLE).catch(() => undefined);
    if (c !== undefined && c.ack_floor.stream_seq >= last && c.num_ack_pending === 0) return last;
    if (Date.now() > deadline) throw new Error(`the catalog acknowledged up to ${c?.ack_floor.stream_seq ?? "nothing"} of ${last} records; last lines of its log:\n${logTail(catalog?.logFile ?? "")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scanLoadedTape(): Promise<TapeScan> {
  const records: CommitRecord[] = [];
  let result: TapeScan | undefined;
  for await (const r of server.client.scanTape({ drive: DRIVE })) {
    if (r.message.case === "archive") records.push(commitFromProto(r.message.value));
    else if (r.message.case === "result") {
      const v = r.message.value;
      result = { mediaUuid: v.mediaUuid, labelText: v.labelText, seqNr: v.seqNr, records, catalog: v.catalog, skippedFiles: v.skippedFiles.map(Number) };
    }
  }
  return result!;
}

const ask = <T>(subject: string, payload: unknown) => bus.request<T>(subject, payload, { timeoutMs: 30_000 });
const snapText = (ref: SnapshotRef) => `${STORE}:${snapshotPath(ref)}`;

beforeAll(async () => {
  env = await provisionTestEnv("catingest");
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "device-agent", logger: createLogger({ service: "t", level: "silent" }) });
  const vtl = await tmpDir("catvtl");
  const src = await tmpDir("catsrc");
  const logs = await tmpDir("catlog");
  dirs.push(vtl, src, logs);
  logDir = logs.path;
  // Tape 1 reaches early warning at 4 MiB: the set spans both tapes.
  lib = await createSessionLibrary(
    vtl.path,
    sessionSiteSpec([
      { barcode: "TI0001L9", capacityBytes: 16 * MiB, earlyWarningBytes: 4 * MiB },
      { barcode: "TI0002L9", capacityBytes: 256 * MiB, earlyWarningBytes: 8 * MiB },
    ]),
  );
  sourcePath = src.path;
  source = (await createSampleDatastore(sourcePath, { size: 12 * MiB, seed: 23 })).datastore;
  publisher = await natsCommitPublisher(bus);
  server = await startSessionServer({ drives: virtualLibraryDrives(lib), publisher });
}, 180_000);

afterAll(async () => {
  if (catalog !== undefined) {
    catalog.proc.kill("SIGTERM");
    const killer = setTimeout(() => catalog?.proc.kill("SIGKILL"), 10_000);
    await catalog.exited;
    clearTimeout(killer);
  }
  await server?.close();
  await lib?.close();
  await bus?.close();
  await env?.cleanup();
  for (const d of dirs) await d.remove();
});

describe("commit records of write sessions in the catalog service", () => {
  it("lists exactly the snapshots and chunks a scan finds on the two tapes of a media set", async () => {
    const refs: SnapshotRef[] = [];
    for await (const s of source.selectSnapshots({})) refs.push(s);
    expect(refs.length).toBeGreaterThan(5);

    // Tape 1, before the catalog service runs: its records wait on the stream.
    const t1 = await loadAndLabel(lib, "TI0001L9");
    const first = await runWrite(server.client, { datastorePath: sourcePath, store: STORE, mediaSet, snapshots: refs.map(snapText), maxChunkArchiveBytes: MiB });
    expect(first.end?.status).toBe(writeStatusNumber("tape-full"));
    sessions.push(first.commits);
    scans.push(await scanLoadedTape());

    const starting = startCatalogProcess();
    starting.catch(() => undefined);

    // Tape 2 joins the set while the catalog starts; then an append of a new snapshot to it.
    const t2 = await loadAndLabel(lib, "TI0002L9");
    const second = await runWrite(server.client, {
      datastorePath: sourcePath,
      store: STORE,
      mediaSet: { ...mediaSet, seqNr: 1 },
      snapshots: first.end!.remainingSnapshots,
      knownDigests: new Set(first.commits.flatMap((c) => c.chunkDigests)),
      memberCatalogs: [{ mediaUuid: t1.mediaUuid, seqNr: 0, bytes: scans[0]!.catalog }],
      maxChunkArchiveBytes: MiB,
    });
    expect(second.started).toMatchObject({ appended: false });
    expect(second.end?.status).toBe(writeStatusNumber("complete"));
    sessions.push(second.commits);

    const late: SnapshotRef = { ns: [], type: "host", id: "late", time: 1_800_000_000 };
    await ingestFiles(source, { type: "host", id: "late", time: late.time, files: [{ name: "drive-scsi0", data: new Uint8Array(2 * MiB).map((_, i) => (i * 7919) % 251), as: "image" }], chunkSize: 256 * 1024 });
    refs.push(late);
    const ownCatalog = (await scanLoadedTape()).catalog;
    const third = await runWrite(server.client, {
      datastorePath: sourcePath,
      store: STORE,
      mediaSet: { ...mediaSet, seqNr: 1 },
      snapshots: [snapText(late)],
      knownDigests: new Set([...first.commits, ...second.commits].flatMap((c) => c.chunkDigests)),
      memberCatalogs: [
        { mediaUuid: t1.mediaUuid, seqNr: 0, bytes: scans[0]!.catalog },
        { mediaUuid: t2.mediaUuid, seqNr: 1, bytes: ownCatalog },
      ],
    });
    expect(third.started).toMatchObject({ appended: true });
    expect(third.end?.snapshotsWritten).toEqual([snapText(late)]);
    sessions.push(third.commits);
    scans.push(await scanLoadedTape());

    catalog = await starting;
    await waitIngested();

    // What the sessions reported is what the scans find (the catalog is compared with the scans below).
    const [s1, s2] = scans as [TapeScan, TapeScan];
    expect([s1.mediaUuid, s2.mediaUuid]).toEqual([t1.mediaUuid, t2.mediaUuid]);
    expect(sessions.flat().map((c) => `${c.mediaUuid}/${c.fileNumber}/${c.archiveUuid}`)).toEqual([...s1.records, ...s2.records].map((c) => `${c.mediaUuid}/${c.fileNumber}/${c.archiveUuid}`));
    const onTape = [...s1.records, ...s2.records];

    expect(await ask<CatalogHeldRecord[]>(CATALOG_REQUESTS.heldRecords, {})).toEqual([]);

    // Per tape: the two label files and every archive the scan found, nothing else, no gaps.
    const summaries = await ask<CatalogMediaSummary[]>(CATALOG_REQUESTS.mediaList, { mediaSetUuid: mediaSet.uuid });
    expect(summaries).toEqual(
      scans.map((s) => ({
        mediaUuid: s.mediaUuid,
        labelText: s.labelText,
        pool: POOL,
        mediaSetUuid: mediaSet.uuid,
        mediaSetName: mediaSet.uuid,
        seqNr: s.seqNr,
        archives: 2 + s.records.length,
        incomplete: 0,
        snapshots: s.records.filter((r) => r.kind === "snapshot-archive").length,
        chunks: s.records.reduce((n, r) => n + r.chunkDigests.length, 0),
        bytes: null,
        bytesComplete: false,
        lastFileNumber: s.records[s.records.length - 1]!.fileNumber,
        missingFiles: s.skippedFiles.filter((f) => f < s.records[s.records.length - 1]!.fileNumber),
      })),
    );
    for (const s of scans) {
      const files = await ask<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: s.mediaUuid });
      expect(files.every((f) => f.bytes === null && !Number.isNaN(Date.parse(f.committedAt)))).toBe(true);
      expect(files.map(({ committedAt: _, bytes: __, ...f }) => f)).toEqual([
        { fileNumber: 0, kind: "media-label", archiveUuid: s.mediaUuid, store: null, snapshot: null, incomplete: false, chunks: 0 },
        { fileNumber: 1, kind: "media-set-label", archiveUuid: mediaSet.uuid, store: null, snapshot: null, incomplete: false, chunks: 0 },
        ...s.records.map((r) => ({
          fileNumber: r.fileNumber,
          kind: r.kind,
          archiveUuid: r.archiveUuid,
          store: r.kind === "catalog-archive" ? null : STORE,
          snapshot: r.kind === "snapshot-archive" ? r.snapshot : null,
          incomplete: false,
          chunks: r.chunkDigests.length,
        })),
      ]);
    }

    // Snapshots: every snapshot of the datastore once, where the scan found its archive.
    const snapshotArchives = scans.flatMap((s) => s.records.filter((r) => r.kind === "snapshot-archive").map((r) => ({ s, r })));
    expect(new Set(snapshotArchives.map(({ r }) => `${STORE}:${r.snapshot}`))).toEqual(new Set(refs.map(snapText)));
    expect(snapshotArchives).toHaveLength(refs.length);
    const locations = await ask<CatalogSnapshotLocation[]>(CATALOG_REQUESTS.mediaSetSnapshots, { mediaSetUuid: mediaSet.uuid });
    expect(locations).toEqual(
      snapshotArchives.map(({ s, r }) => ({
        store: STORE,
        snapshot: r.snapshot!,
        namespace: (parseSnapshotPath(r.snapshot!) as { namespace: string }).namespace,
        mediaUuid: s.mediaUuid,
        labelText: s.labelText,
        seqNr: s.seqNr,
        fileNumber: r.fileNumber,
      })),
    );
    const content = await ask<CatalogMediaContentEntry[]>(CATALOG_REQUESTS.mediaContent, { "media-set-uuid": mediaSet.uuid });
    expect(content).toEqual(
      snapshotArchives.map(({ s, r }) => ({
        "label-text": s.labelText,
        uuid: s.mediaUuid,
        pool: POOL,
        "media-set-name": mediaSet.uuid,
        "media-set-uuid": mediaSet.uuid,
        "media-set-ctime": CTIME,
        "seq-nr": s.seqNr,
        snapshot: r.snapshot!,
        "backup-time": Date.parse((parseSnapshotPath(r.snapshot!) as { time: string }).time) / 1000,
        store: STORE,
      })),
    );

    // Chunks: the set's digests, page by page, are the scans' chunk archives in write order — every chunk of the datastore once.
    const digests: string[] = [];
    let after: string | undefined;
    for (let pages = 0; ; pages++) {
      const page: CatalogDigestsPage = await ask(CATALOG_REQUESTS.mediaSetDigests, { mediaSetUuid: mediaSet.uuid, store: STORE, limit: 97, ...(after === undefined ? {} : { after }) });
      const bytes = Buffer.from(page.digests, "base64");
      expect(bytes.length).toBe(page.count * 32);
      for (let i = 0; i < page.count; i++) digests.push(bytes.subarray(i * 32, i * 32 + 32).toString("hex"));
      if (page.next === undefined) break;
      after = page.next;
      expect(pages).toBeLessThan(1000);
    }
    const written = onTape.flatMap((r) => r.chunkDigests);
    expect(digests).toEqual(written);
    const all = new Set<string>();
    for (const r of refs) for await (const d of source.snapshotDigests(r)) all.add(d);
    expect(new Set(digests)).toEqual(all);
    expect(digests.length).toBe(all.size);

    // A full restore plan reads every snapshot and chunk archive of both tapes; nothing is missing.
    const full = await ask<CatalogRestorePlan>(CATALOG_REQUESTS.restorePlan, { mediaSetUuid: mediaSet.uuid, snapshots: refs.map(snapText), digests: { [STORE]: [...all] } });
    expect(full).toEqual({
      mediaSetUuid: mediaSet.uuid,
      tapes: scans.map((s) => ({
        mediaUuid: s.mediaUuid,
        labelText: s.labelText,
        seqNr: s.seqNr,
        files: s.records
          .filter((r) => r.kind !== "catalog-archive")
          .map((r) =>
            r.kind === "snapshot-archive"
              ? { fileNumber: r.fileNumber, kind: r.kind, store: STORE, snapshot: `${STORE}:${r.snapshot}` }
              : { fileNumber: r.fileNumber, kind: r.kind, store: STORE, chunks: r.chunkDigests.length },
          ),
      })),
      missingSnapshots: [],
      missingDigests: {},
    });

    // One snapshot of tape 1: its archive and the chunk archives (on either tape) holding its chunks.
    const pick = snapshotArchives.find(({ s }) => s === s1)!;
    const pickRef = refs.find((r) => snapshotPath(r) === pick.r.snapshot)!;
    const need = new Set<string>();
    for await (const d of source.snapshotDigests(pickRef)) need.add(d);
    const holder = new Map<string, { s: TapeScan; fileNumber: number }>();
    for (const s of scans) for (const r of s.records) for (const d of r.chunkDigests) holder.set(d, { s, fileNumber: r.fileNumber });
    const expected = new Map<TapeScan, Map<number, number>>();
    for (const d of need) {
      const h = holder.get(d)!;
      const files = expected.get(h.s) ?? new Map<number, number>();
      files.set(h.fileNumber, (files.get(h.fileNumber) ?? 0) + 1);
      expected.set(h.s, files);
    }
    if (!expected.has(s1)) expected.set(s1, new Map());
    expected.get(s1)!.set(pick.r.fileNumber, -1); // the snapshot archive
    const plan = await ask<CatalogRestorePlan>(CATALOG_REQUESTS.restorePlan, { mediaSetUuid: mediaSet.uuid, snapshots: [`${STORE}:${pick.r.snapshot}`], digests: { [STORE]: [...need] } });
    expect(plan.missingSnapshots).toEqual([]);
    expect(plan.missingDigests).toEqual({});
    expect(plan.tapes).toEqual(
      scans
        .filter((s) => expected.has(s))
        .map((s) => ({
          mediaUuid: s.mediaUuid,
          labelText: s.labelText,
          seqNr: s.seqNr,
          files: [...expected.get(s)!]
            .sort(([a], [b]) => a - b)
            .map(([fileNumber, n]) => (n < 0 ? { fileNumber, kind: "snapshot-archive", store: STORE, snapshot: `${STORE}:${pick.r.snapshot}` } : { fileNumber, kind: "chunk-archive", store: STORE, chunks: n })),
        })),
    );
  }, 300_000);

  it("treats a retried publish as a duplicate: JetStream keeps one copy, and the catalog changes nothing when records come again", async () => {
    const [s1, s2] = scans as [TapeScan, TapeScan];
    const before = await ask<CatalogMediaSummary[]>(CATALOG_REQUESTS.mediaList, { mediaSetUuid: mediaSet.uuid });
    const filesBefore = await ask<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: s2.mediaUuid });
    const jsm = await bus.nc.jetstreamManager();
    const stream = bus.streamName(CATALOG_STREAM);
    const lastBefore = (await jsm.streams.info(stream)).state.last_seq;

    // A publish of tape 2's join and second session, then its retry (same record ids as JetStream message ids):
    // the retry is dropped by JetStream (the first one too while the originals are within the duplicate window).
    const tape2 = { kind: "tape" as const, mediaUuid: s2.mediaUuid, labelText: s2.labelText, mediaSetUuid: mediaSet.uuid, seqNr: 1, pool: POOL, mediaSetCtime: CTIME };
    const batch = [{ ...tape2, joined: true }, ...(sessions[1] ?? [])];
    await publisher.publish(batch);
    const lastAfterFirst = (await jsm.streams.info(stream)).state.last_seq;
    await publisher.publish(batch);
    expect((await jsm.streams.info(stream)).state.last_seq).toBe(lastAfterFirst);

    // The same records delivered again past JetStream's duplicate window (no message id): the catalog ignores them by record id.
    const again = catalogRecordsOf([
      { ...tape2, mediaUuid: s1.mediaUuid, labelText: s1.labelText, seqNr: 0, joined: true },
      ...(sessions[0] ?? []),
      { ...tape2, joined: true },
      ...(sessions[1] ?? []),
      ...(sessions[2] ?? []),
    ]);
    const js = bus.nc.jetstream();
    for (const r of again) await js.publish(bus.subject(catalogCommitSubject(r.mediaSetUuid)), new TextEncoder().encode(JSON.stringify(r)));
    expect(await waitIngested()).toBe(lastAfterFirst + again.length);
    expect(lastAfterFirst - lastBefore).toBeLessThanOrEqual(catalogRecordsOf(batch).length);
    expect(await ask<CatalogMediaSummary[]>(CATALOG_REQUESTS.mediaList, { mediaSetUuid: mediaSet.uuid })).toEqual(before);
    expect(await ask<CatalogMediaFile[]>(CATALOG_REQUESTS.mediaFiles, { mediaUuid: s2.mediaUuid })).toEqual(filesBefore);
    expect(await ask<CatalogHeldRecord[]>(CATALOG_REQUESTS.heldRecords, {})).toEqual([]);
  }, 120_000);
});
