import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerBackupJob } from "./backup-job.ts";
import { registerCalendar } from "./calendar.ts";
import { registerChanger } from "./changer.ts";
import { registerDiag } from "./diag.ts";
import { registerDrive } from "./drive.ts";
import { registerPool } from "./pool.ts";
import { registerTask } from "./task.ts";
import { registerMedia } from "./media.ts";
import { registerTapeTopLevel } from "./tape-ops.ts";
import { registerJobs } from "./jobs.ts";
import { registerDatastore } from "./datastore.ts";
import { registerKey } from "./key.ts";

/** A command group: adds its commands to the program. */
export type CommandGroup = (program: Command, ctx: CliContext) => void;

/** Every command group, in help order. Add new groups here. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [registerChanger, registerDrive, registerPool, registerBackupJob, registerDatastore, registerJobs, registerTapeTopLevel, registerMedia, registerKey, registerTask, registerCalendar, registerDiag];
