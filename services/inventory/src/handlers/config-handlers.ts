import {
  CONFIG_KINDS,
  INVENTORY_QUEUE,
  inventoryEventType,
  inventorySubject,
  keyOf,
  parseConfig,
  parseUpdate,
  type ConfigAction,
  type ConfigKind,
  type ConfigOp,
} from "@tapefleet/api-types";
import { TapefleetError, ValidationError, type Bus, type Logger } from "@tapefleet/common";
import type { ConfigStore } from "../core/config-store.ts";

/** The entity key from a `{ key }` payload. */
function keyFrom(payload: unknown): string {
  const key = typeof payload === "object" && payload !== null ? (payload as { key?: unknown }).key : undefined;
  if (typeof key !== "string" || key === "") throw ValidationError.field("key", "is required");
  return key;
}

/**
 * Serve `inventory.config.<kind>.<op>` for every kind (queue group
 * `inventory`): validate, call the store, publish the change on JetStream.
 * One log line per request with its id, outcome and duration.
 */
export function registerConfigHandlers(bus: Bus, store: ConfigStore, logger: Logger, opts: { slowRequestMs: number }): void {
  const publish = async (kind: ConfigKind, action: ConfigAction, key: string, entity: unknown, requestId: string) => {
    try {
      await bus.publishEvent(inventoryEventType(kind, action), key, entity, { correlationId: requestId });
    } catch (err) {
      // The change is committed; a lost event is logged loudly for operators.
      logger.error({ err, kind, action, key, requestId }, "configuration change committed but its event was not published");
    }
  };

  const handlers: Record<ConfigOp, (kind: ConfigKind, payload: unknown, requestId: string) => Promise<unknown>> = {
    list: (kind) => store.list(kind),
    get: (kind, payload) => store.get(kind, keyFrom(payload)),
    create: async (kind, payload, requestId) => {
      const entity = await store.create(kind, parseConfig(kind, payload));
      await publish(kind, "created", keyOf(kind, entity), entity, requestId);
      return entity;
    },
    update: async (kind, payload, requestId) => {
      const key = keyFrom(payload);
      const entity = await store.update(kind, key, parseUpdate(kind, (payload as { patch?: unknown }).patch ?? {}));
      await publish(kind, "updated", key, entity, requestId);
      return entity;
    },
    remove: async (kind, payload, requestId) => {
      const key = keyFrom(payload);
      const entity = await store.remove(kind, key);
      await publish(kind, "removed", key, entity, requestId);
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
