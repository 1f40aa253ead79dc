import { formatCalendarReport } from "@tapefleet/calendar";
import { Command, InvalidArgumentError } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { CliError } from "../errors.ts";

function parseIterations(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError("expected a positive integer");
  return Number(v);
}

/** `tapectl calendar EXPR [--from ISO] [--iterations N]` (offline). */
export function registerCalendar(program: Command, ctx: CliContext): void {
  program
    .command("calendar")
    .description("Show a calendar event's normalized form and next occurrences (offline).")
    .argument("<expr>", "calendar event, e.g. 'mon..fri 02:00'")
    .option("--from <iso>", "list occurrences after this time (default: now)")
    .option("--iterations <n>", "how many occurrences (default 5)", parseIterations)
    .action((expr: string, o: { from?: string; iterations?: number }, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      let from: Date | undefined;
      if (o.from !== undefined) {
        from = new Date(o.from);
        if (Number.isNaN(from.getTime())) throw new CliError(`--from: invalid time '${o.from}' (use ISO 8601, e.g. 2026-01-01T00:00:00Z)`);
      }
      try {
        const text = formatCalendarReport(expr, {
          outputFormat: g.outputFormat,
          ...(from ? { from } : {}),
          ...(o.iterations !== undefined ? { iterations: o.iterations } : {}),
        });
        ctx.io.stdout(text.endsWith("\n") ? text : text + "\n");
      } catch (err) {
        throw new CliError(`invalid calendar event '${expr}': ${(err as Error).message}`);
      }
    });
}
