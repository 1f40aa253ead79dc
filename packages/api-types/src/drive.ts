import { z } from "zod";
import { devicePath, intRange, safeId } from "./fields.ts";
import { deleteList, noSetAndDelete } from "./delete-list.ts";
import { digest } from "./digest.ts";

/** Highest data transfer element index of a drive in its changer. */
export const MAX_CHANGER_DRIVENUM = 255;

/**
 * An LTO tape drive (PBS `tape.cfg` section `lto`). `changer-drivenum` is the
 * index of the drive among its changer's data transfer elements (default 0).
 * @see ../../../shared/reference/pbs-tape-format.md §13.1
 */
export const driveConfig = z
  .strictObject({
    name: safeId("device", "Drive name."),
    path: devicePath,
    changer: safeId("device", "Changer holding this drive.").optional(),
    "changer-drivenum": intRange(0, MAX_CHANGER_DRIVENUM, "Index of this drive among the changer's drives (default 0).").optional(),
  })
  .meta({ description: "An LTO tape drive." });

export const DRIVE_DELETABLE = ["changer", "changer-drivenum"] as const;

export const driveUpdate = driveConfig
  .omit({ name: true })
  .partial()
  .extend({ delete: deleteList(DRIVE_DELETABLE).optional(), digest: digest.optional() })
  .superRefine(noSetAndDelete)
  .meta({ description: "Changes to a drive: fields to set, `delete` lists fields to reset." });

export type DriveConfig = z.output<typeof driveConfig>;
export type DriveConfigInput = z.input<typeof driveConfig>;
export type DriveUpdate = z.output<typeof driveUpdate>;
