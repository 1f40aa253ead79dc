import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CliError } from "./errors.ts";

/** Where tapectl finds the API when neither --url nor TAPEFLEET_URL is given. */
export const DEFAULT_URL = "http://127.0.0.1:8007";
/** Written by the stack launcher (`npm start`): `{ "gatewayUrl": "http://…" }`. */
export const STACK_FILE = "./var/stack.json";
/** Written by the gateway on its first start. */
export const DEFAULT_TOKEN_FILE = "./var/admin-token";

export type Env = Record<string, string | undefined>;

/** A string field of ./var/stack.json, if the file exists and has it. */
function stackField(cwd: string, field: "gatewayUrl" | "adminTokenFile"): string | undefined {
  const stack = resolve(cwd, STACK_FILE);
  if (!existsSync(stack)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(stack, "utf8"));
  } catch (err) {
    throw new CliError(`cannot read ${stack}: ${(err as Error).message}`);
  }
  const value = (parsed as Record<string, unknown> | null)?.[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** API base URL: --url, else TAPEFLEET_URL, else `gatewayUrl` of ./var/stack.json, else the default. */
export function resolveUrl(option: string | undefined, env: Env, cwd: string): string {
  const pick = option || env["TAPEFLEET_URL"] || stackField(cwd, "gatewayUrl") || DEFAULT_URL;
  return pick.replace(/\/+$/, "");
}

/**
 * API token: TAPEFLEET_TOKEN, else the file TAPEFLEET_TOKEN_FILE, else
 * ./var/admin-token, else the `adminTokenFile` named in ./var/stack.json.
 */
export function resolveToken(env: Env, cwd: string): string {
  const direct = env["TAPEFLEET_TOKEN"]?.trim();
  if (direct) return direct;
  const named = env["TAPEFLEET_TOKEN_FILE"];
  let file = resolve(cwd, named || DEFAULT_TOKEN_FILE);
  if (!named && !existsSync(file)) {
    const fromStack = stackField(cwd, "adminTokenFile");
    if (fromStack) file = resolve(cwd, fromStack);
  }
  if (!existsSync(file)) {
    throw new CliError(
      named ? `token file ${file} (TAPEFLEET_TOKEN_FILE) does not exist` : `no API token: set TAPEFLEET_TOKEN or TAPEFLEET_TOKEN_FILE (${file} does not exist)`,
    );
  }
  const token = readFileSync(file, "utf8").trim();
  if (token === "") throw new CliError(`token file ${file} is empty`);
  return token;
}
