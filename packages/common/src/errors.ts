/**
 * Typed errors shared by every service. One base class with a stable `code`;
 * each edge (HTTP, NATS reply, gRPC, job retry) maps the code exactly once.
 */

/** Stable error codes. Never rename one: clients match on them. */
export type ErrorCode =
  | "VALIDATION"
  | "NOT_FOUND"
  | "CONFLICT"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "UNAVAILABLE"
  | "TIMEOUT"
  | "CONFIG"
  | "INTERNAL";

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  CONFIG: 500,
  INTERNAL: 500,
};

/** One problem with one input field. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorJson {
  code: ErrorCode;
  /** Stable machine-readable sub-code within `code` (e.g. NO_USABLE_MEDIA, DRIVE_BUSY). */
  reason?: string;
  message: string;
  fields?: FieldError[];
  requestId?: string;
}

export class TapefleetError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldError[] | undefined;
  /** Stable machine-readable sub-code within `code`. */
  readonly reason: string | undefined;
  requestId: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; fields?: FieldError[]; requestId?: string; reason?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fields = options?.fields;
    this.requestId = options?.requestId;
    this.reason = options?.reason;
  }

  get httpStatus(): number {
    return httpStatusOf(this.code);
  }

  toJSON(): ErrorJson {
    const out: ErrorJson = { code: this.code, message: this.message };
    if (this.reason) out.reason = this.reason;
    if (this.fields && this.fields.length > 0) out.fields = this.fields;
    if (this.requestId) out.requestId = this.requestId;
    return out;
  }
}

/** Bad input: names every field and why. Changes nothing. */
export class ValidationError extends TapefleetError {
  constructor(fields: FieldError[], message?: string) {
    super("VALIDATION", message ?? fields.map((f) => `${f.field}: ${f.message}`).join("; "), { fields });
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class NotFoundError extends TapefleetError {
  constructor(what: string, id: string) {
    super("NOT_FOUND", `${what} '${id}' does not exist`);
  }
}

export class ConflictError extends TapefleetError {
  constructor(message: string, fields?: FieldError[]) {
    super("CONFLICT", message, fields ? { fields } : undefined);
  }
}

export class UnauthorizedError extends TapefleetError {
  constructor(message = "authentication required") {
    super("UNAUTHORIZED", message);
  }
}

export class ForbiddenError extends TapefleetError {
  constructor(message = "permission denied") {
    super("FORBIDDEN", message);
  }
}

export class UnavailableError extends TapefleetError {
  constructor(message: string, cause?: unknown) {
    super("UNAVAILABLE", message, { cause });
  }
}

export class TimeoutError extends TapefleetError {
  constructor(message: string, cause?: unknown) {
    super("TIMEOUT", message, { cause });
  }
}

export class ConfigError extends TapefleetError {
  constructor(fields: FieldError[]) {
    super("CONFIG", `invalid configuration: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, { fields });
  }
}

export class InternalError extends TapefleetError {
  constructor(requestId: string, cause?: unknown) {
    super("INTERNAL", `internal error (request id ${requestId})`, { cause, requestId });
  }
}

const CODES = new Set<string>(Object.keys(HTTP_STATUS));

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && CODES.has(value);
}

/** Rebuild a typed error from its JSON form (e.g. a NATS error reply). */
export function errorFromJson(json: unknown): TapefleetError {
  if (typeof json === "object" && json !== null) {
    const j = json as Partial<ErrorJson>;
    if (isErrorCode(j.code) && typeof j.message === "string") {
      const opts: { fields?: FieldError[]; requestId?: string; reason?: string } = {};
      if (Array.isArray(j.fields)) opts.fields = j.fields;
      if (typeof j.reason === "string") opts.reason = j.reason;
      if (typeof j.requestId === "string") opts.requestId = j.requestId;
      return new TapefleetError(j.code, j.message, opts);
    }
  }
  return new TapefleetError("INTERNAL", "malformed error reply");
}

/**
 * Turn anything thrown into a typed error safe to show a caller: known errors
 * pass through; unknown ones become an opaque internal error with a request id
 * (the original stays in `cause` for the log, never in the response).
 */
export function toPublicError(err: unknown, requestId: string): TapefleetError {
  if (err instanceof TapefleetError) return err;
  return new InternalError(requestId, err);
}
