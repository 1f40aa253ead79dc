import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { taskSubject, type TaskInfo, type TaskLogPage, type TaskStatus } from "@tapefleet/api-types";
import { Bus, createLogger } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { loadSchedulerConfig, startScheduler, TASK_ABORTED, type RunningScheduler } from "../../src/index.ts";

const logger = createLogger({ service: "scheduler-test", level: "silent" });
let env: TestEnv;
let sched: RunningScheduler;
let bus: Bus;

beforeAll(async () => {
  env = await provisionTestEnv("schedtask");
  sched = await startScheduler(loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_NODE_NAME: "node1" } }), {
    installSignalHandlers: false,
  });
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "sched-task-test", logger });
});
afterAll(async () => {
  await bus?.close();
  await sched?.stop();
  await env?.cleanup();
});

describe("task registry", () => {
  it("records a task with a UPID, its ordered log ending in TASK OK, and its status", async () => {
    const upid = await sched.tasks.start({ workerType: "label-media", workerId: "d1", user: "admin" }, async (ctx) => {
      for (let i = 1; i <= 30; i++) ctx.log(`step ${i}`);
    });
    expect(upid).toMatch(/^UPID:node1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:label-media:d1:admin:$/);
    await sched.tasks.waitFor(upid);
    const log = await bus.request<TaskLogPage>(taskSubject("log"), { upid });
    expect(log.active).toBe(false);
    expect(log.lines.map((l) => l.t)).toEqual([...Array.from({ length: 30 }, (_, i) => `step ${i + 1}`), "TASK OK"]);
    expect(log.lines.map((l) => l.n)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    const page = await bus.request<TaskLogPage>(taskSubject("log"), { upid, start: 28, limit: 2 });
    expect(page.lines.map((l) => l.t)).toEqual(["step 29", "step 30"]);
    expect(page.total).toBe(31);
    const status = await bus.request<TaskStatus>(taskSubject("status"), { upid });
    expect(status).toMatchObject({ upid, status: "stopped", exitstatus: "OK", "worker-type": "label-media", "worker-id": "d1", user: "admin" });
  });

  it("ends with the error or the warning count, and lists newest first", async () => {
    const failed = await sched.tasks.start({ workerType: "clean-drive", workerId: "d1", user: "admin" }, async (ctx) => {
      ctx.warn("first");
      throw new Error("no cleaning cartridge found");
    });
    const warned = await sched.tasks.start({ workerType: "rewind-media", workerId: "d1", user: "admin" }, async (ctx) => {
      ctx.warn("a");
      ctx.warn("b");
    });
    await sched.tasks.waitFor(failed);
    await sched.tasks.waitFor(warned);
    expect((await sched.tasks.status(failed)).exitstatus).toBe("no cleaning cartridge found");
    expect((await sched.tasks.log(failed)).lines.at(-1)).toMatchObject({ t: "TASK ERROR: no cleaning cartridge found", level: "error" });
    expect((await sched.tasks.status(warned)).exitstatus).toBe("WARNINGS: 2");
    const list = await bus.request<TaskInfo[]>(taskSubject("list"), { limit: 2 });
    expect(list.map((t) => t.upid)).toEqual([warned, failed]);
  });

  it("refuses a second task on a busy drive, and stops a running task on request", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = await sched.tasks.start({ workerType: "format-media", workerId: "d2", user: "admin", lock: "drive:d2", lockTitle: "drive 'd2'" }, async (ctx) => {
      ctx.log("formatting");
      await new Promise<void>((resolve, reject) => {
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error), { once: true });
        void held.then(resolve);
      });
    });
    await expect(sched.tasks.start({ workerType: "rewind-media", workerId: "d2", user: "admin", lock: "drive:d2", lockTitle: "drive 'd2'" }, async () => {})).rejects.toMatchObject({
      code: "CONFLICT",
      message: `drive 'd2' is busy: task ${first} is running on it`,
    });
    expect((await bus.request<TaskInfo[]>(taskSubject("list"), { running: true })).map((t) => t.upid)).toEqual([first]);
    await bus.request(taskSubject("stop"), { upid: first });
    await sched.tasks.waitFor(first);
    expect((await sched.tasks.status(first)).exitstatus).toBe(TASK_ABORTED);
    await expect(bus.request(taskSubject("stop"), { upid: first })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(bus.request(taskSubject("status"), { upid: "nope" })).rejects.toMatchObject({ code: "VALIDATION", message: /upid/ });
    // The lock is free again.
    const again = await sched.tasks.start({ workerType: "rewind-media", workerId: "d2", user: "admin", lock: "drive:d2" }, async () => {});
    await sched.tasks.waitFor(again);
    release();
  });
});
