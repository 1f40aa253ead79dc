import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { DIAG_HELP, decodeDiag, parseHexInput } from "@tapefleet/scsi";
import type { Command } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { CliError } from "../errors.ts";

/** `tapectl diag decode <kind> --inhex FILE` (offline): decode captured SCSI data to JSON. */
export function registerDiag(program: Command, ctx: CliContext): void {
  const diag = program.command("diag").description("Offline SCSI diagnostics.");
  diag
    .command("decode")
    .description("Decode captured SCSI data (hex, as sg3_utils --inhex) and print it as JSON.")
    .argument("<kind>", "what the bytes are (see below)")
    .requiredOption("--inhex <file>", "file with hex bytes ('-' reads standard input)")
    .addHelpText("after", `\n${DIAG_HELP}`)
    .action(async (kind: string, o: { inhex: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      let text: string;
      try {
        text = o.inhex === "-" ? await (ctx.io.readStdin ?? (() => Promise.reject(new Error("no standard input"))))() : await readFile(resolve(ctx.io.cwd, o.inhex), "utf8");
      } catch (err) {
        throw new CliError(`--inhex: cannot read ${o.inhex}: ${(err as Error).message}`);
      }
      let decoded: unknown;
      try {
        decoded = decodeDiag(kind, parseHexInput(text));
      } catch (err) {
        throw new CliError(`cannot decode ${kind}: ${(err as Error).message}`);
      }
      ctx.io.stdout(JSON.stringify(decoded, null, g.outputFormat === "json" ? undefined : 2) + "\n");
    });
}
