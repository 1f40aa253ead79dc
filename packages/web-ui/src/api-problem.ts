/**
 * The gateway's error body (`{errors: {field: msg}, message, code, requestId}`)
 * turned into one value the forms can show: a message per field and a summary.
 */
export interface ApiProblem {
  /** HTTP status (0 when the request never got an answer). */
  readonly status: number;
  /** The gateway's stable error code (`VALIDATION`, `CONFLICT`, …) or `NETWORK` / `HTTP`. */
  readonly code: string;
  readonly message: string;
  /** One message per bad field, keyed by the API's field name (`retention`, `changer-drivenum`). */
  readonly fields: Readonly<Record<string, string>>;
  readonly requestId?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads an error answer of the gateway. Bodies of another shape (a proxy's
 * HTML page, an empty body) still give a problem with the HTTP status.
 */
export function toApiProblem(status: number, body: unknown): ApiProblem {
  if (!isRecord(body)) {
    return { status, code: "HTTP", message: `the server answered HTTP ${status}`, fields: {} };
  }
  const fields: Record<string, string> = {};
  if (isRecord(body["errors"])) {
    for (const [k, v] of Object.entries(body["errors"])) {
      if (typeof v === "string") fields[k] = v;
    }
  }
  const code = typeof body["code"] === "string" ? body["code"] : "HTTP";
  const message = typeof body["message"] === "string" && body["message"] !== "" ? body["message"] : `the server answered HTTP ${status}`;
  const requestId = typeof body["requestId"] === "string" ? body["requestId"] : undefined;
  return { status, code, message, fields, ...(requestId === undefined ? {} : { requestId }) };
}

/** A problem for a request that got no answer (gateway down, network error). */
export function networkProblem(err: unknown): ApiProblem {
  const detail = err instanceof Error ? err.message : String(err);
  return { status: 0, code: "NETWORK", message: `the gateway did not answer: ${detail}`, fields: {} };
}

/**
 * Splits a problem's field messages into those a form shows under one of its
 * fields and the rest (shown above the form, with the field name).
 */
export function splitFieldErrors(problem: ApiProblem, formFields: readonly string[]): { byField: Record<string, string>; other: string[] } {
  const known = new Set(formFields);
  const byField: Record<string, string> = {};
  const other: string[] = [];
  for (const [field, msg] of Object.entries(problem.fields)) {
    if (known.has(field)) byField[field] = msg;
    else other.push(`${field}: ${msg}`);
  }
  return { byField, other };
}
