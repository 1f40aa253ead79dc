import { describe, expect, it } from "vitest";
import { describeProgress, formatBytes, formatEta, formatRate, latestProgress, progressOf } from "./task-progress.ts";

describe("progressOf", () => {
  it("reads the structured fields of a progress line", () => {
    expect(progressOf({ percent: 42.5, bytes: 1024, totalBytes: 4096, rate: 512, etaSeconds: 6 })).toEqual({ percent: 42.5, bytes: 1024, totalBytes: 4096, rate: 512, etaSeconds: 6 });
    expect(progressOf({ bytes: 10, rate: 0 })).toEqual({ bytes: 10, rate: 0 });
  });

  it("ignores lines without progress and malformed fields", () => {
    expect(progressOf(undefined)).toBeUndefined();
    expect(progressOf(null)).toBeUndefined();
    expect(progressOf([1, 2])).toBeUndefined();
    expect(progressOf({ percent: 10 })).toBeUndefined();
    expect(progressOf({ bytes: "1", rate: 1 })).toBeUndefined();
    expect(progressOf({ bytes: -1, rate: 1 })).toBeUndefined();
    expect(progressOf({ bytes: 1, rate: Number.NaN })).toBeUndefined();
    // Out-of-range and non-numeric optional fields are clamped or dropped.
    expect(progressOf({ bytes: 1, rate: 1, percent: 130, totalBytes: -5, etaSeconds: "soon" })).toEqual({ bytes: 1, rate: 1, percent: 100 });
  });
});

describe("latestProgress", () => {
  it("takes the last progress line and its label", () => {
    const lines = [
      { n: 1, t: "tape backup of datastore 'store1'" },
      { n: 2, t: "media 'TF1001L9': 10.0% (1.00 MiB of 10.00 MiB), 1.00 MiB/s, ETA 9s", data: { percent: 10, bytes: 1048576, totalBytes: 10485760, rate: 1048576, etaSeconds: 9 } },
      { n: 3, t: "media 'TF1001L9': 50.0% (5.00 MiB of 10.00 MiB), 1.00 MiB/s, ETA 5s", data: { percent: 50, bytes: 5242880, totalBytes: 10485760, rate: 1048576, etaSeconds: 5 } },
      { n: 4, t: "wrote snapshot vm/100/2026-01-01T00:00:00Z" },
    ];
    expect(latestProgress(lines)).toEqual({ n: 3, label: "media 'TF1001L9'", progress: { percent: 50, bytes: 5242880, totalBytes: 10485760, rate: 1048576, etaSeconds: 5 } });
  });

  it("has no label when the line starts with the amount, and nothing without progress lines", () => {
    expect(latestProgress([{ n: 1, t: "12.0% (1 B of 8 B), 1 B/s: x", data: { bytes: 1, rate: 1 } }])).toEqual({ n: 1, progress: { bytes: 1, rate: 1 } });
    expect(latestProgress([{ n: 1, t: "TASK OK" }])).toBeUndefined();
    expect(latestProgress([])).toBeUndefined();
  });
});

describe("formats", () => {
  it("bytes, rates and ETAs", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(3 * 1024 ** 4)).toBe("3.00 TiB");
    expect(formatRate(10.4 * 1024 * 1024)).toBe("10.40 MiB/s");
    expect(formatEta(7.4)).toBe("7s");
    expect(formatEta(125)).toBe("2m 05s");
    expect(formatEta(3723)).toBe("1h 02m 03s");
    expect(formatEta(-3)).toBe("0s");
  });

  it("describes a progress record for the bar", () => {
    expect(describeProgress({ percent: 25, bytes: 1024, totalBytes: 4096, rate: 2048, etaSeconds: 1.5 })).toEqual({ percent: "25.0%", amount: "1.00 KiB of 4.00 KiB", rate: "2.00 KiB/s", eta: "ETA 2s" });
    expect(describeProgress({ bytes: 100, rate: 10 })).toEqual({ amount: "100 B", rate: "10 B/s" });
  });
});
