import { stat } from "node:fs/promises";
import { basename } from "node:path";
import {
  DatastoreError,
  createSampleDatastore,
  formatNamespace,
  ingestFiles,
  openDatastore,
  parseNamespace,
  snapshotPath,
  type DatastoreErrorCode,
  type IngestFile,
  type Namespace,
} from "@tapefleet/datastore";
import type { DeviceAgentService, HandlerContext, ServiceImpl } from "@tapefleet/proto";

type Impl = ServiceImpl<typeof DeviceAgentService>;

/** The datastore rpcs of DeviceAgentService. */
export type DatastoreImpl = Pick<Impl, "createSampleDatastore" | "ingestFiles" | "listSnapshots">;

/** gRPC status numbers used below (grpc/status.proto). */
const GRPC = { CANCELLED: 1, INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9, UNAVAILABLE: 14, DATA_LOSS: 15 } as const;

const STATUS_OF: Record<DatastoreErrorCode, number> = {
  truncated: GRPC.DATA_LOSS,
  "trailing-data": GRPC.DATA_LOSS,
  "bad-magic": GRPC.DATA_LOSS,
  "invalid-field": GRPC.INVALID_ARGUMENT,
  "checksum-mismatch": GRPC.DATA_LOSS,
  "digest-mismatch": GRPC.DATA_LOSS,
  "bad-blob": GRPC.DATA_LOSS,
  "key-required": GRPC.FAILED_PRECONDITION,
  "invalid-manifest": GRPC.DATA_LOSS,
  "invalid-name": GRPC.INVALID_ARGUMENT,
  "invalid-filter": GRPC.INVALID_ARGUMENT,
  "not-found": GRPC.NOT_FOUND,
  "already-exists": GRPC.ALREADY_EXISTS,
  "owner-mismatch": GRPC.FAILED_PRECONDITION,
  "invalid-state": GRPC.FAILED_PRECONDITION,
  io: GRPC.UNAVAILABLE,
};

/**
 * Failure of a datastore rpc. `code` reaches the client as the ErrorInfo
 * reason: `DATASTORE_<CODE>` for the datastore package's codes
 * (`DATASTORE_NOT_FOUND`, `DATASTORE_INVALID_NAME`, …), `INVALID_ARGUMENT`
 * for a bad request field, `CANCELLED` when the client left.
 */
export class DatastoreRpcError extends Error {
  readonly code: string;
  readonly grpcStatus: number;
  readonly field?: string;

  constructor(code: string, grpcStatus: number, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DatastoreRpcError";
    this.code = code;
    this.grpcStatus = grpcStatus;
    if (options.field !== undefined) this.field = options.field;
  }
}

/** Maps a failure once: a DatastoreError keeps its message and gets a stable reason; anything else passes through. */
export function toDatastoreRpcError(err: unknown): unknown {
  if (err instanceof DatastoreRpcError || !(err instanceof DatastoreError)) return err;
  const code = err.code as DatastoreErrorCode;
  return new DatastoreRpcError(`DATASTORE_${code.toUpperCase().replace(/-/g, "_")}`, STATUS_OF[code] ?? GRPC.UNAVAILABLE, err.message, { cause: err });
}

function invalid(field: string, reason: string): DatastoreRpcError {
  return new DatastoreRpcError("INVALID_ARGUMENT", GRPC.INVALID_ARGUMENT, `${field}: ${reason}`, { field });
}

function required(value: string, field: string): string {
  if (value === "") throw invalid(field, "required");
  return value;
}

function storeName(value: string): string {
  const v = required(value, "store");
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$/.test(v)) throw invalid("store", `'${v}' is not a datastore name (letters, digits, '_', '.', '-', at most 32)`);
  return v;
}

function namespaceOf(text: string): Namespace {
  try {
    return text === "" ? [] : parseNamespace(text);
  } catch (err) {
    throw new DatastoreRpcError("INVALID_ARGUMENT", GRPC.INVALID_ARGUMENT, `ns: ${(err as Error).message}`, { field: "ns", cause: err });
  }
}

interface StepProgress {
  percent?: number;
  message: string;
  activity: string;
}

/**
 * Runs `run` and yields its progress messages as they come, then its result.
 * A client that leaves aborts the signal; the work stops at its next
 * progress call.
 */
