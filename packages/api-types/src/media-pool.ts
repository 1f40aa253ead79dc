import { z } from "zod";
import { allocation, comment, fingerprint, retention, safeId, template } from "./fields.ts";
import { deleteList, noSetAndDelete } from "./delete-list.ts";
import { digest } from "./digest.ts";

/**
 * A media pool (PBS `media-pool.cfg` section `pool`), plus the drive this
 * project's pools write with. Absent fields take the defaults
 * `DEFAULT_ALLOCATION`, `DEFAULT_RETENTION`, `DEFAULT_TEMPLATE`.
 * @see ../../../shared/reference/pbs-tape-format.md §6.1
 */
export const mediaPoolConfig = z
  .strictObject({
    name: safeId("pool", "Media pool name."),
    drive: safeId("device", "Drive that writes this pool's media (must exist).").optional(),
    allocation: allocation.optional(),
    retention: retention.optional(),
    template: template.optional(),
    encrypt: fingerprint.optional(),
    comment: comment.optional(),
  })
  .meta({ description: "A media pool." });

export const MEDIA_POOL_DELETABLE = ["drive", "allocation", "retention", "template", "encrypt", "comment"] as const;

export const mediaPoolUpdate = mediaPoolConfig
  .omit({ name: true })
  .partial()
  .extend({ delete: deleteList(MEDIA_POOL_DELETABLE).optional(), digest: digest.optional() })
  .superRefine(noSetAndDelete)
  .meta({ description: "Changes to a media pool: fields to set, `delete` lists fields to reset." });

export type MediaPoolConfig = z.output<typeof mediaPoolConfig>;
export type MediaPoolConfigInput = z.input<typeof mediaPoolConfig>;
export type MediaPoolUpdate = z.output<typeof mediaPoolUpdate>;
