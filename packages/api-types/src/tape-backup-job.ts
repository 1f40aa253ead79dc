import { MAX_NAMESPACE_DEPTH } from "@tapefleet/common";
import { z } from "zod";
import { bool, calendarEvent, comment, groupFilter, intRange, namespace, safeId, userid } from "./fields.ts";
import { deleteList, noSetAndDelete } from "./delete-list.ts";
import { digest } from "./digest.ts";

/**
 * A tape backup job (PBS `tape-job.cfg` section `backup`): what to write
 * (`store`, `ns`, `max-depth`, `group-filter`, `latest-only`), where
 * (`pool`, `drive`) and when (`schedule`).
 * @see ../../../shared/reference/pbs-tape-format.md §13.1, §11.6
 */
export const tapeBackupJobConfig = z
  .strictObject({
    id: safeId("id", "Job id."),
    store: safeId("id", "Datastore to back up."),
    pool: safeId("pool", "Media pool to write to (must exist)."),
    drive: safeId("device", "Drive to write with (must exist)."),
    schedule: calendarEvent("When the job runs (calendar event); without it the job runs only on demand.").optional(),
    "latest-only": bool("Back up only the newest finished snapshot of each group (default false).").optional(),
    "notify-user": userid.optional(),
    "eject-media": bool("Eject the medium when the job ends (default false).").optional(),
    "export-media-set": bool("Export the media set when the job ends (default false).").optional(),
    ns: namespace.optional(),
    "max-depth": intRange(0, MAX_NAMESPACE_DEPTH, "How many namespace levels below `ns` to include (default: all).").optional(),
    "group-filter": groupFilter.optional(),
    comment: comment.optional(),
  })
  .meta({ description: "A tape backup job." });

export const TAPE_BACKUP_JOB_DELETABLE = [
  "schedule",
  "latest-only",
  "notify-user",
  "eject-media",
  "export-media-set",
  "ns",
  "max-depth",
  "group-filter",
  "comment",
] as const;

export const tapeBackupJobUpdate = tapeBackupJobConfig
  .omit({ id: true })
  .partial()
  .extend({ delete: deleteList(TAPE_BACKUP_JOB_DELETABLE).optional(), digest: digest.optional() })
  .superRefine(noSetAndDelete)
  .meta({ description: "Changes to a tape backup job: fields to set, `delete` lists fields to reset." });

export type TapeBackupJobConfig = z.output<typeof tapeBackupJobConfig>;
export type TapeBackupJobConfigInput = z.input<typeof tapeBackupJobConfig>;
export type TapeBackupJobUpdate = z.output<typeof tapeBackupJobUpdate>;
