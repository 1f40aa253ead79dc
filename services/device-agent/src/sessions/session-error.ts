/**
 * Errors of tape write/read sessions. One class with a stable `code`; the
 * gRPC edge maps `grpcStatus` once. Medium errors carry the tape file and the
 * block within that file where the drive failed.
 */

export type SessionErrorCode =
  /** A request field is missing or malformed (names the field). */
  | "invalid-request"
  /** The drive has no labeled tape, or the tape does not fit the request. */
  | "wrong-medium"
  /** The drive is in use by another operation. */
  | "drive-busy"
  /** The drive id is unknown to this agent. */
  | "unknown-drive"
  /** The drive reported a medium error (sense key 3). */
  | "medium-error"
  /** Positioning ended somewhere else than asked. */
  | "position"
  /** The datastore could not be read or written. */
  | "datastore"
  /** A snapshot archive did not fit on a fresh tape (it can never be written). */
  | "archive-too-large"
  /** The session was cancelled by the caller. */
  | "cancelled"
  /** The tape's media set is encrypted with a key the key vault does not have ("key FP needed"). */
  | "key-needed"
  /** The key vault refused or could not release the set's drive key. */
  | "key-refused"
  /** Any other drive or format failure. */
  | "io";

const GRPC_STATUS: Record<SessionErrorCode, number> = {
  "invalid-request": 3, // INVALID_ARGUMENT
  "wrong-medium": 9, // FAILED_PRECONDITION
  "drive-busy": 10, // ABORTED
  "unknown-drive": 5, // NOT_FOUND
  "medium-error": 15, // DATA_LOSS
  position: 13, // INTERNAL
  datastore: 9,
  "archive-too-large": 8, // RESOURCE_EXHAUSTED
  cancelled: 1, // CANCELLED
  "key-needed": 9, // FAILED_PRECONDITION
  "key-refused": 7, // PERMISSION_DENIED
  io: 14, // UNAVAILABLE
};

export class SessionError extends Error {
  readonly code: SessionErrorCode;
  /** The request field at fault (invalid-request). */
  readonly field: string | undefined;
  /** Tape file number where a medium error happened. */
  readonly fileNumber: number | undefined;
  /** Block number within that tape file (0-based). */
  readonly block: number | undefined;

  constructor(code: SessionErrorCode, message: string, options: { field?: string; fileNumber?: number; block?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SessionError";
    this.code = code;
    this.field = options.field;
    this.fileNumber = options.fileNumber;
    this.block = options.block;
  }

  /** gRPC status code (read by the @tapefleet/proto server adapter). */
  get grpcStatus(): number {
    return GRPC_STATUS[this.code];
  }
}

export function isSessionError(e: unknown): e is SessionError {
  return e instanceof SessionError;
}

/**
 * The SessionError behind `err` (format and datastore layers wrap the drive's
 * errors as their `cause`), or a new one of `fallback` code with the message.
 */
export function toSessionError(err: unknown, fallback: SessionErrorCode = "io"): SessionError {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof SessionError) return e;
  }
  return new SessionError(fallback, err instanceof Error ? err.message : String(err), { cause: err });
}
