import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { CreatedToken, TokenInfo, TokenRole } from "@tapefleet/api-types";
import { NotFoundError, type Logger } from "@tapefleet/common";
import { asc, eq } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { apiTokens, type GatewaySchema } from "../db/schema.ts";

/** Id of the admin token created on first start. */
export const BOOTSTRAP_TOKEN_ID = "admin";

/** An authenticated caller. */
export interface Principal {
  tokenId: string;
  role: TokenRole;
}

/** Hex SHA-256 of a token secret (secrets are 256-bit random, so a plain hash suffices). */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** The token text a client sends: `<id>:<secret>`. */
export function formatToken(id: string, secret: string): string {
  return `${id}:${secret}`;
}

/** Split `<id>:<secret>`; undefined when malformed. */
export function splitToken(token: string): { id: string; secret: string } | undefined {
  const i = token.indexOf(":");
  if (i <= 0 || i === token.length - 1) return undefined;
  return { id: token.slice(0, i), secret: token.slice(i + 1) };
}

type Row = typeof apiTokens.$inferSelect;

function infoOf(r: Row): TokenInfo {
  const info: TokenInfo = { id: r.id, role: r.role, created: r.createdAt.toISOString() };
  if (r.comment !== null) info.comment = r.comment;
  return info;
}

/**
 * API tokens in PostgreSQL. A secret is returned once, at creation; only its
 * hash is stored.
 */
export class TokenStore {
  constructor(private readonly db: PostgresJsDatabase<GatewaySchema>) {}

  /** Check a presented token; undefined when unknown or wrong (the caller answers 401). */
  async verify(token: string): Promise<Principal | undefined> {
    const parts = splitToken(token);
    if (!parts) return undefined;
    const rows = await this.db.select().from(apiTokens).where(eq(apiTokens.id, parts.id));
    const row = rows[0];
    if (!row) return undefined;
    const want = Buffer.from(row.secretHash, "hex");
    const got = Buffer.from(hashSecret(parts.secret), "hex");
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    return { tokenId: row.id, role: row.role };
  }

  async create(role: TokenRole, comment?: string): Promise<CreatedToken> {
    const id = `tf-${randomBytes(6).toString("hex")}`;
    const secret = newSecret();
    const rows = await this.db
      .insert(apiTokens)
      .values({ id, secretHash: hashSecret(secret), role, comment: comment ?? null })
      .returning();
    return { ...infoOf(rows[0]!), token: formatToken(id, secret) };
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.db.select().from(apiTokens).orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
    return rows.map(infoOf);
  }

  async remove(id: string): Promise<void> {
    const rows = await this.db.delete(apiTokens).where(eq(apiTokens.id, id)).returning({ id: apiTokens.id });
    if (rows.length === 0) throw new NotFoundError("token", id);
  }

  /**
   * On first start (no bootstrap token yet) create the admin token and write
   * it to `file` (mode 0600). Logs the file's location, never the token.
   * Replicas starting at once create it exactly once.
   */
  async ensureAdminToken(file: string, logger: Logger): Promise<{ created: boolean; file: string }> {
    const path = resolve(file);
    const secret = newSecret();
    const inserted = await this.db
      .insert(apiTokens)
      .values({ id: BOOTSTRAP_TOKEN_ID, secretHash: hashSecret(secret), role: "admin", comment: "created on first start" })
      .onConflictDoNothing()
      .returning({ id: apiTokens.id });
    if (inserted.length === 0) {
      logger.info({ file: path }, "admin token exists (created on an earlier start)");
      return { created: false, file: path };
    }
    try {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, formatToken(BOOTSTRAP_TOKEN_ID, secret) + "\n", { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, path);
    } catch (err) {
      // Without the file nobody could use the token: undo, so the next start retries.
      await this.db.delete(apiTokens).where(eq(apiTokens.id, BOOTSTRAP_TOKEN_ID));
      throw err;
    }
    logger.info({ file: path }, "admin token created; it is in this file (mode 0600)");
    return { created: true, file: path };
  }
}
