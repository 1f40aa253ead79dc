import { fileURLToPath } from "node:url";
import { startService, type RunningService } from "@tapefleet/common";
import type { KeyvaultConfig } from "./config.ts";
import { schema, type KeyvaultTables } from "./db/schema.ts";
import { checkMasterKey, createKey, listKeys, parseCreateKey } from "./keys.ts";
import { readMasterKey } from "./master-key.ts";

/** The keyvault's committed drizzle-kit migrations. */
export const KEYVAULT_MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

/** NATS subjects the keyvault answers (under the bus prefix). */
export const KEYVAULT_SUBJECTS = {
  /** `{ hint?: string }` → `KeyInfo` of a new random tape key. */
  createKey: "keyvault.keys.create",
  /** `{}` → `KeyInfo[]`, oldest first. */
  listKeys: "keyvault.keys.list",
} as const;

export interface RunningKeyvault {
  service: RunningService<KeyvaultTables>;
  /** Fingerprint of the master key in use (not secret). */
  masterKeyFingerprint: string;
  stop(): Promise<void>;
}

/**
 * Starts the keyvault in this process. The master key is read and checked
 * before anything connects (a missing or malformed key stops the boot with a
 * ConfigError naming the variable); after the migrations it must match the
 * fingerprint recorded at first boot.
 */
export async function startKeyvault(config: KeyvaultConfig, options: { installSignalHandlers?: boolean } = {}): Promise<RunningKeyvault> {
  const masterKey = readMasterKey(config);
  const field = config.masterKeyFile !== undefined ? "TAPEFLEET_MASTER_KEY_FILE" : "TAPEFLEET_MASTER_KEY";
  const { masterKey: _secret, ...publicConfig } = config;
  const service = await startService<KeyvaultTables>({
    name: "keyvault",
    config: publicConfig,
    database: { url: config.databaseUrl, schema, pgSchema: "keyvault", migrationsFolder: KEYVAULT_MIGRATIONS },
    ...(options.installSignalHandlers === undefined ? {} : { installSignalHandlers: options.installSignalHandlers }),
  });
  const db = service.database!.db;
  let fingerprint: string;
  try {
    const checked = await checkMasterKey(db, masterKey, field);
    fingerprint = checked.fingerprint;
    service.logger.info({ masterKeyFingerprint: fingerprint, firstUse: checked.firstUse }, "master key accepted");
  } catch (err) {
    await service.stop();
    throw err;
  }
  service.lifecycle.onShutdown("master-key", () => {
    masterKey.fill(0);
  });
  service.bus.serve(KEYVAULT_SUBJECTS.createKey, async (payload) => createKey(db, masterKey, parseCreateKey(payload)), { queue: "keyvault" });
  service.bus.serve(KEYVAULT_SUBJECTS.listKeys, async () => listKeys(db), { queue: "keyvault" });
  await service.bus.nc.flush();
  service.markReady();
  return { service, masterKeyFingerprint: fingerprint, stop: () => service.stop() };
}
