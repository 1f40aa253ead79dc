import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerConfigGroup } from "./config-group.ts";
import { registerDriveOps } from "./tape-ops.ts";

/** `tapectl drive create|update|config|list|remove`. */
export function registerDrive(program: Command, ctx: CliContext): void {
  const group = registerConfigGroup(program, ctx, {
    command: "drive",
    kind: "drive",
    description: "LTO tape drive configuration.",
    fields: [
      { field: "path", type: "string", description: "device path (/dev/tape/by-id/…-sg or /dev/sgN)" },
      { field: "changer", type: "string", description: "changer holding the drive" },
      { field: "changer-drivenum", type: "int", description: "drive number in the changer (0-255, default 0)" },
    ],
    listColumns: ["path", "changer", "changer-drivenum"],
  });
  registerDriveOps(group, ctx);
}
