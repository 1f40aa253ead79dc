/**
 * The restore wizard's DOM-free parts: the `POST /tape/restore` body built
 * from the choices (media set, snapshots, target datastores, namespace
 * mappings) and the tapes the restore reads, with where each one is.
 */

/** A media set as `GET /tape/media/media-sets` returns it. */
export interface MediaSetEntry {
  "media-set-uuid": string;
  "media-set-name": string;
  "media-set-ctime": number;
  pool: string;
  complete: boolean;
  members: { "seq-nr": number; uuid: string; "label-text": string; location: string; status: string }[];
  "encryption-key-fingerprint"?: string;
}

/** One row of `GET /tape/media/content`: a snapshot and the tape holding it. */
export interface MediaContentRow {
  "label-text": string;
  uuid: string;
  pool: string;
  "media-set-name": string;
  "media-set-uuid": string;
  "media-set-ctime": number;
  "seq-nr": number;
  snapshot: string;
  "backup-time": number;
  store: string;
}

/** A namespace mapping of the wizard (`store=<ds>[,source=][,target=][,max-depth=]`). */
export interface NamespaceMapping {
  /** Source datastore the mapping applies to. */
  store: string;
  source: string;
  target: string;
  /** Levels below `source` (0–7); undefined: all. */
  maxDepth?: number;
}

export interface RestoreChoices {
  mediaSet: string;
  /** Source datastore → target datastore. */
  targets: Record<string, string>;
  /** `store:snapshot` specs; empty: the whole media set. */
  snapshots: readonly string[];
  namespaces: readonly NamespaceMapping[];
  drive?: string;
}

/** The namespace mapping as the API's property string. */
export function formatNamespaceMapping(m: NamespaceMapping): string {
  const parts = [`store=${m.store}`];
  if (m.source.trim() !== "") parts.push(`source=${m.source.trim()}`);
  if (m.target.trim() !== "") parts.push(`target=${m.target.trim()}`);
  if (m.maxDepth !== undefined) parts.push(`max-depth=${m.maxDepth}`);
  return parts.join(",");
}

/** `store:snapshot`, PBS's restore `snapshots` item. */
export function snapshotSpec(row: Pick<MediaContentRow, "store" | "snapshot">): string {
  return `${row.store}:${row.snapshot}`;
}

/**
 * The body of `POST /api2/json/tape/restore`. Target datastores are sent as
 * given (an empty target is sent too, so that the API names the field); empty
 * namespace mappings (no source and no target) are left out.
 */
export function restoreBody(c: RestoreChoices): Record<string, unknown> {
  const store = Object.entries(c.targets)
    .map(([source, target]) => `${source}=${target.trim()}`)
    .join(",");
  const namespaces = c.namespaces.filter((m) => m.source.trim() !== "" || m.target.trim() !== "" || m.maxDepth !== undefined).map(formatNamespaceMapping);
  return {
    "media-set": c.mediaSet,
    store,
    ...(c.snapshots.length > 0 ? { snapshots: [...c.snapshots] } : {}),
    ...(namespaces.length > 0 ? { namespaces } : {}),
    ...(c.drive !== undefined && c.drive !== "" ? { drive: c.drive } : {}),
  };
}

/** The source datastores a restore reads from: those of the chosen snapshots, else every store of the set's content. */
export function sourceStores(content: readonly MediaContentRow[], snapshots: readonly string[]): string[] {
  const stores = snapshots.length > 0 ? snapshots.map((s) => s.slice(0, s.indexOf(":"))) : content.map((r) => r.store);
  return [...new Set(stores)].sort();
}

/**
 * Why the restore reads a tape: all of it (a whole set), the chosen
 * snapshots' archives (and chunks), perhaps chunks of them (an earlier tape:
 * chunks already in the set are not written again, so a snapshot's chunks may
 * sit on any tape before its own), or not at all (a later tape).
 */
export type TapeNeed = "whole" | "snapshots" | "chunks" | "none";

/** A tape of the set as the wizard lists it. */
export interface NeededTape {
  seqNr: number;
  uuid: string;
  labelText: string;
  /** Where it is now: `online-<changer>`, `offline`, `vault-<name>` (inventory first, else the set's member record). */
  location: string;
  status: string;
  /** Chosen snapshots (`store:snapshot`) whose snapshot archive is on this tape. */
  holds: string[];
  need: TapeNeed;
}

/**
 * The tapes of the media set in seq nr order, with their current location
 * from the media list, which chosen snapshots each holds and whether the
 * restore reads it. @see reference §12.3 (the catalog's restore plan reads
 * only the tapes holding the snapshots and the chunks they need)
 */
export function neededTapes(
  set: MediaSetEntry,
  content: readonly MediaContentRow[],
  snapshots: readonly string[],
  media: readonly { uuid: string; location: string; status: string }[],
): NeededTape[] {
  const chosen = new Set(snapshots);
  const byUuid = new Map(media.map((m) => [m.uuid, m]));
  const tapes = [...set.members]
    .sort((a, b) => a["seq-nr"] - b["seq-nr"])
    .map((m) => {
      const inv = byUuid.get(m.uuid);
      const holds = content.filter((r) => r.uuid === m.uuid && chosen.has(snapshotSpec(r))).map(snapshotSpec);
      return { seqNr: m["seq-nr"], uuid: m.uuid, labelText: m["label-text"], location: inv?.location ?? m.location, status: inv?.status ?? m.status, holds: [...new Set(holds)].sort() };
    });
  const last = Math.max(-1, ...tapes.filter((t) => t.holds.length > 0).map((t) => t.seqNr));
  return tapes.map((t): NeededTape => ({ ...t, need: snapshots.length === 0 ? "whole" : t.holds.length > 0 ? "snapshots" : t.seqNr < last ? "chunks" : "none" }));
}

/** Tapes the restore may read that are not in a library (to be brought in before it starts). */
export function offlineTapes(tapes: readonly NeededTape[]): NeededTape[] {
  return tapes.filter((t) => t.need !== "none" && !t.location.startsWith("online-"));
}
