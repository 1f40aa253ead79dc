import { type Command, Option } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { parseInteger, registerConfigGroup } from "./config-group.ts";
import { runTask } from "./task.ts";

const globalsOf = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const enc = encodeURIComponent;

/** Sizes such as `64M`, `1G`, `4096` (binary units) → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([KMGT]i?B?|B)?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid size '${text}': use bytes or a number with K, M, G or T`);
  const unit = (m[2] ?? "").toUpperCase().charAt(0);
  const mult = unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : unit === "T" ? 1024 ** 4 : 1;
  return Number(m[1]) * mult;
}

/** `tapectl datastore create|update|config|list|remove|sample|ingest`. */
export function registerDatastore(program: Command, ctx: CliContext): void {
  const group = registerConfigGroup(program, ctx, {
    command: "datastore",
    kind: "datastore",
    description: "Datastores on the device agents' hosts.",
    fields: [
      { field: "path", type: "string", description: "directory of the datastore on its agent host" },
      { field: "host", type: "string", description: "host id of the device agent serving it" },
      { field: "comment", type: "string", description: "comment" },
    ],
    listColumns: ["path", "host", "comment"],
  });
  group
    .command("sample")
    .description("Fill a datastore with generated sample backups (task).")
    .argument("<store>", "datastore")
    .requiredOption("--size <size>", "amount of sample data (e.g. 64M, 1G)")
    .addOption(new Option("--seed <n>", "random seed (same seed, same data)").argParser(parseInteger))
    .action(async (store: string, o: { size: string; seed?: number }, cmd: Command) => {
      let size: number;
      try {
        size = parseSize(o.size);
      } catch (err) {
        cmd.error(`error: option '--size <size>' argument '${o.size}' is invalid. ${(err as Error).message}`);
      }
      await runTask(ctx, globalsOf(cmd), "post", `/admin/datastore/${enc(store)}/sample`, { size, ...(o.seed === undefined ? {} : { seed: o.seed }) });
    });
  group
    .command("ingest")
    .description("Store files of the agent host as one backup snapshot (task).")
    .argument("<store>", "datastore")
    .argument("<files...>", "paths on the agent host")
    .requiredOption("--backup-type <type>", "vm, ct or host")
    .requiredOption("--backup-id <id>", "backup id")
    .option("--ns <ns>", "namespace")
    .action(async (store: string, files: string[], o: { backupType: string; backupId: string; ns?: string }, cmd: Command) => {
      await runTask(ctx, globalsOf(cmd), "post", `/admin/datastore/${enc(store)}/ingest`, {
        "backup-type": o.backupType,
        "backup-id": o.backupId,
        files,
        ...(o.ns === undefined ? {} : { ns: o.ns }),
      });
    });
}
