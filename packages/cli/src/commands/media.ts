import type { MediaEntry } from "@tapefleet/api-types";
import type { Command } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { renderTable } from "../table.ts";

const globalsOf = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

/** Columns of `media list`. */
export const MEDIA_COLUMNS = ["label-text", "pool", "seq-nr", "status", "location", "uuid"];

/** `tapectl media list|move|status`: the media inventory. */
export function registerMedia(program: Command, ctx: CliContext): void {
  const media = program.command("media").description("The media inventory.");
  media
    .command("list")
    .description("List the media of the inventory.")
    .option("--pool <pool>", "only this pool")
    .option("--location <location>", "only this location (offline, online-<changer>, vault-<name>)")
    .action(async (o: { pool?: string; location?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const q = new URLSearchParams();
      if (o.pool) q.set("pool", o.pool);
      if (o.location) q.set("location", o.location);
      const data = await ctx.client(g).get<MediaEntry[]>(`/tape/media/list${q.size > 0 ? `?${q}` : ""}`);
      ctx.print(g, data, (d) => renderTable(MEDIA_COLUMNS.map((key) => ({ key, ...(key === "seq-nr" ? { align: "right" as const } : {}) })), d as unknown as Record<string, unknown>[]));
    });
  media
    .command("move")
    .description("Set a medium's location to a vault, or offline.")
    .argument("<label-text>", "label text")
    .option("--vault-name <name>", "vault (default: offline)")
    .action(async (label: string, o: { vaultName?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).post<MediaEntry>("/tape/media/move", { "label-text": label, ...(o.vaultName ? { "vault-name": o.vaultName } : {}) });
      if (g.outputFormat !== "text") ctx.print(g, data, () => "");
    });
  media
    .command("status")
    .description("Set (full, damaged, retired) or clear a medium's status.")
    .argument("<uuid>", "medium uuid")
    .option("--status <status>", "full, damaged or retired (absent: clear)")
    .action(async (uuid: string, o: { status?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).post<MediaEntry>(`/tape/media/list/${encodeURIComponent(uuid)}/status`, o.status ? { status: o.status } : {});
      if (g.outputFormat !== "text") ctx.print(g, data, () => "");
    });
}
