import { baseConfigShape } from "@tapefleet/common";
import { z } from "zod";

/** How long a request may take before the service logs it as slow (ms). */
export const DEFAULT_SLOW_REQUEST_MS = 2_000;

/** How often the event outbox is retried (ms); every change also flushes it at once. */
export const DEFAULT_OUTBOX_INTERVAL_MS = 5_000;

/** A device agent silent for longer than this is offline, with its devices (ms; agents beat every 5 s). */
export const DEFAULT_DEVICE_OFFLINE_MS = 15_000;

/** How long a device scan waits for the agents' answers (ms). */
export const DEFAULT_SCAN_DEADLINE_MS = 1_500;

/** Configuration of the inventory service (env `TAPEFLEET_*`, see README). */
export const inventoryConfigSchema = z.object({
  ...baseConfigShape,
  /** PostgreSQL URL; the service owns the schema `inventory`. */
  databaseUrl: z.string({ error: "is required (postgres://user@host:5432/db)" }).min(1, "is required (postgres://user@host:5432/db)"),
  slowRequestMs: z.coerce.number().int().min(1).default(DEFAULT_SLOW_REQUEST_MS),
  outboxIntervalMs: z.coerce.number().int().min(100).default(DEFAULT_OUTBOX_INTERVAL_MS),
  deviceOfflineMs: z.coerce.number().int().min(1000).default(DEFAULT_DEVICE_OFFLINE_MS),
  scanDeadlineMs: z.coerce.number().int().min(100).max(60_000).default(DEFAULT_SCAN_DEADLINE_MS),
});

export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
