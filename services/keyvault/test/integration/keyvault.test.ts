import { randomBytes, randomUUID } from "node:crypto";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { inventorySubject, KEY_REASONS, schedulerDeviceSubject, type TapeLabelInfo, type KeyListEntry, type KeyPaperkeyReply, type KeyReleaseReply, type KeyShowReply } from "@tapefleet/api-types";
import { Bus, createLogger, createSecretRecipient, driveKeyContext, TapefleetError } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import {
  decryptKeyConfig,
  KEYVAULT_SUBJECTS,
  keyFingerprint,
  loadKeyvaultConfig,
  mediaSetDriveKey,
  PAPERKEY_BEGIN,
  parseKeyImport,
  startKeyvault,
  unwrapKey,
  type LeaseCheck,
  type RunningKeyvault,
} from "../../src/index.ts";

let env: TestEnv;
let bus: Bus;
let sql: postgres.Sql;
let kv: RunningKeyvault;
const masterKey = randomBytes(32);
const leases = new Set<string>();
const leaseCheck: LeaseCheck = async ({ job, drive }) => leases.has(`${job}@${drive}`);
let pools: { name: string; encrypt?: string }[] = [];
/** What the scheduler's read-label answers for a drive (the labels of the tape in it). */
const tapeLabels = new Map<string, TapeLabelInfo>();
let logText = "";

const PASSWORD = "kv integration pass";

async function refusal(p: Promise<unknown>): Promise<TapefleetError> {
  const e = await p.then(
    () => new Error("expected a refusal"),
    (err: unknown) => err,
  );
  if (e instanceof TapefleetError) return e;
  throw e;
}

function configEnv(extra: Record<string, string> = {}) {
  return loadKeyvaultConfig({ env: { ...env.serviceEnv(), TAPEFLEET_MASTER_KEY: masterKey.toString("base64"), TAPEFLEET_LOG_LEVEL: "info", ...extra } });
}

beforeAll(async () => {
  env = await provisionTestEnv("keyvault");
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "kv-test", logger: createLogger({ service: "t", level: "silent" }) });
  // The inventory's media pool list, as the keyvault asks it before removing a key.
  bus.serve(inventorySubject("media-pool", "list"), async () => pools);
  // The scheduler's read-label, as the keyvault asks it to restore a key from a tape.
  bus.serve(schedulerDeviceSubject("read-label"), async (p) => {
    const label = tapeLabels.get((p as { drive: string }).drive);
    if (!label) throw new TapefleetError("CONFLICT", "the tape is empty (no media label)");
    return label;
  });
  sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
  const logs = new PassThrough();
  logs.on("data", (c: Buffer) => (logText += c.toString("utf8")));
  kv = await startKeyvault(configEnv(), { installSignalHandlers: false, leaseCheck, logger: createLogger({ service: "keyvault", level: "info", destination: logs }) });
});
afterAll(async () => {
  await kv?.stop();
  await bus?.close();
  await sql?.end({ timeout: 5 });
  await env?.cleanup();
});

