import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentials } from "@grpc/grpc-js";
import { createSampleDatastore, snapshotPath, type SnapshotRef } from "@tapefleet/datastore";
import { closeClient, createClient, DeviceAgentService, type Client } from "@tapefleet/proto";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { deviceSourceFor, loadDeviceAgentConfig, startDeviceAgent, type RunningDeviceAgent, type VirtualLibrarySource } from "../../src/index.ts";
import { MiB, runWrite } from "../sessions/helpers/session-fixture.ts";

const DRIVE1 = "vtl:lib1/drive1";
const SERIAL1 = "TFD8000002";

let env: TestEnv;
let dir: string;
let source: VirtualLibrarySource;
let agent: RunningDeviceAgent;
let client: Client<typeof DeviceAgentService>;

beforeAll(async () => {
  env = await provisionTestEnv("agentmetrics");
  dir = mkdtempSync(join(tmpdir(), "tf-agent-metrics-"));
  const config = loadDeviceAgentConfig({ env: { ...env.serviceEnv(), TAPEFLEET_GRPC_ADDRESS: "127.0.0.1:0", TAPEFLEET_VTL_DIR: join(dir, "vtl"), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_READY_POLL_MS: "20" } });
  source = (await deviceSourceFor(config)) as VirtualLibrarySource;
  agent = await startDeviceAgent(config, { devices: source, installSignalHandlers: false });
  client = createClient(DeviceAgentService, agent.grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 60_000 });
}, 120_000);
afterAll(async () => {
  if (client) closeClient(client);
  await agent?.stop();
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<string> {
  const res = await fetch(`${agent.service.healthUrl}/metrics`);
  expect(res.status, res.status === 200 ? "" : await res.clone().text()).toBe(200);
  return res.text();
}

/** Value of the series `name{…}` that has every label of `labels` (any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    const have = new Set([...line.slice(name.length + 1, close).matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => `${m[1]}="${m[2]}"`));
    if (want.every((w) => have.has(w))) return Number(line.slice(close + 2));
  }
  return undefined;
}

describe("device agent /metrics", () => {
  it("reports every drive of the library idle, by path and serial", async () => {
    const text = await scrape();
    expect(text).toContain("# TYPE tapefleet_drive_state gauge");
    expect(sample(text, "tapefleet_drive_state", { drive: DRIVE1, serial: SERIAL1, state: "idle" })).toBe(1);
    expect(sample(text, "tapefleet_drive_state", { drive: DRIVE1, serial: SERIAL1, state: "writing" })).toBe(0);
    expect(sample(text, "tapefleet_drive_state", { drive: "vtl:lib1/drive0", state: "idle" })).toBe(1);
    // The changer is no drive.
    expect(sample(text, "tapefleet_drive_state", { drive: "vtl:lib1" })).toBeUndefined();
  });

  it("counts a TapeAlert flag once while it stays raised", async () => {
    for await (const m of client.loadMedia({ device: "TFLIB00001", driveNumber: 1, source: { case: "slot", value: 9 }, waitReady: true })) void m;
    source.library.setTapeAlert("lib1/drive1", 0x14);
    expect((await client.getDriveStatus({ device: SERIAL1 })).status?.alertFlags).toContain("CLEAN_NOW");
    await client.getDriveStatus({ device: SERIAL1 });
    const text = await scrape();
    expect(text).toContain("# TYPE tapefleet_tapealert_flags_total counter");
    expect(sample(text, "tapefleet_tapealert_flags_total", { drive: DRIVE1, flag: "CLEAN_NOW", severity: "warning" })).toBe(1);
  });

  it("counts the bytes a write session puts on tape and a read session gets back, per drive", async () => {
    const uuid = randomUUID();
    for await (const m of client.labelMedia({ device: SERIAL1, labelText: "MT0009L9", uuid, ctime: 1_700_000_000n })) void m;
    const store = join(dir, "store");
    const ds = (await createSampleDatastore(store, { size: 2 * MiB, seed: 3 })).datastore;
    const snapshots: SnapshotRef[] = [];
    for await (const s of ds.selectSnapshots({})) snapshots.push(s);
    const out = await runWrite(client, { drive: SERIAL1, datastorePath: store, store: "sample", mediaSet: { uuid: randomUUID(), pool: "weekly", seqNr: 0 }, snapshots: snapshots.slice(0, 3).map((s) => `sample:${snapshotPath(s)}`) });
    expect(out.commits.length).toBeGreaterThan(0);
    const afterWrite = await scrape();
    const written = sample(afterWrite, "tapefleet_drive_bytes_written_total", { drive: DRIVE1 });
    // At least the data of the committed archives: more than the label files and headers alone.
    expect(written).toBeGreaterThan(64 * 1024);
    // The session reads the labels back before it appends.
    const readByWrite = sample(afterWrite, "tapefleet_drive_bytes_read_total", { drive: DRIVE1 })!;
    expect(sample(afterWrite, "tapefleet_drive_state", { drive: DRIVE1, state: "idle" })).toBe(1);

    for await (const m of client.readTapeFile({ drive: SERIAL1, fileNumber: BigInt(out.commits[0]!.fileNumber) })) void m;
    const afterRead = await scrape();
    expect(sample(afterRead, "tapefleet_drive_bytes_read_total", { drive: DRIVE1 })).toBeGreaterThan(readByWrite);
    expect(sample(afterRead, "tapefleet_drive_bytes_written_total", { drive: DRIVE1 })).toBe(written);
  });
});
