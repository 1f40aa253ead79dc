import { ValidationError, type FieldError } from "@tapefleet/common";
import type { z } from "zod";

/** Field name used when the whole input (not one field) is wrong. */
export const BODY_FIELD = "body";

const TYPE_WORDS: Record<string, string> = {
  string: "must be a string",
  boolean: "must be a boolean (true or false)",
  number: "must be a number",
  int: "must be an integer",
  array: "must be a list",
  object: "must be an object",
};

/** Per-parse messages for the issues zod reports without one of ours. */
function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  if (iss.code === "invalid_type") {
    if (iss.input === undefined) return "is required";
    return TYPE_WORDS[iss.expected] ?? `must be of type ${iss.expected}`;
  }
  return undefined;
}

/** Turn zod issues into field errors: one per field, named by its (kebab-case) path. */
export function fieldErrorsOf(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  const push = (field: string, message: string) => {
    if (seen.has(field)) return;
    seen.add(field);
    out.push({ field, message });
  };
  for (const iss of issues) {
    const base = iss.path.map(String).join(".");
    if (iss.code === "unrecognized_keys") {
      for (const k of iss.keys) push(base === "" ? k : `${base}.${k}`, "unknown field");
    } else if (base === "" && iss.code === "invalid_type") {
      push(BODY_FIELD, "must be a JSON object");
    } else {
      push(base === "" ? BODY_FIELD : base, iss.message);
    }
  }
  return out;
}

/**
 * Parse input with a schema; on failure throw a `ValidationError` naming every
 * bad field (`retention: invalid time span '7dayz': …`). Never throws anything else.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input, { error: issueMessage });
  if (r.success) return r.data;
  throw new ValidationError(fieldErrorsOf(r.error.issues));
}
