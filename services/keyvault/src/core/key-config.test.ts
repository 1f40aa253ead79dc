import { createCipheriv, pbkdf2Sync, scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  changeKeyConfigPassword,
  createKeyConfig,
  decryptKeyConfig,
  FINGERPRINT_INPUT,
  formatKeyConfig,
  KeyConfigError,
  keyFingerprint,
  mediaSetDriveKey,
  parseKeyConfig,
  rfc3339Local,
  SCRYPT_MAXMEM,
  type KeyConfig,
} from "./key-config.ts";

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const PBS_VECTOR = "0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b";
const PASSWORD = "correct horse";

async function refusal(p: Promise<unknown>): Promise<KeyConfigError> {
  const e = await p.then(
    () => new Error("expected a refusal"),
    (err: unknown) => err,
  );
  if (e instanceof KeyConfigError) return e;
  throw e;
}

describe("PBS key fingerprint", () => {
  it("matches the PBS test vector for key bytes 0x00..0x1f", () => {
    expect(FINGERPRINT_INPUT.toString("hex")).toBe("6ed0ef77471fff4d55c7a8fe4a9db62161407f134c725ddf30992d25ec45ed26");
    expect(keyFingerprint(KEY)).toBe(PBS_VECTOR);
  });

  it("derives the per-media-set drive key with PBKDF2 over the set uuid's raw bytes", () => {
    const uuid = "00112233-4455-6677-8899-aabbccddeeff";
    const expected = pbkdf2Sync(KEY, Buffer.from("00112233445566778899aabbccddeeff", "hex"), 10, 32, "sha256");
    expect(mediaSetDriveKey(KEY, uuid).equals(expected)).toBe(true);
    expect(mediaSetDriveKey(KEY, uuid).equals(KEY)).toBe(false);
    expect(mediaSetDriveKey(KEY, "00112233-4455-6677-8899-aabbccddeef0").equals(expected)).toBe(false);
    expect(() => mediaSetDriveKey(KEY, "not-a-uuid")).toThrow(/mediaSetUuid: must be a hyphenated UUID/);
  });
});

