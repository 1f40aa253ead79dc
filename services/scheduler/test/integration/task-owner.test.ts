/**
 * Tasks across scheduler replicas: two schedulers (node-a, node-b) in this
 * process on one PostgreSQL, NATS and Redis. A task is owned by the process
 * that runs it (node, pid, pstart); a stop taken by the other replica reaches
 * it; a queued task is stopped before any worker runs it; a starting scheduler
 * ends only what a gone process of its node left running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatUpid, taskSubject, type TaskLogPage } from "@tapefleet/api-types";
import { Bus, createLogger } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { eq, inArray } from "drizzle-orm";
import {
  loadSchedulerConfig,
  ownProcessIdentity,
  processStartTicks,
  startScheduler,
  stopTask,
  TASK_ABORTED,
  TASK_UNKNOWN,
  TaskRegistry,
  tasks,
  type RunningScheduler,
  type TaskContext,
} from "../../src/index.ts";

const logger = createLogger({ service: "scheduler-owner-test", level: "silent" });
let env: TestEnv;
let a: RunningScheduler;
let b: RunningScheduler;
let bus: Bus;
let sleeper: ChildProcess | undefined;

/** A task body that runs until it is stopped. */
const untilStopped = (ctx: TaskContext) =>
  new Promise<void>((_, reject) => {
    ctx.log("working");
    ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error), { once: true });
  });

beforeAll(async () => {
  env = await provisionTestEnv("schedowner");
  // No queue workers: a submitted job stays queued until the test takes it.
  const start = (node: string) =>
    startScheduler(
      loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_NODE_NAME: node, TAPEFLEET_WORKER_CONCURRENCY: "0", TAPEFLEET_SCHEDULE_TICK_MS: "0" } }),
      { installSignalHandlers: false },
    );
  [a, b] = await Promise.all([start("node-a"), start("node-b")]);
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "sched-owner-test", logger });
}, 120_000);

afterAll(async () => {
  sleeper?.kill("SIGKILL");
  await bus?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await env?.cleanup();
}, 60_000);

const db = () => a.service.database!.db;
const rowOf = async (upid: string) => (await db().select().from(tasks).where(eq(tasks.upid, upid)))[0]!;

