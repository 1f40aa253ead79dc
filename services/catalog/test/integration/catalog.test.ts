import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { Bus, createLogger, TapefleetError } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { CATALOG_SUBJECTS, loadCatalogConfig, startCatalog, type MediaSetSummary } from "../../src/index.ts";

let env: TestEnv;

beforeAll(async () => {
  env = await provisionTestEnv("catalog");
});
afterAll(async () => {
  await env?.cleanup();
});

describe("catalog", () => {
  it("migrates its schema, serves media sets over NATS, and survives a restart", async () => {
    const config = loadCatalogConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent" } });
    const first = await startCatalog(config, { installSignalHandlers: false });
    const sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
    const bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "catalog-test", logger: createLogger({ service: "t", level: "silent" }) });
    try {
      const tables = await sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'catalog' order by 1`;
      expect(tables.map((t) => t.table_name)).toEqual(["__migrations", "applied_records", "archives", "chunks", "held_records", "media_set_members", "media_sets", "snapshots"]);
      const ready = await fetch(`${first.service.healthUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: Record<string, boolean> }).checks["postgres"]).toBe(true);

      await sql`insert into catalog.media_sets (uuid, pool, ctime) values ('00000000-0000-4000-8000-000000000001', 'daily', '2026-01-01T00:00:00Z'), ('00000000-0000-4000-8000-000000000002', 'daily', '2026-01-02T00:00:00Z'), ('00000000-0000-4000-8000-000000000003', 'weekly', '2026-01-03T00:00:00Z')`;
      await sql`insert into catalog.media_set_members (media_set_uuid, seq_nr, media_uuid, label_text) values ('00000000-0000-4000-8000-000000000001', 0, '00000000-0000-4000-8000-0000000000a1', 'TAPE01L9'), ('00000000-0000-4000-8000-000000000001', 1, '00000000-0000-4000-8000-0000000000a2', 'TAPE02L9')`;
      await first.stop();

      const second = await startCatalog(config, { installSignalHandlers: false });
      try {
        const daily = (await bus.request(CATALOG_SUBJECTS.listMediaSets, { pool: "daily" })) as MediaSetSummary[];
        expect(daily.map((s) => [s.uuid.slice(-1), s.members])).toEqual([["2", 0], ["1", 2]]);
        expect(daily[1]).toMatchObject({ pool: "daily", ctime: "2026-01-01T00:00:00.000Z", closed: false, encryptionKeyFingerprint: null });
        const all = (await bus.request(CATALOG_SUBJECTS.listMediaSets, {})) as MediaSetSummary[];
        expect(all).toHaveLength(3);
        const bad = (await bus.request(CATALOG_SUBJECTS.listMediaSets, { pool: "-bad" }).catch((e: unknown) => e)) as TapefleetError;
        expect(bad.code).toBe("VALIDATION");
        expect(bad.fields?.[0]?.field).toBe("pool");
        const bogus = await sql`insert into catalog.archives (media_set_uuid, media_uuid, file_number, kind, store, archive_uuid, committed_at) values ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000a1', 3, 'bogus', 'store1', '00000000-0000-4000-8000-0000000000f3', now())`.catch((e: unknown) => e);
        expect(String(bogus)).toContain("archives_kind_v2_check");
      } finally {
        await second.stop();
      }
    } finally {
      await bus.close();
      await sql.end({ timeout: 5 });
    }
  });

  it("requires a database URL", () => {
    expect(() => loadCatalogConfig({ env: {} })).toThrow(/databaseUrl \(TAPEFLEET_DATABASE_URL\)/);
  });
});
