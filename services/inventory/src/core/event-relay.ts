import type { Bus, Logger } from "@tapefleet/common";
import { asc, inArray } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { eventOutbox, type InventorySchema } from "../db/schema.ts";

/** Rows published per transaction. */
const BATCH = 100;

/**
 * Publishes the outbox on JetStream in id order and deletes what it
 * published. Delivery is at least once (a crash between publish and delete
 * repeats an event); consumers are idempotent. Flushes run one after another,
 * so a flush requested after a commit publishes that commit's event.
 */
export class EventRelay {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: PostgresJsDatabase<InventorySchema>,
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  /** Publish every pending event. Never rejects: failures are logged and retried by the next flush. */
  flush(): Promise<void> {
    this.chain = this.chain.then(
      () => this.drain(),
      () => this.drain(),
    ).catch((err: unknown) => {
      this.logger.error({ err }, "publishing configuration events failed; will retry");
    });
    return this.chain;
  }

  private async drain(): Promise<void> {
    for (;;) {
      let failure: unknown;
      const count = await this.db.transaction(async (tx) => {
        const rows = await tx.select().from(eventOutbox).orderBy(asc(eventOutbox.id)).limit(BATCH).for("update", { skipLocked: true });
        const published: number[] = [];
        for (const r of rows) {
          try {
            await this.bus.publishEvent(r.type, r.subject, r.data, r.correlationId ? { correlationId: r.correlationId } : {});
          } catch (err) {
            failure = err;
            break;
          }
          published.push(r.id);
        }
        if (published.length > 0) await tx.delete(eventOutbox).where(inArray(eventOutbox.id, published));
        return rows.length;
      });
      if (failure !== undefined) throw failure;
      if (count < BATCH) return;
    }
  }
}
