/**
 * The configuration forms of the web UI as data: which fields each kind of
 * entry has, how a field's text becomes the API's JSON, and the create and
 * update bodies (PBS style: `delete: [field…]` resets an optional field).
 * DOM-free, so it is unit-tested here and bundled into the app.
 */

/** The configuration kinds of `/api2/json/config/<kind>`. */
export const CONFIG_KINDS = ["changer", "drive", "media-pool", "tape-backup-job", "datastore"] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

/** How a field is edited and encoded. */
export type FieldType =
  /** a string; empty means "not set" */
  | "text"
  /** an integer; text that is not one is sent as typed so the API names the error */
  | "integer"
  /** a switch; `false` is the default, so it is only sent when it differs */
  | "boolean"
  /** a list of strings, one per line (or comma-separated) */
  | "lines";

export interface FieldSpec {
  /** The API's key (kebab-case, as in PBS). */
  readonly key: string;
  readonly label: string;
  readonly type: FieldType;
  readonly description: string;
  readonly required?: boolean;
  /** Part of the entry's identity: set on create, read-only on edit. */
  readonly isKey?: boolean;
  readonly placeholder?: string;
  /** Suggest the names of entries of this kind (the API checks that they exist). */
  readonly suggest?: ConfigKind;
  /** Preview the next occurrences of a calendar event typed here. */
  readonly calendar?: "always" | "unless-keyword";
}

export interface FormSpec {
  readonly kind: ConfigKind;
  /** Singular title ("drive"). */
  readonly title: string;
  /** Page title ("Drives"). */
  readonly plural: string;
  /** Client route of the page. */
  readonly route: string;
  /** The key field (`name`, or `id` for jobs). */
  readonly keyField: string;
  readonly fields: readonly FieldSpec[];
  /** Columns of the list (field keys). */
  readonly columns: readonly string[];
}

const NAME_HINT = "2 to 32 letters, digits, '.', '_' or '-'";

export const FORM_SPECS: Readonly<Record<ConfigKind, FormSpec>> = {
  changer: {
    kind: "changer",
    title: "changer",
    plural: "Changers",
    route: "/changers",
    keyField: "name",
    columns: ["name", "path", "export-slots", "eject-before-unload"],
    fields: [
      { key: "name", label: "Name", type: "text", required: true, isKey: true, description: `Changer name (${NAME_HINT}).`, placeholder: "sl3" },
      { key: "path", label: "Device path", type: "text", required: true, description: "Device path on the host of its device agent (/dev/tape/by-id/… or /dev/sgN).", placeholder: "/dev/tape/by-id/scsi-…-changer" },
      { key: "export-slots", label: "Export slots", type: "text", description: "Import/export slots (element numbers ≥ 1), comma-separated.", placeholder: "15,16" },
      { key: "eject-before-unload", label: "Eject before unload", type: "boolean", description: "Eject the drive before moving its medium out." },
    ],
  },
  drive: {
    kind: "drive",
    title: "drive",
    plural: "Drives",
    route: "/drives",
    keyField: "name",
    columns: ["name", "path", "changer", "changer-drivenum"],
    fields: [
      { key: "name", label: "Name", type: "text", required: true, isKey: true, description: `Drive name (${NAME_HINT}).`, placeholder: "d1" },
      { key: "path", label: "Device path", type: "text", required: true, description: "Device path on the host of its device agent (/dev/tape/by-id/… or /dev/sgN).", placeholder: "/dev/tape/by-id/scsi-…-sg" },
      { key: "changer", label: "Changer", type: "text", suggest: "changer", description: "Changer holding this drive (empty: a standalone drive)." },
      { key: "changer-drivenum", label: "Drive number in the changer", type: "integer", description: "Index of this drive among the changer's drives (default 0).", placeholder: "0" },
    ],
  },
  "media-pool": {
    kind: "media-pool",
    title: "media pool",
    plural: "Media Pools",
    route: "/media-pools",
    keyField: "name",
    columns: ["name", "drive", "allocation", "retention", "encrypt", "comment"],
    fields: [
      { key: "name", label: "Name", type: "text", required: true, isKey: true, description: `Media pool name (${NAME_HINT}).`, placeholder: "daily" },
      { key: "drive", label: "Drive", type: "text", suggest: "drive", description: "Drive that writes this pool's media (must exist)." },
      { key: "allocation", label: "Allocation", type: "text", calendar: "unless-keyword", description: "When to start a new media set: 'continue' (default), 'always' or a calendar event.", placeholder: "continue" },
      { key: "retention", label: "Retention", type: "text", description: "How long media stay protected: 'keep' (default), 'overwrite' or a time span ('7days').", placeholder: "keep" },
      { key: "template", label: "Media set name template", type: "text", description: "strftime specifiers; '%id%' is the set UUID." },
      { key: "encrypt", label: "Encryption key fingerprint", type: "text", description: "32 hex bytes joined by ':' (empty: no encryption)." },
      { key: "comment", label: "Comment", type: "text", description: "Single line." },
    ],
  },
  "tape-backup-job": {
    kind: "tape-backup-job",
    title: "backup job",
    plural: "Backup Jobs",
    route: "/backup-jobs",
    keyField: "id",
    columns: ["id", "store", "pool", "drive", "schedule", "comment"],
    fields: [
      { key: "id", label: "Job id", type: "text", required: true, isKey: true, description: "3 to 32 letters, digits, '.', '_' or '-'.", placeholder: "daily-tape" },
      { key: "store", label: "Datastore", type: "text", required: true, suggest: "datastore", description: "Datastore to back up.", placeholder: "store1" },
      { key: "pool", label: "Media pool", type: "text", required: true, suggest: "media-pool", description: "Media pool to write to (must exist)." },
      { key: "drive", label: "Drive", type: "text", required: true, suggest: "drive", description: "Drive to write with (must exist)." },
      { key: "schedule", label: "Schedule", type: "text", calendar: "always", description: "Calendar event (empty: the job runs only on demand).", placeholder: "mon..fri 02:00" },
      { key: "latest-only", label: "Latest snapshot only", type: "boolean", description: "Back up only the newest finished snapshot of each group." },
      { key: "eject-media", label: "Eject media when done", type: "boolean", description: "Eject the medium when the job ends." },
      { key: "export-media-set", label: "Export media set when done", type: "boolean", description: "Export the media set when the job ends." },
      { key: "ns", label: "Namespace", type: "text", description: "Datastore namespace ('a/b/c'; empty is the root)." },
      { key: "max-depth", label: "Max depth", type: "integer", description: "Namespace levels below the namespace to include (empty: all)." },
      { key: "group-filter", label: "Group filters", type: "lines", description: "One filter per line ('type:vm', 'group:vm/100', 'exclude:…')." },
      { key: "notify-user", label: "Notify user", type: "text", description: "User to notify ('name@realm').", placeholder: "root@pam" },
      { key: "comment", label: "Comment", type: "text", description: "Single line." },
    ],
  },
  datastore: {
    kind: "datastore",
    title: "datastore",
    plural: "Datastores",
    route: "/datastores",
    keyField: "name",
    columns: ["name", "host", "path", "comment"],
    fields: [
      { key: "name", label: "Name", type: "text", required: true, isKey: true, description: "3 to 32 letters, digits, '.', '_' or '-'.", placeholder: "store1" },
      { key: "path", label: "Path", type: "text", required: true, description: "Directory of the datastore on its agent host (absolute).", placeholder: "/srv/pbs/store1" },
      { key: "host", label: "Host", type: "text", required: true, description: "Host id of the device agent that serves the datastore.", placeholder: "host-a" },
      { key: "comment", label: "Comment", type: "text", description: "Single line." },
    ],
  },
};

