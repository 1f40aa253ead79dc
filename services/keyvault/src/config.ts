import { baseConfigShape, loadConfig, type LoadConfigOptions } from "@tapefleet/common";
import { z } from "zod";

/** Default of `keyReleaseLeaseCheck`: ask the scheduler. */
export const DEFAULT_KEY_RELEASE_LEASE_CHECK = "scheduler";
/** Default of `requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

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
    /**
     * Who decides whether a `keyvault.keys.release` is allowed: `scheduler`
     * asks `scheduler.lease.check {job, drive}` (no answer: refused); `off`
     * releases to any caller (development only, warned at boot).
     */
    keyReleaseLeaseCheck: z.enum(["scheduler", "off"]).default(DEFAULT_KEY_RELEASE_LEASE_CHECK),
    /** How long to wait for the inventory and the scheduler (ms). */
    requestTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_REQUEST_TIMEOUT_MS),
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
