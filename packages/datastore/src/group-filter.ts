import { DatastoreError } from "./errors.ts";
import { checkBackupId, checkBackupType, type BackupGroupRef, type BackupType } from "./names.ts";

/**
 * PBS group filters: `[exclude:|include:]type:<vm|ct|host>`, `…group:<type>/<id>`,
 * `…regex:<RE>`. A group is selected when it matches any include filter (or
 * there is none) and no exclude filter. The regex is matched, unanchored,
 * against `type/id`.
 */
export type GroupFilter =
  | { exclude: boolean; kind: "type"; type: BackupType }
  | { exclude: boolean; kind: "group"; type: BackupType; id: string }
  | { exclude: boolean; kind: "regex"; regex: RegExp; source: string };

export function parseGroupFilter(text: string): GroupFilter {
  let rest = text;
  let exclude = false;
  if (rest.startsWith("exclude:")) {
    exclude = true;
    rest = rest.slice("exclude:".length);
  } else if (rest.startsWith("include:")) {
    rest = rest.slice("include:".length);
  }
  const fail = (reason: string): DatastoreError => new DatastoreError("invalid-filter", `group filter "${text}": ${reason}`, { field: "group-filter" });
  try {
    if (rest.startsWith("type:")) return { exclude, kind: "type", type: checkBackupType(rest.slice(5)) };
    if (rest.startsWith("group:")) {
      const m = /^([^/]+)\/(.+)$/.exec(rest.slice(6));
      if (!m) throw fail("expected group:<type>/<id>");
      return { exclude, kind: "group", type: checkBackupType(m[1]!), id: checkBackupId(m[2]!) };
    }
  } catch (err) {
    if (err instanceof DatastoreError && err.code === "invalid-filter") throw err;
    throw fail((err as Error).message);
  }
  if (rest.startsWith("regex:")) {
    const source = rest.slice(6);
    try {
      return { exclude, kind: "regex", regex: new RegExp(source), source };
    } catch (err) {
      throw fail(`bad regular expression (${(err as Error).message})`);
    }
  }
  throw fail("expected type:, group: or regex: (optionally after exclude: or include:)");
}

export function formatGroupFilter(f: GroupFilter): string {
  const prefix = f.exclude ? "exclude:" : "";
  switch (f.kind) {
    case "type":
      return `${prefix}type:${f.type}`;
    case "group":
      return `${prefix}group:${f.type}/${f.id}`;
    case "regex":
      return `${prefix}regex:${f.source}`;
  }
}

export function groupMatches(g: Pick<BackupGroupRef, "type" | "id">, f: GroupFilter): boolean {
  switch (f.kind) {
    case "type":
      return g.type === f.type;
    case "group":
      return g.type === f.type && g.id === f.id;
    case "regex":
      return f.regex.test(`${g.type}/${g.id}`);
  }
}

/** True when the group passes the filter list (PBS semantics). */
export function applyGroupFilters(g: Pick<BackupGroupRef, "type" | "id">, filters: readonly GroupFilter[]): boolean {
  const includes = filters.filter((f) => !f.exclude);
  const included = includes.length === 0 || includes.some((f) => groupMatches(g, f));
  return included && !filters.some((f) => f.exclude && groupMatches(g, f));
}
