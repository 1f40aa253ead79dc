import { ApiClient } from "./api-client.ts";
import { resolveToken, resolveUrl, type Env } from "./settings.ts";

export type OutputFormat = "text" | "json" | "json-pretty";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["text", "json", "json-pretty"];

/** Everything a command touches outside itself (injected, so tests run it in-process). */
export interface CliIo {
  env: Env;
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  fetch?: typeof fetch;
  /** Reads all of standard input (for `--inhex -`). */
  readStdin?(): Promise<string>;
}

/** The global options every command sees. */
export interface GlobalOptions {
  outputFormat: OutputFormat;
  url?: string;
}

export class CliContext {
  constructor(readonly io: CliIo) {}

  /** An API client for the resolved URL and token (resolved only when a command needs the API). */
  client(globals: GlobalOptions): ApiClient {
    const url = resolveUrl(globals.url, this.io.env, this.io.cwd);
    return new ApiClient(url, resolveToken(this.io.env, this.io.cwd), this.io.fetch ?? fetch);
  }

  /** Print a result in the chosen format; `text` uses the given renderer. */
  print(globals: GlobalOptions, data: unknown, text: (data: unknown) => string): void {
    if (globals.outputFormat === "json") this.io.stdout(JSON.stringify(data ?? null) + "\n");
    else if (globals.outputFormat === "json-pretty") this.io.stdout(JSON.stringify(data ?? null, null, 2) + "\n");
    else this.io.stdout(text(data));
  }
}
