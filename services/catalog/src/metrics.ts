import { CATALOG_STREAM } from "@tapefleet/api-types";
import { Counter, Gauge, METRIC_PREFIX, type Bus, type Registry } from "@tapefleet/common";
import { INGEST_DURABLE, type IngestConsumer } from "./core/consumer.ts";

/** Results counted by `tapefleet_catalog_records_total` (the ingest's `ApplyOutcome`s). */
export const RECORD_RESULTS = ["applied", "duplicate", "held"] as const;

/** What the lag is computed from: the ingest consumer's state on the catalog stream. */
export interface IngestBacklog {
  /** Records delivered but not acknowledged plus records not delivered yet. */
  pending: number;
  /** Receive time (ms since the epoch) of the oldest record not acknowledged; null when none. */
  oldestMs: number | null;
}

/** Seconds the oldest unacknowledged record has waited at `nowMs`; 0 when nothing waits. */
export function ingestLagSeconds(backlog: IngestBacklog, nowMs: number): number {
  if (backlog.pending === 0 || backlog.oldestMs === null) return 0;
  return Math.max(0, (nowMs - backlog.oldestMs) / 1000);
}

/**
 * Reads the durable ingest consumer: its pending counts, and the JetStream receive
 * time of the record just above its acknowledgement floor (the oldest record the
 * catalog has not committed). Records the stream already dropped (max age) are
 * skipped: the oldest one still stored counts.
 */
export async function readIngestBacklog(bus: Bus): Promise<IngestBacklog> {
  const jsm = await bus.nc.jetstreamManager();
  const stream = bus.streamName(CATALOG_STREAM);
  const info = await jsm.consumers.info(stream, INGEST_DURABLE);
  const pending = info.num_pending + info.num_ack_pending;
  if (pending === 0) return { pending, oldestMs: null };
  const state = (await jsm.streams.info(stream)).state;
  const seq = Math.max(info.ack_floor.stream_seq + 1, state.first_seq);
  if (seq > state.last_seq) return { pending, oldestMs: null };
  const msg = await jsm.streams.getMessage(stream, { seq });
  return { pending, oldestMs: msg.time.getTime() };
}

/**
 * Register the catalog's series on the service registry, both collected on scrape:
 * `tapefleet_catalog_records_total{result}` from the ingest consumer's counts of this
 * process, `tapefleet_catalog_ingest_lag_seconds` from the durable consumer shared by
 * every replica ({@link readIngestBacklog}).
 */
export function registerCatalogMetrics(registry: Registry, bus: Bus, ingest: Pick<IngestConsumer, "stats">, now: () => number = Date.now): void {
  new Counter({
    name: `${METRIC_PREFIX}catalog_records_total`,
    help: "Catalog records handled by this process's ingest: applied, duplicate (already applied) or held (kept for a later retry)",
    labelNames: ["result"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const result of RECORD_RESULTS) this.inc({ result }, ingest.stats[result]);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}catalog_ingest_lag_seconds`,
    help: "Seconds the oldest catalog record not yet committed has waited on the catalog stream (0: none waits)",
    registers: [registry],
    async collect() {
      // NATS unreachable: NaN (unknown) rather than a lag of 0 or a failed scrape.
      this.set(await readIngestBacklog(bus).then((b) => ingestLagSeconds(b, now()), () => Number.NaN));
    },
  });
}
