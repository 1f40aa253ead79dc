import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { API_SCHEMA_FILE, renderApiSchema } from "./api-schema-gen.ts";

describe("generated API client types", () => {
  it("app/generated/schema.d.ts matches services/api-gateway/openapi.json (else: npm run gen:api -w @tapefleet/web-ui)", async () => {
    const expected = await renderApiSchema();
    const committed = readFileSync(API_SCHEMA_FILE, "utf8");
    expect(committed === expected, "app/generated/schema.d.ts is stale: run `npm run gen:api -w @tapefleet/web-ui`").toBe(true);
    expect(committed).toContain('"/api2/json/config/media-pool"');
    expect(committed).toContain("ErrorResponse");
  });
});
