import type { TapeRequestEntry } from "@tapefleet/api-types";
import { type Command, Option } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { CliError } from "../errors.ts";
import { renderTable } from "../table.ts";
import { DRIVE_ENV, parseInteger } from "./config-group.ts";
import { runTask } from "./task.ts";

const globalsOf = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const enc = encodeURIComponent;
const repeat = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
const fmtTime = (epoch: unknown) => (typeof epoch === "number" ? new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : "");

/** Copy the given options into a body under their kebab-case names. */
function put(body: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) body[key] = value;
}

/**
 * `tapectl backup|restore|catalog|requests` and `tapectl backup-job run`:
 * long operations start a task and follow its log.
 */
export function registerJobs(program: Command, ctx: CliContext): void {
  program
    .command("backup")
    .description("Back up a datastore to tape (task).")
    .argument("<store>", "datastore")
    .argument("<pool>", "media pool")
    .option("--drive <name>", `drive (default: $${DRIVE_ENV}, else the pool's drive)`)
    .option("--ns <ns>", "namespace ('' = root)")
    .addOption(new Option("--max-depth <n>", "namespace levels to include (0-7)").argParser(parseInteger))
    .option("--latest-only", "only the newest snapshot of each group")
    .option("--eject-media", "eject the tape when done")
    .option("--export-media-set", "export the media set when done")
    .option("--force-media-set", "start a new media set")
    .option("--notify-user <user>", "user to notify (name@realm)")
    .option("--group-filter <filter>", "group filter (repeatable)", repeat)
    .action(async (store: string, pool: string, o: Record<string, unknown>, cmd: Command) => {
      const g = globalsOf(cmd);
      const body: Record<string, unknown> = { store, pool };
      put(body, "drive", o["drive"] ?? ctx.io.env[DRIVE_ENV]);
      put(body, "ns", o["ns"]);
      put(body, "max-depth", o["maxDepth"]);
      put(body, "latest-only", o["latestOnly"]);
      put(body, "eject-media", o["ejectMedia"]);
      put(body, "export-media-set", o["exportMediaSet"]);
      put(body, "force-media-set", o["forceMediaSet"]);
      put(body, "notify-user", o["notifyUser"]);
      put(body, "group-filter", o["groupFilter"]);
      await runTask(ctx, g, "post", "/tape/backup", body);
    });

  program
    .command("restore")
    .description("Restore a media set, or some of its snapshots, into datastores (task).")
    .argument("<media-set>", "media set uuid")
    .argument("<store>", "datastore map '[source=]target,…'")
    .option("--snapshots <snapshot>", "store:[ns/x/]type/id/time (repeatable; default: all)", repeat)
    .option("--namespaces <mapping>", "store=<ds>[,source=<ns>][,target=<ns>][,max-depth=<n>] (repeatable)", repeat)
    .option("--drive <name>", `drive (default $${DRIVE_ENV})`)
    .option("--notify-user <user>", "user to notify (name@realm)")
    .action(async (mediaSet: string, store: string, o: Record<string, unknown>, cmd: Command) => {
      const g = globalsOf(cmd);
      const body: Record<string, unknown> = { "media-set": mediaSet, store };
      put(body, "snapshots", o["snapshots"]);
      put(body, "namespaces", o["namespaces"]);
      put(body, "drive", o["drive"] ?? ctx.io.env[DRIVE_ENV]);
      put(body, "notify-user", o["notifyUser"]);
      await runTask(ctx, g, "post", "/tape/restore", body);
    });

  program
    .command("catalog")
    .description("Rebuild the catalog of the tape in the drive (task).")
    .option("--drive <name>", `drive (default $${DRIVE_ENV})`)
    .option("--scan", "scan the whole tape instead of reading its catalog archives")
    .option("--force", "replace an existing catalog")
    .action(async (o: { drive?: string; scan?: boolean; force?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const drive = o.drive ?? ctx.io.env[DRIVE_ENV];
      if (!drive) throw new CliError(`no drive given: use --drive or set ${DRIVE_ENV}`);
      const body: Record<string, unknown> = {};
      put(body, "scan", o.scan);
      put(body, "force", o.force);
      await runTask(ctx, g, "post", `/tape/drive/${enc(drive)}/catalog`, body);
    });

  program
    .command("requests")
    .description("Jobs waiting for an operator to load or insert a tape.")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<TapeRequestEntry[]>("/tape/requests");
      ctx.print(g, data, (d) =>
        renderTable(
          [{ key: "kind" }, { key: "drive" }, { key: "label-text" }, { key: "pool" }, { key: "since" }, { key: "message" }, { key: "upid" }],
          (d as TapeRequestEntry[]).map((r) => ({ ...r, "label-text": r.labelText, since: fmtTime(r.since) })),
        ),
      );
    });

  const backupJob = program.commands.find((c) => c.name() === "backup-job");
  if (!backupJob) throw new Error("the backup-job command group must be registered before the job commands");
  backupJob
    .command("run")
    .description("Run a tape backup job now (task).")
    .argument("<id>", "job id")
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await runTask(ctx, globalsOf(cmd), "post", `/config/tape-backup-job/${enc(id)}/run`, {});
    });
}
