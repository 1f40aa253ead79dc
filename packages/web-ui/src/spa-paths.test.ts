import { describe, expect, it } from "vitest";
import { isClientRoute, isReservedPath, RESERVED_PATHS } from "./spa-paths.ts";

describe("client routes and reserved paths", () => {
  it("never treats the API, the probes or the metrics as client routes", () => {
    for (const p of ["/api2", "/api2/", "/api2/json/config/drive", "/api2/openapi.json", "/healthz", "/readyz", "/metrics"]) {
      expect(isReservedPath(p), p).toBe(true);
      expect(isClientRoute(p), p).toBe(false);
    }
    expect(RESERVED_PATHS).toContain("/api2");
  });

  it("answers page paths with the app, but not file names (a missing asset is a 404)", () => {
    for (const p of ["/", "/drives", "/media-pools", "/backup-jobs", "/tasks/UPID:abc", "/api2x", "/healthz-page"]) {
      expect(isClientRoute(p), p).toBe(true);
    }
    for (const p of ["/assets/index-abc.js", "/favicon.ico", "/robots.txt", "drives", ""]) {
      expect(isClientRoute(p), p).toBe(false);
    }
  });
});
