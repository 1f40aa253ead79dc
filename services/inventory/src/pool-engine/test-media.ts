/**
 * Builders of hand-made inventories for the engine's tests (not exported from the
 * package). Media UUIDs are derived from the label text: `m-<label>`.
 */
import type { MediaLocation, Medium, StoredMediaStatus } from "./types.ts";

/** Options of {@link tape}. */
export interface TapeOptions {
  /** Label ctime (default 1000). */
  ctime?: number;
  /** Pool of the media label. */
  pool?: string;
  /** Set label: `[pool, setUuid, seqNr, ctime, fingerprint?]`. */
  set?: [string, string, number, number, string?];
  status?: StoredMediaStatus;
  /** `online:<changer>`, `offline`, `vault:<name>`, `ie:<changer>` (import/export slot). Default `online:lib1`. */
  at?: string;
  worm?: boolean;
}

export function location(at: string): { location: MediaLocation; inImportExport?: boolean } {
  const [kind, name = ""] = at.split(":");
  if (kind === "offline") return { location: { kind: "offline" } };
  if (kind === "vault") return { location: { kind: "vault", name } };
  if (kind === "ie") return { location: { kind: "online", changer: name }, inImportExport: true };
  return { location: { kind: "online", changer: name } };
}

/** A medium with label `labelText`. */
export function tape(labelText: string, o: TapeOptions = {}): Medium {
  return {
    label: { uuid: `m-${labelText}`, labelText, ctime: o.ctime ?? 1000, ...(o.pool === undefined ? {} : { pool: o.pool }) },
    ...(o.set === undefined
      ? {}
      : {
          setLabel: {
            pool: o.set[0],
            uuid: o.set[1],
            seqNr: o.set[2],
            ctime: o.set[3],
            ...(o.set[4] === undefined ? {} : { encryptionKeyFingerprint: o.set[4] }),
          },
        }),
    ...(o.status === undefined ? {} : { storedStatus: o.status }),
    ...location(o.at ?? "online:lib1"),
    ...(o.worm === undefined ? {} : { worm: o.worm }),
  };
}

/** Set UUIDs for tests: `s(1)` = `00000000-0000-4000-8000-000000000001`. */
export function s(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/** Epoch seconds of an ISO time. */
export function at(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}
