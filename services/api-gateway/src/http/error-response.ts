import type { ErrorResponse } from "@tapefleet/api-types";
import { InternalError, TapefleetError, ValidationError, httpStatusOf } from "@tapefleet/common";

/** Field name used for problems with the request body as a whole. */
const BODY_FIELD = "body";

/**
 * The one place where errors become HTTP responses: typed errors keep their
 * code (status from `httpStatusOf`), Fastify's own request errors (bad JSON,
 * wrong content type, body too large) become VALIDATION, anything else an
 * opaque INTERNAL error carrying the request id.
 */
export function toHttpError(err: unknown, requestId: string): { status: number; body: ErrorResponse; internal: boolean } {
  let typed: TapefleetError;
  let internal = false;
  if (err instanceof TapefleetError) typed = err;
  else if (isClientRequestError(err)) typed = ValidationError.field(BODY_FIELD, err.message);
  else {
    typed = new InternalError(requestId, err);
    internal = true;
  }
  const errors: Record<string, string> = {};
  for (const f of typed.fields ?? []) errors[f.field] = f.message;
  const body: ErrorResponse = { errors, message: typed.message, code: typed.code, requestId };
  if (typed.reason && !internal) body.reason = typed.reason;
  return { status: httpStatusOf(typed.code), body, internal };
}

function isClientRequestError(err: unknown): err is Error & { statusCode: number } {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return err instanceof Error && typeof status === "number" && status >= 400 && status < 500;
}
