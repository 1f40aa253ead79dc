import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentials } from "@grpc/grpc-js";
import { Bus, createLogger, type ServiceAnnouncement } from "@tapefleet/common";
import { closeClient, createClient, GrpcCode, GrpcError, Health, HealthCheckResponse_ServingStatus } from "@tapefleet/proto";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import type { DeviceScanAnswer } from "../../src/fleet.ts";
import { agentSpec, startAgentProcess, type AgentProcess } from "./helpers/agent-process.ts";

let env: TestEnv;
let dir: string;
let a: AgentProcess;
let b: AgentProcess;
let bus: Bus;

const UUID_A1 = "11111111-2222-4333-8444-555555555555";
const UUID_A2 = "66666666-7777-4888-8999-aaaaaaaaaaaa";
const UUID_B1 = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff";

beforeAll(async () => {
  env = await provisionTestEnv("agents2");
  dir = mkdtempSync(join(tmpdir(), "tf-two-agents-"));
  [a, b] = await Promise.all([
    startAgentProcess({ hostId: "host-a", dir, spec: agentSpec("A"), env: env.serviceEnv() }),
    startAgentProcess({ hostId: "host-b", dir, spec: agentSpec("B"), env: env.serviceEnv() }),
  ]);
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "two-agents-test", logger: createLogger({ service: "t", level: "silent" }) });
}, 120_000);

