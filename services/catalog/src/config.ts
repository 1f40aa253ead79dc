import { baseConfigShape, loadConfig, type LoadConfigOptions } from "@tapefleet/common";
import { z } from "zod";

/** Most records applied in one ingest transaction (default). */
export const DEFAULT_INGEST_BATCH = 256;
/** Seconds JetStream waits for the ack of a delivered record before redelivering it (default). */
export const DEFAULT_INGEST_ACK_WAIT_SECONDS = 60;

/** Configuration of the catalog, parsed once at boot. */
export const catalogConfigSchema = z.object({
  ...baseConfigShape,
  /** PostgreSQL holding the `catalog` schema (required). */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  /** Most catalog records applied in one transaction. */
  ingestBatch: z.coerce.number().int().min(1).max(4096).default(DEFAULT_INGEST_BATCH),
  /** Seconds before an unacknowledged record is delivered again. */
  ingestAckWaitSeconds: z.coerce.number().int().min(5).max(3600).default(DEFAULT_INGEST_ACK_WAIT_SECONDS),
});

export type CatalogConfig = z.infer<typeof catalogConfigSchema>;

/** Reads the catalog configuration from `TAPEFLEET_*` variables (and `TAPEFLEET_CONFIG_FILE`). */
export function loadCatalogConfig(options?: LoadConfigOptions): CatalogConfig {
  return loadConfig(catalogConfigSchema, options);
}
