import { DatastoreError } from "./errors.ts";

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/** Parses a byte size such as `2GiB`, `512 MiB`, `4MB`, `1048576`. */
export function parseByteSize(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new DatastoreError("invalid-field", `size "${text}": expected a number with an optional unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)`, { field: "size" });
  const v = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(v)) throw new DatastoreError("invalid-field", `size "${text}": too large`, { field: "size" });
  return v;
}

/** Formats bytes with a binary unit, e.g. `1.50 GiB`. */
export function formatByteSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(2)} ${units[u]}`;
}
