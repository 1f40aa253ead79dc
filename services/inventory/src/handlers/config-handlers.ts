import {
  CONFIG_KINDS,
  INVENTORY_QUEUE,
  inventorySubject,
  parseConfig,
  parseUpdate,
  type ConfigKind,
  type ConfigOp,
} from "@tapefleet/api-types";
import { TapefleetError, ValidationError, type Bus, type Logger } from "@tapefleet/common";
import type { ConfigStore } from "../core/config-store.ts";
import type { EventRelay } from "../core/event-relay.ts";

/** The entity key from a `{ key }` payload. */
function keyFrom(payload: unknown): string {
  const key = typeof payload === "object" && payload !== null ? (payload as { key?: unknown }).key : undefined;
  if (typeof key !== "string" || key === "") throw ValidationError.field("key", "is required");
  return key;
}

/**
 * Serve `inventory.config.<kind>.<op>` for every kind (queue group
 * `inventory`): validate, call the store (which queues the change's event),
 * then flush the outbox so the event is on JetStream before the reply.
 * One log line per request with its id, outcome and duration.
 */
export function registerConfigHandlers(bus: Bus, store: ConfigStore, relay: EventRelay, logger: Logger, opts: { slowRequestMs: number }): void {
  const handlers: Record<ConfigOp, (kind: ConfigKind, payload: unknown, requestId: string) => Promise<unknown>> = {
    list: (kind) => store.list(kind),
    get: (kind, payload) => store.get(kind, keyFrom(payload)),
    create: async (kind, payload, requestId) => {
      const entity = await store.create(kind, parseConfig(kind, payload), { correlationId: requestId });
      await relay.flush();
      return entity;
    },
    update: async (kind, payload, requestId) => {
      const key = keyFrom(payload);
      const entity = await store.update(kind, key, parseUpdate(kind, (payload as { patch?: unknown }).patch ?? {}), { correlationId: requestId });
      await relay.flush();
      return entity;
    },
    remove: async (kind, payload, requestId) => {
      const entity = await store.remove(kind, keyFrom(payload), { correlationId: requestId });
      await relay.flush();
      return entity;
    },
  };

  for (const kind of CONFIG_KINDS) {
    for (const [op, handler] of Object.entries(handlers) as [ConfigOp, (typeof handlers)[ConfigOp]][]) {
      const subject = inventorySubject(kind, op);
      bus.serve(
        subject,
        async (payload, meta) => {
          const started = performance.now();
          let outcome = "ok";
          try {
            return await handler(kind, payload, meta.requestId);
          } catch (err) {
            outcome = err instanceof TapefleetError ? err.code : "INTERNAL";
            throw err;
          } finally {
            const durationMs = Math.round(performance.now() - started);
            const line = { subject, requestId: meta.requestId, outcome, durationMs };
            if (durationMs >= opts.slowRequestMs) logger.warn(line, "slow request");
            else logger.info(line, "request");
          }
        },
        { queue: INVENTORY_QUEUE },
      );
    }
  }
}
