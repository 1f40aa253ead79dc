import { baseConfigShape, env } from "@tapefleet/common";
import { z } from "zod";

/** How long a request may take before the service logs it as slow (ms). */
export const DEFAULT_SLOW_REQUEST_MS = 2_000;

/** How often the event outbox is retried (ms); every change also flushes it at once. */
export const DEFAULT_OUTBOX_INTERVAL_MS = 5_000;

/** A device agent silent for longer than this is offline, with its devices (ms; agents beat every 5 s). */
export const DEFAULT_DEVICE_OFFLINE_MS = 15_000;

/** How long a device scan waits for the agents' answers (ms). */
export const DEFAULT_SCAN_DEADLINE_MS = 1_500;

/** Zone of pool calendar events and set names unless configured. */
export const DEFAULT_TIME_ZONE = "UTC";

/** Configuration of the inventory service (env `TAPEFLEET_*`, see README). */
export const inventoryConfigSchema = z.object({
  ...baseConfigShape,
  /** PostgreSQL URL; the service owns the schema `inventory`. */
  databaseUrl: z.string({ error: "is required (postgres://user@host:5432/db)" }).min(1, "is required (postgres://user@host:5432/db)"),
  slowRequestMs: z.coerce.number().int().min(1).default(DEFAULT_SLOW_REQUEST_MS),
  outboxIntervalMs: z.coerce.number().int().min(100).default(DEFAULT_OUTBOX_INTERVAL_MS),
  deviceOfflineMs: z.coerce.number().int().min(1000).default(DEFAULT_DEVICE_OFFLINE_MS),
  scanDeadlineMs: z.coerce.number().int().min(100).max(60_000).default(DEFAULT_SCAN_DEADLINE_MS),
  /**
   * Honour a `now` (epoch seconds) carried by job requests instead of the
   * system clock, so pool policies can be run over simulated weeks. Tests only.
   */
  allowClientClock: env.bool(false),
  /** IANA zone in which pool calendar events and media set names are evaluated (PBS: the server's zone). */
  timeZone: z
    .string()
    .default(DEFAULT_TIME_ZONE)
    .superRefine((v, ctx) => {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: v });
      } catch {
        ctx.addIssue({ code: "custom", message: `unknown time zone '${v}' (use an IANA name such as Europe/Vienna)` });
      }
    }),
});

export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
