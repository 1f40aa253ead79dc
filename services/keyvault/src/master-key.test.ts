import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@tapefleet/common";
import { decodeMasterKey, masterKeyFingerprint, readMasterKey } from "./master-key.ts";
import { loadKeyvaultConfig } from "./config.ts";

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1));
const KEY_B64 = KEY.toString("base64");

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("master key", () => {
  it("decodes base64 of 32 bytes, ignoring surrounding whitespace", () => {
    expect(decodeMasterKey(`  ${KEY_B64}\n`, "F").equals(KEY)).toBe(true);
  });

  it("rejects wrong lengths, non-base64 and constant keys, naming the field and never echoing the value", () => {
    const cases: [string, RegExp][] = [
      ["", /empty/],
      [Buffer.alloc(31, 5).toString("base64"), /31 bytes; expected 32/],
      [Buffer.alloc(33, 5).toString("base64"), /33 bytes; expected 32/],
      ["not*base64!", /not base64/],
      [Buffer.alloc(32, 0).toString("base64"), /constant byte pattern/],
    ];
    for (const [text, reason] of cases) {
      const err = configError(() => decodeMasterKey(text, "TAPEFLEET_MASTER_KEY"));
      expect(err.fields?.[0]?.field).toBe("TAPEFLEET_MASTER_KEY");
      expect(err.message).toMatch(reason);
      if (text.length > 0) expect(err.message).not.toContain(text);
    }
  });

  it("reads the key from a file, and names the file variable when it is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "kv-"));
    const file = join(dir, "master-key");
    writeFileSync(file, KEY_B64 + "\n", { mode: 0o600 });
    expect(readMasterKey({ masterKeyFile: file }).equals(KEY)).toBe(true);
    const err = configError(() => readMasterKey({ masterKeyFile: join(dir, "absent") }));
    expect(err.fields?.[0]).toMatchObject({ field: "TAPEFLEET_MASTER_KEY_FILE" });
    expect(err.message).toContain("ENOENT");
  });

  it("fingerprints deterministically without revealing the key", () => {
    const fp = masterKeyFingerprint(KEY);
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
    expect(masterKeyFingerprint(Buffer.from(KEY))).toBe(fp);
    const other = Buffer.from(KEY);
    other[0] = other[0]! ^ 1;
    expect(masterKeyFingerprint(other)).not.toBe(fp);
    expect(KEY.toString("hex")).not.toContain(fp);
  });

  it("config requires exactly one key source", () => {
    const base = { TAPEFLEET_DATABASE_URL: "postgres://x@127.0.0.1/db" };
    expect(configError(() => loadKeyvaultConfig({ env: base })).message).toContain("TAPEFLEET_MASTER_KEY_FILE");
    expect(configError(() => loadKeyvaultConfig({ env: { ...base, TAPEFLEET_MASTER_KEY: KEY_B64, TAPEFLEET_MASTER_KEY_FILE: "/k" } })).message).toContain("not both");
    expect(loadKeyvaultConfig({ env: { ...base, TAPEFLEET_MASTER_KEY_FILE: "/k" } }).masterKeyFile).toBe("/k");
  });
});
