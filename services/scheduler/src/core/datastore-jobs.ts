import type { DatastoreIngestRequest, DatastoreSampleRequest } from "@tapefleet/api-types";
import type { DatastoreAgentPort } from "./agent-port.ts";
import type { DatastoreResolver } from "./inventory-port.ts";
import { formatBytes, ProgressMeter } from "./progress.ts";
import { withRetry } from "./retry-policy.ts";
import type { TaskContext } from "./task-registry.ts";

/** PBS-like worker types of the datastore tasks. */
export const DATASTORE_WORKER_TYPES = { sample: "datastore-sample", ingest: "datastore-ingest" } as const;

/**
 * `tapectl datastore sample|ingest`: the datastore's agent (inventory
 * datastore config: path + host) creates a sample datastore or stores files
 * of its host as a snapshot. Progress lands in the task log with percent,
 * bytes, rate and ETA. An unreachable agent is retried with backoff.
 */
export class DatastoreJobs {
  constructor(
    private readonly resolver: DatastoreResolver,
    private readonly agent: DatastoreAgentPort,
    private readonly now: () => number = Date.now,
  ) {}

  async sample(req: DatastoreSampleRequest, ctx: TaskContext): Promise<void> {
    const ds = await this.resolver.datastore(req.store);
    const host = await this.resolver.agentOf(ds.host);
    ctx.log(`create sample datastore '${ds.name}' at ${ds.path} on host '${ds.host}': ${formatBytes(req.size)}${req.seed !== undefined ? `, seed ${req.seed}` : ""}`);
    const meter = new ProgressMeter(req.size, this.now);
    const r = await withRetry(
      "create sample datastore",
      () =>
        this.agent.createSampleDatastore(host, { path: ds.path, store: ds.name, size: req.size, ...(req.seed !== undefined ? { seed: req.seed } : {}) }, {
          signal: ctx.signal,
          onProgress: (p) => {
            if (p.percent === undefined) ctx.log(p.message);
            else ctx.progress(meter.at(Math.round((p.percent * req.size) / 100)), "sample");
          },
        }),
      { signal: ctx.signal, onRetry: (t) => ctx.warn(t) },
    );
    ctx.log(`sample datastore '${ds.name}': ${r.snapshots} snapshots in ${r.groups} groups, ${r.namespaces} namespaces, ${r.chunks} chunks (${formatBytes(r.chunkBytes)}), ${formatBytes(r.logicalBytes)} logical`);
  }

  async ingest(req: DatastoreIngestRequest, ctx: TaskContext): Promise<void> {
    const ds = await this.resolver.datastore(req.store);
    const host = await this.resolver.agentOf(ds.host);
    const ns = req.ns ?? "";
    ctx.log(`ingest ${req.files.length} file(s) into '${ds.name}' ${ns === "" ? "" : `ns ${ns} `}as ${req.type}/${req.id}`);
    const r = await withRetry(
      "ingest files",
      () => this.agent.ingestFiles(host, { path: ds.path, store: ds.name, ns, type: req.type, id: req.id, files: req.files }, { signal: ctx.signal, onProgress: (p) => ctx.log(p.message) }),
      { signal: ctx.signal, onRetry: (t) => ctx.warn(t) },
    );
    ctx.log(`snapshot ${ds.name}:${r.snapshot}: ${r.chunksWritten} chunks written (${formatBytes(r.bytesWritten)}), ${r.chunksReused} reused`);
  }
}
