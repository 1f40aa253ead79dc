import type { CatalogMediaContentEntry, MediaEntry, MediaListRow } from "@tapefleet/api-types";
import type { Command } from "commander";
import type { CliContext, GlobalOptions } from "../context.ts";
import { renderTable } from "../table.ts";

const globalsOf = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `{uuid}` for a UUID argument, else `{label-text}`. */
export function mediaSelectorOf(arg: string): { uuid: string } | { "label-text": string } {
  return UUID_RE.test(arg) ? { uuid: arg.toLowerCase() } : { "label-text": arg };
}

const fmtTime = (epoch: unknown) => (typeof epoch === "number" ? new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : "");

/** Columns of `media list` (as `proxmox-tape media list`). */
export const MEDIA_COLUMNS = ["label-text", "pool", "media-set-name", "seq-nr", "status", "location", "expire", "bytes"];

/** `media list` rows as printed: `expire` is `expired`, the expiry time, or `never`; `bytes` the bytes used. */
export function mediaListRows(rows: readonly MediaListRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    ...r,
    expire: r.expired ? "expired" : r["expire-time"] !== undefined ? fmtTime(r["expire-time"]) : r["media-set-uuid"] !== undefined ? "never" : "",
    bytes: r["bytes-used"],
  }));
}

/** Columns of `media content` (as `proxmox-tape media content`). */
export const MEDIA_CONTENT_COLUMNS = ["label-text", "pool", "media-set-name", "seq-nr", "snapshot", "store"];

/** `tapectl media list|content|sets|destroy|move|status`: the media inventory. */
export function registerMedia(program: Command, ctx: CliContext): void {
  const media = program.command("media").description("The media inventory.");
  media
    .command("list")
    .description("List the media of the inventory with status, media set, expiry and bytes used.")
    .option("--pool <pool>", "only this pool")
    .option("--location <location>", "only this location (offline, online-<changer>, vault-<name>)")
    .action(async (o: { pool?: string; location?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const q = new URLSearchParams();
      if (o.pool) q.set("pool", o.pool);
      if (o.location) q.set("location", o.location);
      const data = await ctx.client(g).get<MediaListRow[]>(`/tape/media/list${q.size > 0 ? `?${q}` : ""}`);
      ctx.print(g, data, (d) =>
        renderTable(
          MEDIA_COLUMNS.map((key) => ({ key, ...(key === "seq-nr" || key === "bytes" ? { align: "right" as const } : {}) })),
          mediaListRows(d as MediaListRow[]),
        ),
      );
    });
  media
    .command("content")
    .description("List the snapshots on tape (from the catalog).")
    .option("--label-text <label>", "only this tape")
    .option("--pool <pool>", "only this pool")
    .option("--media-set <name-or-uuid>", "only this media set (name or uuid)")
    .option("--snapshot <path>", "only this snapshot (or a prefix such as vm/100)")
    .option("--store <store>", "only this datastore")
    .action(async (o: { labelText?: string; pool?: string; mediaSet?: string; snapshot?: string; store?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const q = new URLSearchParams();
      if (o.labelText) q.set("label-text", o.labelText);
      if (o.pool) q.set("pool", o.pool);
      if (o.mediaSet) q.set(UUID_RE.test(o.mediaSet) ? "media-set-uuid" : "media-set-name", o.mediaSet);
      if (o.snapshot) q.set("snapshot", o.snapshot);
      if (o.store) q.set("store", o.store);
      const data = await ctx.client(g).get<CatalogMediaContentEntry[]>(`/tape/media/content${q.size > 0 ? `?${q}` : ""}`);
      ctx.print(g, data, (d) =>
        renderTable(
          MEDIA_CONTENT_COLUMNS.map((key) => ({ key, ...(key === "seq-nr" ? { align: "right" as const } : {}) })),
          d as unknown as Record<string, unknown>[],
        ),
      );
    });
  media
    .command("sets")
    .description("List the media sets, newest first.")
    .option("--pool <pool>", "only this pool")
    .action(async (o: { pool?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).get<Record<string, unknown>[]>(`/tape/media/media-sets${o.pool ? `?pool=${encodeURIComponent(o.pool)}` : ""}`);
      ctx.print(g, data, (d) =>
        renderTable(
          [{ key: "media-set-name" }, { key: "pool" }, { key: "media-set-uuid" }, { key: "ctime" }, { key: "tapes", align: "right" }, { key: "complete" }],
          (d as Record<string, unknown>[]).map((s) => ({ ...s, ctime: fmtTime(s["media-set-ctime"]), tapes: (s["members"] as unknown[] | undefined)?.length ?? 0 })),
        ),
      );
    });
  media
    .command("destroy")
    .description("Remove a medium from the inventory (refused for WORM media with data).")
    .argument("<label-or-uuid>", "label text or medium uuid")
    .action(async (arg: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).post<MediaEntry>("/tape/media/destroy", mediaSelectorOf(arg));
      if (g.outputFormat !== "text") ctx.print(g, data, () => "");
    });
  media
    .command("move")
    .description("Set a medium's location to a vault, or offline.")
    .argument("<label-or-uuid>", "label text or medium uuid")
    .option("--vault-name <name>", "vault (default: offline)")
    .action(async (arg: string, o: { vaultName?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const data = await ctx.client(g).post<MediaEntry>("/tape/media/move", { ...mediaSelectorOf(arg), ...(o.vaultName ? { "vault-name": o.vaultName } : {}) });
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
