import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deviceLocationSubject,
  inventorySubject,
  mediaSubject,
  schedulerDeviceSubject,
  taskSubject,
  type DeviceLocation,
  type TaskLogPage,
  type TaskStarted,
  type TaskStatus,
} from "@tapefleet/api-types";
import { Bus, createLogger, NotFoundError } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { loadSchedulerConfig, startScheduler, TASK_ABORTED, type AgentPort, type CallCtx, type DeviceTarget, type RunningScheduler } from "../../src/index.ts";

const pause = () => new Promise((r) => setTimeout(r, 50));
const logger = createLogger({ service: "scheduler-test", level: "silent" });
let env: TestEnv;
let sched: RunningScheduler;
let bus: Bus;
let fakeInventory: Bus;

const loc = (serial: string, online: boolean): DeviceLocation => ({
  "host-id": "host-a",
  "grpc-address": "127.0.0.1:1",
  serial,
  path: `vtl:lib1/${serial}`,
  kind: "drive",
  vendor: "IBM",
  model: "ULT3580-TD9",
  online,
  "last-seen": new Date().toISOString(),
});

/** An agent whose format runs until its call is cancelled. */
const calls: string[] = [];
let formatSignal: AbortSignal | undefined;
const agent = {
  async driveStatus(d: DeviceTarget) {
    calls.push(`status ${d.serial}`);
    return { vendor: "IBM", product: "ULT3580-TD9" };
  },
  async readLabel() {
    return undefined;
  },
  async format(_d: DeviceTarget, _fast: boolean, ctx?: CallCtx) {
    formatSignal = ctx?.signal;
    ctx?.progress?.("formatting (10%)");
    await new Promise<void>((_, reject) => ctx!.signal!.addEventListener("abort", () => reject(new Error("cancelled by the caller")), { once: true }));
    return { worm: false, steps: [] };
  },
  close() {},
} as unknown as AgentPort;

beforeAll(async () => {
  env = await provisionTestEnv("schedops");
  // The inventory's side of the protocol, served by the test.
  fakeInventory = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "fake-inventory", logger });
  const drives: Record<string, { name: string; path: string }> = {
    d1: { name: "d1", path: "/dev/tape/by-id/scsi-TFD1-sg" },
    d9: { name: "d9", path: "/dev/tape/by-id/scsi-TFD9-sg" },
  };
  fakeInventory.serve(inventorySubject("drive", "get"), async (p) => {
    const key = (p as { key: string }).key;
    if (!drives[key]) throw new NotFoundError("drive", key);
    return drives[key];
  });
  fakeInventory.serve(deviceLocationSubject("list"), async () => [loc("TFD1", true), loc("TFD9", false)]);
  fakeInventory.serve(mediaSubject("get"), async () => {
    throw new NotFoundError("medium", "x");
  });
  await fakeInventory.nc.flush();
  sched = await startScheduler(loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent" } }), { installSignalHandlers: false, agents: agent });
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "sched-ops-test", logger });
});
afterAll(async () => {
  await bus?.close();
  await sched?.stop();
  await fakeInventory?.close();
  await env?.cleanup();
});

describe("scheduler device operations over NATS", () => {
  it("resolves a drive to its agent and answers direct operations", async () => {
    expect(await bus.request(schedulerDeviceSubject("status"), { drive: "d1", user: "admin" })).toEqual({ vendor: "IBM", product: "ULT3580-TD9" });
    expect(calls).toEqual(["status TFD1"]);
    await expect(bus.request(schedulerDeviceSubject("status"), { drive: "d9" })).rejects.toMatchObject({ code: "UNAVAILABLE", message: /no online device agent has drive 'd9'/ });
    await expect(bus.request(schedulerDeviceSubject("status"), { drive: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(bus.request(schedulerDeviceSubject("status"), {})).rejects.toMatchObject({ code: "VALIDATION", message: /drive: is required/ });
  });

  it("runs format as a task holding the drive; a second task is refused; stop cancels the agent call", async () => {
    const { upid } = await bus.request<TaskStarted>(schedulerDeviceSubject("format"), { drive: "d1", user: "admin" });
    expect(upid).toContain(":format-media:d1:admin:");
    let log: TaskLogPage;
    for (;;) {
      log = await bus.request<TaskLogPage>(taskSubject("log"), { upid });
      if (log.lines.some((l) => l.t === "formatting (10%)")) break;
      await pause();
    }
    await expect(bus.request(schedulerDeviceSubject("rewind"), { drive: "d1", user: "admin" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: `drive 'd1' is busy: task ${upid} is running on it`,
    });
    expect(formatSignal?.aborted).toBe(false);
    await bus.request(taskSubject("stop"), { upid });
    let status: TaskStatus;
    for (;;) {
      status = await bus.request<TaskStatus>(taskSubject("status"), { upid });
      if (status.status !== "running") break;
      await pause();
    }
    expect(status.exitstatus).toBe(TASK_ABORTED);
    expect(formatSignal?.aborted).toBe(true);
    const lines = (await bus.request<TaskLogPage>(taskSubject("log"), { upid })).lines.map((l) => l.t);
    expect(lines.at(-1)).toBe(`TASK ERROR: ${TASK_ABORTED}`);
  });
});