afterAll(async () => {
  await bus?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await env?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Collects a streaming rpc: progress messages and the final result. */
async function collect<T extends { event: { case: string | undefined; value?: unknown } }>(stream: AsyncIterable<T>) {
  const progress: Array<{ message: string; activity: string; percent?: number }> = [];
  let result: unknown;
  for await (const m of stream) {
    if (m.event.case === "progress") progress.push(m.event.value as { message: string; activity: string });
    else if (m.event.case === "result") result = m.event.value;
  }
  return { progress, result: result as Record<string, unknown> };
}

async function failure(p: Promise<unknown> | AsyncIterable<unknown>): Promise<GrpcError> {
  try {
    if (Symbol.asyncIterator in (p as object)) for await (const _ of p as AsyncIterable<unknown>) void _;
    else await p;
  } catch (e) {
    if (e instanceof GrpcError) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

describe("two device agents as processes over gRPC and NATS", () => {
  it("answers device.scan from both agents and announces the devices in the heartbeat", async () => {
    const answers = await bus.gather<DeviceScanAnswer>("device.scan", {}, 1500);
    const byHost = new Map(answers.map((x) => [x.hostId, x]));
    expect([...byHost.keys()].sort()).toEqual(["host-a", "host-b"]);
    expect(byHost.get("host-a")!.grpcAddress).toBe(a.grpcAddress);
    expect(byHost.get("host-a")!.devices.map((d) => [d.serial, d.kind, d.path, d.online])).toEqual([
      ["TFA9000001", "drive", "vtl:liba/drive0", true],
      ["TFA8000002", "drive", "vtl:liba/drive1", true],
      ["TFLIBA0001", "changer", "vtl:liba/changer", true],
    ]);
    expect(byHost.get("host-b")!.devices.find((d) => d.kind === "drive")).toMatchObject({ serial: "TFB9000001", generation: "LTO-9", vendor: expect.any(String), model: expect.any(String) });
    const changers = await bus.gather<DeviceScanAnswer>("device.scan", { kind: "changer" }, 1500);
    expect(changers.flatMap((x) => x.devices.map((d) => d.serial)).sort()).toEqual(["TFLIBA0001", "TFLIBB0001"]);
    const pings = await bus.gather<ServiceAnnouncement>("svc.ping", {}, 1500);
    const agentB = pings.find((p) => p.service === "device-agent" && (p.info as { hostId?: string } | undefined)?.hostId === "host-b");
    expect((agentB?.info as { devices?: Array<{ serial: string }> }).devices?.map((d) => d.serial)).toEqual(["TFB9000001", "TFB8000002", "TFLIBB0001"]);
  });

  it("reports the status of both changers", async () => {
    const [sa, sb] = await Promise.all([a.client.getChangerStatus({ device: "TFLIBA0001" }), b.client.getChangerStatus({ device: "vtl:libb/changer", options: { exportSlots: [7] } })]);
    expect(sa.status?.serial).toBe("TFLIBA0001");
    expect(sa.status?.drives.map((d) => [d.driveNumber, d.serial, d.path])).toEqual([
      [0, "TFA9000001", "vtl:liba/drive0"],
      [1, "TFA8000002", "vtl:liba/drive1"],
    ]);
    expect(sa.status?.slots.find((s) => s.slot === 8)).toMatchObject({ full: true, labelText: "CLNA01L1", cleaning: true });
    expect(sa.status?.slots.filter((s) => s.importExport).map((s) => s.slot)).toEqual([9]);
    expect(sb.status?.slots.filter((s) => s.importExport).map((s) => s.slot)).toEqual([7, 9]);
    expect((await b.client.listOnlineLabels({ device: "TFLIBB0001" })).labelTexts).toEqual(["B00001L9", "B00002L8", "B00003L9", "B00004L8"]);
  });

  it("loads, labels, reads the label, refuses to label a tape with data, and unloads", async () => {
    const load = await collect(a.client.loadMedia({ device: "TFLIBA0001", driveNumber: 0, source: { case: "labelText", value: "A00001L9" }, waitReady: true }));
    expect(load.result).toMatchObject({ labelText: "A00001L9", fromSlot: 1, alreadyLoaded: false });
    expect(load.progress.some((p) => p.activity === "loading")).toBe(true);
    const label = await collect(a.client.labelMedia({ device: "TFA9000001", labelText: "A00001L9", uuid: UUID_A1, ctime: 1700000000n, pool: "daily" }));
    expect(label.result).toMatchObject({ label: { labelText: "A00001L9", uuid: UUID_A1, ctime: 1700000000n, pool: "daily" }, warnings: [] });
    expect(label.progress.map((p) => p.activity)).toEqual(expect.arrayContaining(["writing-label", "verifying"]));
    const read = await a.client.readLabel({ device: "vtl:liba/drive0" });
    expect(read).toMatchObject({ empty: false, mediaLabel: { labelText: "A00001L9", uuid: UUID_A1, pool: "daily" } });
    const refused = await failure(a.client.labelMedia({ device: "TFA9000001", labelText: "A00001L9", uuid: UUID_A2, ctime: 1700000001n }));
    expect(refused.code).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(refused.reason).toBe("MEDIUM_NOT_EMPTY");
    const bad = await failure(a.client.labelMedia({ device: "TFA9000001", labelText: "x", uuid: UUID_A2, ctime: 1n }));
    expect(bad.code).toBe(GrpcCode.INVALID_ARGUMENT);
    const status = await a.client.getDriveStatus({ device: "TFA9000001" });
    expect(status.status).toMatchObject({ ready: true, density: "LTO-9", serial: "TFA9000001" });
    // Right after an operation the drive still reports activity: position and TapeAlert are skipped then (PBS §8.2).
    const s = status.status!;
    expect(s.fileNumber !== undefined || s.notes.some((n) => n.startsWith("drive active"))).toBe(true);
    const mam = await a.client.readCartridgeMemory({ device: "TFA9000001" });
    expect(mam.attributes.find((x) => x.id === 0x0803)?.value).toBe("A00001L9");
    const unload = await collect(a.client.unloadMedia({ device: "TFLIBA0001", driveNumber: 0 }));
    expect(unload.result).toMatchObject({ slot: 1, labelText: "A00001L9" });
  });

  it("runs a cleaning cycle end to end", async () => {
    const clean = await collect(b.client.cleanDrive({ device: "TFLIBB0001", driveNumber: 1 }));
    expect(clean.result).toMatchObject({ cleaningLabelText: "CLNB01L1", cleaningSlot: 8, cleaningMounts: 1n });
    expect(clean.progress.map((p) => p.activity)).toEqual(expect.arrayContaining(["loading", "unloading", "done"]));
    const st = await b.client.getChangerStatus({ device: "TFLIBB0001" });
    expect(st.status?.slots.find((s) => s.slot === 8)).toMatchObject({ full: true, labelText: "CLNB01L1" });
    expect(st.status?.drives[1]?.full).toBe(false);
  });

  it("runs operations on two drives at once", async () => {
    await Promise.all([
      collect(b.client.loadMedia({ device: "TFLIBB0001", driveNumber: 0, source: { case: "slot", value: 1 }, waitReady: true })),
      collect(b.client.loadMedia({ device: "TFLIBB0001", driveNumber: 1, source: { case: "slot", value: 2 }, waitReady: true })),
    ]);
    const [l0, l1] = await Promise.all([
      collect(b.client.labelMedia({ device: "TFB9000001", labelText: "B00001L9", uuid: UUID_B1, ctime: 1700000000n })),
      collect(b.client.formatMedia({ device: "TFB8000002", fast: false })),
    ]);
    expect(l0.result).toMatchObject({ label: { uuid: UUID_B1 } });
    expect(l1.result).toMatchObject({ density: "LTO-8", steps: ["rewind", "format", "erase-long", "clear-mam"] });
    const st = await b.client.getChangerStatus({ device: "TFLIBB0001" });
    expect(st.status?.drives.map((d) => d.labelText)).toEqual(["B00001L9", "B00002L8"]);
  });

  it("answers while a drive calibrates, refuses a second caller with DRIVE_BUSY, and releases the drive when the client cancels", async () => {
    await collect(a.client.loadMedia({ device: "TFLIBA0001", driveNumber: 0, source: { case: "labelText", value: "A00003L9" }, waitReady: false }));
    const abort = new AbortController();
    const seen: string[] = [];
    let ended = false;
    const wait = (async () => {
      for await (const m of a.client.waitUntilReady({ device: "TFA9000001", timeoutMs: 600_000 }, { signal: abort.signal })) if (m.event.case === "progress") seen.push(m.event.value.activity);
      ended = true;
    })();
    const waitOutcome = wait.catch((e: unknown) => e);
    await expect.poll(() => seen.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const other = await a.client.getDriveStatus({ device: "TFA8000002" });
    const changer = await a.client.getChangerStatus({ device: "TFLIBA0001" });
    const health = createClient(Health, a.grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 10_000 });
    const h = await health.check({ service: "" });
    closeClient(health);
    const busy = await failure(a.client.rewind({ device: "TFA9000001" }));
    expect({ ended, other: other.status?.serial, loaded: changer.status?.drives[0]?.labelText, health: h.status }).toEqual({
      ended: false,
      other: "TFA8000002",
      loaded: "A00003L9",
      health: HealthCheckResponse_ServingStatus.SERVING,
    });
    expect(busy.code).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(busy.reason).toBe("DRIVE_BUSY");
    expect(seen).toContain("calibrating");
    abort.abort();
    expect(await waitOutcome).toMatchObject({ code: GrpcCode.CANCELLED });
    // The agent stops waiting at its next poll and releases the drive: a caller that waits for the lock gets it.
    const next = await failure(a.client.waitUntilReady({ device: "TFA9000001", timeoutMs: 100, lockWaitMs: 30_000 }));
    expect(next.reason).toBe("TIMEOUT");
    expect(next.code).toBe(GrpcCode.DEADLINE_EXCEEDED);
  });
});
