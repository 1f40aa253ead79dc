/**
 * The single error type of this package. Decoders and store operations throw
 * only `DatastoreError`; `code` is stable and meant for programmatic handling,
 * `message` names the field or path and the reason.
 */
export type DatastoreErrorCode =
  /** Input ended before a complete structure could be read. */
  | "truncated"
  /** Bytes were left over after a structure that must end there. */
  | "trailing-data"
  /** A magic number did not match the expected value. */
  | "bad-magic"
  /** A field has a value outside its allowed range or form. */
  | "invalid-field"
  /** A stored checksum (index_csum, manifest csum, blob CRC) did not match. */
  | "checksum-mismatch"
  /** A chunk's content does not hash to its digest. */
  | "digest-mismatch"
  /** A DataBlob could not be decoded (bad magic, CRC, zstd, decryption). */
  | "bad-blob"
  /** An encrypted blob was read without a key. */
  | "key-required"
  /** A manifest's JSON is malformed or has wrong members. */
  | "invalid-manifest"
  /** A name (namespace, group, snapshot, archive, digest) is not a safe PBS name. */
  | "invalid-name"
  /** A group filter expression cannot be parsed. */
  | "invalid-filter"
  /** A path, datastore, namespace, group, snapshot or chunk does not exist. */
  | "not-found"
  /** The target already exists (a snapshot directory that must be new). */
  | "already-exists"
  /** A group exists with another owner. */
  | "owner-mismatch"
  /** An API was used out of order (write after commit, commit twice). */
  | "invalid-state"
  /** The file system failed. */
  | "io";

export class DatastoreError extends Error {
  override readonly name = "DatastoreError";
  readonly code: DatastoreErrorCode;
  /** The field, name or path the error is about, when there is one. */
  readonly field: string | undefined;

  constructor(code: DatastoreErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options?.field;
  }
}

export function isDatastoreError(err: unknown, code?: DatastoreErrorCode): err is DatastoreError {
  return err instanceof DatastoreError && (code === undefined || err.code === code);
}

/** Wraps a foreign error in a DatastoreError; ENOENT becomes `not-found`. Passes DatastoreError through. */
export function asDatastoreError(err: unknown, context: string, field?: string): DatastoreError {
  if (err instanceof DatastoreError) return err;
  const errno = (err as { code?: unknown } | null)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  const code: DatastoreErrorCode = errno === "ENOENT" || errno === "ENOTDIR" ? "not-found" : errno === "EEXIST" ? "already-exists" : "io";
  return new DatastoreError(code, `${context}: ${reason}`, { field, cause: err });
}
