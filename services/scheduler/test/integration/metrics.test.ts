import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { JOB_QUEUE_NAME, loadSchedulerConfig, startScheduler, type RunningScheduler } from "../../src/index.ts";
import { MetricsLeader } from "../../src/metrics.ts";

let env: TestEnv;
let sched: RunningScheduler;

beforeAll(async () => {
  env = await provisionTestEnv("schedmetrics");
  sched = await startScheduler(
    loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_NODE_NAME: "node1", TAPEFLEET_SCHEDULE_TICK_MS: "0", TAPEFLEET_WORKER_CONCURRENCY: "0" } }),
    { installSignalHandlers: false },
  );
});
afterAll(async () => {
  await sched?.stop();
  await env?.cleanup();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${sched.service.healthUrl}/metrics`);
  expect(res.status, res.status === 200 ? "" : await res.clone().text()).toBe(200);
  return res.text();
}

/** Value of the series `name{…}` whose labels contain `labels` (in exposition order). */
function sample(text: string, name: string, labels = ""): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    if (line.slice(name.length + 1, close).includes(labels)) return Number(line.slice(close + 2));
  }
  return undefined;
}

describe("scheduler /metrics", () => {
  it("counts finished tasks by kind and outcome, with their run times as a histogram", async () => {
    const ok = await sched.tasks.start({ workerType: "rewind-media", workerId: "d1", user: "admin" }, async (ctx) => ctx.log("done"));
    const warned = await sched.tasks.start({ workerType: "rewind-media", workerId: "d1", user: "admin" }, async (ctx) => ctx.warn("worn tape"));
    const failed = await sched.tasks.start({ workerType: "clean-drive", workerId: "d1", user: "admin" }, async () => {
      throw new Error("no cleaning cartridge found");
    });
    for (const upid of [ok, warned, failed]) await sched.tasks.waitFor(upid);
    // A finished backup that ran two hours (as a scheduler leaves it in its table).
    await sched.service.database!.sql`insert into scheduler.task (upid, node, pid, pstart, worker_type, user_id, starttime, endtime, status)
      values ('UPID:node1:metrics-test', 'node1', 1, 1, 'tape-backup-job', 'root@pam', 1700000000, 1700007200, 'OK')`;

    const text = await scrape();
    expect(text).toContain("# TYPE tapefleet_jobs_total counter");
    expect(sample(text, "tapefleet_jobs_total", 'kind="rewind-media",outcome="ok"')).toBe(1);
    expect(sample(text, "tapefleet_jobs_total", 'kind="rewind-media",outcome="warnings"')).toBe(1);
    expect(sample(text, "tapefleet_jobs_total", 'kind="clean-drive",outcome="failed"')).toBe(1);
    expect(sample(text, "tapefleet_jobs_total", 'kind="tape-backup-job",outcome="ok"')).toBe(1);

    expect(text).toContain("# TYPE tapefleet_job_duration_seconds histogram");
    const backup = 'kind="tape-backup-job",outcome="ok"';
    expect(sample(text, "tapefleet_job_duration_seconds_bucket", `${backup},le="3600"`)).toBe(0);
    expect(sample(text, "tapefleet_job_duration_seconds_bucket", `${backup},le="7200"`)).toBe(1);
    expect(sample(text, "tapefleet_job_duration_seconds_bucket", `${backup},le="+Inf"`)).toBe(1);
    expect(sample(text, "tapefleet_job_duration_seconds_sum", backup)).toBe(7200);
    expect(sample(text, "tapefleet_job_duration_seconds_count", backup)).toBe(1);
    expect(sample(text, "tapefleet_job_duration_seconds_count", 'kind="clean-drive",outcome="failed"')).toBe(1);
    // The default labels are on the hand-made histogram too.
    expect(text).toMatch(/tapefleet_job_duration_seconds_count\{kind="clean-drive",outcome="failed",service="scheduler",instance="[^"]+"\} 1/);
  });

  it("reports the queue's waiting jobs and the open tape requests", async () => {
    const before = await scrape();
    expect(sample(before, "tapefleet_queue_depth", `queue="${JOB_QUEUE_NAME}",state="waiting"`)).toBe(0);
    expect(sample(before, "tapefleet_tape_requests_waiting")).toBe(0);

    // No worker runs here: submitted jobs stay waiting.
    for (const d of ["s1", "s2"]) await sched.jobs.submit("datastore-sample", { workerType: "datastore-sample", workerId: d, user: "admin" }, { store: d });
    const req = await sched.tapeRequests.raise({ upid: "UPID:node1:x", kind: "load", drive: "d1", labelText: "TF0001L9", message: "load TF0001L9" });

    const during = await scrape();
    expect(sample(during, "tapefleet_queue_depth", `queue="${JOB_QUEUE_NAME}",state="waiting"`)).toBe(2);
    expect(sample(during, "tapefleet_queue_depth", `queue="${JOB_QUEUE_NAME}",state="active"`)).toBe(0);
    expect(sample(during, "tapefleet_tape_requests_waiting")).toBe(1);

    await sched.tapeRequests.close(req.id);
    expect(sample(await scrape(), "tapefleet_tape_requests_waiting")).toBe(0);
  });

  it("a second replica on the same queue leaves the shared-state series to the leader, and takes over when it stops", async () => {
    const other = await startScheduler(
      loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent", TAPEFLEET_NODE_NAME: "node2", TAPEFLEET_SCHEDULE_TICK_MS: "0", TAPEFLEET_WORKER_CONCURRENCY: "0" } }),
      { installSignalHandlers: false },
    );
    try {
      const scrapeOther = async () => (await fetch(`${other.service.healthUrl}/metrics`)).text();
      const [a, b] = [await scrape(), await scrapeOther()];
      // The first replica leads: only it reports the task totals, so their sum over the replicas is the table's.
      expect(sample(a, "tapefleet_metrics_leader")).toBe(1);
      expect(sample(b, "tapefleet_metrics_leader")).toBe(0);
      expect(sample(a, "tapefleet_jobs_total", 'kind="rewind-media",outcome="ok"')).toBe(1);
      expect(b).not.toContain("tapefleet_jobs_total{");
      expect(b).not.toContain("tapefleet_job_duration_seconds_count{");
      expect(b).not.toContain("tapefleet_queue_depth{");
      expect(sample(b, "tapefleet_tape_requests_waiting")).toBe(0);
      // The leader stops (and frees the leadership): the other replica reports the same totals.
      await sched.stop();
      const after = await scrapeOther();
      expect(sample(after, "tapefleet_metrics_leader")).toBe(1);
      expect(sample(after, "tapefleet_jobs_total", 'kind="rewind-media",outcome="ok"')).toBe(1);
      expect(sample(after, "tapefleet_job_duration_seconds_count", 'kind="tape-backup-job",outcome="ok"')).toBe(1);
    } finally {
      await other.stop();
    }
  });

  it("a replica that cannot reach Redis does not lead and says the leadership is unknown", async () => {
    const { Redis } = await import("ioredis");
    const down = new Redis("redis://127.0.0.1:1", { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    down.on("error", () => {});
    const leader = new MetricsLeader(down, "tf-test:metrics-leader", "nobody");
    try {
      expect(await leader.renew()).toBe(false);
      expect(leader.unreachable).toBe(true);
      expect(leader.isLeader).toBe(false);
    } finally {
      await leader.stop();
      down.disconnect();
    }
  });
});
