import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Server, ServerCredentials } from "@grpc/grpc-js";
import { openDatastore, parseSnapshotPath } from "@tapefleet/datastore";
import { addPartialService, closeClient, createClient, DeviceAgentService, GrpcCode, GrpcError, type Client } from "@tapefleet/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datastoreImpl, DatastoreRpcError, toDatastoreRpcError } from "./datastore.ts";
import { DatastoreError } from "@tapefleet/datastore";

let dir: string;
let server: Server;
let client: Client<typeof DeviceAgentService>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapefleet-agent-datastore-"));
  server = new Server();
  addPartialService(server, DeviceAgentService, datastoreImpl());
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  client = createClient(DeviceAgentService, `127.0.0.1:${port}`, credentials.createInsecure(), { defaultTimeoutMs: 60_000 });
});

afterAll(async () => {
  closeClient(client);
  server.forceShutdown();
  await rm(dir, { recursive: true, force: true });
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of stream) out.push(m);
  return out;
}

async function failure(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(GrpcError);
    return err as GrpcError;
  }
  throw new Error("expected the call to fail");
}

describe("datastore rpcs", () => {
  it("creates a sample datastore with progress and lists its snapshots as a backup selects them", async () => {
    const path = join(dir, "sample");
    const msgs = await collect(client.createSampleDatastore({ path, store: "s1", size: BigInt(512 * 1024), seed: 7 }));
    const progress = msgs.filter((m) => m.event.case === "progress");
    const last = msgs.at(-1)!;
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(last.event.case).toBe("result");
    const result = last.event.value as { snapshots: number; groups: number; chunks: bigint };
    expect(result.snapshots).toBeGreaterThan(result.groups);
    expect(result.chunks).toBeGreaterThan(0n);

    const all = (await client.listSnapshots({ path, store: "s1" })).snapshots;
    expect(all.length).toBe(result.snapshots);
    // The sample also has one unfinished snapshot: never selected.
    const everything = [];
    for await (const s of (await openDatastore(path, { name: "s1" })).selectSnapshots({ includeUnfinished: true })) everything.push(s);
    expect(everything.filter((s) => !s.finished)).toHaveLength(1);
    expect(everything.length).toBe(all.length + 1);
    for (const s of all) {
      const ref = parseSnapshotPath(s.snapshot);
      expect(ref.type).toBe(s.backupType);
      expect(ref.id).toBe(s.backupId);
      expect(BigInt(ref.time)).toBe(s.time);
      expect(ref.ns.join("/")).toBe(s.ns);
    }
    const latest = (await client.listSnapshots({ path, store: "s1", latestOnly: true })).snapshots;
    const groups = new Set(all.map((s) => `${s.ns}|${s.backupType}/${s.backupId}`));
    expect(latest.length).toBe(groups.size);
    const rootOnly = (await client.listSnapshots({ path, store: "s1", maxDepth: 0 })).snapshots;
    expect(rootOnly.every((s) => s.ns === "")).toBe(true);
    expect(rootOnly.length).toBeLessThan(all.length);
    const vms = (await client.listSnapshots({ path, store: "s1", groupFilters: ["type:vm"] })).snapshots;
    expect(vms.length).toBeGreaterThan(0);
    expect(vms.every((s) => s.backupType === "vm")).toBe(true);
  });

  it("ingests files of the host as a new snapshot, with one progress line per file", async () => {
    const path = join(dir, "ingest");
    await collect(client.createSampleDatastore({ path, store: "s2", size: BigInt(128 * 1024) }));
    const a = join(dir, "a.conf");
    const b = join(dir, "disk.img");
    await writeFile(a, "hello\n");
    await writeFile(b, Buffer.alloc(3 * 1024 * 1024 + 5, 7));
    const msgs = await collect(
      client.ingestFiles({ path, store: "s2", ns: "", backupType: "host", backupId: "ingested", time: 1_700_000_000n, files: [{ path: a, name: "", kind: "" }, { path: b, name: "disk", kind: "image" }] }),
    );
    const lines = msgs.filter((m) => m.event.case === "progress").map((m) => (m.event.value as { message: string }).message);
    expect(lines.filter((l) => l.startsWith("file "))).toHaveLength(2);
    const res = msgs.at(-1)!.event.value as { snapshot: string; chunksWritten: bigint; chunksReused: bigint };
    expect(res.snapshot).toBe("host/ingested/2023-11-14T22:13:20Z");
    // 3 MiB + 5 bytes of one byte value in 4 MiB fixed chunks: one chunk.
    expect(res.chunksWritten + res.chunksReused).toBe(1n);
    const ds = await openDatastore(path, { name: "s2" });
    const refs = [];
    for await (const s of ds.selectSnapshots({ groupFilters: ["group:host/ingested"] })) refs.push(s);
    expect(refs).toHaveLength(1);
    expect(refs[0]!.finished).toBe(true);
  });

  it("refuses bad requests naming the field, and maps datastore errors to stable reasons", async () => {
    const e1 = await failure(collect(client.ingestFiles({ path: join(dir, "nope"), store: "s3", backupType: "host", backupId: "x", files: [{ path: "/etc/hostname", name: "", kind: "" }] })));
    expect(e1.code).toBe(GrpcCode.NOT_FOUND);
    expect(e1.reason).toBe("DATASTORE_NOT_FOUND");
    const e2 = await failure(collect(client.createSampleDatastore({ path: join(dir, "small"), store: "s3", size: 1000n })));
    expect(e2.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(e2.rawMessage).toMatch(/^size: /);
    const e3 = await failure(client.listSnapshots({ path: join(dir, "sample"), store: "bad name" }));
    expect(e3.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(e3.rawMessage).toMatch(/^store: /);
    const e4 = await failure(client.listSnapshots({ path: join(dir, "sample"), store: "s1", groupFilters: ["bogus:x"] }));
    expect(e4.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(e4.reason).toBe("DATASTORE_INVALID_FILTER");
    const e5 = await failure(collect(client.ingestFiles({ path: join(dir, "sample"), store: "s1", backupType: "host", backupId: "x", files: [] })));
    expect(e5.rawMessage).toBe("files: at least one file is required");
  });

  it("toDatastoreRpcError keeps the message and passes other errors through", () => {
    const mapped = toDatastoreRpcError(new DatastoreError("owner-mismatch", "group owned by someone else", { field: "owner" }));
    expect(mapped).toBeInstanceOf(DatastoreRpcError);
    expect((mapped as DatastoreRpcError).code).toBe("DATASTORE_OWNER_MISMATCH");
    expect((mapped as DatastoreRpcError).message).toBe("group owned by someone else");
    const other = new Error("x");
    expect(toDatastoreRpcError(other)).toBe(other);
  });
});
