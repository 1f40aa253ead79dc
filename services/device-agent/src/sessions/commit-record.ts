import { createHash } from "node:crypto";
import {
  CATALOG_MAX_DIGESTS_PER_RECORD,
  catalogCommitSubject,
  catalogRecord,
  fieldErrorsOf,
  type CatalogRecord,
  type CatalogRecordInput,
} from "@tapefleet/api-types";
import { SessionError } from "./session-error.ts";

/** What kind of tape file an archive commit record describes. */
export type ArchiveKind = "chunk-archive" | "snapshot-archive" | "catalog-archive";

/**
 * One archive on tape, reported only after the drive was synced (WRITE
 * FILEMARKS 0), so the record never names data that could still be lost.
 * `chunkDigests` (hex) are the chunks completely inside a chunk archive.
 * This is what the gRPC stream reports (`ArchiveCommit`); the catalog gets
 * it as `catalogRecord`s (`catalogRecordsOf`).
 */
export interface CommitRecord {
  mediaSetUuid: string;
  /** UUID of the tape (its media label). */
  mediaUuid: string;
  /** The tape's position in the media set. */
  seqNr: number;
  fileNumber: number;
  /** Content UUID of the archive (MediaContentHeader uuid). */
  archiveUuid: string;
  kind: ArchiveKind;
  /** Datastore name (chunk and snapshot archives); for catalog archives, empty. */
  store: string;
  /** `[ns/a/ns/b/]type/id/time` of a snapshot archive; for a catalog archive, the media UUID it describes. */
  snapshot?: string;
  chunkDigests: string[];
}

/**
 * The tape the commit records after it are on, as the catalog names it. A
 * write session hands one to its publisher before its records: with
 * `joined: true` once, right after it wrote and synced the set label (file 1)
 * — published as the catalog's `media-set-joined` record and the records of
 * the two label files — and with `joined: false` in front of every batch of
 * commit records.
 */
export interface CommitTape {
  kind: "tape";
  mediaUuid: string;
  /** Label text (barcode) in the tape's media label. */
  labelText: string;
  mediaSetUuid: string;
  seqNr: number;
  /** Media pool of the set (in its set label). */
  pool: string;
  /** Creation time of the media set (its set label's ctime), epoch seconds. */
  mediaSetCtime: number;
  /** Name of the media set, when the caller gave it (not on tape: the catalog shows it in media content). */
  mediaSetName?: string;
  /** The set label was written in this session: the tape joined the set. */
  joined: boolean;
}

/** What a publisher is given: tapes and the commit records that follow them. */
export type CommitEntry = CommitTape | CommitRecord;

/** NATS subject (relative to the bus prefix) on which the catalog records of a media set are published. */
export function commitSubject(mediaSetUuid: string): string {
  return catalogCommitSubject(mediaSetUuid);
}

/** Namespace of the name-based (version 5) UUIDs of catalog record ids. */
export const COMMIT_RECORD_ID_NAMESPACE = "6b0f3c2e-5d1a-4f8b-9c47-2e8a1d5f7b30";

