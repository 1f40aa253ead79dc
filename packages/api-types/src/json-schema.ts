import { z } from "zod";
import { createdToken, createTokenRequest, tokenInfo } from "./access.ts";
import { changerConfig, changerUpdate } from "./changer.ts";
import { driveConfig, driveUpdate } from "./drive.ts";
import { datastoreConfig, datastoreUpdate } from "./datastore.ts";
import { errorResponse } from "./errors.ts";
import { mediaPoolConfig, mediaPoolUpdate } from "./media-pool.ts";
import { tapeBackupJobConfig, tapeBackupJobUpdate } from "./tape-backup-job.ts";

export type JsonSchema = Record<string, unknown>;

/**
 * JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) of every API body, keyed
 * by component name. `<Kind>Config` is the entity as returned, `<Kind>Create`
 * what a create request accepts (e.g. `export-slots` also as "1,2" text),
 * `<Kind>Update` the update request.
 */
export function apiJsonSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const add = (name: string, schema: z.ZodType, io: "input" | "output") => {
    const js = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
    delete js["$schema"];
    delete js["id"];
    out[name] = js;
  };
  const entities: [string, z.ZodType, z.ZodType][] = [
    ["Changer", changerConfig, changerUpdate],
    ["Drive", driveConfig, driveUpdate],
    ["MediaPool", mediaPoolConfig, mediaPoolUpdate],
    ["TapeBackupJob", tapeBackupJobConfig, tapeBackupJobUpdate],
    ["Datastore", datastoreConfig, datastoreUpdate],
  ];
  for (const [name, config, update] of entities) {
    add(`${name}Config`, config, "output");
    add(`${name}Create`, config, "input");
    add(`${name}Update`, update, "input");
  }
  add("CreateTokenRequest", createTokenRequest, "input");
  add("TokenInfo", tokenInfo, "output");
  add("CreatedToken", createdToken, "output");
  add("ErrorResponse", errorResponse, "output");
  return out;
}
