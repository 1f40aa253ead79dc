import { z } from "zod";
import { checkName, checkNamespace, NAME_RULES, SAFE_ID_RE } from "@tapefleet/common";
import { parseTimeSpan, TimeSpanSyntaxError, validateCalendarEvent } from "@tapefleet/calendar";

/**
 * Field schemas shared by the configuration entities. Each one validates a
 * single field and reports one clear message; JSON Schema facts (pattern,
 * bounds) are attached as metadata so the OpenAPI document shows them.
 */

/** A PBS safe id of the given kind (see `NAME_RULES` in @tapefleet/common). */
export function safeId(kind: keyof typeof NAME_RULES, description: string) {
  const rule = NAME_RULES[kind];
  return z
    .string()
    .superRefine((v, ctx) => {
      const msg = checkName(kind, v);
      if (msg) ctx.addIssue({ code: "custom", message: msg });
    })
    .meta({ description, pattern: SAFE_ID_RE.source, minLength: rule.min, maxLength: rule.max });
}

/** No control characters (tabs and newlines included). */
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/** Longest single-line comment (PBS `SINGLE_LINE_COMMENT_SCHEMA`). */
export const MAX_COMMENT_LENGTH = 128;

export const comment = z
  .string()
  .superRefine((v, ctx) => {
    if (v.length > MAX_COMMENT_LENGTH) ctx.addIssue({ code: "custom", message: `must be at most ${MAX_COMMENT_LENGTH} characters` });
    else if (CONTROL_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be a single line without control characters" });
  })
  .meta({ description: "Comment (single line).", maxLength: MAX_COMMENT_LENGTH });

/** Longest device path accepted. */
export const MAX_PATH_LENGTH = 256;

/** Device path of a changer or drive: absolute, single line, no `..` component. */
export const devicePath = z
  .string()
  .superRefine((v, ctx) => {
    let msg: string | undefined;
    if (v.length === 0) msg = "must not be empty";
    else if (v.length > MAX_PATH_LENGTH) msg = `must be at most ${MAX_PATH_LENGTH} characters`;
    else if (!v.startsWith("/")) msg = "must be an absolute path (e.g. /dev/tape/by-id/scsi-XYZ or /dev/sg3)";
    else if (CONTROL_RE.test(v)) msg = "must not contain control characters";
    else if (v.split("/").includes("..")) msg = "must not contain '..'";
    if (msg) ctx.addIssue({ code: "custom", message: msg });
  })
  .meta({ description: "Device path on the host of its device agent (`/dev/tape/by-id/…` or `/dev/sgN`).", maxLength: MAX_PATH_LENGTH });

export const bool = (description: string) => z.boolean().meta({ description });

/** Integer in [min, max] with one message naming the bounds. */
export function intRange(min: number, max: number, description: string) {
  return z
    .number()
    .superRefine((v, ctx) => {
      if (!Number.isInteger(v) || v < min || v > max) ctx.addIssue({ code: "custom", message: `must be an integer from ${min} to ${max}` });
    })
    .meta({ description, type: "integer", minimum: min, maximum: max });
}

/** Highest element address an SMC element can have (16-bit). */
export const MAX_SLOT = 65535;

/**
 * Import/export slots: `"1,2"` text (as PBS stores it) or an array of numbers.
 * Normalized to a sorted array without duplicates.
 */
export const exportSlots = z
  .union([z.string(), z.array(z.unknown().meta({ type: "integer", minimum: 1, maximum: MAX_SLOT }))], { error: "must be a list of slot numbers ('1,2' or [1, 2])" })
  .transform((v, ctx): number[] => {
    const items: unknown[] = typeof v === "string" ? (v.trim() === "" ? [] : v.split(/[\s,;]+/).filter((s) => s !== "")) : v;
    const out = new Set<number>();
    for (const item of items) {
      const n = typeof item === "number" ? item : typeof item === "string" && /^\d+$/.test(item) ? Number(item) : Number.NaN;
      if (!Number.isInteger(n) || n < 1 || n > MAX_SLOT) {
        ctx.addIssue({ code: "custom", message: `invalid slot number '${String(item)}': must be an integer from 1 to ${MAX_SLOT}` });
        return z.NEVER;
      }
      out.add(n);
    }
    return [...out].sort((a, b) => a - b);
  })
  .pipe(z.array(z.number().meta({ type: "integer", minimum: 1, maximum: MAX_SLOT })))
  .meta({ description: "Import/export slots (element numbers ≥ 1): '1,2' or [1, 2]." });

/** Key fingerprint: 32 bytes as lowercase hex pairs joined by ':' (§9.2). */
export const FINGERPRINT_RE = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){31}$/;

