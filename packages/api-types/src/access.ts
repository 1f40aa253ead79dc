import { z } from "zod";
import { comment } from "./fields.ts";

/** Roles of API tokens: `admin` may change configuration, `audit` may only read. */
export const TOKEN_ROLES = ["admin", "audit"] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export const createTokenRequest = z
  .strictObject({
    role: z.enum(TOKEN_ROLES, { error: `must be one of ${TOKEN_ROLES.join(", ")}` }).meta({ description: "admin (read and modify) or audit (read only)." }),
    comment: comment.optional(),
  })
  .meta({ description: "A new API token." });

export const tokenInfo = z
  .strictObject({
    id: z.string().meta({ description: "Token id (the part before ':' in the secret)." }),
    role: z.enum(TOKEN_ROLES),
    comment: z.string().optional(),
    created: z.string().meta({ description: "Creation time (RFC 3339).", format: "date-time" }),
  })
  .meta({ description: "An API token (without its secret)." });

export const createdToken = tokenInfo
  .extend({ token: z.string().meta({ description: "The secret token `<id>:<secret>`; shown only once." }) })
  .meta({ description: "A new API token with its secret (shown only once)." });

export type CreateTokenRequest = z.output<typeof createTokenRequest>;
export type TokenInfo = z.output<typeof tokenInfo>;
export type CreatedToken = z.output<typeof createdToken>;
