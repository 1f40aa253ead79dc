import { createHash, createHmac, scryptSync } from "node:crypto";
import { crc32 } from "node:zlib";
import { deriveIdKey } from "@tapefleet/tape-format";
import { describe, expect, it } from "vitest";
import { decodeBlob, encodeBlob, parseBlob, verifyChunkBlob } from "./blob.ts";
import {
  canonicalManifestJson,
  decodeManifestBlob,
  decodeManifestJson,
  encodeManifestBlob,
  encodeManifestJson,
  manifestSignature,
  reencodeManifestForRestore,
  type BackupManifest,
} from "./manifest.ts";
import { expectCode, hex, pseudoRandom } from "./test-support.ts";

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());
const KEY = new Uint8Array(32).fill(7);

/** An uncompressed blob built by hand: magic, CRC-32 LE of the data, data. */
function plainBlob(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  out.set(hex("42ab3807be8370a1"), 0);
  new DataView(out.buffer).setUint32(8, crc32(data), true);
  out.set(data, 12);
  return out;
}

describe("blobs", () => {
  it("decodes a hand-built uncompressed blob", async () => {
    const data = new TextEncoder().encode("hello datastore");
    const raw = plainBlob(data);
    expect(parseBlob(raw).kind).toBe("uncompressed");
    expect(await decodeBlob(raw)).toEqual(data);
  });

  it("round-trips all four variants and checks the CRC over the bytes after the header", async () => {
    const text = new TextEncoder().encode("x".repeat(5000));
    const random = pseudoRandom(3000, 5);
    const cases = [
      { data: random, opts: {}, kind: "uncompressed", magic: "42ab3807be8370a1" },
      { data: text, opts: {}, kind: "compressed", magic: "31b958426fb6a37f" },
      { data: random, opts: { key: KEY }, kind: "encrypted", magic: "7b6785be222d4cf0" },
      { data: text, opts: { key: KEY }, kind: "encrypted-compressed", magic: "e6591bbf0bbfd80b" },
    ] as const;
    for (const c of cases) {
      const raw = await encodeBlob(c.data, c.opts);
      const p = parseBlob(raw);
      expect(p.kind).toBe(c.kind);
      expect(Buffer.from(raw.subarray(0, 8)).toString("hex")).toBe(c.magic);
      const header = p.encrypted ? 44 : 12;
      expect(new DataView(raw.buffer, raw.byteOffset).getUint32(8, true)).toBe(crc32(raw.subarray(header)));
      expect(await decodeBlob(raw, "key" in c.opts ? { key: KEY } : {})).toEqual(c.data);
    }
  });

  it("reports blob damage with typed codes", async () => {
    const raw = await encodeBlob(new TextEncoder().encode("y".repeat(1000)));
    await expectCode(() => parseBlob(raw.subarray(0, 7)), "truncated");
    await expectCode(() => parseBlob(new Uint8Array(20)), "bad-magic");
    const flipped = raw.slice();
    flipped[raw.length - 1]! ^= 0xff;
    const e = await expectCode(() => parseBlob(flipped), "checksum-mismatch");
    expect(e.message).toContain("crc");
    const enc = await encodeBlob(pseudoRandom(100), { key: KEY });
    await expectCode(() => parseBlob(enc.subarray(0, 30)), "truncated");
    await expectCode(() => decodeBlob(enc), "key-required");
    await expectCode(() => decodeBlob(enc, { key: new Uint8Array(32) }), "bad-blob");
  });

  it("refuses blobs over the 128 MiB limit", async () => {
    const huge = new Uint8Array(128 * 1024 * 1024 + 1);
    huge.set(hex("42ab3807be8370a1"), 0);
    const e = await expectCode(() => parseBlob(huge), "bad-blob");
    expect(e.message).toContain("MAX_BLOB_SIZE");
  });

  it("verifies chunk digests of unencrypted chunks and CRC only for encrypted ones", async () => {
    const data = pseudoRandom(4096, 9);
    const raw = await encodeBlob(data);
    expect(await verifyChunkBlob(raw, sha(data))).toEqual({ kind: "uncompressed", digestChecked: true });
    await expectCode(() => verifyChunkBlob(raw, sha(new Uint8Array(1))), "digest-mismatch");
    const enc = await encodeBlob(data, { key: KEY });
    expect(await verifyChunkBlob(enc, new Uint8Array(32))).toEqual({ kind: "encrypted", digestChecked: false });
    const bad = enc.slice();
    bad[50]! ^= 1;
    await expectCode(() => verifyChunkBlob(bad, new Uint8Array(32)), "checksum-mismatch");
  });
});

