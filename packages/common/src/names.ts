/**
 * Name validation shared by every edge: what PBS calls a "safe ID", media
 * label texts, namespaces. A name that passes can be used in a path, a NATS
 * subject token or a log line without escaping, and never traverses.
 */

/** PBS SAFE_ID: `[A-Za-z0-9_][A-Za-z0-9._-]*`. */
export const SAFE_ID_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export interface NameRule {
  min: number;
  max: number;
  re: RegExp;
  what: string;
}

/** Rules per kind of name (lengths as in PBS's API schema). */
export const NAME_RULES = {
  /** job and datastore names */
  id: { min: 3, max: 32, re: SAFE_ID_RE, what: "letters, digits, '_', '.', '-' (not first)" },
  /** changer and drive names (short names such as `d1` are common for drives) */
  device: { min: 2, max: 32, re: SAFE_ID_RE, what: "letters, digits, '_', '.', '-' (not first)" },
  pool: { min: 2, max: 32, re: SAFE_ID_RE, what: "letters, digits, '_', '.', '-' (not first)" },
  labelText: { min: 2, max: 32, re: SAFE_ID_RE, what: "letters, digits, '_', '.', '-' (not first)" },
  vault: { min: 3, max: 32, re: SAFE_ID_RE, what: "letters, digits, '_', '.', '-' (not first)" },
  nsComponent: { min: 1, max: 256, re: SAFE_ID_RE, what: "letters, digits, '_', '.', '-' (not first)" },
} satisfies Record<string, NameRule>;

/** Error message for a bad name, or undefined when it is fine. */
export function checkName(kind: keyof typeof NAME_RULES, value: unknown): string | undefined {
  const rule = NAME_RULES[kind];
  if (typeof value !== "string") return "must be a string";
  if (value.length < rule.min) return `must be at least ${rule.min} characters`;
  if (value.length > rule.max) return `must be at most ${rule.max} characters`;
  if (!rule.re.test(value)) return `invalid characters: use ${rule.what}`;
  if (value === "." || value === "..") return "must not be '.' or '..'";
  return undefined;
}

/** Maximum namespace depth below the root (PBS: 7). */
export const MAX_NAMESPACE_DEPTH = 7;

/** Validate a namespace in API form (`a/b/c`, "" = root). */
export function checkNamespace(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a string";
  if (value === "") return undefined;
  if (value.length > 256) return "must be at most 256 characters";
  const parts = value.split("/");
  if (parts.length > MAX_NAMESPACE_DEPTH) return `must be at most ${MAX_NAMESPACE_DEPTH} levels deep`;
  for (const p of parts) {
    const e = checkName("nsComponent", p);
    if (e) return `component '${p}': ${e}`;
  }
  return undefined;
}
