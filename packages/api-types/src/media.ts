import { z } from "zod";
import { safeId } from "./fields.ts";

/**
 * Media of the tape inventory (PBS `inventory.json`, one entry per labelled
 * cartridge) in the API's kebab-case JSON shape.
 * @see ../../../shared/reference/pbs-tape-format.md §3.1, §3.2, §6.2
 */

/** Label text / barcode: `[A-Za-z0-9_][A-Za-z0-9._-]*`, 2–32 characters (PBS `MEDIA_LABEL_SCHEMA`). */
export const LABEL_TEXT_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{1,31}$/;

/** Lowercase hyphenated UUID. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Volume tags of cleaning cartridges start with this (§13.2). */
export const CLEANING_TAG_PREFIX = "CLN";

export const labelText = z
  .string()
  .superRefine((v, ctx) => {
    if (!LABEL_TEXT_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be 2-32 characters: letters, digits, '_', '.', '-' (not first)" });
  })
  .meta({ description: "Label text (barcode) of a medium.", pattern: LABEL_TEXT_RE.source });

export const uuid = z
  .string()
  .superRefine((v, ctx) => {
    if (!UUID_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be a lowercase hyphenated UUID" });
  })
  .meta({ description: "UUID (lowercase, hyphenated).", pattern: UUID_RE.source });

/** Statuses a user or a job may store (§6.2); absent reads as `unknown`. */
export const MEDIA_STATUSES = ["full", "damaged", "retired", "unknown"] as const;
export type MediaStatusText = (typeof MEDIA_STATUSES)[number];

/** Where a medium is: `offline`, `online-<changer>` or `vault-<vault>` (PBS's text form). */
export type MediaLocationText = string;

export type ParsedLocation = { kind: "offline" } | { kind: "online"; changer: string } | { kind: "vault"; name: string };

/** Parse `offline` / `online-X` / `vault-X`; undefined when malformed. */
export function parseMediaLocation(text: string): ParsedLocation | undefined {
  if (text === "offline") return { kind: "offline" };
  const m = /^(online|vault)-([A-Za-z0-9_][A-Za-z0-9._-]{1,31})$/.exec(text);
  if (!m) return undefined;
  return m[1] === "online" ? { kind: "online", changer: m[2]! } : { kind: "vault", name: m[2]! };
}

export function formatMediaLocation(loc: ParsedLocation): MediaLocationText {
  return loc.kind === "offline" ? "offline" : loc.kind === "online" ? `online-${loc.changer}` : `vault-${loc.name}`;
}

export const mediaLocation = z
  .string()
  .superRefine((v, ctx) => {
    if (!parseMediaLocation(v)) ctx.addIssue({ code: "custom", message: "must be 'offline', 'online-<changer>' or 'vault-<name>'" });
  })
  .meta({ description: "Location: offline, online-<changer> or vault-<name>." });

const epoch = (description: string) => z.number().int().min(0).meta({ description });

/** A labelled medium as the inventory reports it. */
export const mediaEntry = z
  .strictObject({
    uuid: uuid,
    "label-text": labelText,
    ctime: epoch("Labelling time (epoch seconds)."),
    pool: z.string().optional().meta({ description: "Pool (set label's pool, else the media label's)." }),
    "media-set-uuid": uuid.optional(),
    "media-set-ctime": epoch("Time the medium joined its set.").optional(),
    "seq-nr": z.number().int().min(0).optional().meta({ description: "Position in the media set." }),
    "encryption-key-fingerprint": z.string().optional(),
    status: z.enum(MEDIA_STATUSES),
    location: mediaLocation,
    "bytes-used": z.number().int().min(0).optional(),
    worm: z.boolean(),
  })
  .meta({ description: "A labelled medium of the inventory." });
export type MediaEntry = z.output<typeof mediaEntry>;

/** Register a freshly labelled (or read) medium. Label text must be unused by another medium. */
export const registerMediaRequest = z
  .strictObject({
    uuid: uuid,
    "label-text": labelText,
    ctime: epoch("Labelling time (epoch seconds)."),
    pool: safeId("pool", "Pool the medium is reserved for.").optional(),
    "media-set-uuid": uuid.optional(),
    "media-set-ctime": epoch("Time the medium joined its set.").optional(),
    "seq-nr": z.number().int().min(0).optional(),
    "encryption-key-fingerprint": z.string().optional(),
    location: mediaLocation.optional(),
    worm: z.boolean().optional(),
    /** Replace an entry with the same uuid (a re-read label); a different uuid with the same label text is refused. */
    replace: z.boolean().optional(),
  })
  .meta({ description: "A medium to add to the inventory." });
export type RegisterMediaRequest = z.output<typeof registerMediaRequest>;

/** Select one medium by uuid or by label text. */
export const mediaSelector = z
  .strictObject({ uuid: uuid.optional(), "label-text": labelText.optional() })
  .refine((v) => (v.uuid === undefined) !== (v["label-text"] === undefined), { message: "give exactly one of uuid, label-text", path: ["uuid"] });
export type MediaSelector = z.output<typeof mediaSelector>;

export const updateMediaRequest = z
  .strictObject({
    uuid: uuid.optional(),
    "label-text": labelText.optional(),
    status: z.enum(MEDIA_STATUSES).optional(),
    location: mediaLocation.optional(),
    "bytes-used": z.number().int().min(0).optional(),
  })
  .refine((v) => (v.uuid === undefined) !== (v["label-text"] === undefined), { message: "give exactly one of uuid, label-text", path: ["uuid"] });
export type UpdateMediaRequest = z.output<typeof updateMediaRequest>;

/** Changer volume tags seen online: these media become `online-<changer>`, others online there become `offline` (§6.4). */
export const setOnlineRequest = z.strictObject({
  changer: safeId("device", "Changer name."),
  "label-texts": z.array(z.string()),
});
export type SetOnlineRequest = z.output<typeof setOnlineRequest>;

export const listMediaRequest = z.strictObject({
  pool: z.string().optional(),
  location: z.string().optional(),
});
export type ListMediaRequest = z.output<typeof listMediaRequest>;

export const MEDIA_OPS = ["register", "get", "list", "update", "remove", "set-online"] as const;
export type MediaOp = (typeof MEDIA_OPS)[number];

/** Relative subject of the inventory's media API: `inventory.media.<op>`. */
export function mediaSubject(op: MediaOp): string {
  return `inventory.media.${op}`;
}

/** Media event types: `inventory.media.<registered|updated|removed>` (data: the entry). */
export function mediaEventType(action: "registered" | "updated" | "removed"): string {
  return `inventory.media.${action}`;
}

/** True for cleaning cartridge tags (`CLN…`). */
export function isCleaningTag(tag: string): boolean {
  return tag.startsWith(CLEANING_TAG_PREFIX);
}