/** What a form holds: the text of text-like fields, the state of switches. */
export type FormValues = Record<string, string | boolean>;

/** An entry as the API returns it. */
export type Entry = Readonly<Record<string, unknown>>;

/** The form values showing `entry` (or an empty form when `entry` is undefined). */
export function formValuesOf(spec: FormSpec, entry?: Entry): FormValues {
  const values: FormValues = {};
  for (const f of spec.fields) {
    const v = entry?.[f.key];
    if (f.type === "boolean") values[f.key] = v === true;
    else if (v === undefined || v === null) values[f.key] = "";
    else if (Array.isArray(v)) values[f.key] = v.map(String).join(f.type === "lines" ? "\n" : ",");
    else values[f.key] = String(v);
  }
  return values;
}

/**
 * The JSON value of a field's form value, or `undefined` when the field is
 * not set (empty text, switch off).
 */
export function encodeField(f: FieldSpec, value: string | boolean | undefined): unknown {
  if (f.type === "boolean") return value === true ? true : undefined;
  const text = typeof value === "string" ? value.trim() : "";
  if (text === "") return undefined;
  switch (f.type) {
    case "integer":
      return /^-?\d+$/.test(text) ? Number(text) : text;
    case "lines": {
      const items = text.split(/[\n,]/).map((s) => s.trim()).filter((s) => s !== "");
      return items.length === 0 ? undefined : items;
    }
    default:
      return text;
  }
}

/** The body of `POST /api2/json/config/<kind>`: every field that is set. */
export function createBody(spec: FormSpec, values: FormValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const v = encodeField(f, values[f.key]);
    if (v !== undefined) body[f.key] = v;
  }
  return body;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The body of `PUT /api2/json/config/<kind>/<key>`: the fields that changed
 * from `original`, `delete` for optional fields that were cleared (or switched
 * back to their default), and the `digest` read with the entry, so that a
 * concurrent change is refused (409) instead of overwritten.
 */
export function updateBody(spec: FormSpec, original: Entry, values: FormValues, digest?: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const del: string[] = [];
  for (const f of spec.fields) {
    if (f.isKey) continue;
    const next = encodeField(f, values[f.key]);
    const before = original[f.key];
    // Lists shown as comma-separated text (export slots) compare as that text.
    const beforeEncoded =
      f.type === "boolean" ? (before === true ? true : undefined) : Array.isArray(before) && f.type !== "lines" ? before.map(String).join(",") : before;
    if (sameJson(next, beforeEncoded)) continue;
    if (next === undefined) {
      if (f.required) body[f.key] = "";
      else del.push(f.key);
    } else {
      body[f.key] = next;
    }
  }
  if (del.length > 0) body["delete"] = del;
  if (digest !== undefined) body["digest"] = digest;
  return body;
}

/** Whether `updateBody` would change anything (besides the digest). */
export function hasChanges(body: Record<string, unknown>): boolean {
  return Object.keys(body).some((k) => k !== "digest");
}

/** The spec of the page at a client route, if any. */
export function specOfRoute(route: string): FormSpec | undefined {
  return CONFIG_KINDS.map((k) => FORM_SPECS[k]).find((s) => s.route === route);
}
