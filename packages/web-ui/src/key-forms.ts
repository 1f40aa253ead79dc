/**
 * Bodies of the tape encryption key forms (PBS `/config/tape-encryption-keys`).
 * The only check made in the browser is that a new password was typed the
 * same twice; everything else (length, hint) is the API's to judge, and its
 * message shows under the field it names.
 */

export type KeyFormResult = { body: Record<string, string> } | { errors: Record<string, string> };

/** The field of the repeated password (not an API field: checked here). */
export const REPEAT_FIELD = "password-repeat";

const MISMATCH = "the passwords differ";

/** `POST /config/tape-encryption-keys`: password (typed twice) and an optional hint. */
export function keyCreateBody(v: { password: string; repeat: string; hint: string }): KeyFormResult {
  if (v.password !== v.repeat) return { errors: { [REPEAT_FIELD]: MISMATCH } };
  return { body: { password: v.password, ...(v.hint.trim() !== "" ? { hint: v.hint.trim() } : {}) } };
}

/**
 * `PUT /config/tape-encryption-keys/{fp}`: a new hint, and/or the current
 * password with a new one (typed twice). Unchanged fields are not sent.
 */
export function keyUpdateBody(v: { hint: string; oldHint?: string; password: string; newPassword: string; repeat: string }): KeyFormResult {
  const body: Record<string, string> = {};
  if (v.hint.trim() !== (v.oldHint ?? "")) body["hint"] = v.hint.trim();
  if (v.password !== "" || v.newPassword !== "" || v.repeat !== "") {
    if (v.newPassword !== v.repeat) return { errors: { [REPEAT_FIELD]: MISMATCH } };
    body["password"] = v.password;
    body["new-password"] = v.newPassword;
  }
  return { body };
}

/** `POST /config/tape-encryption-keys/import`: paper key or KeyConfig JSON text, its password, an optional new hint. */
export function keyImportBody(v: { keyConfig: string; password: string; hint: string }): KeyFormResult {
  return { body: { "key-config": v.keyConfig.trim(), password: v.password, ...(v.hint.trim() !== "" ? { hint: v.hint.trim() } : {}) } };
}
