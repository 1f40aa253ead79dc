import { BlockedWriter } from "./blocked-writer.ts";
import type { ByteReader } from "./byte-reader.ts";
import { TapeFormatError } from "./errors.ts";
import {
  optionalString,
  parseJsonObject,
  prettyJson,
  requireInteger,
  requireString,
  utf8,
} from "./json.ts";
import { MEDIA_LABEL_MAGIC_1_0, MEDIA_SET_LABEL_MAGIC_1_0, bytesEqual } from "./magics.ts";
import type { MediaContentHeader } from "./media-content-header.ts";
import { MAX_LABEL_HEADER_DATA, openTapeFile, readContentHeader, writeContentHeader, type HeaderOptions } from "./tape-file.ts";
import type { BlockSink, BlockSource } from "./tape-io.ts";
import { ZERO_UUID, isUuidText } from "./uuid.ts";

/** File 0 of every tape. @see reference §3.1 */
export interface MediaLabel {
  /** Lowercase hyphenated UUID of the medium (new at every labeling). */
  uuid: string;
  /** Label or barcode text, `[A-Za-z0-9_][A-Za-z0-9._-]*`, 2–32 chars. */
  labelText: string;
  /** Labeling time, epoch seconds. */
  ctime: number;
  /** Pool the medium is reserved for. */
  pool?: string;
}

/** File 1: membership in a media set. @see reference §3.2 */
export interface MediaSetLabel {
  pool: string;
  /** Media set UUID; the all-zero UUID means "unassigned" (§3.4). */
  uuid: string;
  /** Position of this tape in the set, from 0. */
  seqNr: number;
  ctime: number;
  /** `xx:xx:…` (32 bytes) when the set is encrypted. */
  encryptionKeyFingerprint?: string;
  /** The password-protected KeyConfig JSON (member `key-config`), only when encrypted. */
  keyConfig?: Record<string, unknown>;
}

const LABEL_TEXT_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const FINGERPRINT_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){31}$/;

export function isValidLabelText(text: string): boolean {
  return text.length >= 2 && text.length <= 32 && LABEL_TEXT_RE.test(text);
}

/** True for the legacy all-zero media set UUID: the tape is empty and belongs to `pool`. */
export function isUnassignedMediaSet(label: MediaSetLabel): boolean {
  return label.uuid === ZERO_UUID;
}

/** Media label JSON exactly as PBS writes it: keys sorted, 2-space pretty-printed. */
export function encodeMediaLabelJson(label: MediaLabel): Uint8Array {
  if (!isUuidText(label.uuid)) throw new TapeFormatError("invalid-field", `media label uuid: not a UUID: ${JSON.stringify(label.uuid)}`, { field: "uuid" });
  if (!isValidLabelText(label.labelText)) {
    throw new TapeFormatError("invalid-field", `media label label_text: ${JSON.stringify(label.labelText)} must match [A-Za-z0-9_][A-Za-z0-9._-]* with 2-32 chars`, { field: "label_text" });
  }
  checkCtime(label.ctime, "media label");
  const value: Record<string, unknown> = { uuid: label.uuid.toLowerCase(), label_text: label.labelText, ctime: label.ctime };
  if (label.pool !== undefined) value["pool"] = label.pool;
  return utf8.encode(prettyJson(value, true));
}

export function decodeMediaLabelJson(bytes: Uint8Array): MediaLabel {
  const o = parseJsonObject(bytes, "media label");
  const uuid = requireString(o, "uuid", "media label");
  if (!isUuidText(uuid)) throw new TapeFormatError("invalid-json", `media label.uuid: not a UUID: ${JSON.stringify(uuid)}`, { field: "uuid" });
  const label: MediaLabel = {
    uuid: uuid.toLowerCase(),
    labelText: requireString(o, "label_text", "media label"),
    ctime: requireInteger(o, "ctime", "media label"),
  };
  const pool = optionalString(o, "pool", "media label");
  if (pool !== undefined) label.pool = pool;
  return label;
}

/** Media set label JSON: keys sorted (`key-config` included), 2-space pretty-printed. */
export function encodeMediaSetLabelJson(label: MediaSetLabel): Uint8Array {
  if (!isUuidText(label.uuid)) throw new TapeFormatError("invalid-field", `media set label uuid: not a UUID: ${JSON.stringify(label.uuid)}`, { field: "uuid" });
  if (!Number.isSafeInteger(label.seqNr) || label.seqNr < 0) throw new TapeFormatError("invalid-field", `media set label seq_nr: ${label.seqNr} is not a u64`, { field: "seq_nr" });
  checkCtime(label.ctime, "media set label");
  const value: Record<string, unknown> = { pool: label.pool, uuid: label.uuid.toLowerCase(), seq_nr: label.seqNr, ctime: label.ctime };
  if (label.encryptionKeyFingerprint !== undefined) {
    if (!FINGERPRINT_RE.test(label.encryptionKeyFingerprint)) {
      throw new TapeFormatError("invalid-field", "media set label encryption_key_fingerprint: expected 32 hex bytes joined by ':'", { field: "encryption_key_fingerprint" });
    }
    value["encryption_key_fingerprint"] = label.encryptionKeyFingerprint;
    if (label.keyConfig === undefined) {
      throw new TapeFormatError("invalid-field", "media set label key-config: required when encryption_key_fingerprint is set", { field: "key-config" });
    }
  }
  if (label.keyConfig !== undefined) value["key-config"] = label.keyConfig;
  return utf8.encode(prettyJson(value, true));
}

