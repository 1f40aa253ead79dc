import { describe, expect, it } from "vitest";
import { exitStatusOf, TASK_ABORTED, TASK_UNKNOWN } from "./core/task-registry.ts";
import { JOB_DURATION_BUCKETS, jobOutcomeOf } from "./metrics.ts";

describe("jobOutcomeOf", () => {
  it("maps the exit statuses a task ends with to ok, warnings or failed", () => {
    expect(jobOutcomeOf(exitStatusOf(undefined, 0, false))).toBe("ok");
    expect(jobOutcomeOf(exitStatusOf(undefined, 3, false))).toBe("warnings");
    expect(jobOutcomeOf(exitStatusOf(new Error("medium error"), 0, false))).toBe("failed");
    expect(jobOutcomeOf(exitStatusOf(undefined, 0, true))).toBe("failed");
    expect(jobOutcomeOf(TASK_ABORTED)).toBe("failed");
    expect(jobOutcomeOf(TASK_UNKNOWN)).toBe("failed");
  });
  it("has increasing duration buckets reaching past the 12 h slow-job threshold", () => {
    for (let i = 1; i < JOB_DURATION_BUCKETS.length; i++) expect(JOB_DURATION_BUCKETS[i]!).toBeGreaterThan(JOB_DURATION_BUCKETS[i - 1]!);
    expect(JOB_DURATION_BUCKETS).toContain(43_200);
  });
});
