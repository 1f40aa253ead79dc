import { z } from "zod";
import { bool, devicePath, exportSlots, safeId } from "./fields.ts";
import { deleteList, noSetAndDelete } from "./delete-list.ts";
import { digest } from "./digest.ts";

/**
 * A tape library's medium changer (PBS `tape.cfg` section `changer`).
 * @see ../../../shared/reference/pbs-tape-format.md §13.1
 */
export const changerConfig = z
  .strictObject({
    name: safeId("device", "Changer name."),
    path: devicePath,
    "export-slots": exportSlots.optional(),
    "eject-before-unload": bool("Eject the drive (LOAD/UNLOAD, LOAD=0) before moving its medium out (default false).").optional(),
  })
  .meta({ description: "A medium changer (tape library robot)." });

export const CHANGER_DELETABLE = ["export-slots", "eject-before-unload"] as const;

export const changerUpdate = changerConfig
  .omit({ name: true })
  .partial()
  .extend({ delete: deleteList(CHANGER_DELETABLE).optional(), digest: digest.optional() })
  .superRefine(noSetAndDelete)
  .meta({ description: "Changes to a changer: fields to set, `delete` lists fields to reset." });

export type ChangerConfig = z.output<typeof changerConfig>;
export type ChangerConfigInput = z.input<typeof changerConfig>;
export type ChangerUpdate = z.output<typeof changerUpdate>;
