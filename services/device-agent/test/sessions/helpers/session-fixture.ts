import type { Bus } from "@tapefleet/common";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Server, ServerCredentials, credentials } from "@grpc/grpc-js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { addService, closeClient, createClient, DeviceAgentService, type Client, type ServiceImpl } from "@tapefleet/proto";
import { writeMediaLabel } from "@tapefleet/tape-format";
import { createLibrary, createVtlTransport, type SiteSpec, type VirtualLibrary } from "@tapefleet/vtl";
import { catalogRecord } from "@tapefleet/api-types";
import { ScsiTape, commitFromProto, commitRecordsFromCatalog, sessionServiceImpl, type CommitRecord, type SessionServiceOptions } from "../../../src/sessions/index.ts";

export const DRIVE = "tape0";
export const MiB = 1024 * 1024;

export async function tmpDir(label: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `tf-sessions-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A site with one standalone LTO-9 drive and shelf cartridges of the given capacities. */
export function sessionSiteSpec(cartridges: Array<{ barcode: string; capacityBytes: number; earlyWarningBytes: number }>, throttleBytesPerSec?: number): SiteSpec {
  return {
    drives: [{ name: DRIVE, generation: 9, serial: "TFD9000077", ...(throttleBytesPerSec ? { throttleBytesPerSec } : {}) }],
    shelf: cartridges.map((c) => ({ barcode: c.barcode, capacityBytes: c.capacityBytes, earlyWarningBytes: c.earlyWarningBytes })),
    timing: { loadMs: 0, powerOnUnitAttention: false },
  } as SiteSpec;
}

export async function createSessionLibrary(dir: string, spec: SiteSpec): Promise<VirtualLibrary> {
  return createLibrary(dir, spec);
}

/** Loads a shelf cartridge into the drive (unloading what is there) and writes its media label. */
export async function loadAndLabel(lib: VirtualLibrary, barcode: string, options: { label?: boolean } = {}): Promise<{ mediaUuid: string }> {
  if (lib.locate(barcode).drive === undefined) {
    if (lib.drive(DRIVE).content) {
      await new ScsiTape(createVtlTransport(lib, DRIVE)).device.unload();
      await lib.removeCartridge(DRIVE);
    }
    await lib.insertCartridge(DRIVE, barcode);
  }
  const mediaUuid = randomUUID();
  if (options.label === false) return { mediaUuid };
  const tape = new ScsiTape(createVtlTransport(lib, DRIVE), { readyPollMs: 10 });
  await tape.waitReady();
  await tape.rewind();
  await writeMediaLabel(tape, { uuid: mediaUuid, labelText: barcode, ctime: 1_700_000_000 });
  await tape.sync();
  return { mediaUuid };
}

export interface SessionServer {
  address: string;
  client: Client<typeof DeviceAgentService>;
  close(): Promise<void>;
}

/** The data path rpcs served in-process over a real gRPC connection. */
export async function startSessionServer(options: SessionServiceOptions): Promise<SessionServer> {
  const server = new Server({ "grpc.max_receive_message_length": 64 * MiB, "grpc.max_send_message_length": 64 * MiB });
  addService(server, DeviceAgentService, sessionServiceImpl({ readyPollMs: 10, ...options }) as ServiceImpl<typeof DeviceAgentService>);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = `127.0.0.1:${port}`;
  const client = createClient(DeviceAgentService, address, credentials.createInsecure(), {
    channelOptions: { "grpc.max_receive_message_length": 64 * MiB, "grpc.max_send_message_length": 64 * MiB },
  });
  return {
    address,
    client,
    close: async () => {
      closeClient(client);
      await new Promise<void>((r) => server.tryShutdown(() => r()));
    },
  };
}

export interface WriteInput {
  drive?: string;
  datastorePath: string;
  store: string;
  mediaSet: { uuid: string; pool: string; seqNr: number; ctime?: number };
  snapshots: string[];
  knownDigests?: Iterable<string>;
  memberCatalogs?: Array<{ mediaUuid: string; seqNr: number; bytes: Uint8Array }>;
  readers?: number;
  commitBytes?: number;
  maxChunkArchiveBytes?: number;
}

export interface WriteOutput {
  started?: { mediaUuid: string; appended: boolean; firstFileNumber: number };
  commits: CommitRecord[];
  progress: number;
  end?: {
    status: number;
    committed: number;
    snapshotsWritten: string[];
    snapshotsSkipped: string[];
    remainingSnapshots: string[];
    rewriteSnapshot: string;
    chunksWritten: number;
    catalogWritten: boolean;
  };
}

type WriteRequest = MessageInitShape<typeof DeviceAgentService.method.writeSession.input>;

function* writeRequests(input: WriteInput): Generator<WriteRequest> {
  yield {
    message: {
      case: "start" as const,
      value: {
        drive: input.drive ?? DRIVE,
        datastorePath: input.datastorePath,
        store: input.store,
        mediaSet: { uuid: input.mediaSet.uuid, pool: input.mediaSet.pool, seqNr: input.mediaSet.seqNr, ctime: BigInt(input.mediaSet.ctime ?? 1_700_000_000) },
        snapshots: input.snapshots,
        readers: input.readers ?? 0,
        commitBytes: BigInt(input.commitBytes ?? 0),
        maxChunkArchiveBytes: BigInt(input.maxChunkArchiveBytes ?? 0),
      },
    },
  };
  let batch: Uint8Array[] = [];
  for (const d of input.knownDigests ?? []) {
    batch.push(Buffer.from(d, "hex"));
    if (batch.length === 1000) {
      yield { message: { case: "knownDigests" as const, value: { digests: batch } } };
      batch = [];
    }
  }
  if (batch.length > 0) yield { message: { case: "knownDigests" as const, value: { digests: batch } } };
  for (const m of input.memberCatalogs ?? []) {
    for (let off = 0; off < m.bytes.length || off === 0; off += MiB) {
      yield { message: { case: "memberCatalog" as const, value: { mediaUuid: m.mediaUuid, seqNr: m.seqNr, data: m.bytes.subarray(off, off + MiB) } } };
      if (m.bytes.length === 0) break;
    }
  }
  yield { message: { case: "begin" as const, value: {} } };
}

/** Runs one WriteSession rpc to its end and collects what came back. `onCommit` may stop early by throwing. */
export async function runWrite(client: Client<typeof DeviceAgentService>, input: WriteInput, onCommit?: (r: CommitRecord, all: CommitRecord[]) => void): Promise<WriteOutput> {
  const out: WriteOutput = { commits: [], progress: 0 };
  for await (const res of client.writeSession(writeRequests(input))) {
    const m = res.message;
    if (m.case === "started") out.started = { mediaUuid: m.value.mediaUuid, appended: m.value.appended, firstFileNumber: Number(m.value.firstFileNumber) };
    else if (m.case === "commit") {
      const r = commitFromProto(m.value);
      out.commits.push(r);
      onCommit?.(r, out.commits);
    } else if (m.case === "progress") out.progress++;
    else if (m.case === "end") {
      const e = m.value;
      out.end = {
        status: e.status,
        committed: e.committed,
        snapshotsWritten: e.snapshotsWritten,
        snapshotsSkipped: e.snapshotsSkipped,
        remainingSnapshots: e.remainingSnapshots,
        rewriteSnapshot: e.rewriteSnapshot,
        chunksWritten: Number(e.chunksWritten),
        catalogWritten: e.catalogWritten,
      };
    }
  }
  return out;
}

/**
 * The archive commits published on the media set's subject, read back from JetStream
 * (catalog records; a catalog archive's record does not name the media it describes).
 */
export async function readPublishedCommits(nc: Bus["nc"], stream: string, subject: string): Promise<CommitRecord[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const records = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (m === undefined || m.subject !== subject) continue;
    records.push(catalogRecord.parse(JSON.parse(new TextDecoder().decode(m.data))));
  }
  return commitRecordsFromCatalog(records);
}
