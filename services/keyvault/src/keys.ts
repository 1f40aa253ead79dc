import { randomBytes } from "node:crypto";
import { ConfigError, ValidationError } from "@tapefleet/common";
import { asc, eq } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { encryptionKeys, masterKeyInfo, type KeyvaultTables } from "./db/schema.ts";
import { keyFingerprint, TAPE_KEY_BYTES, wrapKey } from "./key-wrap.ts";
import { masterKeyFingerprint } from "./master-key.ts";

/** What the keyvault tells about a key (never the key itself). */
export interface KeyInfo {
  fingerprint: string;
  hint: string | null;
  /** RFC 3339. */
  createdAt: string;
}

/** Longest operator hint stored with a key. */
export const MAX_HINT_LENGTH = 128;

type Db = PostgresJsDatabase<KeyvaultTables>;

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

/** Parses the payload of `keyvault.keys.create`: `{ hint?: string }`. */
export function parseCreateKey(payload: unknown): { hint: string | null } {
  if (payload === undefined || payload === null) return { hint: null };
  if (typeof payload !== "object" || Array.isArray(payload)) throw ValidationError.field("(request)", "must be an object");
  const hint = (payload as { hint?: unknown }).hint;
  if (hint === undefined || hint === null) return { hint: null };
  if (typeof hint !== "string") throw ValidationError.field("hint", "must be a string");
  if (hint.length > MAX_HINT_LENGTH) throw ValidationError.field("hint", `must be at most ${MAX_HINT_LENGTH} characters`);
  return { hint };
}

/** Creates a random tape key, stores it wrapped under the master key, and returns its fingerprint. */
export async function createKey(db: Db, masterKey: Buffer, input: { hint: string | null }): Promise<KeyInfo> {
  const key = randomBytes(TAPE_KEY_BYTES);
  const fingerprint = keyFingerprint(key);
  const wrappedKey = wrapKey(masterKey, key, fingerprint);
  key.fill(0);
  const [row] = await db.insert(encryptionKeys).values({ fingerprint, wrappedKey, hint: input.hint }).returning();
  return { fingerprint, hint: row!.hint, createdAt: row!.createdAt.toISOString() };
}

/** Every stored key, oldest first. */
export async function listKeys(db: Db): Promise<KeyInfo[]> {
  const rows = await db
    .select({ fingerprint: encryptionKeys.fingerprint, hint: encryptionKeys.hint, createdAt: encryptionKeys.createdAt })
    .from(encryptionKeys)
    .orderBy(asc(encryptionKeys.createdAt), asc(encryptionKeys.fingerprint));
  return rows.map((r) => ({ fingerprint: r.fingerprint, hint: r.hint, createdAt: r.createdAt.toISOString() }));
}
