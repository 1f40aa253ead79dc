import { createHash } from "node:crypto";
import { CATALOG_STREAM, CATALOG_STREAM_SUBJECTS, catalogCommitSubject, type CatalogRecordInput } from "@tapefleet/api-types";
import { Bus, createLogger } from "@tapefleet/common";
import type { TestEnv } from "@tapefleet/testkit";
import { loadCatalogConfig, startCatalog, type RunningCatalog } from "../../src/index.ts";

/** A deterministic UUID from a name (test data only). */
export function uuidOf(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A deterministic digest (hex) from a name. */
export function digestOf(name: string): string {
  return createHash("sha256").update(`chunk:${name}`).digest("hex");
}

export interface TapeRef {
  mediaUuid: string;
  labelText: string;
  mediaSetUuid: string;
  seqNr: number;
  pool: string;
}

export function tape(label: string, set: string, seqNr: number, pool = "daily"): TapeRef {
  return { mediaUuid: uuidOf(`tape:${label}`), labelText: label, mediaSetUuid: uuidOf(`set:${set}`), seqNr, pool };
}

const T0 = Date.parse("2026-03-01T00:00:00Z");
let clock = 0;
const at = () => new Date(T0 + 1000 * clock++).toISOString();

export function joined(t: TapeRef, extra: { mediaSetName?: string } = {}): CatalogRecordInput {
  return { type: "media-set-joined", recordId: uuidOf(`join:${t.mediaUuid}:${t.mediaSetUuid}:${clock}`), ...t, mediaSetCtime: "2026-03-01T00:00:00Z", joinedAt: at(), ...extra };
}

type ArchiveFields = { fileNumber: number; kind: "media-label" | "media-set-label" | "chunk-archive" | "snapshot-archive" | "catalog-archive"; store?: string; snapshot?: string; digests?: string[]; incomplete?: boolean; bytes?: number; archiveUuid?: string };

export function archive(t: TapeRef, f: ArchiveFields): CatalogRecordInput {
  return {
    type: "archive",
    recordId: uuidOf(`rec:${t.mediaUuid}:${f.fileNumber}:${clock}`),
    ...t,
    archiveUuid: f.archiveUuid ?? uuidOf(`archive:${t.mediaUuid}:${f.fileNumber}`),
    ...f,
    committedAt: at(),
  } as CatalogRecordInput;
}

/** The label records of a tape that joined a set. */
export function labels(t: TapeRef): CatalogRecordInput[] {
  return [archive(t, { fileNumber: 0, kind: "media-label", archiveUuid: t.mediaUuid }), archive(t, { fileNumber: 1, kind: "media-set-label", archiveUuid: t.mediaSetUuid })];
}

export class Harness {
  bus!: Bus;
  catalog!: RunningCatalog;
  constructor(readonly env: TestEnv) {}

  async start(): Promise<void> {
    this.bus = await Bus.connect({ url: this.env.natsUrl, prefix: this.env.natsPrefix, name: "catalog-test", logger: createLogger({ service: "t", level: "silent" }) });
    await this.bus.ensureStream(CATALOG_STREAM, CATALOG_STREAM_SUBJECTS);
    await this.startCatalog();
  }

  async startCatalog(): Promise<void> {
    const config = loadCatalogConfig({ env: { ...this.env.serviceEnv(), TAPEFLEET_LOG_LEVEL: process.env["CATALOG_TEST_LOG_LEVEL"] ?? "silent" } });
    this.catalog = await startCatalog(config, { installSignalHandlers: false });
  }

  get processed(): number {
    const s = this.catalog.ingest.stats;
    return s.applied + s.duplicate + s.held;
  }

  /** Publishes records (raw objects or raw bytes) on JetStream, in order. */
  async publish(records: Array<CatalogRecordInput | { subjectSet: string; raw: Uint8Array }>): Promise<void> {
    const js = this.bus.nc.jetstream();
    for (const r of records) {
      if ("raw" in r) await js.publish(this.bus.subject(catalogCommitSubject(r.subjectSet)), r.raw);
      else await js.publish(this.bus.subject(catalogCommitSubject(r.mediaSetUuid)), new TextEncoder().encode(JSON.stringify(r)));
    }
  }

  /** Publishes and waits until this catalog process has handled that many more records. */
  async publishAndWait(records: Array<CatalogRecordInput | { subjectSet: string; raw: Uint8Array }>): Promise<void> {
    const target = this.processed + records.length;
    await this.publish(records);
    await this.waitProcessed(target);
  }

  async waitProcessed(target: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (this.processed < target) {
      if (Date.now() > deadline) throw new Error(`catalog handled ${this.processed} records, expected ${target}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  request<T>(subject: string, payload: unknown): Promise<T> {
    return this.bus.request<T>(subject, payload);
  }

  async stop(): Promise<void> {
    await this.catalog?.stop();
    await this.bus?.close();
  }
}
