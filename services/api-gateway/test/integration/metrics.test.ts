import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { gatewayConfigSchema, startGateway, type RunningGateway } from "../../src/index.ts";

let env: TestEnv;
let gw: RunningGateway;
let dir: string;

beforeAll(async () => {
  env = await provisionTestEnv("gatewaymetrics");
  dir = mkdtempSync(join(tmpdir(), "tapefleet-gw-metrics-"));
  gw = await startGateway(
    gatewayConfigSchema.parse({
      natsUrl: env.natsUrl,
      natsPrefix: env.natsPrefix,
      databaseUrl: env.databaseUrl,
      logLevel: "silent",
      httpPort: 0,
      webUi: false,
      statsIntervalMs: 0,
      adminTokenFile: join(dir, "admin-token"),
    }),
    { logger: createLogger({ service: "api-gateway", level: "silent" }), installSignalHandlers: false },
  );
});
afterAll(async () => {
  await gw?.stop();
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Value of the series `name{…}` that has every label of `labels` (`k="v",…`, any order), or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const want = [...labels.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => `${m[1]}="${m[2]}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    const have = new Set([...line.slice(name.length + 1, close).matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => `${m[1]}="${m[2]}"`));
    if (want.every((w) => have.has(w))) return Number(line.slice(close + 2));
  }
  return undefined;
}

describe("api-gateway /metrics", () => {
  it("counts requests by method, route pattern and status, with their durations", async () => {
    const auth = { authorization: `Bearer ${readFileSync(gw.adminToken.file, "utf8").trim()}` };
    for (let i = 0; i < 2; i++) expect((await fetch(`${gw.url}/api2/json/access/token`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${gw.url}/api2/json/config/drive/d1`)).status).toBe(401);
    expect((await fetch(`${gw.url}/no/such/page`)).status).toBe(404);

    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("# TYPE tapefleet_http_requests_total counter");
    expect(sample(text, "tapefleet_http_requests_total", 'method="GET",route="/api2/json/access/token",status="200"')).toBe(2);
    // The route pattern, not the URL: one series for every drive name.
    expect(sample(text, "tapefleet_http_requests_total", 'method="GET",route="/api2/json/config/drive/:name",status="401"')).toBe(1);
    expect(sample(text, "tapefleet_http_requests_total", 'method="GET",route="unmatched",status="404"')).toBe(1);
    expect(text).toContain("# TYPE tapefleet_http_request_duration_seconds histogram");
    expect(sample(text, "tapefleet_http_request_duration_seconds_count", 'method="GET",route="/api2/json/access/token",status="200"')).toBe(2);
    expect(sample(text, "tapefleet_http_request_duration_seconds_bucket", 'method="GET",route="/api2/json/access/token",status="200",le="+Inf"')).toBe(2);
    expect(text).toMatch(/tapefleet_http_requests_total\{[^}]*service="api-gateway"[^}]*\} 2/);
  });
});
