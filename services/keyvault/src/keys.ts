import { randomBytes } from "node:crypto";
import {
  KEY_REASONS,
  type KeyImportRequest,
  type KeyListEntry,
  type KeyPaperkeyReply,
  type KeyReleaseReply,
  type KeyReleaseRequest,
  type KeyShowReply,
  type KeyUpdateRequest,
  type PaperkeyFormatName,
} from "@tapefleet/api-types";
import { ConfigError, driveKeyContext, NotFoundError, sealSecret, TapefleetError } from "@tapefleet/common";
import { asc, eq } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { encryptionKeys, keyReleaseAudit, masterKeyInfo, type KeyvaultTables } from "./db/schema.ts";
import { changeKeyConfigPassword, createKeyConfig, decryptKeyConfig, formatKeyConfig, kdfName, keyFingerprint, mediaSetDriveKey, parseKeyConfig, rfc3339Local, type KeyConfig } from "./core/key-config.ts";
import { parseKeyImport, renderPaperkey } from "./core/paperkey.ts";
import { TAPE_KEY_BYTES, unwrapKey, wrapKey } from "./key-wrap.ts";
import { masterKeyFingerprint } from "./master-key.ts";

type Db = PostgresJsDatabase<KeyvaultTables>;
type Row = typeof encryptionKeys.$inferSelect;

/**
 * Records the master key's fingerprint on first boot; on later boots refuses a
 * different master key (its wrapped keys would not open).
 */
export async function checkMasterKey(db: Db, masterKey: Buffer, field: string): Promise<{ fingerprint: string; firstUse: boolean }> {
  const fingerprint = masterKeyFingerprint(masterKey);
  const inserted = await db.insert(masterKeyInfo).values({ id: 1, fingerprint }).onConflictDoNothing().returning({ id: masterKeyInfo.id });
  if (inserted.length === 1) return { fingerprint, firstUse: true };
  const [row] = await db.select().from(masterKeyInfo).where(eq(masterKeyInfo.id, 1));
  if (row?.fingerprint !== fingerprint) {
    throw new ConfigError([
      { field, message: `is not the master key this keyvault's keys are wrapped with (fingerprint ${fingerprint}, expected ${row?.fingerprint ?? "?"})` },
    ]);
  }
  return { fingerprint, firstUse: false };
}

const epoch = (rfc3339: string): number => Math.floor(Date.parse(rfc3339) / 1000);

function keyConfigOf(row: Row): KeyConfig | null {
  return row.keyConfig === null ? null : parseKeyConfig(row.keyConfig);
}

function listEntryOf(row: Row): KeyListEntry {
  const config = keyConfigOf(row);
  const hint = config ? config.hint : (row.hint ?? undefined);
  return { fingerprint: row.fingerprint, ...(hint === undefined ? {} : { hint }), created: config ? epoch(config.created) : Math.floor(row.createdAt.getTime() / 1000) };
}

function showOf(row: Row): KeyShowReply {
  const config = keyConfigOf(row);
  const entry = listEntryOf(row);
  return { ...entry, kdf: config ? kdfName(config.kdf) : "none", modified: config ? epoch(config.modified) : entry.created };
}

async function rowOf(db: Db, fingerprint: string): Promise<Row> {
  const [row] = await db.select().from(encryptionKeys).where(eq(encryptionKeys.fingerprint, fingerprint));
  if (!row) throw new NotFoundError("encryption key", fingerprint);
  return row;
}

function needKeyConfig(row: Row): KeyConfig {
  const config = keyConfigOf(row);
  if (config === null) {
    throw new TapefleetError("NOT_FOUND", `key ${row.fingerprint} was stored without a key file (no password, no paper key); create a new key`, {
      reason: KEY_REASONS.NO_KEY_CONFIG,
    });
  }
  return config;
}

/**
 * Creates a random tape key: stored wrapped under the master key and as a
 * KeyConfig protected by `password`.
 */
export async function createKey(db: Db, masterKey: Buffer, input: { hint?: string | undefined; password: string }): Promise<KeyListEntry> {
  const key = randomBytes(TAPE_KEY_BYTES);
  try {
    const config = await createKeyConfig(key, input.password, { hint: input.hint });
    const fingerprint = config.fingerprint!;
    const [row] = await db
      .insert(encryptionKeys)
      .values({ fingerprint, wrappedKey: wrapKey(masterKey, key, fingerprint), hint: input.hint ?? null, keyConfig: { ...config } })
      .returning();
    return listEntryOf(row!);
  } finally {
    key.fill(0);
  }
}

/** Every stored key, oldest first. */
export async function listKeys(db: Db): Promise<KeyListEntry[]> {
  const rows = await db.select().from(encryptionKeys).orderBy(asc(encryptionKeys.createdAt), asc(encryptionKeys.fingerprint));
  return rows.map(listEntryOf);
}

/** PBS `KeyInfo` of one key. */
export async function showKey(db: Db, fingerprint: string): Promise<KeyShowReply> {
  return showOf(await rowOf(db, fingerprint));
}

/** Sets the hint and/or changes the password (the KeyConfig is re-encrypted; the raw key stays). */
export async function updateKey(db: Db, req: KeyUpdateRequest, now: Date = new Date()): Promise<KeyShowReply> {
  const row = await rowOf(db, req.fingerprint);
  let config = needKeyConfig(row);
  if (req.oldPassword !== undefined && req.newPassword !== undefined) config = await changeKeyConfigPassword(config, req.oldPassword, req.newPassword, now);
  if (req.hint !== undefined) config = { ...config, hint: req.hint, modified: rfc3339Local(now) };
  const [updated] = await db
    .update(encryptionKeys)
    .set({ keyConfig: { ...config }, hint: config.hint ?? null })
    .where(eq(encryptionKeys.fingerprint, req.fingerprint))
    .returning();
  return showOf(updated!);
}