async function* streamed<R, O>(
  ctx: HandlerContext,
  run: (progress: (p: StepProgress) => void) => Promise<R>,
  progress: (p: StepProgress) => O,
  result: (r: R) => O,
): AsyncGenerator<O> {
  const queue: StepProgress[] = [];
  let wake: (() => void) | undefined;
  let settled: { ok: true; value: R } | { ok: false; error: unknown } | undefined;
  const sink = (p: StepProgress) => {
    if (ctx.signal.aborted) throw new DatastoreRpcError("CANCELLED", GRPC.CANCELLED, "cancelled by the client");
    queue.push(p);
    wake?.();
  };
  void run(sink).then(
    (value) => {
      settled = { ok: true, value };
      wake?.();
    },
    (error: unknown) => {
      settled = { ok: false, error: toDatastoreRpcError(error) };
      wake?.();
    },
  );
  for (;;) {
    while (queue.length > 0) yield progress(queue.shift()!);
    if (settled) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  const s = settled as { ok: true; value: R } | { ok: false; error: unknown };
  if (!s.ok) throw s.error;
  yield result(s.value);
}

/** Sample progress is reported at most this often (in percent of the target size). */
export const SAMPLE_PROGRESS_STEP_PERCENT = 5;

const IMAGE_KINDS = new Set(["", "image", "blob"]);

/**
 * The datastore rpcs: they work on datastores of this host by path (the
 * inventory's datastore configuration names the host and the path).
 */
export function datastoreImpl(): DatastoreImpl {
  const ev = <R, O>(ctx: HandlerContext, run: (p: (p: StepProgress) => void) => Promise<R>, result: (r: R) => O) =>
    streamed(ctx, run, (p) => ({ event: { case: "progress" as const, value: p } }) as O, result);
  return {
    createSampleDatastore(req, ctx) {
      const path = required(req.path, "path");
      const store = storeName(req.store);
      const size = Number(req.size);
      if (!Number.isSafeInteger(size) || size < 64 * 1024) throw invalid("size", `${req.size} is below 64 KiB`);
      return ev(
        ctx,
        async (progress) => {
          let lastStep = -1;
          progress({ percent: 0, message: `creating sample datastore '${store}' at ${path} (${size} bytes, seed ${req.seed || 1})`, activity: "sample" });
          const r = await createSampleDatastore(path, {
            size,
            seed: req.seed || 1,
            name: store,
            onProgress: (bytes) => {
              const pct = Math.min(100, (bytes * 100) / size);
              const step = Math.floor(pct / SAMPLE_PROGRESS_STEP_PERCENT);
              if (step === lastStep) return;
              lastStep = step;
              progress({ percent: pct, message: `${bytes} of ${size} bytes of chunks written`, activity: "sample" });
            },
          });
          return r;
        },
        (r) => ({
          event: {
            case: "result" as const,
            value: { namespaces: r.namespaces, groups: r.groups, snapshots: r.snapshots, chunks: BigInt(r.chunks), chunkBytes: BigInt(r.chunkBytes), logicalBytes: BigInt(r.logicalBytes) },
          },
        }),
      );
    },

    ingestFiles(req, ctx) {
      const path = required(req.path, "path");
      const store = storeName(req.store);
      const ns = namespaceOf(req.ns);
      const type = required(req.backupType, "backup_type");
      const id = required(req.backupId, "backup_id");
      if (req.files.length === 0) throw invalid("files", "at least one file is required");
      const files: IngestFile[] = req.files.map((f, i) => {
        const p = required(f.path, `files[${i}].path`);
        if (!IMAGE_KINDS.has(f.kind)) throw invalid(`files[${i}].kind`, `'${f.kind}' is not image or blob`);
        const file: IngestFile = { name: f.name || basename(p).replace(/\.[^.]*$/, "") || basename(p), path: p };
        if (f.kind !== "") file.as = f.kind as "image" | "blob";
        return file;
      });
      const time = Number(req.time);
      return ev(
        ctx,
        async (progress) => {
          const ds = await openDatastore(path, { name: store });
          let total = 0;
          for (const [i, f] of files.entries()) {
            let size: number;
            try {
              size = (await stat(f.path!)).size;
            } catch (err) {
              throw new DatastoreRpcError("DATASTORE_NOT_FOUND", GRPC.NOT_FOUND, `files[${i}].path: ${f.path} cannot be read: ${(err as Error).message}`, { field: `files[${i}].path`, cause: err });
            }
            total += size;
            progress({ percent: (i * 100) / (files.length + 1), message: `file ${i + 1}/${files.length}: ${f.path} (${size} bytes) as '${f.name}'`, activity: "reading" });
          }
          const r = await ingestFiles(ds, { ns, type: type as never, id, files, ...(time > 0 ? { time } : {}) });
          progress({ percent: 100, message: `stored ${total} bytes as ${snapshotPath(r.ref)}`, activity: "done" });
          return r;
        },
        (r) => ({
          event: {
            case: "result" as const,
            value: { snapshot: snapshotPath(r.ref), chunksWritten: BigInt(r.chunksWritten), chunksReused: BigInt(r.chunksReused), bytesWritten: BigInt(r.bytesWritten) },
          },
        }),
      );
    },

    async listSnapshots(req) {
      const path = required(req.path, "path");
      const store = storeName(req.store);
      const ns = namespaceOf(req.ns);
      try {
        const ds = await openDatastore(path, { name: store });
        const out = [];
        for await (const s of ds.selectSnapshots({
          ns,
          ...(req.maxDepth !== undefined ? { maxDepth: req.maxDepth } : {}),
          groupFilters: req.groupFilters,
          latestOnly: req.latestOnly,
        })) {
          if (!s.finished) continue;
          out.push({ snapshot: snapshotPath(s), ns: formatNamespace(s.ns), backupType: s.type, backupId: s.id, time: BigInt(s.time) });
        }
        return { snapshots: out };
      } catch (err) {
        throw toDatastoreRpcError(err);
      }
    },
  };
}
