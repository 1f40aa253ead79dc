import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPENAPI_FILE, renderOpenApiFile } from "./openapi-file.ts";

describe("committed OpenAPI document", () => {
  it("openapi.json matches the route table (else: npm run gen:openapi -w @tapefleet/api-gateway)", () => {
    const committed = readFileSync(OPENAPI_FILE, "utf8");
    expect(committed === renderOpenApiFile(), "services/api-gateway/openapi.json is stale: run `npm run gen:openapi -w @tapefleet/api-gateway`").toBe(true);
    const doc = JSON.parse(committed) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/api2/json/config/media-pool");
    expect(Object.keys(doc.paths)).toContain("/api2/json/nodes/{node}/tasks/{upid}/log");
  });
});
