/** `npm run gen:openapi -w @tapefleet/api-gateway`: rewrites openapi.json from the route table. */
import { writeFileSync } from "node:fs";
import { OPENAPI_FILE, renderOpenApiFile } from "../src/openapi-file.ts";

writeFileSync(OPENAPI_FILE, renderOpenApiFile());
console.log(`wrote ${OPENAPI_FILE}`);
