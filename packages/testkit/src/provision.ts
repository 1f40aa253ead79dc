import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { connect } from "nats";
import { Redis } from "ioredis";

/**
 * Isolated backing services for one test run: its own PostgreSQL database,
 * its own NATS subject/stream prefix, its own Redis key prefix. Uses the
 * machine's PostgreSQL, NATS (JetStream) and Redis (TAPEFLEET_TEST_* URLs or
 * the standard local ports); `cleanup()` removes everything the run created.
 */
export interface TestEnv {
  /** Short random id shared by every name below. */
  id: string;
  databaseUrl: string;
  natsUrl: string;
  natsPrefix: string;
  redisUrl: string;
  queuePrefix: string;
  /** Environment variables for a service process using this env. */
  serviceEnv(): Record<string, string>;
  cleanup(): Promise<void>;
}

export const TEST_ADMIN_DATABASE_URL = process.env["TAPEFLEET_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const TEST_NATS_URL = process.env["TAPEFLEET_TEST_NATS_URL"] ?? "nats://127.0.0.1:4222";
export const TEST_REDIS_URL = process.env["TAPEFLEET_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function provisionTestEnv(label = "t"): Promise<TestEnv> {
  const id = `${label.replace(/[^a-z0-9]/gi, "").toLowerCase().slice(0, 12)}${randomBytes(4).toString("hex")}`;
  const dbName = `tf_${id}`;
  const admin = postgres(TEST_ADMIN_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${dbName}"`);
  } catch (err) {
    await admin.end({ timeout: 1 });
    throw new Error(`cannot create test database on ${TEST_ADMIN_DATABASE_URL}: ${(err as Error).message}`);
  }
  await admin.end({ timeout: 5 });
  const natsPrefix = `t${id}`;
  const queuePrefix = `tf:${id}`;
  const databaseUrl = withDatabase(TEST_ADMIN_DATABASE_URL, dbName);
  return {
    id,
    databaseUrl,
    natsUrl: TEST_NATS_URL,
    natsPrefix,
    redisUrl: TEST_REDIS_URL,
    queuePrefix,
    serviceEnv: () => ({
      TAPEFLEET_DATABASE_URL: databaseUrl,
      TAPEFLEET_NATS_URL: TEST_NATS_URL,
      TAPEFLEET_NATS_PREFIX: natsPrefix,
      TAPEFLEET_REDIS_URL: TEST_REDIS_URL,
      TAPEFLEET_QUEUE_PREFIX: queuePrefix,
    }),
    cleanup: async () => {
      const a = postgres(TEST_ADMIN_DATABASE_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${dbName}" with (force)`).catch(() => {});
      await a.end({ timeout: 5 });
      const nc = await connect({ servers: TEST_NATS_URL }).catch(() => undefined);
      if (nc) {
        const jsm = await nc.jetstreamManager();
        for await (const s of jsm.streams.list()) {
          if (s.config.name.startsWith(natsPrefix.toUpperCase() + "_")) await jsm.streams.delete(s.config.name).catch(() => {});
        }
        await nc.close();
      }
      const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${queuePrefix}*`, "COUNT", 500);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== "0");
      } catch {
        /* redis not used by this run */
      } finally {
        redis.disconnect();
      }
    },
  };
}
