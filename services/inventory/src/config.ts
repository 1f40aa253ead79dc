import { baseConfigShape } from "@tapefleet/common";
import { z } from "zod";

/** How long a request may take before the service logs it as slow (ms). */
export const DEFAULT_SLOW_REQUEST_MS = 2_000;

/** How often the event outbox is retried (ms); every change also flushes it at once. */
export const DEFAULT_OUTBOX_INTERVAL_MS = 5_000;

/** Configuration of the inventory service (env `TAPEFLEET_*`, see README). */
export const inventoryConfigSchema = z.object({
  ...baseConfigShape,
  /** PostgreSQL URL; the service owns the schema `inventory`. */
  databaseUrl: z.string({ error: "is required (postgres://user@host:5432/db)" }).min(1, "is required (postgres://user@host:5432/db)"),
  slowRequestMs: z.coerce.number().int().min(1).default(DEFAULT_SLOW_REQUEST_MS),
  outboxIntervalMs: z.coerce.number().int().min(100).default(DEFAULT_OUTBOX_INTERVAL_MS),
});

export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
