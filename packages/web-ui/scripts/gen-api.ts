/** `npm run gen:api -w @tapefleet/web-ui`: regenerates app/generated/schema.d.ts. */
import { mkdirSync, writeFileSync } from "node:fs";
import { API_SCHEMA_FILE, GENERATED_DIR, renderApiSchema } from "../src/api-schema-gen.ts";

mkdirSync(GENERATED_DIR, { recursive: true });
writeFileSync(API_SCHEMA_FILE, await renderApiSchema());
console.log(`wrote ${API_SCHEMA_FILE}`);
