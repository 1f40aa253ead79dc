import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * Configuration digest (as PBS's `digest`): SHA-256 of the entity's canonical
 * JSON (keys sorted). A client reads it with the entry and sends it back with
 * an update; a different digest means someone changed the entry meanwhile.
 */
export function configDigest(entity: unknown): string {
  return createHash("sha256").update(canonicalJson(entity)).digest("hex");
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export const DIGEST_RE = /^[0-9a-f]{64}$/;

export const digest = z
  .string()
  .superRefine((v, ctx) => {
    if (!DIGEST_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be a configuration digest (64 lowercase hex digits)" });
  })
  .meta({ description: "Digest of the entry as read; the update is refused (409) when the entry changed since.", pattern: DIGEST_RE.source });
