import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { credentials } from "@grpc/grpc-js";
import { Bus, createLogger } from "@tapefleet/common";
import { createSampleDatastore, parseRestoreSnapshot, snapshotPath, type Datastore } from "@tapefleet/datastore";
import { closeClient, createClient, DeviceAgentService } from "@tapefleet/proto";
import { createVtlTransport, openLibrary } from "@tapefleet/vtl";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { COMMIT_STREAM, ScsiTape, commitSubject, memoryCommitPublisher, runWriteSession, scanTape, virtualLibraryDrives } from "../../src/sessions/index.ts";
import { DRIVE, MiB, createSessionLibrary, loadAndLabel, readPublishedCommits, runWrite, sessionSiteSpec, startSessionServer, tmpDir } from "./helpers/session-fixture.ts";

let env: TestEnv;
let bus: Bus;
const dirs: Array<{ remove(): Promise<void> }> = [];
let child: ChildProcess | undefined;

beforeAll(async () => {
  env = await provisionTestEnv("sesskill");
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "kill-test", logger: createLogger({ service: "t", level: "silent" }) });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await bus?.close();
  await env?.cleanup();
  for (const d of dirs) await d.remove();
});

async function startAgent(vtlDir: string): Promise<{ address: string; proc: ChildProcess }> {
  const script = fileURLToPath(new URL("./helpers/session-agent.ts", import.meta.url));
  const proc = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, TAPEFLEET_VTL_DIR: vtlDir, TAPEFLEET_NATS_URL: env.natsUrl, TAPEFLEET_NATS_PREFIX: env.natsPrefix },
    stdio: ["ignore", "pipe", "inherit"],
  });
  child = proc;
  const lines = createInterface({ input: proc.stdout! });
  for await (const line of lines) {
    const m = JSON.parse(line) as { address?: string };
    if (m.address) return { address: m.address, proc };
  }
  throw new Error("the agent process exited before serving");
}

