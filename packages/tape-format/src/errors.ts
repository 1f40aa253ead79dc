/**
 * The single error type of this package. Every decoder and writer throws only
 * `TapeFormatError`; `code` is stable and meant for programmatic handling,
 * `message` names the field and the reason.
 */
export type TapeFormatErrorCode =
  /** Input ended before a complete structure could be read. */
  | "truncated"
  /** A magic number did not match any known value. */
  | "bad-magic"
  /** A known but unsupported (unreleased or legacy) format version. */
  | "unsupported-version"
  /** A field has a value outside its allowed range or form. */
  | "invalid-field"
  /** A tape block is not exactly 262144 bytes long. */
  | "bad-block-size"
  /** A block sequence number did not follow the previous one. */
  | "bad-sequence"
  /** A block announces more payload than fits, or an empty non-final block. */
  | "bad-payload-size"
  /** A data block followed the END_OF_STREAM block instead of a filemark. */
  | "data-after-end-marker"
  /** A tape file ended at a filemark without an END_OF_STREAM block. */
  | "missing-end-marker"
  /** End of recorded data was reached in the middle of a tape file. */
  | "unexpected-end-of-data"
  /** A filemark or end of data was found where a tape file was expected to start. */
  | "unexpected-filemark"
  /** Trailing bytes were found where the stream must end. */
  | "trailing-data"
  /** A JSON header could not be parsed or has wrong members. */
  | "invalid-json"
  /** A checksum (CRC-32) did not match. */
  | "crc-mismatch"
  /** A chunk's content does not match its digest. */
  | "digest-mismatch"
  /** Decryption failed (wrong key or corrupted data). */
  | "decrypt-failed"
  /** zstd data could not be decompressed or compressed. */
  | "decompress-failed"
  /** An encrypted blob was given without a key. */
  | "key-required"
  /** pxar archive structure is not the one written for tape snapshots. */
  | "pxar-structure"
  /** The pxar goodbye table does not match the entries. */
  | "pxar-goodbye"
  /** A media catalog violates its ordering rules. */
  | "catalog-order"
  /** A caller used an API out of order (write after finish, query before end). */
  | "invalid-state"
  /** The medium is physically full (beyond the early-warning zone). */
  | "end-of-medium"
  /** A file changed size while it was being written. */
  | "size-mismatch"
  /** The underlying storage failed. */
  | "io";

export class TapeFormatError extends Error {
  override readonly name = "TapeFormatError";
  readonly code: TapeFormatErrorCode;
  /** The field or structure the error is about, when there is one. */
  readonly field: string | undefined;

  constructor(code: TapeFormatErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options?.field;
  }
}

export function isTapeFormatError(err: unknown, code?: TapeFormatErrorCode): err is TapeFormatError {
  return err instanceof TapeFormatError && (code === undefined || err.code === code);
}

/** Wraps a foreign error (I/O, wasm) in a TapeFormatError; passes TapeFormatError through. */
export function asTapeFormatError(err: unknown, code: TapeFormatErrorCode, context: string): TapeFormatError {
  if (err instanceof TapeFormatError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new TapeFormatError(code, `${context}: ${reason}`, { cause: err });
}
