/**
 * Body of a digest verification worker (see `digest-pool.ts`): decodes a chunk blob
 * (CRC, zstd) and checks the SHA-256 digest of its plaintext, off the event loop.
 * The blob comes in transferred and goes back transferred, or lives in shared
 * memory and stays there, so nothing is copied.
 */
import { parentPort } from "node:worker_threads";
import { TapeFormatError, verifyChunk } from "@tapefleet/tape-format";
import type { DigestJob, DigestReply } from "./digest-pool.ts";

const port = parentPort;
if (port === null) throw new Error("digest-worker.ts runs as a worker thread");

port.on("message", (job: DigestJob) => {
  void run(job).then((reply) => {
    // a blob in shared memory stays where it is: only the verdict goes back
    if (job.blob.buffer instanceof SharedArrayBuffer) {
      delete reply.blob;
      port.postMessage(reply);
    } else port.postMessage(reply, [reply.blob!.buffer as ArrayBuffer]);
  });
});
// loaded: the pool may count on this worker (id 0 is never a job)
port.postMessage({ id: 0, blob: new Uint8Array(0), digestChecked: false } satisfies DigestReply);

async function run(job: DigestJob): Promise<DigestReply> {
  try {
    const opts = job.key === undefined ? {} : { key: job.key };
    const { digestChecked } = await verifyChunk(job.blob, job.digest, opts);
    return { id: job.id, blob: job.blob, digestChecked };
  } catch (err) {
    const e = err instanceof TapeFormatError ? err : new TapeFormatError("decompress-failed", `chunk: ${err instanceof Error ? err.message : String(err)}`);
    return { id: job.id, blob: job.blob, digestChecked: false, error: { code: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) } };
  }
}
