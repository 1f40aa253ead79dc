import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { DRIVE_ENV, registerConfigGroup } from "./config-group.ts";

/** `tapectl backup-job create|update|config|list|remove`. */
export function registerBackupJob(program: Command, ctx: CliContext): void {
  registerConfigGroup(program, ctx, {
    command: "backup-job",
    kind: "tape-backup-job",
    description: "Tape backup job configuration.",
    fields: [
      { field: "store", type: "string", description: "datastore to back up" },
      { field: "pool", type: "string", description: "media pool" },
      { field: "drive", type: "string", description: `drive (create: default $${DRIVE_ENV})`, driveFromEnv: true },
      { field: "schedule", type: "string", description: "calendar event, e.g. 'mon..fri 02:00'" },
      { field: "latest-only", type: "bool", description: "only the newest snapshot of each group" },
      { field: "notify-user", type: "string", description: "user to notify (name@realm)" },
      { field: "eject-media", type: "bool", description: "eject the medium when done" },
      { field: "export-media-set", type: "bool", description: "export the media set when done" },
      { field: "ns", type: "string", description: "namespace" },
      { field: "max-depth", type: "int", description: "namespace levels to include (0-7)" },
      { field: "group-filter", type: "list", description: "group filter, e.g. type:vm" },
      { field: "comment", type: "string", description: "comment" },
    ],
    listColumns: ["store", "pool", "drive", "schedule", "comment"],
  });
}