describe("KeyConfig", () => {
  it("writes scrypt N=65536 r=8 p=1 with a 32-byte salt and IV‖TAG‖ciphertext data that scrypt+AES-GCM open", async () => {
    const salt = Buffer.alloc(32, 7);
    const iv = Buffer.alloc(16, 9);
    const now = new Date(Date.UTC(2024, 4, 1, 8, 0, 0));
    const config = await createKeyConfig(KEY, PASSWORD, { hint: "safe 2", now, salt, iv });
    expect(config.kdf).toEqual({ Scrypt: { n: 65536, r: 8, p: 1, salt: salt.toString("base64") } });
    const data = Buffer.from(config.data, "base64");
    expect(data).toHaveLength(64);
    expect(data.subarray(0, 16).equals(iv)).toBe(true);
    // Independent check of the construction: scrypt-derived key, GCM with a 16-byte IV and no AAD.
    const derived = scryptSync(PASSWORD, salt, 32, { N: 65536, r: 8, p: 1, maxmem: SCRYPT_MAXMEM });
    const cipher = createCipheriv("aes-256-gcm", derived, iv);
    const ct = Buffer.concat([cipher.update(KEY), cipher.final()]);
    expect(data.subarray(16, 32).equals(cipher.getAuthTag())).toBe(true);
    expect(data.subarray(32).equals(ct)).toBe(true);
    expect(config.fingerprint).toBe(PBS_VECTOR);
    expect(config.hint).toBe("safe 2");
    expect(config.created).toBe(rfc3339Local(now));
    expect(config.modified).toBe(config.created);
    expect(Object.keys(config)).toEqual(["kdf", "created", "modified", "data", "fingerprint", "hint"]);
  });

  it("round-trips through JSON and refuses a wrong or short password and a foreign fingerprint", async () => {
    const config = await createKeyConfig(KEY, PASSWORD);
    const parsed = parseKeyConfig(JSON.parse(formatKeyConfig(config)));
    expect(parsed).toEqual(config);
    const opened = await decryptKeyConfig(parsed, PASSWORD);
    expect(opened.key.equals(KEY)).toBe(true);
    expect(opened.fingerprint).toBe(PBS_VECTOR);

    const wrong = await refusal(decryptKeyConfig(parsed, "correct horsf"));
    expect(wrong.reason).toBe("WRONG_PASSWORD");
    expect(wrong.fields?.[0]?.field).toBe("password");
    expect(wrong.message).not.toContain("correct");
    const short = await refusal(decryptKeyConfig(parsed, "abcd"));
    expect(short.reason).toBe("PASSWORD_TOO_SHORT");
    expect((await refusal(createKeyConfig(KEY, "äb"))).reason).toBe("PASSWORD_TOO_SHORT");
    // five bytes in UTF-8 are enough even when they are fewer characters
    await expect(decryptKeyConfig(parsed, "äbcd")).rejects.toMatchObject({ reason: "WRONG_PASSWORD" });

    const other = { ...parsed, fingerprint: keyFingerprint(Buffer.alloc(32, 1)) };
    expect((await refusal(decryptKeyConfig(other, PASSWORD))).reason).toBe("FINGERPRINT_MISMATCH");
    const { fingerprint: _fp, ...withoutFp } = parsed;
    expect((await decryptKeyConfig(withoutFp, PASSWORD)).fingerprint).toBe(PBS_VECTOR);
  });

  it("changes the password: the old one no longer opens it, created and hint stay", async () => {
    const config = await createKeyConfig(KEY, PASSWORD, { hint: "h", now: new Date(0) });
    const next = await changeKeyConfigPassword(config, PASSWORD, "new secret", new Date(86_400_000));
    expect(next.created).toBe(config.created);
    expect(next.modified).toBe(rfc3339Local(new Date(86_400_000)));
    expect(next.hint).toBe("h");
    expect(next.data).not.toBe(config.data);
    expect((await decryptKeyConfig(next, "new secret")).key.equals(KEY)).toBe(true);
    await expect(decryptKeyConfig(next, PASSWORD)).rejects.toMatchObject({ reason: "WRONG_PASSWORD" });
    await expect(changeKeyConfigPassword(config, "wrong one", "new secret")).rejects.toMatchObject({ reason: "WRONG_PASSWORD" });
  });

  it("imports PBKDF2 (65535 iterations) and unprotected (null kdf) key files", async () => {
    const salt = Buffer.alloc(32, 3);
    const iv = Buffer.alloc(16, 4);
    const derived = pbkdf2Sync(PASSWORD, salt, 65535, 32, "sha256");
    const cipher = createCipheriv("aes-256-gcm", derived, iv);
    const ct = Buffer.concat([cipher.update(KEY), cipher.final()]);
    const pbkdf2Config = parseKeyConfig({
      kdf: { PBKDF2: { iter: 65535, salt: salt.toString("base64") } },
      created: "2020-01-01T00:00:00+01:00",
      modified: "2020-01-01T00:00:00+01:00",
      data: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64"),
      fingerprint: PBS_VECTOR,
    });
    expect((await decryptKeyConfig(pbkdf2Config, PASSWORD)).key.equals(KEY)).toBe(true);
    await expect(decryptKeyConfig(pbkdf2Config, "other password")).rejects.toMatchObject({ reason: "WRONG_PASSWORD" });

    const plain = parseKeyConfig({ kdf: null, created: "2020-01-01T00:00:00Z", modified: "2020-01-01T00:00:00Z", data: KEY.toString("base64") });
    expect((await decryptKeyConfig(plain, "")).fingerprint).toBe(PBS_VECTOR);
  });

  it("rejects malformed key files naming the field", () => {
    const good = { kdf: null, created: "2020-01-01T00:00:00Z", modified: "2020-01-01T00:00:00Z", data: KEY.toString("base64") };
    const cases: [unknown, string][] = [
      [[], "keyConfig"],
      [{ ...good, kdf: undefined }, "kdf"],
      [{ ...good, kdf: { Argon2: {} } }, "kdf"],
      [{ ...good, kdf: { Scrypt: { n: 1000, r: 8, p: 1, salt: "AAAA" } } }, "kdf.Scrypt.n"],
      [{ ...good, kdf: { Scrypt: { n: 1 << 24, r: 8, p: 1, salt: "AAAA" } } }, "kdf.Scrypt"],
      [{ ...good, kdf: { Scrypt: { n: 65536, r: 8, p: 1, salt: "**" } } }, "kdf.Scrypt.salt"],
      [{ ...good, kdf: { PBKDF2: { iter: 0, salt: "AAAA" } } }, "kdf.PBKDF2.iter"],
      [{ ...good, created: "yesterday" }, "created"],
      [{ ...good, modified: 5 }, "modified"],
      [{ ...good, data: "not base64!" }, "data"],
      [{ ...good, fingerprint: "0e:ab" }, "fingerprint"],
      [{ ...good, hint: 3 }, "hint"],
    ];
    for (const [input, field] of cases) {
      let err: unknown;
      try {
        parseKeyConfig(input);
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(KeyConfigError);
      expect((err as KeyConfigError).fields?.[0]?.field, JSON.stringify(input)).toBe(field);
      expect((err as KeyConfigError).code).toBe("VALIDATION");
    }
  });

  it("refuses a stored key of the wrong length", async () => {
    const config: KeyConfig = { kdf: null, created: "2020-01-01T00:00:00Z", modified: "2020-01-01T00:00:00Z", data: Buffer.alloc(31).toString("base64") };
    await expect(decryptKeyConfig(config, "")).rejects.toMatchObject({ reason: "MALFORMED" });
    await expect(createKeyConfig(Buffer.alloc(16), PASSWORD)).rejects.toThrow(/key: must be 32 bytes, got 16/);
  });

  it("writes times as local RFC 3339 with a ±HH:MM offset", () => {
    const s = rfc3339Local(new Date(1714550400000));
    expect(s).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expect(Date.parse(s)).toBe(1714550400000);
  });
});