export const fingerprint = z
  .string()
  .superRefine((v, ctx) => {
    if (!FINGERPRINT_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be a key fingerprint: 32 hex bytes joined by ':' (xx:xx:…)" });
  })
  .transform((v) => v.toLowerCase())
  .meta({ description: "Encryption key fingerprint (32 hex bytes joined by ':').", pattern: FINGERPRINT_RE.source });

/** Message for a bad calendar event, or undefined. */
export function calendarEventError(text: string): string | undefined {
  const msg = validateCalendarEvent(text);
  return msg === undefined ? undefined : `invalid calendar event '${text}': ${msg}`;
}

/** Message for a bad time span, or undefined. */
export function timeSpanError(text: string): string | undefined {
  try {
    parseTimeSpan(text);
    return undefined;
  } catch (err) {
    const reason = err instanceof TimeSpanSyntaxError ? err.reason : (err as Error).message;
    return `invalid time span '${text}': ${reason}`;
  }
}

export const calendarEvent = (description: string) =>
  z
    .string()
    .superRefine((v, ctx) => {
      const msg = calendarEventError(v);
      if (msg) ctx.addIssue({ code: "custom", message: msg });
    })
    .meta({ description });

/** Media pool `allocation`: `continue`, `always` or a calendar event. */
export const ALLOCATION_KEYWORDS = ["continue", "always"] as const;
export const DEFAULT_ALLOCATION = "continue";

export const allocation = z
  .string()
  .superRefine((v, ctx) => {
    if ((ALLOCATION_KEYWORDS as readonly string[]).includes(v)) return;
    const msg = calendarEventError(v);
    if (msg) ctx.addIssue({ code: "custom", message: `must be 'continue', 'always' or a calendar event: ${msg}` });
  })
  .meta({ description: "When to start a new media set: 'continue' (default), 'always' or a calendar event." });

/** Media pool `retention`: `keep`, `overwrite` or a time span. */
export const RETENTION_KEYWORDS = ["keep", "overwrite"] as const;
export const DEFAULT_RETENTION = "keep";

export const retention = z
  .string()
  .superRefine((v, ctx) => {
    if ((RETENTION_KEYWORDS as readonly string[]).includes(v)) return;
    const msg = timeSpanError(v);
    if (msg) ctx.addIssue({ code: "custom", message: msg });
  })
  .meta({ description: "How long media stay protected: 'keep' (default), 'overwrite' or a time span ('7days')." });

/** Media set naming template (2–64 chars, strftime specifiers, `%id%`). */
export const DEFAULT_TEMPLATE = "%c";
export const template = z
  .string()
  .superRefine((v, ctx) => {
    if (v.length < 2 || v.length > 64) ctx.addIssue({ code: "custom", message: "must be 2 to 64 characters" });
    else if (CONTROL_RE.test(v)) ctx.addIssue({ code: "custom", message: "must not contain control characters" });
  })
  .meta({ description: "Media set name template (strftime specifiers; '%id%' is the set UUID).", minLength: 2, maxLength: 64 });

/** PBS user id `name@realm` (≤ 64 chars). */
export const USERID_RE = /^[^\s:/@]{1,}@[A-Za-z0-9_][A-Za-z0-9._-]{1,31}$/;
export const userid = z
  .string()
  .superRefine((v, ctx) => {
    if (v.length > 64 || !USERID_RE.test(v)) ctx.addIssue({ code: "custom", message: "must be a user id 'name@realm'" });
  })
  .meta({ description: "User to notify ('name@realm').", pattern: USERID_RE.source, maxLength: 64 });

export const namespace = z
  .string()
  .superRefine((v, ctx) => {
    const msg = checkNamespace(v);
    if (msg) ctx.addIssue({ code: "custom", message: msg });
  })
  .meta({ description: "Datastore namespace ('a/b/c'; '' is the root)." });

/** One PBS group filter: `[exclude:]type:<vm|ct|host>`, `group:<type>/<id>` or `regex:<re>`. */
export const GROUP_FILTER_RE = /^(?:exclude:)?(?:type:(?:vm|ct|host)|group:(?:vm|ct|host)\/[A-Za-z0-9_][A-Za-z0-9._-]*|regex:.+)$/;

export function groupFilterError(v: string): string | undefined {
  if (!GROUP_FILTER_RE.test(v)) return `invalid group filter '${v}': use [exclude:]type:<vm|ct|host>, group:<type>/<id> or regex:<expression>`;
  const m = /^(?:exclude:)?regex:(.+)$/.exec(v);
  if (m) {
    try {
      new RegExp(m[1]!);
    } catch {
      return `invalid group filter '${v}': bad regular expression`;
    }
  }
  return undefined;
}

export const groupFilter = z
  .array(
    z.string().superRefine((v, ctx) => {
      const msg = groupFilterError(v);
      if (msg) ctx.addIssue({ code: "custom", message: msg });
    }),
  )
  .meta({ description: "Backup group filters (any matches includes; 'exclude:' filters remove)." });
