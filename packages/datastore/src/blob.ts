import {
  BLOB_HEADER_SIZE,
  ENCRYPTED_BLOB_HEADER_SIZE,
  MAX_BLOB_SIZE,
  TapeFormatError,
  decodeDataBlob,
  encodeDataBlob,
  parseDataBlob,
  type DataBlobKind,
  type EncodeDataBlobOptions,
  type ParsedDataBlob,
} from "@tapefleet/tape-format";
import { bytesEqual, sha256, toHex } from "./binary.ts";
import { DatastoreError, type DatastoreErrorCode } from "./errors.ts";

/**
 * DataBlob access for the datastore: the codec itself lives in
 * `@tapefleet/tape-format`; here its errors become `DatastoreError`s.
 * @see shared reference pbs-tape-format.md §11.2
 */
export { BLOB_HEADER_SIZE, ENCRYPTED_BLOB_HEADER_SIZE, MAX_BLOB_SIZE, type DataBlobKind, type ParsedDataBlob };

function mapCode(err: TapeFormatError): DatastoreErrorCode {
  switch (err.code) {
    case "crc-mismatch":
      return "checksum-mismatch";
    case "truncated":
      return "truncated";
    case "bad-magic":
      return "bad-magic";
    case "key-required":
      return "key-required";
    case "digest-mismatch":
      return "digest-mismatch";
    default:
      return "bad-blob";
  }
}

function wrap(err: unknown, context: string): DatastoreError {
  if (err instanceof DatastoreError) return err;
  if (err instanceof TapeFormatError) return new DatastoreError(mapCode(err), `${context}: ${err.message}`, { field: err.field ?? "blob", cause: err });
  return new DatastoreError("bad-blob", `${context}: ${err instanceof Error ? err.message : String(err)}`, { field: "blob", cause: err });
}

/** Splits a blob into header fields and payload, checking magic, size and CRC-32. */
export function parseBlob(raw: Uint8Array, context = "blob"): ParsedDataBlob {
  try {
    return parseDataBlob(raw);
  } catch (err) {
    throw wrap(err, context);
  }
}

/** Plaintext of a blob (CRC checked, decrypted with `key`, zstd-decompressed). */
export async function decodeBlob(raw: Uint8Array, options: { key?: Uint8Array; maxSize?: number; context?: string } = {}): Promise<Uint8Array> {
  try {
    return await decodeDataBlob(raw, options);
  } catch (err) {
    throw wrap(err, options.context ?? "blob");
  }
}

/** Encodes a blob as PBS does (zstd level 1 only when smaller; optional AES-256-GCM). */
export async function encodeBlob(data: Uint8Array, options: EncodeDataBlobOptions = {}): Promise<Uint8Array> {
  try {
    return await encodeDataBlob(data, options);
  } catch (err) {
    throw wrap(err, "encode blob");
  }
}

export interface ChunkCheck {
  kind: DataBlobKind;
  /** True when the digest was compared (unencrypted chunks); encrypted ones are checked by CRC only. */
  digestChecked: boolean;
}

/**
 * Checks a raw chunk against its name: CRC-32 always; for unencrypted chunks
 * also SHA-256 of the decoded plaintext. @see reference §11.2, Appendix B
 */
export async function verifyChunkBlob(raw: Uint8Array, digest: Uint8Array): Promise<ChunkCheck> {
  const blob = parseBlob(raw, `chunk ${toHex(digest)}`);
  if (blob.encrypted) return { kind: blob.kind, digestChecked: false };
  const plain = await decodeBlob(raw, { context: `chunk ${toHex(digest)}` });
  const actual = sha256(plain);
  if (!bytesEqual(actual, digest)) {
    throw new DatastoreError("digest-mismatch", `chunk ${toHex(digest)}: content hashes to ${toHex(actual)}`, { field: "digest" });
  }
  return { kind: blob.kind, digestChecked: true };
}