describe("keyvault keys", () => {
  it("creates a key stored wrapped and as a password-protected KeyConfig; lists, shows, updates it", async () => {
    const created = await bus.request<KeyListEntry>(KEYVAULT_SUBJECTS.create, { hint: "offsite set", password: PASSWORD });
    expect(created.fingerprint).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    expect(created.hint).toBe("offsite set");
    expect(Object.keys(created).sort()).toEqual(["created", "fingerprint", "hint"]);

    const [row] = await sql<{ wrapped_key: Buffer; key_config: Record<string, unknown> }[]>`select wrapped_key, key_config from keyvault.encryption_keys where fingerprint = ${created.fingerprint}`;
    const raw = unwrapKey(masterKey, row!.wrapped_key, created.fingerprint);
    expect(keyFingerprint(raw)).toBe(created.fingerprint);
    const opened = await decryptKeyConfig(parseKeyImport(JSON.stringify(row!.key_config)), PASSWORD);
    expect(opened.key.equals(raw)).toBe(true);
    expect(row!.key_config["kdf"]).toMatchObject({ Scrypt: { n: 65536, r: 8, p: 1 } });

    expect(await bus.request<KeyListEntry[]>(KEYVAULT_SUBJECTS.list, {})).toContainEqual(created);
    const shown = await bus.request<KeyShowReply>(KEYVAULT_SUBJECTS.show, { fingerprint: created.fingerprint.toUpperCase() });
    expect(shown).toEqual({ ...created, kdf: "scrypt", modified: created.created });

    const hinted = await bus.request<KeyShowReply>(KEYVAULT_SUBJECTS.update, { fingerprint: created.fingerprint, hint: "vault B" });
    expect(hinted.hint).toBe("vault B");
    const bad = await refusal(bus.request(KEYVAULT_SUBJECTS.update, { fingerprint: created.fingerprint, oldPassword: "not the one", newPassword: "next password" }));
    expect(bad.reason).toBe(KEY_REASONS.WRONG_PASSWORD);
    await bus.request(KEYVAULT_SUBJECTS.update, { fingerprint: created.fingerprint, oldPassword: PASSWORD, newPassword: "next password" });
    const [after] = await sql<{ key_config: Record<string, unknown> }[]>`select key_config from keyvault.encryption_keys where fingerprint = ${created.fingerprint}`;
    const config = parseKeyImport(JSON.stringify(after!.key_config));
    expect((await decryptKeyConfig(config, "next password")).key.equals(raw)).toBe(true);
    expect(config.hint).toBe("vault B");
    await expect(decryptKeyConfig(config, PASSWORD)).rejects.toMatchObject({ reason: "WRONG_PASSWORD" });
  });

  it("refuses bad input naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ password: "abc" }, "password"],
      [{ hint: 5, password: PASSWORD }, "hint"],
      [{ hint: "x".repeat(65), password: PASSWORD }, "hint"],
      [{ password: PASSWORD, key: "00" }, "key"],
    ];
    for (const [payload, field] of cases) {
      const err = await refusal(bus.request(KEYVAULT_SUBJECTS.create, payload));
      expect(err.code).toBe("VALIDATION");
      expect(err.fields?.[0]?.field).toBe(field);
      expect(err.message).not.toContain(PASSWORD);
    }
    const missing = await refusal(bus.request(KEYVAULT_SUBJECTS.show, { fingerprint: keyFingerprint(randomBytes(32)) }));
    expect(missing.code).toBe("NOT_FOUND");
    expect((await refusal(bus.request(KEYVAULT_SUBJECTS.show, { fingerprint: "0e:ab" }))).fields?.[0]?.field).toBe("fingerprint");
  });

  it("paper key → import restores the key with the same fingerprint (and the same raw key)", async () => {
    const created = await bus.request<KeyListEntry>(KEYVAULT_SUBJECTS.create, { password: PASSWORD });
    const text = await bus.request<KeyPaperkeyReply>(KEYVAULT_SUBJECTS.paperkey, { fingerprint: created.fingerprint, format: "text" });
    expect(text.document.startsWith(`${PAPERKEY_BEGIN}\n{\n  "kdf": {\n    "Scrypt": {\n      "n": 65536,\n      "r": 8,`)).toBe(true);
    // the KeyConfig for a media set label: the same JSON as on the paper key
    const labelConfig = await bus.request<Record<string, unknown>>(KEYVAULT_SUBJECTS.keyConfig, { fingerprint: created.fingerprint });
    expect(parseKeyImport(text.document)).toEqual(labelConfig);
    expect(Object.keys(labelConfig)).toEqual(["kdf", "created", "modified", "data", "fingerprint"]);
    const html = await bus.request<KeyPaperkeyReply>(KEYVAULT_SUBJECTS.paperkey, { fingerprint: created.fingerprint, format: "html" });
    expect(html.document).toContain("data:image/svg+xml;base64,");
    const [before] = await sql<{ wrapped_key: Buffer }[]>`select wrapped_key from keyvault.encryption_keys where fingerprint = ${created.fingerprint}`;
    const raw = unwrapKey(masterKey, before!.wrapped_key, created.fingerprint);

    await bus.request(KEYVAULT_SUBJECTS.remove, { fingerprint: created.fingerprint });
    expect((await bus.request<KeyListEntry[]>(KEYVAULT_SUBJECTS.list, {})).map((k) => k.fingerprint)).not.toContain(created.fingerprint);
    const wrong = await refusal(bus.request(KEYVAULT_SUBJECTS.import, { keyConfig: text.document, password: "wrong password" }));
    expect(wrong.reason).toBe(KEY_REASONS.WRONG_PASSWORD);
    const imported = await bus.request<KeyShowReply>(KEYVAULT_SUBJECTS.import, { keyConfig: text.document, password: PASSWORD });
    expect(imported.fingerprint).toBe(created.fingerprint);
    expect(imported.created).toBe(created.created);
    expect(imported.kdf).toBe("scrypt");
    const [row] = await sql<{ wrapped_key: Buffer }[]>`select wrapped_key from keyvault.encryption_keys where fingerprint = ${created.fingerprint}`;
    expect(unwrapKey(masterKey, row!.wrapped_key, created.fingerprint).equals(raw)).toBe(true);
    // importing again replaces the stored copy
    const again = await bus.request<KeyShowReply>(KEYVAULT_SUBJECTS.import, { keyConfig: JSON.parse(text.document.split("-----")[2]!), password: PASSWORD, hint: "restored" });
    expect(again.hint).toBe("restored");
  });

  it("refuses to remove a key a media pool encrypts with, unless forced", async () => {
    const created = await bus.request<KeyListEntry>(KEYVAULT_SUBJECTS.create, { password: PASSWORD });
    pools = [{ name: "plain" }, { name: "secure", encrypt: created.fingerprint }];
    const refused = await refusal(bus.request(KEYVAULT_SUBJECTS.remove, { fingerprint: created.fingerprint }));
    expect(refused.code).toBe("CONFLICT");
    expect(refused.reason).toBe(KEY_REASONS.KEY_IN_USE);
    expect(refused.message).toContain("secure");
    expect((await bus.request<KeyListEntry[]>(KEYVAULT_SUBJECTS.list, {})).map((k) => k.fingerprint)).toContain(created.fingerprint);
    await bus.request(KEYVAULT_SUBJECTS.remove, { fingerprint: created.fingerprint, force: true });
    expect((await bus.request<KeyListEntry[]>(KEYVAULT_SUBJECTS.list, {})).map((k) => k.fingerprint)).not.toContain(created.fingerprint);
    pools = [];
  });

  it("releases the per-media-set drive key only to a job holding the drive's lease, and audits every request", async () => {
    const created = await bus.request<KeyListEntry>(KEYVAULT_SUBJECTS.create, { password: PASSWORD });
    const set = randomUUID();
    const recipient = createSecretRecipient();
    const req = { fingerprint: created.fingerprint, mediaSetUuid: set, drive: "lto1", job: "backup-7", agent: "agent-a", recipientKey: recipient.publicKey };
    const refused = await refusal(bus.request(KEYVAULT_SUBJECTS.release, req));
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.reason).toBe(KEY_REASONS.NO_LEASE);

    leases.add("backup-7@lto1");
    const granted = await bus.request<KeyReleaseReply>(KEYVAULT_SUBJECTS.release, req);
    const [row] = await sql<{ wrapped_key: Buffer }[]>`select wrapped_key from keyvault.encryption_keys where fingerprint = ${created.fingerprint}`;
    const raw = unwrapKey(masterKey, row!.wrapped_key, created.fingerprint);
    const expected = mediaSetDriveKey(raw, set);
    // sealed to the agent's one-time key: the reply holds neither the drive key nor the raw key
    const wire = JSON.stringify(granted);
    for (const secret of [expected, raw]) for (const enc of ["hex", "base64"] as const) expect(wire).not.toContain(secret.toString(enc));
    expect(Object.keys(granted).sort()).toEqual(["fingerprint", "mediaSetUuid", "sealedDriveKey"]);
    // another recipient cannot open it; the agent opens it only for this set and drive
    expect(() => createSecretRecipient().open(granted.sealedDriveKey, driveKeyContext({ fingerprint: created.fingerprint, mediaSetUuid: set, drive: "lto1" }))).toThrow(/does not open/);
    const driveKey = recipient.open(granted.sealedDriveKey, driveKeyContext({ fingerprint: created.fingerprint, mediaSetUuid: set, drive: "lto1" }));
    expect(driveKey.equals(expected)).toBe(true);
    // a release without a recipient key is refused naming the field
    const { recipientKey: _omit, ...noRecipient } = req;
    const bad = await refusal(bus.request(KEYVAULT_SUBJECTS.release, noRecipient));
    expect(bad.code).toBe("VALIDATION");
    expect(bad.message).toContain("recipientKey");
    // the lease is per drive: another drive is refused
    expect((await refusal(bus.request(KEYVAULT_SUBJECTS.release, { ...req, drive: "lto2" }))).reason).toBe(KEY_REASONS.NO_LEASE);

    const audit = await sql<{ agent: string; drive: string; job: string; media_set_uuid: string; granted: boolean; refusal: string | null }[]>`
      select agent, drive, job, media_set_uuid, granted, refusal from keyvault.key_release_audit where fingerprint = ${created.fingerprint} order by id`;
    expect(audit.map((a) => ({ ...a }))).toEqual([
      { agent: "agent-a", drive: "lto1", job: "backup-7", media_set_uuid: set, granted: false, refusal: "NO_LEASE" },
      { agent: "agent-a", drive: "lto1", job: "backup-7", media_set_uuid: set, granted: true, refusal: null },
      { agent: "agent-a", drive: "lto2", job: "backup-7", media_set_uuid: set, granted: false, refusal: "NO_LEASE" },
    ]);
    // the log tells who got which key, never the key
    expect(logText).toContain('"op":"release"');
    expect(logText).not.toContain(driveKey.toString("base64"));
    expect(logText).not.toContain(driveKey.toString("hex"));
    expect(logText).not.toContain(raw.toString("base64"));
    expect(logText).not.toContain(raw.toString("hex"));
    expect(logText).not.toContain(PASSWORD);
  });

  it("restores a key from the set label of the tape in a drive with the password; refuses a wrong password and an unencrypted set", async () => {
    const created = await bus.request<KeyListEntry>(KEYVAULT_SUBJECTS.create, { password: PASSWORD, hint: "on tape" });
    const keyConfig = await bus.request<Record<string, unknown>>(KEYVAULT_SUBJECTS.keyConfig, { fingerprint: created.fingerprint });
    const [row] = await sql<{ wrapped_key: Buffer }[]>`select wrapped_key from keyvault.encryption_keys where fingerprint = ${created.fingerprint}`;
    const raw = unwrapKey(masterKey, row!.wrapped_key, created.fingerprint);
    await bus.request(KEYVAULT_SUBJECTS.remove, { fingerprint: created.fingerprint, force: true });
    const base = { "label-text": "TR0001L9", uuid: randomUUID(), ctime: 1_700_000_000, pool: "secure", "media-set-uuid": randomUUID(), "seq-nr": 0 };
    tapeLabels.set("lto1", { ...base, "encryption-key-fingerprint": created.fingerprint, "key-config": keyConfig });
    tapeLabels.set("lto2", base);

    const wrong = await refusal(bus.request(KEYVAULT_SUBJECTS.restore, { drive: "lto1", password: "not the password" }));
    expect(wrong.code).toBe("VALIDATION");
    const plain = await refusal(bus.request(KEYVAULT_SUBJECTS.restore, { drive: "lto2", password: PASSWORD }));
    expect(plain.code).toBe("NOT_FOUND");
    expect(plain.reason).toBe(KEY_REASONS.NO_KEY_CONFIG);
    expect(plain.message).toContain("'TR0001L9' in drive 'lto2' carries no key config");
    expect((await refusal(bus.request(KEYVAULT_SUBJECTS.restore, { drive: "lto3", password: PASSWORD }))).code).toBe("CONFLICT");

    const restored = await bus.request<KeyShowReply>(KEYVAULT_SUBJECTS.restore, { drive: "lto1", password: PASSWORD });
    expect(restored).toMatchObject({ fingerprint: created.fingerprint, hint: "on tape", kdf: "scrypt" });
    const [back] = await sql<{ wrapped_key: Buffer }[]>`select wrapped_key from keyvault.encryption_keys where fingerprint = ${created.fingerprint}`;
    expect(unwrapKey(masterKey, back!.wrapped_key, created.fingerprint).equals(raw)).toBe(true);
    expect(logText).toContain('"op":"restore"');
    expect(logText).not.toContain(raw.toString("hex"));
    expect(logText).not.toContain(raw.toString("base64"));
    expect(logText).not.toContain("not the password");
  });

  it("with the scheduler lease check and no scheduler answering, refuses the release", async () => {
    // a second keyvault on a prefix of its own (same database), with the default lease check
    const prefix = `${env.natsPrefix}-sched`;
    const second = await startKeyvault(configEnv({ TAPEFLEET_NATS_PREFIX: prefix, TAPEFLEET_REQUEST_TIMEOUT_MS: "500" }), {
      installSignalHandlers: false,
      logger: createLogger({ service: "keyvault", level: "silent" }),
    });
    const bus2 = await Bus.connect({ url: env.natsUrl, prefix, name: "kv-test-2", logger: createLogger({ service: "t", level: "silent" }) });
    try {
      const created = await bus2.request<KeyListEntry>(KEYVAULT_SUBJECTS.create, { password: PASSWORD });
      const err = await refusal(bus2.request(KEYVAULT_SUBJECTS.release, { fingerprint: created.fingerprint, mediaSetUuid: randomUUID(), drive: "lto9", job: "j", recipientKey: createSecretRecipient().publicKey }));
      expect(err.code).toBe("UNAVAILABLE");
      expect(err.reason).toBe(KEY_REASONS.LEASE_CHECK_UNAVAILABLE);
      expect(err.message).toContain("cannot check the lease of drive 'lto9' for job 'j'");
      const [audit] = await sql<{ granted: boolean; refusal: string }[]>`select granted, refusal from keyvault.key_release_audit where fingerprint = ${created.fingerprint}`;
      expect({ ...audit }).toEqual({ granted: false, refusal: KEY_REASONS.LEASE_CHECK_UNAVAILABLE });
    } finally {
      await bus2.close();
      await second.stop();
    }
  });
});

describe("master key", () => {
  it("refuses another master key after the first boot", async () => {
    const otherConfig = loadKeyvaultConfig({ env: { ...env.serviceEnv(), TAPEFLEET_MASTER_KEY: randomBytes(32).toString("base64"), TAPEFLEET_LOG_LEVEL: "silent" } });
    const refused = (await startKeyvault(otherConfig, { installSignalHandlers: false }).catch((e: unknown) => e)) as TapefleetError;
    expect(refused.code).toBe("CONFIG");
    expect(refused.message).toContain("TAPEFLEET_MASTER_KEY");
    expect(refused.message).toContain("is not the master key");
  });

  it("refuses to boot without a usable master key, before connecting anything", async () => {
    const config = loadKeyvaultConfig({ env: { ...env.serviceEnv(), TAPEFLEET_MASTER_KEY: "c2hvcnQ=", TAPEFLEET_NATS_URL: "nats://127.0.0.1:1" } });
    const err = (await startKeyvault(config, { installSignalHandlers: false }).catch((e: unknown) => e)) as TapefleetError;
    expect(err.code).toBe("CONFIG");
    expect(err.message).toContain("TAPEFLEET_MASTER_KEY: decodes to 5 bytes; expected 32");
  });
});
