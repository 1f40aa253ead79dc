/**
 * The committed copy of the OpenAPI document, `services/api-gateway/openapi.json`:
 * what clients generate their types from (the web UI's `gen:api`) without
 * importing the gateway. `npm run gen:openapi -w @tapefleet/api-gateway`
 * rewrites it; `openapi-file.test.ts` fails while it is stale.
 */
import { fileURLToPath } from "node:url";
import { API_VERSION } from "./gateway.ts";
import { buildOpenApiDocument } from "./openapi.ts";

/** The committed document. */
export const OPENAPI_FILE = fileURLToPath(new URL("../openapi.json", import.meta.url));

/** The text `openapi.json` must have: the document for the default server URL, two-space JSON and a final newline. */
export function renderOpenApiFile(): string {
  return `${JSON.stringify(buildOpenApiDocument({ version: API_VERSION }), null, 2)}\n`;
}
