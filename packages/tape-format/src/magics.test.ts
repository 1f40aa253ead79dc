import { describe, expect, it } from "vitest";
import * as M from "./magics.ts";
import { sha256, hex } from "./test-support.ts";

describe("magics", () => {
  it.each(M.MAGIC_SOURCE_TEXTS.map((x) => [...x]))("%s is the SHA-256 prefix of its text", (_name, text, magic) => {
    expect(Buffer.from(sha256(new TextEncoder().encode(text as string)).subarray(0, 8)).toString("hex")).toBe(
      Buffer.from(magic as Uint8Array).toString("hex"),
    );
  });

  it("matches the hex columns of the reference tables", () => {
    const table: Array<[Uint8Array, string]> = [
      [M.BLOCK_HEADER_MAGIC_1_0, "dcbdafcaeba0a528"],
      [M.MEDIA_CONTENT_HEADER_MAGIC_1_0, "63ee149fcdf29b0c"],
      [M.MEDIA_LABEL_MAGIC_1_0, "2a05bf3cb030aa39"],
      [M.MEDIA_SET_LABEL_MAGIC_1_0, "086063f92f9753d8"],
      [M.CHUNK_ARCHIVE_MAGIC_1_0, "3eada75f314c066e"],
      [M.CHUNK_ARCHIVE_MAGIC_1_1, "6d31636dd70283bf"],
      [M.CHUNK_ARCHIVE_ENTRY_MAGIC_1_0, "48576df2de428fdc"],
      [M.SNAPSHOT_ARCHIVE_MAGIC_1_0, "09b6021f7de87285"],
      [M.SNAPSHOT_ARCHIVE_MAGIC_1_1, "da1615d011e29a62"],
      [M.SNAPSHOT_ARCHIVE_MAGIC_1_2, "6210369bba10331d"],
      [M.CATALOG_ARCHIVE_MAGIC_1_0, "b7cfc7259e991e73"],
      [M.CATALOG_ARCHIVE_MAGIC_1_1, "b3ec71f0adec0260"],
      [M.MEDIA_CATALOG_MAGIC_1_1, "4c8ee8c120a88971"],
      [M.MEDIA_CATALOG_MAGIC_1_0, "dd1da4013b451328"],
      [M.UNCOMPRESSED_BLOB_MAGIC_1_0, "42ab3807be8370a1"],
      [M.COMPRESSED_BLOB_MAGIC_1_0, "31b958426fb6a37f"],
      [M.ENCRYPTED_BLOB_MAGIC_1_0, "7b6785be222d4cf0"],
      [M.ENCR_COMPR_BLOB_MAGIC_1_0, "e6591bbf0bbfd80b"],
    ];
    for (const [magic, h] of table) expect(M.bytesEqual(magic, hex(h))).toBe(true);
    expect(M.MAGIC_SOURCE_TEXTS).toHaveLength(table.length);
  });

  it("hex helpers round trip and reject malformed input", () => {
    expect(M.toHex(Uint8Array.of(0, 15, 255))).toBe("000fff");
    expect(M.fromHex("000fff")).toEqual(Uint8Array.of(0, 15, 255));
    expect(M.fromHex("0g")).toBeUndefined();
    expect(M.fromHex("abc")).toBeUndefined();
  });
});
