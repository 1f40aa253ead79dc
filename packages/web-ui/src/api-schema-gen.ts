/**
 * Generation of the app's typed API client: the gateway's committed OpenAPI
 * document (`services/api-gateway/openapi.json`, written by
 * `npm run gen:openapi -w @tapefleet/api-gateway`) through openapi-typescript
 * into `app/generated/schema.d.ts`. Run by `npm run gen:api -w @tapefleet/web-ui`;
 * `api-schema-gen.test.ts` fails when the committed file is stale.
 * The gateway is read as a file, never imported, so this workspace does not
 * depend on it. Not part of the package's exports (it needs openapi-typescript).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";

/** The gateway's committed OpenAPI document, read from this checkout. */
export const OPENAPI_FILE = fileURLToPath(new URL("../../../services/api-gateway/openapi.json", import.meta.url));

/** The generated file (never edited by hand). */
export const API_SCHEMA_FILE = fileURLToPath(new URL("../app/generated/schema.d.ts", import.meta.url));

const HEADER = [
  "/**",
  " * Generated from the api-gateway's OpenAPI document by",
  " * `npm run gen:api -w @tapefleet/web-ui`. Do not edit: regenerate.",
  " */",
  "",
].join("\n");

/** The text `schema.d.ts` must have for the gateway's committed OpenAPI document. */
export async function renderApiSchema(): Promise<string> {
  const doc = JSON.parse(readFileSync(OPENAPI_FILE, "utf8")) as OpenAPI3;
  const ast = await openapiTS(doc, { alphabetize: false, exportType: false, silent: true });
  return HEADER + astToString(ast);
}

/** Folder of the generated files. */
export const GENERATED_DIR = join(API_SCHEMA_FILE, "..");
