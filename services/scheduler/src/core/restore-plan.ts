import type { CatalogRestorePlan } from "@tapefleet/api-types";
import { decodeDynamicIndex, decodeFixedIndex, dynamicDigest, fixedDigest } from "@tapefleet/datastore";

/**
 * One tape a restore reads, in order: every file from 2 to end of data
 * (`fileNumbers` absent), or only the listed files, ascending (the agent
 * LOCATEs each). @see reference §12.2, §12.3
 */
export interface RestoreStep {
  mediaUuid: string;
  labelText: string;
  seqNr: number;
  fileNumbers?: number[];
}

/** A member of a media set, as the inventory lists it. */
export interface RestoreMember {
  uuid: string;
  labelText: string;
  seqNr: number;
}

/** Index files of a snapshot (`.fidx`, `.didx`): the ones whose chunks a restore needs. */
export function isIndexFile(name: string): boolean {
  return name.endsWith(".fidx") || name.endsWith(".didx");
}

/**
 * Chunk digests (hex) the index files of a snapshot reference, each once, in
 * first-use order. A file that is not an index is ignored; an index that
 * does not decode throws (naming the file).
 */
export function indexDigests(files: Iterable<[string, Uint8Array]>): string[] {
  const out = new Set<string>();
  for (const [name, bytes] of files) {
    try {
      if (name.endsWith(".fidx")) {
        const index = decodeFixedIndex(bytes);
        for (let i = 0; i < index.count; i++) out.add(Buffer.from(fixedDigest(index, i)).toString("hex"));
      } else if (name.endsWith(".didx")) {
        const index = decodeDynamicIndex(bytes);
        for (let i = 0; i < index.count; i++) out.add(Buffer.from(dynamicDigest(index, i)).toString("hex"));
      }
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`, { cause: err });
    }
  }
  return [...out];
}

/** Every member, whole, in seq nr order: the restore of a set the catalog cannot plan. */
export function wholeSetSteps(members: readonly RestoreMember[]): RestoreStep[] {
  return [...members].sort((a, b) => a.seqNr - b.seqNr).map((m) => ({ mediaUuid: m.uuid, labelText: m.labelText, seqNr: m.seqNr }));
}

/**
 * What keeps a catalog plan from being used: snapshots the set does not
 * hold, or needed chunks no archive of the set holds (per the catalog).
 * Undefined when the plan covers everything.
 */
export function planGap(plan: CatalogRestorePlan): string | undefined {
  if (plan.missingSnapshots.length > 0) return `the catalog lists no ${plan.missingSnapshots.join(", ")} in the media set`;
  const missing = Object.entries(plan.missingDigests).filter(([, list]) => list.length > 0);
  if (missing.length > 0) return `the catalog lists no archive holding ${missing.map(([store, list]) => `${list.length} chunk(s) of store '${store}'`).join(", ")}`;
  return undefined;
}

/** The tapes of a catalog plan in seq nr order, each with its files ascending (chunk and snapshot archives). */
export function stepsOfPlan(plan: CatalogRestorePlan): RestoreStep[] {
  return [...plan.tapes]
    .sort((a, b) => a.seqNr - b.seqNr)
    .filter((t) => t.files.length > 0)
    .map((t) => ({ mediaUuid: t.mediaUuid, labelText: t.labelText, seqNr: t.seqNr, fileNumbers: [...new Set(t.files.map((f) => f.fileNumber))].sort((a, b) => a - b) }));
}

/** The snapshot archives of a plan, per tape in seq nr order: what phase 1 of a selective restore reads. */
export function snapshotFilesOfPlan(plan: CatalogRestorePlan): Array<{ mediaUuid: string; labelText: string; seqNr: number; files: Array<{ fileNumber: number; store: string }> }> {
  return [...plan.tapes]
    .sort((a, b) => a.seqNr - b.seqNr)
    .map((t) => ({
      mediaUuid: t.mediaUuid,
      labelText: t.labelText,
      seqNr: t.seqNr,
      files: t.files
        .filter((f) => f.kind === "snapshot-archive")
        .sort((a, b) => a.fileNumber - b.fileNumber)
        .map((f) => ({ fileNumber: f.fileNumber, store: f.store })),
    }))
    .filter((t) => t.files.length > 0);
}
