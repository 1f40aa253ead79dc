import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { Bus, createLogger, TapefleetError } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { KEYVAULT_SUBJECTS, loadKeyvaultConfig, startKeyvault, unwrapKey, type KeyInfo } from "../../src/index.ts";

let env: TestEnv;

beforeAll(async () => {
  env = await provisionTestEnv("keyvault");
});
afterAll(async () => {
  await env?.cleanup();
});

describe("keyvault", () => {
  it("wraps new keys under the master key, lists them, and refuses another master key after a restart", async () => {
    const masterKey = randomBytes(32);
    const config = loadKeyvaultConfig({ env: { ...env.serviceEnv(), TAPEFLEET_MASTER_KEY: masterKey.toString("base64"), TAPEFLEET_LOG_LEVEL: "silent" } });
    const bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "kv-test", logger: createLogger({ service: "t", level: "silent" }) });
    const sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const first = await startKeyvault(config, { installSignalHandlers: false });
      let created: KeyInfo;
      try {
        created = (await bus.request(KEYVAULT_SUBJECTS.createKey, { hint: "offsite set" })) as KeyInfo;
        expect(created.fingerprint).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
        expect(created.hint).toBe("offsite set");
        const bad = (await bus.request(KEYVAULT_SUBJECTS.createKey, { hint: 5 }).catch((e: unknown) => e)) as TapefleetError;
        expect(bad.code).toBe("VALIDATION");
        expect(bad.fields?.[0]?.field).toBe("hint");
      } finally {
        await first.stop();
      }
      const [row] = await sql<{ wrapped_key: Buffer }[]>`select wrapped_key from keyvault.encryption_keys where fingerprint = ${created.fingerprint}`;
      expect(unwrapKey(masterKey, row!.wrapped_key, created.fingerprint)).toHaveLength(32);

      const second = await startKeyvault(config, { installSignalHandlers: false });
      try {
        expect(second.masterKeyFingerprint).toBe(first.masterKeyFingerprint);
        const keys = (await bus.request(KEYVAULT_SUBJECTS.listKeys, {})) as KeyInfo[];
        expect(keys).toEqual([created]);
      } finally {
        await second.stop();
      }

      const otherConfig = loadKeyvaultConfig({ env: { ...env.serviceEnv(), TAPEFLEET_MASTER_KEY: randomBytes(32).toString("base64"), TAPEFLEET_LOG_LEVEL: "silent" } });
      const refused = (await startKeyvault(otherConfig, { installSignalHandlers: false }).catch((e: unknown) => e)) as TapefleetError;
      expect(refused.code).toBe("CONFIG");
      expect(refused.message).toContain("TAPEFLEET_MASTER_KEY");
      expect(refused.message).toContain("is not the master key");
    } finally {
      await bus.close();
      await sql.end({ timeout: 5 });
    }
  });

  it("refuses to boot without a usable master key, before connecting anything", async () => {
    const config = loadKeyvaultConfig({ env: { ...env.serviceEnv(), TAPEFLEET_MASTER_KEY: "c2hvcnQ=", TAPEFLEET_NATS_URL: "nats://127.0.0.1:1" } });
    const err = (await startKeyvault(config, { installSignalHandlers: false }).catch((e: unknown) => e)) as TapefleetError;
    expect(err.code).toBe("CONFIG");
    expect(err.message).toContain("TAPEFLEET_MASTER_KEY: decodes to 5 bytes; expected 32");
  });
});
