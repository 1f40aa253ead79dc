import type { ChangerStatusEntry, DriveConfig, LabelUuidEntry, MamAttributeEntry, TapeLabelInfo } from "@tapefleet/api-types";
import { type Command, Option } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { CliError } from "../errors.ts";
import { renderKeyValue, renderTable } from "../table.ts";
import { DRIVE_ENV, parseBool, parseInteger } from "./config-group.ts";
import { runTask } from "./task.ts";

const globalsOf = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
const enc = encodeURIComponent;

/** The drive a command works on: `--drive`, else `$TAPEFLEET_DRIVE`. */
export function driveOf(ctx: CliContext, given: string | undefined): string {
  const d = given ?? ctx.io.env[DRIVE_ENV];
  if (!d) throw new CliError(`no drive given: use --drive or set ${DRIVE_ENV}`);
  return d;
}

const driveOption = () => new Option("--drive <name>", `drive (default $${DRIVE_ENV})`);

/** The changer a command works on: the argument, else the changer of the drive (`--drive` / `$TAPEFLEET_DRIVE`). */
async function changerOf(ctx: CliContext, g: GlobalOptions, given: string | undefined, drive: string | undefined): Promise<string> {
  if (given) return given;
  const d = drive ?? ctx.io.env[DRIVE_ENV];
  if (!d) throw new CliError(`no changer given: name one, or use --drive / ${DRIVE_ENV} to take that drive's changer`);
  const cfg = await ctx.client(g).get<DriveConfig>(`/config/drive/${enc(d)}`);
  if (!cfg.changer) throw new CliError(`drive '${d}' has no changer`);
  return cfg.changer;
}

