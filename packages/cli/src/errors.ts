/** A field error as the API reports it. */
export interface CliFieldError {
  field: string;
  message: string;
}

/** An error tapectl reports as `Error: <message>` plus one line per field; exits non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly fields: CliFieldError[] = [],
    readonly code = "CLI",
    readonly status?: number,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The text printed for an error (ends with a newline). */
export function formatError(err: unknown): string {
  if (err instanceof CliError) {
    const lines = [`Error: ${err.message}`];
    for (const f of err.fields) lines.push(`  ${f.field}: ${f.message}`);
    return lines.join("\n") + "\n";
  }
  return `Error: ${(err as Error)?.message ?? String(err)}\n`;
}
