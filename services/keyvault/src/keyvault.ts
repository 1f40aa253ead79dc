import { fileURLToPath } from "node:url";
import {
  inventorySubject,
  keyCreateRequest,
  keyFingerprintRequest,
  keyImportRequest,
  keyPaperkeyRequest,
  keyReleaseRequest,
  keyRemoveRequest,
  keyRestoreRequest,
  KEY_REASONS,
  schedulerDeviceSubject,
  type TapeLabelInfo,
  keyUpdateRequest,
  KEYVAULT_SUBJECTS,
  parseInput,
  SCHEDULER_LEASE_CHECK_SUBJECT,
  type MediaPoolConfig,
} from "@tapefleet/api-types";
import { startService, TapefleetError, type Bus, type Logger, type RunningService } from "@tapefleet/common";
import type { KeyvaultConfig } from "./config.ts";
import { schema, type KeyvaultTables } from "./db/schema.ts";
import { isFingerprint } from "./core/key-config.ts";
import { checkMasterKey, createKey, importKey, keyConfigOfKey, listKeys, paperkey, releaseKey, removeKey, showKey, updateKey, type LeaseCheck } from "./keys.ts";
import { readMasterKey } from "./master-key.ts";

/** The keyvault's committed drizzle-kit migrations. */
export const KEYVAULT_MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

export { KEYVAULT_SUBJECTS };

/** How long a key restore waits for the scheduler to read the labels of a drive's tape (drive lock, rewind, two files). */
export const TAPE_LABEL_TIMEOUT_MS = 120_000;

export interface RunningKeyvault {
  service: RunningService<KeyvaultTables>;
  /** Fingerprint of the master key in use (not secret). */
  masterKeyFingerprint: string;
  stop(): Promise<void>;
}

export interface StartKeyvaultOptions {
  installSignalHandlers?: boolean;
  /** Logger to use (tests capture its output); default: one of the service's own. */
  logger?: Logger;
  /** Replaces the lease check chosen by `keyReleaseLeaseCheck` (e.g. a scheduler in-process). */
  leaseCheck?: LeaseCheck;
}

/** `scheduler.lease.check {job, drive}` → `{held}`; no scheduler answering is an error (the release is refused). */
export function schedulerLeaseCheck(bus: Bus, timeoutMs: number): LeaseCheck {
  return async (req) => {
    const reply = await bus.request<{ held?: unknown }>(SCHEDULER_LEASE_CHECK_SUBJECT, req, { timeoutMs });
    return reply?.held === true;
  };
}

/**
 * Starts the keyvault in this process. The master key is read and checked
 * before anything connects (a missing or malformed key stops the boot with a
 * ConfigError naming the variable); after the migrations it must match the
 * fingerprint recorded at first boot.
 */
