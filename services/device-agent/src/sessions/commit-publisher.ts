import type { Bus } from "@tapefleet/common";
import { randomUUID } from "node:crypto";
import { commitSubject, type CommitRecord } from "./commit-record.ts";

/** Event type of a published commit record (the envelope `type`). */
export const COMMIT_EVENT_TYPE = "catalog.commit";
/** JetStream stream (relative name) that captures `catalog.commit.>`. */
export const COMMIT_STREAM = "catalog_commit";

/** Where commit records go before the caller hears of them. */
export interface CommitPublisher {
  /** Resolves once every record is durable (acknowledged by JetStream). */
  publish(records: readonly CommitRecord[]): Promise<void>;
}

/**
 * Publishes each commit record on NATS JetStream, subject
 * `<prefix>.catalog.commit.<media set uuid>`, as a JSON event envelope
 * (`data` = the record, digests in hex). The message id
 * `<media uuid>/<file number>/<archive uuid>` lets JetStream drop duplicates
 * when a publish is retried. The stream `catalog_commit` is created when
 * missing, so records published before the catalog service starts are kept.
 */
export async function natsCommitPublisher(bus: Bus): Promise<CommitPublisher> {
  await bus.ensureStream(COMMIT_STREAM, ["catalog.commit.>"]);
  const js = bus.nc.jetstream();
  return {
    async publish(records) {
      for (const r of records) {
        const envelope = {
          id: randomUUID(),
          type: COMMIT_EVENT_TYPE,
          source: bus.source,
          time: new Date().toISOString(),
          subject: r.mediaSetUuid,
          data: r,
        };
        await js.publish(bus.subject(commitSubject(r.mediaSetUuid)), new TextEncoder().encode(JSON.stringify(envelope)), {
          msgID: `${r.mediaUuid}/${r.fileNumber}/${r.archiveUuid}`,
        });
      }
    },
  };
}

/** A publisher that keeps records in memory (agents without NATS, tests). */
export function memoryCommitPublisher(): CommitPublisher & { records: CommitRecord[] } {
  const records: CommitRecord[] = [];
  return {
    records,
    async publish(rs) {
      records.push(...rs);
    },
  };
}
