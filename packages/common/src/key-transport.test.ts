import { describe, expect, it } from "vitest";
import { createSecretRecipient, driveKeyContext, sealSecret } from "./key-transport.ts";

describe("key transport", () => {
  const secret = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
  const ctx = driveKeyContext({ fingerprint: "AA:bb", mediaSetUuid: "0F4C1E2A-0000-4000-8000-000000000001", drive: "d1" });

  it("opens only for the recipient and the context it was sealed for", () => {
    const r = createSecretRecipient();
    const sealed = sealSecret(r.publicKey, secret, ctx);
    expect(Buffer.from(sealed.data, "base64").equals(secret)).toBe(false);
    expect(JSON.stringify(sealed)).not.toContain(secret.toString("hex"));
    expect(JSON.stringify(sealed)).not.toContain(secret.toString("base64"));
    expect(r.open(sealed, ctx).equals(secret)).toBe(true);

    const other = createSecretRecipient();
    expect(() => other.open(sealed, ctx)).toThrow(/does not open/);
    const r2 = createSecretRecipient();
    const s2 = sealSecret(r2.publicKey, secret, ctx);
    expect(() => r2.open(s2, driveKeyContext({ fingerprint: "aa:bb", mediaSetUuid: "0f4c1e2a-0000-4000-8000-000000000001", drive: "d2" }))).toThrow(/does not open/);
  });

  it("a recipient key opens once", () => {
    const r = createSecretRecipient();
    const sealed = sealSecret(r.publicKey, secret, ctx);
    r.open(sealed, ctx);
    expect(() => r.open(sealed, ctx)).toThrow(/used already/);
  });

  it("rejects a malformed recipient key naming the field", () => {
    expect(() => sealSecret("not base64!", secret, ctx)).toThrow(/recipientKey/);
    expect(() => sealSecret(Buffer.alloc(31).toString("base64"), secret, ctx)).toThrow(/recipientKey.*32-byte/);
  });

  it("rejects a tampered box", () => {
    const r = createSecretRecipient();
    const sealed = sealSecret(r.publicKey, secret, ctx);
    const data = Buffer.from(sealed.data, "base64");
    data[0]! ^= 1;
    expect(() => r.open({ ...sealed, data: data.toString("base64") }, ctx)).toThrow(/sealed/);
  });
});
