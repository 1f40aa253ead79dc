import { baseConfigShape, loadConfig, type LoadConfigOptions } from "@tapefleet/common";
import { z } from "zod";

/**
 * Configuration of the keyvault, parsed once at boot. The master
 * key-encryption key comes from exactly one of `masterKeyFile` and
 * `masterKey`; its bytes are checked by {@link readMasterKey} at boot.
 */
export const keyvaultConfigSchema = z
  .object({
    ...baseConfigShape,
    /** PostgreSQL holding the `keyvault` schema (required). */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
    /** File holding the master key, base64 of 32 bytes (mode 0600). */
    masterKeyFile: z.string().min(1).optional(),
    /** The master key itself, base64 of 32 bytes (prefer the file). */
    masterKey: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.masterKey === undefined && c.masterKeyFile === undefined) {
      ctx.addIssue({ code: "custom", path: ["masterKeyFile"], message: "a master key is required: set TAPEFLEET_MASTER_KEY_FILE (or TAPEFLEET_MASTER_KEY)" });
    }
    if (c.masterKey !== undefined && c.masterKeyFile !== undefined) {
      ctx.addIssue({ code: "custom", path: ["masterKey"], message: "set either TAPEFLEET_MASTER_KEY or TAPEFLEET_MASTER_KEY_FILE, not both" });
    }
  });

export type KeyvaultConfig = z.infer<typeof keyvaultConfigSchema>;

/** Reads the keyvault configuration from `TAPEFLEET_*` variables (and `TAPEFLEET_CONFIG_FILE`). */
export function loadKeyvaultConfig(options?: LoadConfigOptions): KeyvaultConfig {
  return loadConfig(keyvaultConfigSchema, options);
}