describe("an agent killed in the middle of an archive", () => {
  it("leaves only archives that were synced as commit records, on NATS and on tape, and the set can be appended to afterwards", async () => {
    const vtl = await tmpDir("killvtl");
    const src = await tmpDir("killsrc");
    dirs.push(vtl, src);
    // A slow drive so the agent is inside an archive when it dies.
    const lib = await createSessionLibrary(vtl.path, sessionSiteSpec([{ barcode: "TK0001L9", capacityBytes: 512 * MiB, earlyWarningBytes: 8 * MiB }], 4 * MiB));
    const { mediaUuid } = await loadAndLabel(lib, "TK0001L9");
    await lib.close();
    const ds: Datastore = (await createSampleDatastore(src.path, { size: 8 * MiB, seed: 5 })).datastore;
    const snapshots: string[] = [];
    for await (const s of ds.selectSnapshots({})) snapshots.push(`sample:${snapshotPath(s)}`);
    const mediaSet = { uuid: randomUUID(), pool: "weekly", seqNr: 0 };

    const agent = await startAgent(vtl.path);
    const client = createClient(DeviceAgentService, agent.address, credentials.createInsecure());
    const exited = new Promise<void>((r) => agent.proc.once("exit", () => r()));
    let killedAfter = 0;
    const outcome = await runWrite(
      client,
      { datastorePath: src.path, store: "sample", mediaSet, snapshots, commitBytes: 1, maxChunkArchiveBytes: 512 * 1024 },
      (_r, all) => {
        if (all.length === 3 && killedAfter === 0) {
          killedAfter = all.length;
          agent.proc.kill("SIGKILL");
        }
      },
    ).catch((e: unknown) => e);
    closeClient(client);
    await exited;
    expect(killedAfter).toBe(3);
    expect(outcome).toMatchObject({ code: 14 }); // UNAVAILABLE: the agent is gone

    const published = await readPublishedCommits(bus.nc, bus.streamName(COMMIT_STREAM), bus.subject(commitSubject(mediaSet.uuid)));
    expect(published.length).toBeGreaterThanOrEqual(3);

    // The tape after the crash (the library recovers as after a power cut).
    const reopened = await openLibrary(vtl.path);
    reopened.setThrottle(DRIVE, 0);
    try {
      const tape = new ScsiTape(createVtlTransport(reopened, DRIVE), { readyPollMs: 10 });
      const scan = await scanTape(tape);
      expect(scan.mediaLabel.uuid).toBe(mediaUuid);
      // Every published record is a complete archive on tape, identical to what the scan finds there.
      for (const p of published) expect(scan.records).toContainEqual(p);
      const lastCommitted = published[published.length - 1]!.fileNumber;
      // Nothing after the last commit was reported: the torn archive has no record anywhere.
      expect(published.every((p) => p.fileNumber <= lastCommitted)).toBe(true);

      // A new session appends to the set after the last complete file (repairing a missing filemark if needed).
      const committedNames = new Set(published.filter((p) => p.kind === "snapshot-archive").map((p) => `sample:${p.snapshot}`));
      const sink = memoryCommitPublisher();
      const result = await runWriteSession(
        tape,
        {
          datastore: ds,
          mediaSet: { ...mediaSet, ctime: 1_700_000_000 },
          snapshots,
          knownDigests: new Set(scan.records.flatMap((r) => r.chunkDigests)),
          memberCatalogs: [{ mediaUuid, seqNr: 0, bytes: scan.catalog }],
        },
        { onCommit: (rs) => sink.publish(rs) },
      );
      expect(result.status).toBe("complete");
      expect(new Set([...result.snapshotsSkipped, ...result.snapshotsWritten])).toEqual(new Set(snapshots));
      for (const s of result.snapshotsSkipped) expect(scan.records.some((r) => `sample:${r.snapshot}` === s)).toBe(true);
      expect(result.snapshotsSkipped.length).toBeGreaterThanOrEqual(committedNames.size);
      const after = await scanTape(tape);
      expect(after.records.slice(0, scan.records.length)).toEqual(scan.records);
      expect(after.records.slice(scan.records.length)).toEqual(sink.records);
      const onTape = new Set(after.records.flatMap((r) => r.chunkDigests));
      for (const s of snapshots) {
        const ref = parseRestoreSnapshot(s).ref;
        for await (const d of ds.snapshotDigests(ref)) expect(onTape.has(d)).toBe(true);
      }
    } finally {
      await reopened.close();
    }
  }, 180_000);

  it("a client that cancels mid-session stops the write at the next archive, frees the drive, and the tape stays appendable", async () => {
    const vtl = await tmpDir("cancelvtl");
    const src = await tmpDir("cancelsrc");
    dirs.push(vtl, src);
    const lib = await createSessionLibrary(vtl.path, sessionSiteSpec([{ barcode: "TC0001L9", capacityBytes: 512 * MiB, earlyWarningBytes: 8 * MiB }], 8 * MiB));
    const publisher = memoryCommitPublisher();
    const server = await startSessionServer({ drives: virtualLibraryDrives(lib), publisher });
    try {
      await loadAndLabel(lib, "TC0001L9");
      const ds = (await createSampleDatastore(src.path, { size: 6 * MiB, seed: 8 })).datastore;
      const snapshots: string[] = [];
      for await (const s of ds.selectSnapshots({})) snapshots.push(`sample:${snapshotPath(s)}`);
      const mediaSet = { uuid: randomUUID(), pool: "p", seqNr: 0 };
      class Stop extends Error {}
      const stopped = await runWrite(server.client, { datastorePath: src.path, store: "sample", mediaSet, snapshots, commitBytes: 1, maxChunkArchiveBytes: 256 * 1024 }, (_r, all) => {
        if (all.length === 2) throw new Stop();
      }).catch((e: unknown) => e);
      expect(stopped).toBeInstanceOf(Stop);
      // the session ends at its next archive boundary and releases the drive
      let second: Awaited<ReturnType<typeof runWrite>> | undefined;
      for (let i = 0; i < 200 && second === undefined; i++) {
        second = await runWrite(server.client, { datastorePath: src.path, store: "sample", mediaSet, snapshots, memberCatalogs: [] }).catch((e: unknown) => {
          if ((e as { reason?: string }).reason !== "drive-busy") throw e;
          return new Promise<undefined>((r) => setTimeout(() => r(undefined), 50));
        });
      }
      expect(second?.started?.appended).toBe(true);
      expect(second?.end?.status).toBeGreaterThan(0);
      const scan = await scanTape(new ScsiTape(createVtlTransport(lib, DRIVE)));
      // every commit that reached the publisher is on tape; the tape holds every snapshot once complete
      for (const r of publisher.records) expect(scan.records).toContainEqual(r);
      const snaps = scan.records.filter((r) => r.kind === "snapshot-archive").map((r) => `sample:${r.snapshot}`);
      expect(new Set(snaps)).toEqual(new Set(snapshots));
    } finally {
      await server.close();
      await lib.close();
    }
  }, 120_000);
});
