import { UnauthorizedError } from "@tapefleet/common";

/**
 * The token in an `Authorization` header: `Bearer <id>:<secret>` or PBS's
 * `PBSAPIToken=<id>:<secret>` (also `PBSAPIToken <id>:<secret>`).
 * @throws UnauthorizedError when the header is missing or of another scheme.
 */
export function tokenFromHeader(header: string | undefined): string {
  if (header === undefined || header.trim() === "") throw new UnauthorizedError("authentication required: send 'Authorization: Bearer <token>'");
  const m = /^\s*(?:Bearer\s+|PBSAPIToken[=\s]\s*)(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedError("unsupported authorization scheme: use 'Bearer <token>' or 'PBSAPIToken=<id>:<secret>'");
  return m[1]!;
}
