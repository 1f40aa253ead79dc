import { baseConfigShape, env } from "@tapefleet/common";
import { z } from "zod";

/** Default port of the API (as PBS's proxy). */
export const DEFAULT_API_PORT = 8007;
/** Where the first start writes the admin token. */
export const DEFAULT_ADMIN_TOKEN_FILE = "./var/admin-token";
/** How long the gateway waits for a service's reply (ms). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** How long the gateway waits for a device operation's reply (ms): a task starts at once, direct ones wait for the drive. */
export const DEFAULT_DEVICE_REQUEST_TIMEOUT_MS = 120_000;
/** How often the request rate is logged (ms; 0 turns it off). */
export const DEFAULT_STATS_INTERVAL_MS = 60_000;

/** Configuration of the API gateway (env `TAPEFLEET_*`, see README). */
export const gatewayConfigSchema = z.object({
  ...baseConfigShape,
  /** The API listener (also serves /healthz and /readyz). */
  httpPort: env.port(DEFAULT_API_PORT),
  /** PostgreSQL URL; the gateway owns the schema `gateway` (API tokens). */
  databaseUrl: z.string({ error: "is required (postgres://user@host:5432/db)" }).min(1, "is required (postgres://user@host:5432/db)"),
  adminTokenFile: z.string().min(1).default(DEFAULT_ADMIN_TOKEN_FILE),
  requestTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_REQUEST_TIMEOUT_MS),
  deviceRequestTimeoutMs: z.coerce.number().int().min(100).max(3_600_000).default(DEFAULT_DEVICE_REQUEST_TIMEOUT_MS),
  statsIntervalMs: z.coerce.number().int().min(0).default(DEFAULT_STATS_INTERVAL_MS),
  /** Serve the web UI at `/` (default on). */
  webUi: env.bool(true),
  /** Folder of the built web UI (default: `packages/web-ui/dist` of this checkout). */
  webUiDir: z.string().min(1).optional(),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