export function decodeMediaSetLabelJson(bytes: Uint8Array): MediaSetLabel {
  const o = parseJsonObject(bytes, "media set label");
  const uuid = requireString(o, "uuid", "media set label");
  if (!isUuidText(uuid)) throw new TapeFormatError("invalid-json", `media set label.uuid: not a UUID: ${JSON.stringify(uuid)}`, { field: "uuid" });
  const label: MediaSetLabel = {
    pool: requireString(o, "pool", "media set label"),
    uuid: uuid.toLowerCase(),
    seqNr: requireInteger(o, "seq_nr", "media set label", 0),
    ctime: requireInteger(o, "ctime", "media set label"),
  };
  const fp = optionalString(o, "encryption_key_fingerprint", "media set label");
  if (fp !== undefined) label.encryptionKeyFingerprint = fp;
  const kc = o["key-config"];
  if (kc !== undefined && kc !== null) {
    if (typeof kc !== "object" || Array.isArray(kc)) {
      throw new TapeFormatError("invalid-json", "media set label.key-config: expected a JSON object", { field: "key-config" });
    }
    label.keyConfig = kc as Record<string, unknown>;
  }
  return label;
}

function checkCtime(ctime: number, what: string): void {
  if (!Number.isSafeInteger(ctime)) throw new TapeFormatError("invalid-field", `${what} ctime: ${ctime} is not an integer`, { field: "ctime" });
}

/** Writes file 0 (content header + label JSON), finishes it (EOS block + filemark). */
export async function writeMediaLabel(sink: BlockSink, label: MediaLabel, options: HeaderOptions = {}): Promise<{ uuid: Uint8Array; leom: boolean }> {
  return writeLabelFile(sink, MEDIA_LABEL_MAGIC_1_0, encodeMediaLabelJson(label), options);
}

/** Writes file 1 (content header + set label JSON), finishes it. The sink must be positioned at file 1. */
export async function writeMediaSetLabel(sink: BlockSink, label: MediaSetLabel, options: HeaderOptions = {}): Promise<{ uuid: Uint8Array; leom: boolean }> {
  return writeLabelFile(sink, MEDIA_SET_LABEL_MAGIC_1_0, encodeMediaSetLabelJson(label), options);
}

async function writeLabelFile(sink: BlockSink, magic: Uint8Array, json: Uint8Array, options: HeaderOptions): Promise<{ uuid: Uint8Array; leom: boolean }> {
  const writer = new BlockedWriter(sink);
  const { uuid } = await writeContentHeader(writer, magic, json, options);
  const leom = await writer.finish(false);
  return { uuid, leom };
}

export type ReadLabelsResult =
  /** Blank tape: end of data at BOT. */
  | { kind: "blank" }
  | {
      kind: "labeled";
      mediaLabel: MediaLabel;
      mediaLabelHeader: MediaContentHeader;
      /** Absent when file 1 does not exist (end of data after file 0). */
      mediaSetLabel?: MediaSetLabel;
      mediaSetLabelHeader?: MediaContentHeader;
    };

/**
 * Reads file 0 and file 1 from a source positioned at BOT. Afterwards the
 * source is positioned at file 2 (when a set label was found).
 * @see reference §3.3
 */
export async function readLabels(source: BlockSource): Promise<ReadLabelsResult> {
  const f0 = await openTapeFile(source);
  if (f0.kind === "end-of-stream") return { kind: "blank" };
  if (f0.kind === "end-of-file") throw new TapeFormatError("unexpected-filemark", "media label: unexpected filemark at BOT");
  const l0 = await readLabelFile(f0.file.bytes, MEDIA_LABEL_MAGIC_1_0, "media label");
  const mediaLabel = decodeMediaLabelJson(l0.data);

  const f1 = await openTapeFile(source);
  if (f1.kind === "end-of-stream") return { kind: "labeled", mediaLabel, mediaLabelHeader: l0.header };
  if (f1.kind === "end-of-file") throw new TapeFormatError("unexpected-filemark", "media set label: unexpected filemark at file 1");
  const l1 = await readLabelFile(f1.file.bytes, MEDIA_SET_LABEL_MAGIC_1_0, "media set label");
  return {
    kind: "labeled",
    mediaLabel,
    mediaLabelHeader: l0.header,
    mediaSetLabel: decodeMediaSetLabelJson(l1.data),
    mediaSetLabelHeader: l1.header,
  };
}

async function readLabelFile(
  bytes: ByteReader,
  magic: Uint8Array,
  what: string,
): Promise<{ header: MediaContentHeader; data: Uint8Array }> {
  const read = await readContentHeader(bytes, MAX_LABEL_HEADER_DATA);
  if (!bytesEqual(read.header.contentMagic, magic)) {
    throw new TapeFormatError("bad-magic", `${what}: wrong content magic (found a ${read.type.kind} file)`, { field: "content_magic" });
  }
  if (read.header.size < 1) {
    throw new TapeFormatError("invalid-field", `${what}: header data size 0 (must be 1..65536)`, { field: "size" });
  }
  if (!(await bytes.atEof())) {
    throw new TapeFormatError("trailing-data", `${what}: unexpected data after the label JSON`);
  }
  return read;
}