/** A name-based UUID (RFC 9562 version 5: SHA-1 of namespace and name). */
export function nameUuid(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const h = createHash("sha1").update(ns).update(name, "utf8").digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/**
 * The record id of one catalog record, the same every time the record is
 * built again (a retried publish is a duplicate the catalog and JetStream
 * drop). Names the set and the seq nr: the label files of a tape that joins
 * another set are new records.
 */
export function commitRecordId(parts: { mediaSetUuid: string; seqNr: number; mediaUuid: string } & ({ joined: true } | { fileNumber: number; archiveUuid: string; part: number })): string {
  const tape = `${parts.mediaSetUuid.toLowerCase()}/${parts.seqNr}/${parts.mediaUuid.toLowerCase()}`;
  const name = "joined" in parts ? `media-set-joined/${tape}` : `archive/${tape}/${parts.fileNumber}/${parts.archiveUuid.toLowerCase()}/${parts.part}`;
  return nameUuid(COMMIT_RECORD_ID_NAMESPACE, name);
}

/** RFC 3339 UTC seconds of an epoch time; undefined when it is not a time. */
function rfc3339Seconds(epochSeconds: number): string | undefined {
  const ms = epochSeconds * 1000;
  if (!Number.isSafeInteger(epochSeconds) || Math.abs(ms) > 8.64e15) return undefined;
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * Turns what a write session hands its publisher into the catalog's records
 * (`catalogRecord` of `@tapefleet/api-types`), in publishing order:
 * for a tape with `joined`, `media-set-joined` then the `media-label` (file 0)
 * and `media-set-label` (file 1) records; for each commit record, one
 * `archive` record (a chunk archive with more than
 * `CATALOG_MAX_DIGESTS_PER_RECORD` digests: several, same archive and file, in
 * write order). Each commit record takes its label text and pool from the
 * last tape before it with the same media UUID. Every record is validated
 * with the schema before any is returned; the first bad one throws
 * `SessionError` `invalid-request` naming the record and the field. Pure.
 * @see shared/reference/pbs-tape-format.md §4, §5
 */
export function catalogRecordsOf(entries: readonly CommitEntry[], now: Date = new Date()): CatalogRecord[] {
  const at = now.toISOString();
  const tapes = new Map<string, CommitTape>();
  const out: Array<{ what: string; value: CatalogRecordInput }> = [];
  for (const e of entries) {
    if (e.kind === "tape") {
      tapes.set(e.mediaUuid.toLowerCase(), e);
      if (!e.joined) continue;
      const base = { mediaUuid: e.mediaUuid, labelText: e.labelText, mediaSetUuid: e.mediaSetUuid, seqNr: e.seqNr, pool: e.pool };
      const ctime = rfc3339Seconds(e.mediaSetCtime);
      if (ctime === undefined) {
        throw new SessionError("invalid-request", `media-set-joined record of tape ${e.mediaUuid}: mediaSetCtime: ${e.mediaSetCtime} is not a time in epoch seconds`, { field: "mediaSetCtime" });
      }
      out.push({
        what: `media-set-joined record of tape ${e.mediaUuid}`,
        value: { type: "media-set-joined", recordId: commitRecordId({ ...base, joined: true }), ...base, mediaSetCtime: ctime, joinedAt: at, ...(e.mediaSetName ? { mediaSetName: e.mediaSetName } : {}) },
      });
      for (const [fileNumber, kind, archiveUuid] of [
        [0, "media-label", e.mediaUuid],
        [1, "media-set-label", e.mediaSetUuid],
      ] as const) {
        out.push({
          what: `${kind} record of tape ${e.mediaUuid}`,
          value: { type: "archive", recordId: commitRecordId({ ...base, fileNumber, archiveUuid, part: 0 }), ...base, fileNumber, kind, archiveUuid, committedAt: at },
        });
      }
      continue;
    }
    const tape = tapes.get(e.mediaUuid.toLowerCase());
    if (tape === undefined) {
      throw new SessionError("invalid-request", `${e.kind} record of tape file ${e.fileNumber}: mediaUuid: no tape (label text, pool) was given for media ${e.mediaUuid}`, {
        field: "mediaUuid",
        fileNumber: e.fileNumber,
      });
    }
    const base = { mediaUuid: e.mediaUuid, labelText: tape.labelText, mediaSetUuid: e.mediaSetUuid, seqNr: e.seqNr, pool: tape.pool };
    const what = `${e.kind} record of tape file ${e.fileNumber}`;
    const archive = (part: number, fields: { store?: string; snapshot?: string; digests?: string[] }): CatalogRecordInput => ({
      type: "archive",
      recordId: commitRecordId({ ...base, fileNumber: e.fileNumber, archiveUuid: e.archiveUuid, part }),
      ...base,
      fileNumber: e.fileNumber,
      kind: e.kind,
      archiveUuid: e.archiveUuid,
      ...fields,
      committedAt: at,
    });
    if (e.kind === "chunk-archive") {
      const d = e.chunkDigests;
      for (let part = 0, i = 0; i < d.length || part === 0; part++, i += CATALOG_MAX_DIGESTS_PER_RECORD) {
        out.push({ what, value: archive(part, { store: e.store, digests: d.slice(i, i + CATALOG_MAX_DIGESTS_PER_RECORD) }) });
      }
    } else if (e.kind === "snapshot-archive") {
      out.push({ what, value: archive(0, e.snapshot === undefined ? { store: e.store } : { store: e.store, snapshot: e.snapshot }) });
    } else {
      // A catalog archive names no datastore; the media UUID it describes stays on the gRPC stream.
      out.push({ what, value: archive(0, {}) });
    }
  }
  return out.map(({ what, value }) => {
    const r = catalogRecord.safeParse(value);
    if (r.success) return r.data;
    const f = fieldErrorsOf(r.error.issues)[0];
    const field = f?.field || "record";
    const fileNumber = value.type === "archive" ? value.fileNumber : undefined;
    throw new SessionError("invalid-request", `${what}: ${field}: ${f?.message ?? "invalid"}`, { field, ...(fileNumber === undefined ? {} : { fileNumber }) });
  });
}

/**
 * The archive commits a sequence of catalog records describes, as the gRPC
 * stream reports them (records of one chunk archive joined, label records
 * and set joins left out; a catalog archive's media UUID is not in the
 * catalog record, so its `snapshot` is absent). Pure; the inverse of
 * `catalogRecordsOf` for the archives.
 */
export function commitRecordsFromCatalog(records: readonly CatalogRecord[]): CommitRecord[] {
  const out: CommitRecord[] = [];
  const open = new Map<string, CommitRecord>();
  for (const r of records) {
    if (r.type !== "archive" || r.kind === "media-label" || r.kind === "media-set-label") continue;
    const key = `${r.mediaUuid}/${r.fileNumber}/${r.archiveUuid}`;
    const known = open.get(key);
    if (known !== undefined && r.kind === "chunk-archive") {
      known.chunkDigests.push(...(r.digests ?? []).map((d) => d.toLowerCase()));
      continue;
    }
    const c: CommitRecord = {
      mediaSetUuid: r.mediaSetUuid,
      mediaUuid: r.mediaUuid,
      seqNr: r.seqNr,
      fileNumber: r.fileNumber,
      archiveUuid: r.archiveUuid,
      kind: r.kind,
      store: r.store ?? "",
      chunkDigests: (r.digests ?? []).map((d) => d.toLowerCase()),
    };
    if (r.snapshot !== undefined) c.snapshot = r.snapshot;
    open.set(key, c);
    out.push(c);
  }
  return out;
}
