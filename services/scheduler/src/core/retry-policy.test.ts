import { TapefleetError } from "@tapefleet/common";
import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatProgress, ProgressMeter } from "./progress.ts";
import { backoffDelay, classifyError, DEFAULT_BACKOFF, withRetry } from "./retry-policy.ts";

const withReason = (code: "CONFLICT" | "UNAVAILABLE" | "INTERNAL", reason: string) => new TapefleetError(code, `failed (${reason})`, { reason });

describe("retry policy", () => {
  it("classifies by reason: busy/not ready/unit attention transient, medium/write protect/critical alert permanent, no media needs an operator", () => {
    for (const r of ["DRIVE_BUSY", "CHANGER_BUSY", "NOT_READY", "UNIT_ATTENTION", "drive-busy", "LEASE_BUSY"]) expect(classifyError(withReason("CONFLICT", r))).toBe("transient");
    for (const r of ["MEDIUM_ERROR", "medium-error", "WRITE_PROTECTED", "CRITICAL_TAPE_ALERT", "LEASE_LOST", "archive-too-large"]) expect(classifyError(withReason("CONFLICT", r))).toBe("permanent");
    expect(classifyError(withReason("CONFLICT", "NO_USABLE_MEDIA"))).toBe("operator");
    expect(classifyError(new TapefleetError("UNAVAILABLE", "agent away"))).toBe("transient");
    expect(classifyError(new TapefleetError("TIMEOUT", "slow"))).toBe("transient");
    expect(classifyError({ scsi: "UNIT_ATTENTION", message: "x" })).toBe("transient");
    expect(classifyError({ scsi: "MEDIUM_ERROR", message: "x" })).toBe("permanent");
    expect(classifyError(new Error("boom"))).toBe("permanent");
    expect(classifyError(undefined)).toBe("permanent");
    // A reason beats the code: an unavailable agent reporting a medium error is still permanent.
    expect(classifyError(withReason("UNAVAILABLE", "MEDIUM_ERROR"))).toBe("permanent");
  });

  it("backs off exponentially up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(DEFAULT_BACKOFF, n))).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it("retries transient failures with backoff and reports each retry; permanent ones fail at once", async () => {
    const slept: number[] = [];
    const lines: string[] = [];
    let calls = 0;
    const value = await withRetry(
      "load tape",
      async () => {
        calls++;
        if (calls < 3) throw withReason("CONFLICT", "DRIVE_BUSY");
        return "ok";
      },
      { sleep: async (ms) => void slept.push(ms), onRetry: (t) => lines.push(t) },
    );
    expect(value).toBe("ok");
    expect(slept).toEqual([2000, 4000]);
    expect(lines[0]).toBe("load tape: failed (DRIVE_BUSY) (transient; retry 1/5 in 2 s)");

    calls = 0;
    const err = await withRetry(
      "write",
      async () => {
        calls++;
        throw withReason("CONFLICT", "WRITE_PROTECTED");
      },
      { sleep: async (ms) => void slept.push(ms) },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toMatchObject({ reason: "WRITE_PROTECTED" });

    calls = 0;
    const last = await withRetry(
      "load",
      async () => {
        calls++;
        throw withReason("CONFLICT", "NOT_READY");
      },
      { policy: { attempts: 3, initialMs: 1, factor: 1, maxMs: 1 }, sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(last).toMatchObject({ reason: "NOT_READY" });
  });
});

describe("progress", () => {
  it("formats bytes and durations", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.00 GiB");
    expect(formatDuration(7)).toBe("7s");
    expect(formatDuration(125)).toBe("2m 05s");
    expect(formatDuration(3723)).toBe("1h 02m 03s");
  });

  it("computes percent, rate and ETA from an injected clock", () => {
    let t = 1_000_000;
    const meter = new ProgressMeter(100 * 1024 * 1024, () => t);
    t += 10_000;
    const p = meter.at(25 * 1024 * 1024);
    expect(p.percent).toBe(25);
    expect(p.rate).toBe(2.5 * 1024 * 1024);
    expect(p.etaSeconds).toBe(30);
    expect(formatProgress(p)).toBe("25.0% (25.00 MiB of 100.00 MiB), 2.50 MiB/s, ETA 30s");
    const open = new ProgressMeter(undefined, () => t);
    t += 2000;
    const q = open.at(4096);
    expect(q.percent).toBeUndefined();
    expect(q.etaSeconds).toBeUndefined();
    expect(formatProgress(q)).toBe("4.00 KiB, 2.00 KiB/s");
    const done = meter.at(100 * 1024 * 1024);
    expect(done.percent).toBe(100);
    expect(done.etaSeconds).toBe(0);
  });

  it("takes percent and ETA from a share counted in other units (snapshots written of those selected)", () => {
    let t = 1_000_000;
    const meter = new ProgressMeter(undefined, () => t);
    t += 10_000;
    const p = meter.atShare(8 * 1024 * 1024, 1, 4);
    expect(p).toEqual({ bytes: 8 * 1024 * 1024, rate: 0.8 * 1024 * 1024, percent: 25, etaSeconds: 30 });
    expect(formatProgress(p)).toBe("25.0% (8.00 MiB), 819.20 KiB/s, ETA 30s");
    // Nothing done yet: 0%, no ETA; nothing selected: bytes and rate only.
    expect(meter.atShare(1024, 0, 4)).toEqual({ bytes: 1024, rate: 102.4, percent: 0 });
    expect(meter.atShare(1024, 0, 0)).toEqual({ bytes: 1024, rate: 102.4 });
    expect(meter.atShare(1024, 9, 4).percent).toBe(100);
  });
});