const fmtEpoch = (v: unknown) => (typeof v === "number" ? new Date(v * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : v);

/** Drive status keys in the order PBS prints them (§8.4). */
export const DRIVE_STATUS_KEYS = [
  "vendor",
  "product",
  "revision",
  "blocksize",
  "density",
  "compression",
  "buffer-mode",
  "write-protect",
  "alert-flags",
  "file-number",
  "block-number",
  "manufactured",
  "bytes-written",
  "bytes-read",
  "medium-passes",
  "medium-wearout",
  "volume-mounts",
  "drive-activity",
];

const SCAN_COLUMNS = [{ key: "path" }, { key: "vendor" }, { key: "model" }, { key: "serial" }, { key: "host-id" }, { key: "online" }];

/** Print the changer status table as `proxmox-tape changer status` does. */
export function renderChangerStatus(rows: readonly ChangerStatusEntry[]): string {
  return renderTable(
    [{ key: "entry-kind" }, { key: "entry-id", align: "right" }, { key: "label-text" }, { key: "loaded-slot", align: "right" }],
    rows as unknown as Record<string, unknown>[],
  );
}

export function renderLabel(label: TapeLabelInfo): string {
  const l = { ...label, ctime: fmtEpoch(label.ctime), "media-set-ctime": fmtEpoch(label["media-set-ctime"]) } as Record<string, unknown>;
  return renderKeyValue(l, ["label-text", "uuid", "ctime", "pool", "media-set-uuid", "media-set-ctime", "seq-nr", "encryption-key-fingerprint"]);
}

async function printDriveStatus(ctx: CliContext, g: GlobalOptions, drive: string): Promise<void> {
  const data = await ctx.client(g).get<Record<string, unknown>>(`/tape/drive/${enc(drive)}/status`);
  ctx.print(g, data, (d) => {
    const s = d as Record<string, unknown>;
    const shown = Object.fromEntries(DRIVE_STATUS_KEYS.filter((k) => s[k] !== undefined).map((k) => [k, k === "medium-wearout" && typeof s[k] === "number" ? `${((s[k] as number) * 100).toFixed(2)}%` : s[k]]));
    return renderKeyValue(shown, DRIVE_STATUS_KEYS);
  });
}

/** `changer scan|status|transfer|load-media|load-slot|unload|export` beside the configuration commands. */
export function registerChangerOps(group: Command, ctx: CliContext): void {
  group
    .command("scan")
    .description("Scan every device agent for medium changers.")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<Record<string, unknown>[]>("/tape/scan-changers");
      ctx.print(g, data, (d) => renderTable(SCAN_COLUMNS, d as Record<string, unknown>[]));
    });
  group
    .command("status")
    .description("Show the changer's drives, slots and import/export slots.")
    .argument("[name]", `changer (default: the changer of --drive / $${DRIVE_ENV})`)
    .addOption(driveOption())
    .action(async (name: string | undefined, o: { drive?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const changer = await changerOf(ctx, g, name, o.drive);
      const data = await ctx.client(g).get<ChangerStatusEntry[]>(`/tape/changer/${enc(changer)}/status`);
      ctx.print(g, data, (d) => renderChangerStatus(d as ChangerStatusEntry[]));
    });
  group
    .command("transfer")
    .description("Move a cartridge from one slot to another.")
    .argument("<from>", "source slot", parseInteger)
    .argument("<to>", "target slot", parseInteger)
    .option("--changer <name>", `changer (default: the changer of --drive / $${DRIVE_ENV})`)
    .addOption(driveOption())
    .action(async (from: number, to: number, o: { changer?: string; drive?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const changer = await changerOf(ctx, g, o.changer, o.drive);
      await ctx.client(g).post(`/tape/changer/${enc(changer)}/transfer`, { from, to });
    });
  group
    .command("load-media")
    .description("Load a tape by its label into the drive.")
    .argument("<label-text>", "label text (barcode)")
    .addOption(driveOption())
    .action(async (label: string, o: { drive?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      await runTask(ctx, g, "post", `/tape/drive/${enc(driveOf(ctx, o.drive))}/load-media`, { "label-text": label });
    });
  group
    .command("load-slot")
    .description("Load the tape of a slot into the drive.")
    .argument("<slot>", "source slot", parseInteger)
    .addOption(driveOption())
    .action(async (slot: number, o: { drive?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      await runTask(ctx, g, "post", `/tape/drive/${enc(driveOf(ctx, o.drive))}/load-slot`, { "source-slot": slot });
    });
  group
    .command("unload")
    .description("Unload the drive's tape to a slot.")
    .option("--target-slot <slot>", "target slot (default: where it came from, else the first free)", parseInteger)
    .addOption(driveOption())
    .action(async (o: { drive?: string; targetSlot?: number }, cmd: Command) => {
      const g = globalsOf(cmd);
      await runTask(ctx, g, "post", `/tape/drive/${enc(driveOf(ctx, o.drive))}/unload`, o.targetSlot !== undefined ? { "target-slot": o.targetSlot } : {});
    });
  group
    .command("export")
    .description("Move a tape to a free import/export slot.")
    .argument("<label-text>", "label text (barcode)")
    .addOption(driveOption())
    .action(async (label: string, o: { drive?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      await runTask(ctx, g, "put", `/tape/drive/${enc(driveOf(ctx, o.drive))}/export-media`, { "label-text": label });
    });
}

/** `drive scan|status|cartridge-memory|volume-statistics|read-label|rewind|eject|erase|format|clean`. */
export function registerDriveOps(group: Command, ctx: CliContext): void {
  group
    .command("scan")
    .description("Scan every device agent for tape drives.")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<Record<string, unknown>[]>("/tape/scan-drives");
      ctx.print(g, data, (d) => renderTable(SCAN_COLUMNS, d as Record<string, unknown>[]));
    });
  group
    .command("status")
    .description("Drive and medium status.")
    .addOption(driveOption())
    .action(async (o: { drive?: string }, cmd: Command) => printDriveStatus(ctx, globalsOf(cmd), driveOf(ctx, o.drive)));
  group
    .command("cartridge-memory")
    .description("Cartridge memory (MAM) attributes of the loaded tape.")
    .addOption(driveOption())
    .action(async (o: { drive?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<MamAttributeEntry[]>(`/tape/drive/${enc(driveOf(ctx, o.drive))}/cartridge-memory`);
      ctx.print(g, data, (d) =>
        renderTable(
          [{ key: "id" }, { key: "name" }, { key: "value" }],
          (d as MamAttributeEntry[]).map((a) => ({ ...a, id: `0x${a.id.toString(16).padStart(4, "0")}` })),
        ),
      );
    });
  group
    .command("volume-statistics")
    .description("Volume statistics of the loaded tape.")
    .addOption(driveOption())
    .action(async (o: { drive?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<Record<string, unknown>>(`/tape/drive/${enc(driveOf(ctx, o.drive))}/volume-statistics`);
      ctx.print(g, data, (d) => renderKeyValue(d as Record<string, unknown>));
    });
  group
    .command("read-label")
    .description("Read the labels of the loaded tape.")
    .addOption(driveOption())
    .addOption(new Option("--inventorize [bool]", "also store the medium in the inventory").argParser(parseBool))
    .action(async (o: { drive?: string; inventorize?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const q = o.inventorize ? "?inventorize=1" : "";
      const data = await ctx.client(g).get<TapeLabelInfo>(`/tape/drive/${enc(driveOf(ctx, o.drive))}/read-label${q}`);
      ctx.print(g, data, (d) => renderLabel(d as TapeLabelInfo));
    });
  for (const [name, path, description] of [
    ["rewind", "rewind", "Rewind the tape."],
    ["eject", "eject-media", "Eject the tape."],
  ] as const) {
    group
      .command(name)
      .description(description)
      .addOption(driveOption())
      .action(async (o: { drive?: string }, cmd: Command) => runTask(ctx, globalsOf(cmd), "post", `/tape/drive/${enc(driveOf(ctx, o.drive))}/${path}`, {}));
  }
  for (const [name, path, description] of [
    ["erase", "erase-media", "Erase the tape (removes it from the inventory)."],
    ["format", "format-media", "Format the tape (removes it from the inventory)."],
  ] as const) {
    group
      .command(name)
      .description(description)
      .addOption(driveOption())
      .addOption(new Option("--fast [bool]", "fast (default true)").argParser(parseBool))
      .option("--label-text <text>", "load this tape first, and refuse a tape with another label")
      .action(async (o: { drive?: string; fast?: boolean; labelText?: string }, cmd: Command) => {
        const body: Record<string, unknown> = {};
        if (o.fast !== undefined) body["fast"] = o.fast;
        if (o.labelText !== undefined) body["label-text"] = o.labelText;
        await runTask(ctx, globalsOf(cmd), "post", `/tape/drive/${enc(driveOf(ctx, o.drive))}/${path}`, body);
      });
  }
  group
    .command("clean")
    .description("Clean the drive with a cleaning cartridge of its changer.")
    .addOption(driveOption())
    .action(async (o: { drive?: string }, cmd: Command) => runTask(ctx, globalsOf(cmd), "put", `/tape/drive/${enc(driveOf(ctx, o.drive))}/clean`, {}));
}

/** Top-level `label`, `barcode-label`, `inventory`, `status` (as `proxmox-tape`). */
export function registerTapeTopLevel(program: Command, ctx: CliContext): void {
  program
    .command("label")
    .description("Label the tape in the drive.")
    .requiredOption("--label-text <text>", "label text")
    .option("--pool <pool>", "media pool")
    .addOption(driveOption())
    .action(async (o: { labelText: string; pool?: string; drive?: string }, cmd: Command) => {
      const body: Record<string, unknown> = { "label-text": o.labelText };
      if (o.pool) body["pool"] = o.pool;
      await runTask(ctx, globalsOf(cmd), "post", `/tape/drive/${enc(driveOf(ctx, o.drive))}/label-media`, body);
    });
  program
    .command("barcode-label")
    .description("Label every new tape of the drive's changer with its barcode.")
    .option("--pool <pool>", "media pool")
    .addOption(driveOption())
    .action(async (o: { pool?: string; drive?: string }, cmd: Command) => {
      await runTask(ctx, globalsOf(cmd), "post", `/tape/drive/${enc(driveOf(ctx, o.drive))}/barcode-label-media`, o.pool ? { pool: o.pool } : {});
    });
  program
    .command("inventory")
    .description("List the changer's tapes and their uuids; --read-labels reads unknown tapes first.")
    .option("--read-labels", "load and read the labels of tapes not in the inventory")
    .option("--read-all-labels", "load and read the labels of every tape")
    .addOption(driveOption())
    .action(async (o: { readLabels?: boolean; readAllLabels?: boolean; drive?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const drive = enc(driveOf(ctx, o.drive));
      if (o.readLabels || o.readAllLabels) await runTask(ctx, g, "put", `/tape/drive/${drive}/inventory`, o.readAllLabels ? { "read-all-labels": true } : {});
      const data = await ctx.client(g).get<LabelUuidEntry[]>(`/tape/drive/${drive}/inventory`);
      ctx.print(g, data, (d) => renderTable([{ key: "label-text" }, { key: "uuid" }], d as unknown as Record<string, unknown>[]));
    });
  program
    .command("status")
    .description("Drive and medium status (as drive status).")
    .addOption(driveOption())
    .action(async (o: { drive?: string }, cmd: Command) => printDriveStatus(ctx, globalsOf(cmd), driveOf(ctx, o.drive)));
}
