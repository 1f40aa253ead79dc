import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from "nats";
import { CATALOG_STREAM, CATALOG_STREAM_SUBJECTS } from "@tapefleet/api-types";
import type { Bus, Logger, Sql } from "@tapefleet/common";
import { ChunkUpkeep, ingestBatch, receiveRecord, type ApplyOutcome, type ReceivedRecord } from "./ingest.ts";

/** Durable JetStream consumer the catalog ingests records with (shared by every instance). */
export const INGEST_DURABLE = "catalog-ingest";

export interface IngestConsumerOptions {
  /** Most messages applied in one transaction. */
  batchSize: number;
  /** Seconds a delivered message may stay unacknowledged before JetStream redelivers it. */
  ackWaitSeconds: number;
  /** Called after each batch (tests, metrics). */
  onBatch?: (outcomes: ApplyOutcome[]) => void;
}

export interface IngestConsumer {
  /** Records applied, duplicates skipped, records held, since start. */
  readonly stats: { batches: number; applied: number; duplicate: number; held: number; parseMs: number; applyMs: number };
  stop(): Promise<void>;
}

/**
 * Starts the ingest loop: a durable pull consumer on the catalog stream; the
 * messages waiting are taken in batches, each applied in one transaction and
 * acknowledged after the commit (at-least-once delivery, idempotent apply).
 */
export async function startIngestConsumer(bus: Bus, sql: Sql, logger: Logger, opts: IngestConsumerOptions): Promise<IngestConsumer> {
  const stream = await bus.ensureStream(CATALOG_STREAM, CATALOG_STREAM_SUBJECTS);
  const jsm = await bus.nc.jetstreamManager();
  const config = {
    durable_name: INGEST_DURABLE,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: bus.subject("catalog.commit.>"),
    ack_wait: opts.ackWaitSeconds * 1_000_000_000,
    max_ack_pending: Math.max(1024, opts.batchSize * 4),
  };
  try {
    await jsm.consumers.info(stream, INGEST_DURABLE);
  } catch {
    try {
      await jsm.consumers.add(stream, config);
    } catch (err) {
      // Another instance created it meanwhile.
      if (!/already|exists/i.test((err as Error).message)) throw err;
    }
  }
  const consumer = await bus.nc.jetstream().consumers.get(stream, INGEST_DURABLE);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: opts.batchSize * 2 });
  const upkeep = new ChunkUpkeep(sql);
  const stats = { batches: 0, applied: 0, duplicate: 0, held: 0, parseMs: 0, applyMs: 0 };

  const parse = (batch: JsMsg[]): ReceivedRecord[] => {
    const t0 = performance.now();
    const received = batch.map((m) => receiveRecord(m.data));
    stats.parseMs += performance.now() - t0;
    return received;
  };

  const apply = async (batch: JsMsg[], received: ReceivedRecord[]): Promise<void> => {
    const t0 = performance.now();
    let outcomes: ApplyOutcome[];
    try {
      outcomes = await ingestBatch(sql, received, logger);
      stats.applyMs += performance.now() - t0;
    } catch (err) {
      // The database is unreachable: nothing was applied; JetStream delivers the batch again.
      logger.error({ err, records: batch.length }, "catalog batch not applied; will be redelivered");
      for (const m of batch) m.nak(2000);
      return;
    }
    for (const m of batch) m.ack();
    const digests = received.reduce((n, r) => n + (r.ok && r.record.type === "archive" ? (r.record.digests?.length ?? 0) : 0), 0);
    await upkeep.afterBatch(digests).catch((err: unknown) => logger.warn({ err }, "chunk table upkeep failed"));
    stats.batches += 1;
    for (const o of outcomes) stats[o.outcome] += 1;
    const held = outcomes.filter((o) => o.outcome === "held");
    if (held.length > 0) logger.warn({ held: held.map((h) => ({ recordId: h.recordId, reason: h.reason, message: h.message })) }, "catalog records held");
    opts.onBatch?.(outcomes);
  };

  // The next batch is parsed while PostgreSQL applies the previous one; batches apply one after another, in order.
  const loop = (async () => {
    let batch: JsMsg[] = [];
    let applying: Promise<void> = Promise.resolve();
    for await (const m of messages) {
      batch.push(m);
      if (batch.length >= opts.batchSize || m.info.pending === 0) {
        const b = batch;
        batch = [];
        const received = parse(b);
        await applying;
        applying = apply(b, received);
      }
    }
    await applying;
    if (batch.length > 0) for (const m of batch) m.nak();
  })().catch((err: unknown) => logger.error({ err }, "catalog ingest loop ended"));

  return {
    stats,
    async stop() {
      messages.stop();
      await loop;
    },
  };
}
