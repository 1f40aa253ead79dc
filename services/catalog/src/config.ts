import { baseConfigShape, loadConfig, type LoadConfigOptions } from "@tapefleet/common";
import { z } from "zod";

/** Configuration of the catalog, parsed once at boot. */
export const catalogConfigSchema = z.object({
  ...baseConfigShape,
  /** PostgreSQL holding the `catalog` schema (required). */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
});

export type CatalogConfig = z.infer<typeof catalogConfigSchema>;

/** Reads the catalog configuration from `TAPEFLEET_*` variables (and `TAPEFLEET_CONFIG_FILE`). */
export function loadCatalogConfig(options?: LoadConfigOptions): CatalogConfig {
  return loadConfig(catalogConfigSchema, options);
}
