import { verifyChunkBlob } from "./blob.ts";
import { fromHex } from "./binary.ts";
import type { Datastore } from "./datastore.ts";
import { isDatastoreError } from "./errors.ts";

export interface VerifyReport {
  chunks: number;
  /** Unencrypted chunks whose digest was checked. */
  digestChecked: number;
  /** Encrypted chunks, checked by CRC only. */
  crcOnly: number;
  bad: { digest: string; reason: string }[];
  /** Finished snapshots whose indexes were read. */
  snapshots: number;
  /** Referenced digests with no chunk file. */
  missing: { snapshot: string; digest: string }[];
}

/**
 * Checks every chunk file (CRC, and SHA-256 of the plaintext for unencrypted
 * chunks; one chunk in memory at a time) and that every chunk referenced by
 * a finished snapshot exists.
 */
export async function verifyDatastore(ds: Datastore, options: { onChunk?: (n: number) => void } = {}): Promise<VerifyReport> {
  const report: VerifyReport = { chunks: 0, digestChecked: 0, crcOnly: 0, bad: [], snapshots: 0, missing: [] };
  for await (const hex of ds.chunks.listChunks()) {
    report.chunks++;
    try {
      const check = await verifyChunkBlob(await ds.chunks.readChunk(hex), fromHex(hex, "digest", 32));
      if (check.digestChecked) report.digestChecked++;
      else report.crcOnly++;
    } catch (err) {
      if (!isDatastoreError(err)) throw err;
      report.bad.push({ digest: hex, reason: err.message });
    }
    options.onChunk?.(report.chunks);
  }
  for await (const snap of ds.selectSnapshots()) {
    report.snapshots++;
    for await (const hex of ds.snapshotDigests(snap)) {
      if (!(await ds.chunks.hasChunk(hex))) report.missing.push({ snapshot: snap.path, digest: hex });
    }
  }
  return report;
}