/**
 * Removes a key. Refused (CONFLICT, `KEY_IN_USE`) while a media pool encrypts
 * with it, unless `force`; `poolsUsing` asks the inventory.
 */
export async function removeKey(db: Db, fingerprint: string, force: boolean, poolsUsing: (fingerprint: string) => Promise<string[]>): Promise<{ fingerprint: string }> {
  await rowOf(db, fingerprint);
  if (!force) {
    const pools = await poolsUsing(fingerprint);
    if (pools.length > 0) {
      throw new TapefleetError("CONFLICT", `key ${fingerprint} is used by media pool${pools.length > 1 ? "s" : ""} ${pools.join(", ")} (remove it there first, or force)`, {
        reason: KEY_REASONS.KEY_IN_USE,
      });
    }
  }
  await db.delete(encryptionKeys).where(eq(encryptionKeys.fingerprint, fingerprint));
  return { fingerprint };
}

/** The password-protected KeyConfig of a key (what an encrypted media set label carries as `key-config`). */
export async function keyConfigOfKey(db: Db, fingerprint: string): Promise<KeyConfig> {
  const config = needKeyConfig(await rowOf(db, fingerprint));
  return JSON.parse(formatKeyConfig(config)) as KeyConfig;
}

/** The paper key of a key (its password-protected KeyConfig and a QR code). */
export async function paperkey(db: Db, fingerprint: string, format: PaperkeyFormatName): Promise<KeyPaperkeyReply> {
  const config = needKeyConfig(await rowOf(db, fingerprint));
  return { fingerprint, format, document: await renderPaperkey(config, format) };
}

/**
 * Imports a key from a paper key or KeyConfig: it is opened with the password
 * (which proves both), and stored wrapped and as that KeyConfig, replacing a
 * stored copy of the same key (as PBS does).
 */
export async function importKey(db: Db, masterKey: Buffer, req: KeyImportRequest): Promise<KeyShowReply> {
  const parsed = typeof req.keyConfig === "string" ? parseKeyImport(req.keyConfig) : parseKeyConfig(req.keyConfig);
  const { key, fingerprint } = await decryptKeyConfig(parsed, req.password);
  try {
    const config: KeyConfig = { ...parsed, fingerprint, ...(req.hint === undefined ? {} : { hint: req.hint }) };
    const values = { fingerprint, wrappedKey: wrapKey(masterKey, key, fingerprint), hint: config.hint ?? null, keyConfig: { ...config } };
    const [row] = await db
      .insert(encryptionKeys)
      .values(values)
      .onConflictDoUpdate({ target: encryptionKeys.fingerprint, set: { wrappedKey: values.wrappedKey, hint: values.hint, keyConfig: values.keyConfig } })
      .returning();
    return showOf(row!);
  } finally {
    key.fill(0);
  }
}

/** Does `job` hold the scheduler's lease of `drive`? */
export type LeaseCheck = (req: { job: string; drive: string }) => Promise<boolean>;

/**
 * Hands the per-media-set drive key (never the raw key) to a device agent,
 * only when the scheduler says `job` holds `drive`, sealed to the agent's
 * one-time key (`recipientKey`) for this fingerprint, set and drive: the bus
 * never carries it in clear. Every request, granted or refused, is written to
 * the audit table before the answer.
 */
export async function releaseKey(db: Db, masterKey: Buffer, req: KeyReleaseRequest, leaseCheck: LeaseCheck): Promise<KeyReleaseReply> {
  const audit = (granted: boolean, refusal: string | null) =>
    db.insert(keyReleaseAudit).values({
      agent: req.agent ?? "unknown",
      fingerprint: req.fingerprint,
      drive: req.drive,
      job: req.job,
      mediaSetUuid: req.mediaSetUuid,
      granted,
      refusal,
    });
  let row: Row;
  try {
    row = await rowOf(db, req.fingerprint);
    let held: boolean;
    try {
      held = await leaseCheck({ job: req.job, drive: req.drive });
    } catch (err) {
      throw new TapefleetError("UNAVAILABLE", `cannot check the lease of drive '${req.drive}' for job '${req.job}': ${(err as Error).message}`, {
        reason: KEY_REASONS.LEASE_CHECK_UNAVAILABLE,
      });
    }
    if (!held) throw new TapefleetError("FORBIDDEN", `job '${req.job}' holds no lease of drive '${req.drive}'`, { reason: KEY_REASONS.NO_LEASE });
  } catch (err) {
    await audit(false, err instanceof TapefleetError ? (err.reason ?? err.code) : "INTERNAL");
    throw err;
  }
  const key = unwrapKey(masterKey, row.wrappedKey, row.fingerprint);
  try {
    if (keyFingerprint(key) !== row.fingerprint && row.keyConfig !== null) {
      throw new TapefleetError("INTERNAL", `stored key ${row.fingerprint} does not match its fingerprint`);
    }
    const driveKey = mediaSetDriveKey(key, req.mediaSetUuid);
    try {
      const sealedDriveKey = sealSecret(req.recipientKey, driveKey, driveKeyContext({ fingerprint: row.fingerprint, mediaSetUuid: req.mediaSetUuid, drive: req.drive }));
      await audit(true, null);
      return { fingerprint: row.fingerprint, mediaSetUuid: req.mediaSetUuid, sealedDriveKey };
    } finally {
      driveKey.fill(0);
    }
  } finally {
    key.fill(0);
  }
}
