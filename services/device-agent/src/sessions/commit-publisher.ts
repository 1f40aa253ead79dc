import { CATALOG_STREAM, CATALOG_STREAM_SUBJECTS, catalogCommitSubject } from "@tapefleet/api-types";
import type { Bus } from "@tapefleet/common";
import { catalogRecordsOf, type CommitEntry, type CommitRecord, type CommitTape } from "./commit-record.ts";

/** JetStream stream (relative name) the catalog records go to: the catalog service's `CATALOG_STREAM`. */
export const COMMIT_STREAM = CATALOG_STREAM;

/** Where commit records go before the caller hears of them. */
export interface CommitPublisher {
  /**
   * Publishes the tapes and commit records in order; resolves once every
   * record is durable (acknowledged by JetStream).
   */
  publish(entries: readonly CommitEntry[]): Promise<void>;
}

/** What `natsCommitPublisher` needs of the bus. */
export type CommitBus = Pick<Bus, "ensureStream" | "subject" | "nc">;

/**
 * Publishes the catalog service's contract on NATS JetStream: each entry
 * becomes `catalogRecord`s (`catalogRecordsOf`: the set join and the label
 * files when a tape joined, one or more archive records per commit record),
 * all validated before the first is sent, each as JSON on
 * `catalogCommitSubject(media set uuid)` with the JetStream message id = the
 * record id, so JetStream drops a retried publish within its duplicate
 * window and the catalog ignores it after. The stream is the catalog's
 * (`ensureStream(CATALOG_STREAM, CATALOG_STREAM_SUBJECTS)`, same settings as
 * the catalog creates it), created when missing so records published before
 * the catalog service starts are kept.
 */
export async function natsCommitPublisher(bus: CommitBus, options: { now?: () => Date } = {}): Promise<CommitPublisher> {
  await bus.ensureStream(CATALOG_STREAM, CATALOG_STREAM_SUBJECTS);
  const js = bus.nc.jetstream();
  const encoder = new TextEncoder();
  const now = options.now ?? (() => new Date());
  return {
    async publish(entries) {
      const records = catalogRecordsOf(entries, now());
      // Sent in order on one connection (the stream keeps that order), acknowledged together.
      await Promise.all(records.map((r) => js.publish(bus.subject(catalogCommitSubject(r.mediaSetUuid)), encoder.encode(JSON.stringify(r)), { msgID: r.recordId })));
    },
  };
}

/**
 * A publisher that keeps what it is given in memory (agents without NATS,
 * tests): the commit records in `records`, the tapes in `tapes`. Nothing is
 * validated; `catalogRecordsOf(tapes and records)` gives what NATS would get.
 */
export function memoryCommitPublisher(): CommitPublisher & { records: CommitRecord[]; tapes: CommitTape[] } {
  const records: CommitRecord[] = [];
  const tapes: CommitTape[] = [];
  return {
    records,
    tapes,
    async publish(entries) {
      for (const e of entries) {
        if (e.kind === "tape") tapes.push(e);
        else records.push(e);
      }
    },
  };
}
