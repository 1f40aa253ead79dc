import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaSubject } from "@tapefleet/api-types";
import { Bus, createLogger } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "../../src/index.ts";

const logger = createLogger({ service: "inventory-test", level: "silent" });
let env: TestEnv;
let inv: RunningInventory;
let bus: Bus;

beforeAll(async () => {
  env = await provisionTestEnv("inventory-metrics");
  const config = inventoryConfigSchema.parse({ databaseUrl: env.databaseUrl, natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, logLevel: "silent" });
  inv = await startInventory(config, { logger, installSignalHandlers: false });
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "inventory-metrics-client", logger });
});

afterAll(async () => {
  await bus?.close();
  await inv?.stop();
  await env?.cleanup();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${inv.service.healthUrl}/metrics`);
  expect(res.status, res.status === 200 ? "" : await res.clone().text()).toBe(200);
  return res.text();
}

/** Value of the series `name{labels}` (labels as in the exposition, in order), or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    if (line.slice(name.length + 1, close).includes(labels)) return Number(line.slice(close + 2));
  }
  return undefined;
}

describe("inventory /metrics", () => {
  it("counts media by computed status, location kind and pool after registrations and updates", async () => {
    const empty = await scrape();
    expect(empty).toContain("# TYPE tapefleet_media gauge");
    expect(sample(empty, "tapefleet_media", 'status="writable"')).toBeUndefined();

    const SET = "5a1e0000-0000-4000-8000-00000000000a";
    await bus.request(mediaSubject("register"), { uuid: "5a1e0000-0000-4000-8000-000000000001", "label-text": "MT0001L9", ctime: 1700000001 });
    await bus.request(mediaSubject("register"), { uuid: "5a1e0000-0000-4000-8000-000000000002", "label-text": "MT0002L9", ctime: 1700000002 });
    await bus.request(mediaSubject("register"), { uuid: "5a1e0000-0000-4000-8000-000000000003", "label-text": "MT0003L9", ctime: 1700000003, location: "vault-safe1" });
    // Two members of one set of pool "daily": the last one is writable, the first full (§6.3).
    for (const [n, seq] of [[4, 0], [5, 1]] as const) {
      await bus.request(mediaSubject("register"), {
        uuid: `5a1e0000-0000-4000-8000-00000000000${n}`,
        "label-text": `MT000${n}L9`,
        ctime: 1700000000 + n,
        pool: "daily",
        "media-set-uuid": SET,
        "media-set-ctime": 1700000100 + seq,
        "seq-nr": seq,
        location: "online-lib1",
      });
    }
    await bus.request(mediaSubject("update"), { "label-text": "MT0002L9", status: "damaged" });

    const text = await scrape();
    expect(sample(text, "tapefleet_media", 'status="writable",location="offline",pool=""')).toBe(1);
    expect(sample(text, "tapefleet_media", 'status="damaged",location="offline",pool=""')).toBe(1);
    expect(sample(text, "tapefleet_media", 'status="writable",location="vault",pool=""')).toBe(1);
    expect(sample(text, "tapefleet_media", 'status="writable",location="online",pool="daily"')).toBe(1);
    expect(sample(text, "tapefleet_media", 'status="full",location="online",pool="daily"')).toBe(1);
    // Every series carries the service's default labels.
    expect(text).toMatch(/tapefleet_media\{[^}]*service="inventory"[^}]*\} 1/);
  });
});
