import { z } from "zod";
import { comment, safeId } from "./fields.ts";
import { deleteList, noSetAndDelete } from "./delete-list.ts";
import { digest } from "./digest.ts";

/**
 * A datastore (PBS `datastore.cfg` in spirit): a PBS-layout chunk store at
 * `path` on the host of one device agent (`host`, the agent's host id). Tape
 * backups read it and restores write into it through that agent.
 * @see ../../../shared/reference/pbs-tape-format.md §11, §12
 */

/** Agent host id: letters, digits, '_', '.', '-' (not first), 1–64 characters. */
export const HOST_ID_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

/** Longest datastore path accepted. */
export const MAX_DATASTORE_PATH_LENGTH = 4096;

export const datastorePath = z
  .string()
  .superRefine((v, ctx) => {
    let msg: string | undefined;
    if (v.length === 0) msg = "must not be empty";
    else if (v.length > MAX_DATASTORE_PATH_LENGTH) msg = `must be at most ${MAX_DATASTORE_PATH_LENGTH} characters`;
    else if (!v.startsWith("/")) msg = "must be an absolute path (e.g. /srv/pbs/store1)";
    else if (/[\u0000-\u001f\u007f]/.test(v)) msg = "must not contain control characters";
    else if (v.split("/").includes("..")) msg = "must not contain '..'";
    if (msg) ctx.addIssue({ code: "custom", message: msg });
  })
  .meta({ description: "Directory of the datastore on its agent host (absolute).", maxLength: MAX_DATASTORE_PATH_LENGTH });

export const hostId = z
  .string()
  .superRefine((v, ctx) => {
    if (!HOST_ID_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be an agent host id: 1-64 letters, digits, '_', '.', '-' (not first)" });
  })
  .meta({ description: "Host id of the device agent that serves the datastore.", pattern: HOST_ID_RE.source });

export const datastoreConfig = z
  .strictObject({
    name: safeId("id", "Datastore name."),
    path: datastorePath,
    host: hostId,
    comment: comment.optional(),
  })
  .meta({ description: "A datastore on a device agent's host." });

export const DATASTORE_DELETABLE = ["comment"] as const;

export const datastoreUpdate = datastoreConfig
  .omit({ name: true })
  .partial()
  .extend({ delete: deleteList(DATASTORE_DELETABLE).optional(), digest: digest.optional() })
  .superRefine(noSetAndDelete)
  .meta({ description: "Changes to a datastore: fields to set, `delete` lists fields to reset." });

export type DatastoreConfig = z.output<typeof datastoreConfig>;
export type DatastoreConfigInput = z.input<typeof datastoreConfig>;
export type DatastoreUpdate = z.output<typeof datastoreUpdate>;
