import { describe, expect, it } from "vitest";
import { BlockedWriter } from "./blocked-writer.ts";
import { MEDIA_LABEL_MAGIC_1_0, MEDIA_SET_LABEL_MAGIC_1_0, SNAPSHOT_ARCHIVE_MAGIC_1_0 } from "./magics.ts";
import {
  MEDIA_CONTENT_HEADER_SIZE,
  contentTypeOf,
  decodeMediaContentHeader,
  encodeMediaContentHeader,
} from "./media-content-header.ts";
import {
  decodeMediaLabelJson,
  decodeMediaSetLabelJson,
  encodeMediaLabelJson,
  encodeMediaSetLabelJson,
  isUnassignedMediaSet,
  readLabels,
  writeMediaLabel,
  writeMediaSetLabel,
} from "./labels.ts";
import { writeContentHeader } from "./tape-file.ts";
import { MemoryTape } from "./virtual-tape.ts";
import { ZERO_UUID, formatUuid, parseUuid } from "./uuid.ts";
import { catchTapeError, hex, flip } from "./test-support.ts";

const MEDIA_UUID = "0e6f5c3a-9f1d-4e2b-8a7c-112233445566";
const SET_UUID = "7d1c9a4e-2b3f-4c5d-9e8f-a0b1c2d3e4f5";

describe("MediaContentHeader", () => {
  it("encodes the 48-byte layout (LE) and decodes it back", () => {
    const h = {
      contentMagic: MEDIA_LABEL_MAGIC_1_0,
      uuid: parseUuid(MEDIA_UUID),
      ctime: 1700000000,
      size: 0x01020304,
      partNumber: 0,
    };
    const b = encodeMediaContentHeader(h);
    expect(b.length).toBe(MEDIA_CONTENT_HEADER_SIZE);
    expect(Buffer.from(b).toString("hex")).toBe(
      "63ee149fcdf29b0c" + "2a05bf3cb030aa39" + "0e6f5c3a9f1d4e2b8a7c112233445566" + "00f1536500000000" + "04030201" + "00" + "000000",
    );
    expect(decodeMediaContentHeader(b)).toEqual(h);
    expect(decodeMediaContentHeader(Uint8Array.from([...b, 9, 9]))).toEqual(h);
  });

  it("handles negative ctime and rejects bad magic / short input", async () => {
    const b = encodeMediaContentHeader({ contentMagic: MEDIA_LABEL_MAGIC_1_0, uuid: new Uint8Array(16), ctime: -5, size: 1, partNumber: 0 });
    expect(decodeMediaContentHeader(b).ctime).toBe(-5);
    expect((await catchTapeError(() => decodeMediaContentHeader(b.subarray(0, 47)))).code).toBe("truncated");
    const bad = b.slice();
    flip(bad, 7, 1);
    expect((await catchTapeError(() => decodeMediaContentHeader(bad))).code).toBe("bad-magic");
  });

  it("classifies content magics", () => {
    expect(contentTypeOf(MEDIA_SET_LABEL_MAGIC_1_0)).toEqual({ kind: "media-set-label", version: "1.0", supported: true });
    expect(contentTypeOf(SNAPSHOT_ARCHIVE_MAGIC_1_0)).toEqual({ kind: "snapshot-archive", version: "1.0", supported: false });
    expect(contentTypeOf(new Uint8Array(8))).toBeUndefined();
  });
});

describe("uuid", () => {
  it("keeps textual byte order", () => {
    expect(Buffer.from(parseUuid(MEDIA_UUID)).toString("hex")).toBe("0e6f5c3a9f1d4e2b8a7c112233445566");
    expect(formatUuid(parseUuid(MEDIA_UUID.toUpperCase()))).toBe(MEDIA_UUID);
  });
});

