import { Command, CommanderError, Option } from "commander";
import { COMMAND_GROUPS } from "./commands/index.ts";
import { CliContext, OUTPUT_FORMATS, type CliIo } from "./context.ts";
import { formatError } from "./errors.ts";

export const VERSION = "0.1.0";

/** The tapectl command tree, writing through `io` (never process.exit). */
export function createProgram(io: CliIo): Command {
  const ctx = new CliContext(io);
  const program = new Command("tapectl")
    .description("Manage tapefleet: tape libraries, drives, media pools and tape backup jobs.")
    .version(VERSION)
    .addOption(new Option("--output-format <format>", "output format").choices(OUTPUT_FORMATS).default("text"))
    .option("--url <url>", "API base URL (default: $TAPEFLEET_URL, else gatewayUrl of ./var/stack.json, else http://127.0.0.1:8007)")
    .showHelpAfterError()
    .enablePositionalOptions(false);
  for (const register of COMMAND_GROUPS) register(program, ctx);
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
    for (const sub of cmd.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Run tapectl with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.stderr(formatError(err));
    return 1;
  }
}
