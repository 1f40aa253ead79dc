import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { DRIVE_ENV, registerConfigGroup } from "./config-group.ts";

/** `tapectl pool create|update|config|list|remove`. */
export function registerPool(program: Command, ctx: CliContext): void {
  registerConfigGroup(program, ctx, {
    command: "pool",
    kind: "media-pool",
    description: "Media pool configuration.",
    fields: [
      { field: "drive", type: "string", description: `drive writing the pool's media (create: default $${DRIVE_ENV})`, driveFromEnv: true },
      { field: "allocation", type: "string", description: "continue, always or a calendar event (default continue)" },
      { field: "retention", type: "string", description: "keep, overwrite or a time span such as 7days (default keep)" },
      { field: "template", type: "string", description: "media set name template (default %c)" },
      { field: "encrypt", type: "string", description: "encryption key fingerprint" },
      { field: "comment", type: "string", description: "comment" },
    ],
    listColumns: ["drive", "allocation", "retention", "template", "encrypt", "comment"],
  });
}