const CSUM = "ab".repeat(32);
const MANIFEST_TEXT = `{
  "backup-id": "100",
  "backup-time": 1700000000,
  "backup-type": "vm",
  "files": [
    { "crypt-mode": "none", "csum": "${CSUM}", "filename": "qemu-server.conf.blob", "size": 428 },
    { "crypt-mode": "none", "csum": "${"cd".repeat(32)}", "filename": "drive-scsi0.img.fidx", "size": 34359738368 }
  ],
  "signature": null,
  "unprotected": { "notes": "before upgrade", "verify_state": { "state": "ok", "upid": "UPID:pbs:x" } }
}`;

describe("manifest", () => {
  it("decodes the PBS JSON form", () => {
    const m = decodeManifestJson(new TextEncoder().encode(MANIFEST_TEXT));
    expect(m.backupType).toBe("vm");
    expect(m.backupId).toBe("100");
    expect(m.backupTime).toBe(1700000000);
    expect(m.files).toEqual([
      { filename: "qemu-server.conf.blob", cryptMode: "none", size: 428, csum: CSUM },
      { filename: "drive-scsi0.img.fidx", cryptMode: "none", size: 34359738368, csum: "cd".repeat(32) },
    ]);
    expect(m.unprotected["notes"]).toBe("before upgrade");
    expect(m.signature).toBeNull();
  });

  it("re-encodes as sorted pretty JSON", () => {
    const m = decodeManifestJson(new TextEncoder().encode(MANIFEST_TEXT));
    const text = new TextDecoder().decode(encodeManifestJson(m));
    expect(text.startsWith('{\n  "backup-id": "100",\n  "backup-time": 1700000000,\n  "backup-type": "vm",\n  "files": [\n    {\n      "crypt-mode": "none",')).toBe(true);
    expect(decodeManifestJson(encodeManifestJson(m))).toEqual(m);
  });

  it("names the field of every malformed member", async () => {
    const base = JSON.parse(MANIFEST_TEXT) as Record<string, unknown>;
    const variant = (patch: (v: Record<string, unknown>) => void): Uint8Array => {
      const v = structuredClone(base);
      patch(v);
      return new TextEncoder().encode(JSON.stringify(v));
    };
    const cases: [string, (v: Record<string, unknown>) => void][] = [
      ["backup-type", (v) => (v["backup-type"] = "qemu")],
      ["backup-id", (v) => (v["backup-id"] = "../x")],
      ["backup-time", (v) => (v["backup-time"] = "now")],
      ["files", (v) => delete v["files"]],
      ["files[0].filename", (v) => ((v["files"] as Record<string, unknown>[])[0]!["filename"] = "../etc/passwd.blob")],
      ["files[0].crypt-mode", (v) => ((v["files"] as Record<string, unknown>[])[0]!["crypt-mode"] = "rot13")],
      ["files[1].size", (v) => ((v["files"] as Record<string, unknown>[])[1]!["size"] = -1)],
      ["files[0].csum", (v) => ((v["files"] as Record<string, unknown>[])[0]!["csum"] = "xyz")],
      ["files[1].filename", (v) => ((v["files"] as Record<string, unknown>[])[1]!["filename"] = "qemu-server.conf.blob")],
      ["unprotected", (v) => (v["unprotected"] = [])],
      ["signature", (v) => (v["signature"] = 5)],
    ];
    for (const [field, patch] of cases) {
      const err = await expectCode(() => decodeManifestJson(variant(patch)), "invalid-manifest");
      expect(err.field, `${field}: ${err.message}`).toBe(field);
    }
    await expectCode(() => decodeManifestJson(new TextEncoder().encode("{")), "invalid-manifest");
    await expectCode(() => decodeManifestJson(new Uint8Array([0xff, 0xfe])), "invalid-manifest");
    await expectCode(() => decodeManifestJson(new TextEncoder().encode("[]")), "invalid-manifest");
  });

  it("reports damaged manifest blobs with typed codes", async () => {
    const raw = await encodeManifestBlob(decodeManifestJson(new TextEncoder().encode(MANIFEST_TEXT)));
    await expectCode(() => decodeManifestBlob(raw.subarray(0, 10)), "truncated");
    await expectCode(() => decodeManifestBlob(raw.subarray(0, raw.length - 3)), "checksum-mismatch");
    await expectCode(() => decodeManifestBlob(plainBlob(new TextEncoder().encode(MANIFEST_TEXT.slice(0, 100)))), "invalid-manifest");
    await expectCode(() => decodeManifestBlob(plainBlob(new TextEncoder().encode(`${MANIFEST_TEXT} x`))), "invalid-manifest");
  });

  it("signs canonical JSON without unprotected and signature", () => {
    const m = decodeManifestJson(new TextEncoder().encode(MANIFEST_TEXT));
    const canonical = canonicalManifestJson(m);
    expect(canonical).toBe(
      `{"backup-id":"100","backup-time":1700000000,"backup-type":"vm","files":[{"crypt-mode":"none","csum":"${CSUM}","filename":"qemu-server.conf.blob","size":428},{"crypt-mode":"none","csum":"${"cd".repeat(32)}","filename":"drive-scsi0.img.fidx","size":34359738368}]}`,
    );
    const idKey = new Uint8Array(32).fill(1);
    expect(manifestSignature(m, idKey)).toBe(createHmac("sha256", idKey).update(canonical).digest("hex"));
    const changedNotes: BackupManifest = { ...m, unprotected: { notes: "other" } };
    expect(manifestSignature(changedNotes, idKey)).toBe(manifestSignature(m, idKey));
  });

  it("reproduces the signature of PBS's own manifest test vector", () => {
    // pbs-datastore manifest test: key = scrypt("test", no salt, N=65536, r=8, p=1), id_key derived from it.
    const key = new Uint8Array(scryptSync("test", Buffer.alloc(0), 32, { N: 65536, r: 8, p: 1, maxmem: 256 * 1024 * 1024 }));
    const m: BackupManifest = {
      backupType: "host",
      backupId: "elsa",
      backupTime: Date.parse("2020-06-26T13:56:05Z") / 1000,
      files: [
        { filename: "test1.img.fidx", cryptMode: "encrypt", size: 200, csum: "01".repeat(32) },
        { filename: "abc.blob", cryptMode: "none", size: 200, csum: "02".repeat(32) },
      ],
      unprotected: { note: "This is not protected by the signature." },
      signature: null,
      extra: {},
    };
    expect(manifestSignature(m, deriveIdKey(key))).toBe("d7b446fb7db081662081d4b40fedd858a1d6307a5aff4ecff7d5bf4fd35679e9");
  });

  it("accepts upper-case csums and defaults crypt-mode to none (old backups)", () => {
    const text = MANIFEST_TEXT.replace(`"csum": "${CSUM}"`, `"csum": "${CSUM.toUpperCase()}"`).replace('{ "crypt-mode": "none", "csum"', '{ "csum"');
    const m = decodeManifestJson(new TextEncoder().encode(text));
    expect(m.files[0]).toEqual({ filename: "qemu-server.conf.blob", cryptMode: "none", size: 428, csum: CSUM });
  });

  it("re-encodes for restore: verify_state dropped, zstd blob, signature kept", async () => {
    const signed = MANIFEST_TEXT.replace('"signature": null', `"signature": "${"ef".repeat(32)}"`);
    const raw = plainBlob(new TextEncoder().encode(signed));
    const { manifest, blob } = await reencodeManifestForRestore(raw);
    expect(parseBlob(blob).kind).toBe("compressed");
    expect(manifest.unprotected).toEqual({ notes: "before upgrade" });
    const back = await decodeManifestBlob(blob);
    expect(back.unprotected["verify_state"]).toBeUndefined();
    expect(back.signature).toBe("ef".repeat(32));
    expect(back.files).toEqual(manifest.files);
    expect(await decodeManifestBlob(await encodeManifestBlob(back))).toEqual(back);
  });
});