describe("tasks across scheduler replicas", () => {
  it("a task running on replica A is stopped through replica B's stop path", async () => {
    const upid = await a.tasks.start({ workerType: "format-media", workerId: "d1", user: "admin", lock: "drive:d1" }, untilStopped);
    const me = ownProcessIdentity();
    expect(await rowOf(upid)).toMatchObject({ ownerNode: "node-a", ownerPid: me.pid, ownerPstart: me.pstart });
    // B does not run it: it tells every replica, and A stops it.
    expect(await stopTask(b.service.bus, b.tasks, logger, upid)).toBe("broadcast");
    await a.tasks.waitFor(upid);
    expect(await a.tasks.status(upid)).toMatchObject({ status: "stopped", exitstatus: TASK_ABORTED });
    expect((await rowOf(upid)).lock).toBeNull();
    // The same through the bus (whichever replica takes the request).
    const again = await b.tasks.start({ workerType: "format-media", workerId: "d1", user: "admin", lock: "drive:d1" }, untilStopped);
    await bus.request(taskSubject("stop"), { upid: again });
    await b.tasks.waitFor(again);
    expect((await b.tasks.status(again)).exitstatus).toBe(TASK_ABORTED);
  }, 60_000);

  it("a queued task is stopped before a worker runs it, and its job then does not run", async () => {
    const upid = await a.jobs.submit("datastore-sample", { workerType: "datastore-sample", workerId: "store1", user: "admin" }, { store: "store1" });
    expect((await rowOf(upid)).ownerNode).toBeNull();
    expect(await a.jobs.isQueued(upid)).toBe(true);
    expect(await stopTask(b.service.bus, b.tasks, logger, upid)).toBe("queue");
    expect(await a.tasks.status(upid)).toMatchObject({ status: "stopped", exitstatus: TASK_ABORTED });
    const log = await bus.request<TaskLogPage>(taskSubject("log"), { upid });
    expect(log.lines.at(-1)?.t).toBe(`TASK ERROR: ${TASK_ABORTED}`);
    let ran = false;
    await expect(
      b.tasks.runExisting(upid, { workerType: "datastore-sample" }, async () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect(ran).toBe(false);
  }, 60_000);

  it("the replica whose worker takes a queued task owns it; the creator's restart leaves it running", async () => {
    const upid = await a.tasks.create({ workerType: "datastore-sample", workerId: "store2", user: "admin" });
    let taken!: () => void;
    const running = new Promise<void>((r) => (taken = r));
    const done = b.tasks.runExisting(upid, { workerType: "datastore-sample", workerId: "store2" }, (ctx) => {
      taken();
      return untilStopped(ctx);
    });
    await running;
    const me = ownProcessIdentity();
    expect(await rowOf(upid)).toMatchObject({ node: "node-a", ownerNode: "node-b", ownerPid: me.pid, ownerPstart: me.pstart });
    // node-a starting again (another process of that name) does not end it: node-b's process runs it.
    const restartedA = new TaskRegistry(db(), { node: "node-a", logger, pid: 1, pstart: 1 });
    expect(await restartedA.recover({ queued: async () => false })).toBe(0);
    expect((await rowOf(upid)).endtime).toBeNull();
    // Stopped through A: B runs it and stops it.
    expect(await stopTask(a.service.bus, a.tasks, logger, upid)).toBe("broadcast");
    await done;
    expect((await a.tasks.status(upid)).exitstatus).toBe(TASK_ABORTED);
  }, 60_000);

  it("at shutdown a replica stops every task it runs, and only those", async () => {
    const other = await a.tasks.start({ workerType: "test-task", workerId: "a", user: "admin" }, untilStopped);
    const registry = new TaskRegistry(db(), { node: "node-s", logger });
    const mine = await Promise.all([1, 2, 3].map((i) => registry.start({ workerType: "test-task", workerId: `s${i}`, user: "admin" }, untilStopped)));
    expect(registry.abortAllLocal()).toBe(3);
    await registry.waitAll();
    for (const upid of mine) expect((await registry.status(upid)).exitstatus).toBe(TASK_ABORTED);
    expect((await a.tasks.status(other)).status).toBe("running");
    expect(a.tasks.abortLocal(other)).toBe(true);
    await a.tasks.waitFor(other);
  }, 60_000);

  it("a starting scheduler ends its node's tasks whose (pid, pstart) is no live process, and keeps its own and live ones", async () => {
    const me = ownProcessIdentity();
    sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], { stdio: "ignore" });
    await new Promise<void>((resolve) => sleeper!.once("spawn", () => resolve()));
    const other = { pid: sleeper.pid!, pstart: processStartTicks(sleeper.pid!) ?? 0 };
    const now = Math.floor(Date.now() / 1000);
    let id = 0;
    const row = async (node: string, owner: { node: string; pid: number; pstart: number } | null): Promise<string> => {
      const upid = formatUpid({ node, pid: 4242, pstart: 4242, taskId: ++id, starttime: now, workerType: "test-task", user: "admin" });
      await db()
        .insert(tasks)
        .values({ upid, node, pid: 4242, pstart: 4242, workerType: "test-task", user: "admin", starttime: now, ...(owner ? { ownerNode: owner.node, ownerPid: owner.pid, ownerPstart: owner.pstart } : {}) });
      return upid;
    };
    const recycledPid = await row("node-r", { node: "node-r", ...me, pstart: me.pstart + 1 }); // a live pid, but another process
    const gone = await row("node-r", { node: "node-r", pid: 999_999_999, pstart: 1 });
    const ownNotRunning = await row("node-r", { node: "node-r", ...me });
    const liveOther = await row("node-r", { node: "node-r", ...other });
    const queuedKept = await row("node-r", null);
    const queuedGone = await row("node-r", null);
    const otherNode = await row("node-x", { node: "node-x", pid: 999_999_999, pstart: 1 });
    const takenByOtherNode = await row("node-r", { node: "node-x", pid: 999_999_999, pstart: 1 });
    const registry = new TaskRegistry(db(), { node: "node-r", logger });
    const own = await registry.start({ workerType: "test-task", user: "admin" }, untilStopped);
    const asked: string[] = [];
    const n = await registry.recover({
      queued: async (upid) => {
        asked.push(upid);
        return upid === queuedKept;
      },
    });
    expect(n).toBe(4);
    expect(asked.sort()).toEqual([queuedKept, queuedGone].sort());
    const rows = await db()
      .select()
      .from(tasks)
      .where(inArray(tasks.upid, [recycledPid, gone, ownNotRunning, liveOther, queuedKept, queuedGone, otherNode, takenByOtherNode, own]));
    const statusOf = Object.fromEntries(rows.map((r) => [r.upid, r.status]));
    expect(statusOf).toEqual({
      [recycledPid]: TASK_UNKNOWN,
      [gone]: TASK_UNKNOWN,
      [ownNotRunning]: TASK_UNKNOWN,
      [queuedGone]: TASK_UNKNOWN,
      [liveOther]: null,
      [queuedKept]: null,
      [otherNode]: null,
      [takenByOtherNode]: null,
      [own]: null,
    });
    expect(registry.abortLocal(own)).toBe(true);
    await registry.waitFor(own);
    expect((await registry.status(own)).exitstatus).toBe(TASK_ABORTED);
  }, 60_000);
});
