/**
 * Generation of the app's typed API client: the gateway's OpenAPI document
 * (`buildOpenApiDocument()`) through openapi-typescript into
 * `app/generated/schema.d.ts`. Run by `npm run gen:api -w @tapefleet/web-ui`;
 * `api-schema-gen.test.ts` fails when the committed file is stale.
 * Not part of the package's exports (it needs the gateway and openapi-typescript).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { API_VERSION, buildOpenApiDocument } from "@tapefleet/api-gateway";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";

/** The generated file (never edited by hand). */
export const API_SCHEMA_FILE = fileURLToPath(new URL("../app/generated/schema.d.ts", import.meta.url));

const HEADER = [
  "/**",
  " * Generated from the api-gateway's OpenAPI document by",
  " * `npm run gen:api -w @tapefleet/web-ui`. Do not edit: regenerate.",
  " */",
  "",
].join("\n");

/** The text `schema.d.ts` must have for the gateway's current OpenAPI document. */
export async function renderApiSchema(): Promise<string> {
  const doc = buildOpenApiDocument({ version: API_VERSION }) as unknown as OpenAPI3;
  const ast = await openapiTS(doc, { alphabetize: false, exportType: false, silent: true });
  return HEADER + astToString(ast);
}

/** Folder of the generated files. */
export const GENERATED_DIR = join(API_SCHEMA_FILE, "..");