export async function startKeyvault(config: KeyvaultConfig, options: StartKeyvaultOptions = {}): Promise<RunningKeyvault> {
  const masterKey = readMasterKey(config);
  const field = config.masterKeyFile !== undefined ? "TAPEFLEET_MASTER_KEY_FILE" : "TAPEFLEET_MASTER_KEY";
  const { masterKey: _secret, ...publicConfig } = config;
  const service = await startService<KeyvaultTables>({
    name: "keyvault",
    config: publicConfig,
    database: { url: config.databaseUrl, schema, pgSchema: "keyvault", migrationsFolder: KEYVAULT_MIGRATIONS },
    ...(options.logger ? { logger: options.logger } : {}),
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

  const { bus } = service;
  const timeoutMs = config.requestTimeoutMs;
  let leaseCheck: LeaseCheck;
  if (options.leaseCheck) leaseCheck = options.leaseCheck;
  else if (config.keyReleaseLeaseCheck === "off") {
    service.logger.warn("TAPEFLEET_KEY_RELEASE_LEASE_CHECK=off: drive keys are released without a lease check (development only)");
    leaseCheck = async () => true;
  } else leaseCheck = schedulerLeaseCheck(bus, timeoutMs);
  const poolsUsing = async (fp: string): Promise<string[]> => {
    const pools = await bus.request<MediaPoolConfig[]>(inventorySubject("media-pool", "list"), undefined, { timeoutMs });
    return pools.filter((p) => p.encrypt?.toLowerCase() === fp).map((p) => p.name);
  };

  const log = service.logger.child({ component: "keys" });
  /**
   * One wide log line per request: operation, fingerprint, outcome, duration.
   * Never the payload (it carries passwords) nor the reply (paper keys, drive keys).
   */
  const serve = (subject: string, op: string, handler: (payload: unknown) => Promise<{ reply: unknown; fingerprint?: string | undefined; extra?: Record<string, unknown> }>) => {
    bus.serve(
      subject,
      async (payload, meta) => {
        const started = performance.now();
        try {
          const out = await handler(payload);
          log.info({ op, requestId: meta.requestId, fingerprint: out.fingerprint, ...out.extra, outcome: "ok", durationMs: Math.round(performance.now() - started) }, "key request");
          return out.reply;
        } catch (err) {
          const e = err instanceof TapefleetError ? { code: err.code, reason: err.reason, error: err.message } : { code: "INTERNAL" };
          const fp = (payload as { fingerprint?: unknown } | undefined)?.fingerprint;
          log.info({ op, requestId: meta.requestId, fingerprint: typeof fp === "string" && isFingerprint(fp) ? fp : undefined, outcome: "error", ...e, durationMs: Math.round(performance.now() - started) }, "key request");
          throw err;
        }
      },
      { queue: "keyvault" },
    );
  };

  serve(KEYVAULT_SUBJECTS.create, "create", async (payload) => {
    const reply = await createKey(db, masterKey, parseInput(keyCreateRequest, payload ?? {}));
    return { reply, fingerprint: reply.fingerprint };
  });
  serve(KEYVAULT_SUBJECTS.list, "list", async () => {
    const reply = await listKeys(db);
    return { reply, extra: { count: reply.length } };
  });
  serve(KEYVAULT_SUBJECTS.show, "show", async (payload) => {
    const req = parseInput(keyFingerprintRequest, payload ?? {});
    return { reply: await showKey(db, req.fingerprint), fingerprint: req.fingerprint };
  });
  serve(KEYVAULT_SUBJECTS.update, "update", async (payload) => {
    const req = parseInput(keyUpdateRequest, payload ?? {});
    return { reply: await updateKey(db, req), fingerprint: req.fingerprint, extra: { hint: req.hint !== undefined, passwordChanged: req.newPassword !== undefined } };
  });
  serve(KEYVAULT_SUBJECTS.remove, "remove", async (payload) => {
    const req = parseInput(keyRemoveRequest, payload ?? {});
    return { reply: await removeKey(db, req.fingerprint, req.force === true, poolsUsing), fingerprint: req.fingerprint, extra: { force: req.force === true } };
  });
  serve(KEYVAULT_SUBJECTS.paperkey, "paperkey", async (payload) => {
    const req = parseInput(keyPaperkeyRequest, payload ?? {});
    return { reply: await paperkey(db, req.fingerprint, req.format), fingerprint: req.fingerprint, extra: { format: req.format } };
  });
  serve(KEYVAULT_SUBJECTS.keyConfig, "key-config", async (payload) => {
    const req = parseInput(keyFingerprintRequest, payload ?? {});
    return { reply: await keyConfigOfKey(db, req.fingerprint), fingerprint: req.fingerprint };
  });
  serve(KEYVAULT_SUBJECTS.import, "import", async (payload) => {
    const reply = await importKey(db, masterKey, parseInput(keyImportRequest, payload ?? {}));
    return { reply, fingerprint: reply.fingerprint };
  });
  serve(KEYVAULT_SUBJECTS.restore, "restore", async (payload) => {
    const req = parseInput(keyRestoreRequest, payload ?? {});
    // The labels are read without loading any key (labels are never encrypted); reading a drive may wait for its lock.
    const label = await bus.request<TapeLabelInfo>(schedulerDeviceSubject("read-label"), { drive: req.drive }, { timeoutMs: Math.max(timeoutMs, TAPE_LABEL_TIMEOUT_MS) });
    const keyConfig = label["key-config"];
    if (keyConfig === undefined) {
      throw new TapefleetError("NOT_FOUND", `tape '${label["label-text"]}' in drive '${req.drive}' carries no key config: its media set is not encrypted`, { reason: KEY_REASONS.NO_KEY_CONFIG });
    }
    const reply = await importKey(db, masterKey, { keyConfig, password: req.password, ...(req.hint === undefined ? {} : { hint: req.hint }) });
    const onTape = label["encryption-key-fingerprint"];
    if (onTape !== undefined && onTape.toLowerCase() !== reply.fingerprint) log.warn({ drive: req.drive, fingerprint: reply.fingerprint, labelFingerprint: onTape }, "the set label names another fingerprint than its key config");
    return { reply, fingerprint: reply.fingerprint, extra: { drive: req.drive, labelText: label["label-text"], mediaSetUuid: label["media-set-uuid"] } };
  });
  serve(KEYVAULT_SUBJECTS.release, "release", async (payload) => {
    const req = parseInput(keyReleaseRequest, payload ?? {});
    const reply = await releaseKey(db, masterKey, req, leaseCheck);
    return { reply, fingerprint: req.fingerprint, extra: { drive: req.drive, job: req.job, mediaSetUuid: req.mediaSetUuid, agent: req.agent } };
  });
  await bus.nc.flush();
  service.markReady();
  return { service, masterKeyFingerprint: fingerprint, stop: () => service.stop() };
}
