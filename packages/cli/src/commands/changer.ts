import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerConfigGroup } from "./config-group.ts";
import { registerChangerOps } from "./tape-ops.ts";

/** `tapectl changer create|update|config|list|remove`. */
export function registerChanger(program: Command, ctx: CliContext): void {
  const group = registerConfigGroup(program, ctx, {
    command: "changer",
    kind: "changer",
    description: "Medium changer (tape library robot) configuration.",
    fields: [
      { field: "path", type: "string", description: "device path (/dev/tape/by-id/scsi-… or /dev/sgN)" },
      { field: "export-slots", type: "string", description: "import/export slots, e.g. 1,2" },
      { field: "eject-before-unload", type: "bool", description: "eject the drive before unloading it" },
    ],
    listColumns: ["path", "export-slots", "eject-before-unload"],
  });
  registerChangerOps(group, ctx);
}