describe("label JSON", () => {
  it("media label: sorted keys, 2-space pretty print, optional pool", () => {
    const json = new TextDecoder().decode(encodeMediaLabelJson({ uuid: MEDIA_UUID, labelText: "ABC123L8", ctime: 1700000000, pool: "daily" }));
    expect(json).toBe(`{\n  "ctime": 1700000000,\n  "label_text": "ABC123L8",\n  "pool": "daily",\n  "uuid": "${MEDIA_UUID}"\n}`);
    const noPool = new TextDecoder().decode(encodeMediaLabelJson({ uuid: MEDIA_UUID, labelText: "ABC123L8", ctime: 1 }));
    expect(noPool).not.toContain("pool");
    expect(decodeMediaLabelJson(new TextEncoder().encode(json))).toEqual({ uuid: MEDIA_UUID, labelText: "ABC123L8", ctime: 1700000000, pool: "daily" });
  });

  it("media set label: key-config member sorted between fingerprint and pool, nested keys sorted", () => {
    const fp = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0")).join(":");
    const label = {
      pool: "weekly",
      uuid: SET_UUID,
      seqNr: 3,
      ctime: 1700000100,
      encryptionKeyFingerprint: fp,
      keyConfig: { kdf: null, modified: "m", created: "c", data: "ZGF0YQ==", fingerprint: fp },
    };
    const json = new TextDecoder().decode(encodeMediaSetLabelJson(label));
    expect(json).toBe(
      [
        "{",
        '  "ctime": 1700000100,',
        `  "encryption_key_fingerprint": "${fp}",`,
        '  "key-config": {',
        '    "created": "c",',
        '    "data": "ZGF0YQ==",',
        `    "fingerprint": "${fp}",`,
        '    "kdf": null,',
        '    "modified": "m"',
        "  },",
        '  "pool": "weekly",',
        '  "seq_nr": 3,',
        `  "uuid": "${SET_UUID}"`,
        "}",
      ].join("\n"),
    );
    expect(decodeMediaSetLabelJson(new TextEncoder().encode(json))).toEqual(label);
  });

  it("rejects bad input with the field named", async () => {
    let e = await catchTapeError(() => decodeMediaLabelJson(new TextEncoder().encode('{"uuid": 5}')));
    expect(e.code).toBe("invalid-json");
    expect(e.message).toContain("uuid");
    e = await catchTapeError(() => decodeMediaSetLabelJson(new TextEncoder().encode(`{"uuid":"${SET_UUID}","pool":"p","seq_nr":-1,"ctime":0}`)));
    expect(e.field).toBe("seq_nr");
    e = await catchTapeError(() => decodeMediaLabelJson(Uint8Array.of(0xff)));
    expect(e.code).toBe("invalid-field");
    e = await catchTapeError(() => decodeMediaLabelJson(new TextEncoder().encode("[1]")));
    expect(e.code).toBe("invalid-json");
    e = await catchTapeError(() => encodeMediaLabelJson({ uuid: MEDIA_UUID, labelText: "x", ctime: 0 }));
    expect(e.field).toBe("label_text");
    e = await catchTapeError(() => encodeMediaSetLabelJson({ pool: "p", uuid: SET_UUID, seqNr: 0, ctime: 0, encryptionKeyFingerprint: "00:11" }));
    expect(e.field).toBe("encryption_key_fingerprint");
  });
});

describe("writeMediaLabel / readLabels", () => {
  it("round trips both labels and leaves the tape at file 2", async () => {
    const tape = new MemoryTape();
    await writeMediaLabel(tape, { uuid: MEDIA_UUID, labelText: "TAPE01L9", ctime: 1700000000 }, { ctime: 1700000000 });
    await writeMediaSetLabel(tape, { pool: "p", uuid: SET_UUID, seqNr: 0, ctime: 1700000001 });
    expect(tape.fileCount).toBe(2);
    // file 0 is one block: header + JSON, nothing else
    const b0 = tape.fileBlocks(0);
    expect(b0).toHaveLength(1);
    const json = encodeMediaLabelJson({ uuid: MEDIA_UUID, labelText: "TAPE01L9", ctime: 1700000000 });
    const payloadSize = b0[0]![9]! | (b0[0]![10]! << 8) | (b0[0]![11]! << 16);
    expect(payloadSize).toBe(48 + json.length);
    expect(Buffer.from(b0[0]!.subarray(16 + 48, 16 + 48 + json.length)).equals(Buffer.from(json))).toBe(true);
    await tape.rewind();
    const r = await readLabels(tape);
    expect(r.kind).toBe("labeled");
    if (r.kind !== "labeled") return;
    expect(r.mediaLabel).toEqual({ uuid: MEDIA_UUID, labelText: "TAPE01L9", ctime: 1700000000 });
    expect(r.mediaLabelHeader.ctime).toBe(1700000000);
    expect(r.mediaSetLabel).toEqual({ pool: "p", uuid: SET_UUID, seqNr: 0, ctime: 1700000001 });
    expect(await tape.readBlock()).toEqual({ kind: "end-of-data" });
  });

  it("blank tape, label only, zero set uuid", async () => {
    const tape = new MemoryTape();
    expect(await readLabels(tape)).toEqual({ kind: "blank" });
    await writeMediaLabel(tape, { uuid: MEDIA_UUID, labelText: "TAPE01L9", ctime: 1, pool: "p" });
    await tape.rewind();
    const r = await readLabels(tape);
    expect(r.kind === "labeled" && r.mediaSetLabel === undefined && r.mediaLabel.pool === "p").toBe(true);
    await writeMediaSetLabel(tape, { pool: "p", uuid: ZERO_UUID, seqNr: 0, ctime: 2 });
    await tape.rewind();
    const r2 = await readLabels(tape);
    expect(r2.kind === "labeled" && r2.mediaSetLabel !== undefined && isUnassignedMediaSet(r2.mediaSetLabel)).toBe(true);
  });

  it("rejects a filemark at BOT, the wrong magic, and trailing data", async () => {
    const fm = new MemoryTape();
    await fm.writeFilemark();
    await fm.rewind();
    expect((await catchTapeError(() => readLabels(fm))).code).toBe("unexpected-filemark");

    const wrong = new MemoryTape();
    await writeMediaSetLabel(wrong, { pool: "p", uuid: SET_UUID, seqNr: 0, ctime: 2 });
    await wrong.rewind();
    expect((await catchTapeError(() => readLabels(wrong))).code).toBe("bad-magic");

    const trailing = new MemoryTape();
    const w = new BlockedWriter(trailing);
    await writeContentHeader(w, MEDIA_LABEL_MAGIC_1_0, encodeMediaLabelJson({ uuid: MEDIA_UUID, labelText: "TAPE01L9", ctime: 1 }));
    await w.write(hex("00"));
    await w.finish(false);
    await trailing.rewind();
    expect((await catchTapeError(() => readLabels(trailing))).code).toBe("trailing-data");
  });
});
