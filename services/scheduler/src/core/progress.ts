/** Structured fields of a task log progress line. */
export interface ProgressFields {
  /** Completion 0–100, when the total is known. */
  percent?: number;
  /** Bytes done so far. */
  bytes: number;
  /** Total bytes, when known. */
  totalBytes?: number;
  /** Average rate since the start (bytes/s). */
  rate: number;
  /** Estimated seconds left, when the total is known and the rate is above zero. */
  etaSeconds?: number;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** Bytes as PBS prints them (binary units, two decimals above bytes). */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${UNITS[u]}`;
}

/** Seconds as `1h 02m 03s`, `2m 05s` or `7s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m ${String(r).padStart(2, "0")}s`;
  if (m > 0) return `${m}m ${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** The human line of a progress record: `42.0% (1.00 GiB of 2.38 GiB), 120.00 MiB/s, ETA 12s`. */
export function formatProgress(p: ProgressFields): string {
  const parts: string[] = [];
  const amount = p.totalBytes !== undefined ? `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.bytes);
  parts.push(p.percent !== undefined ? `${p.percent.toFixed(1)}% (${amount})` : amount);
  parts.push(`${formatBytes(Math.round(p.rate))}/s`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  return parts.join(", ");
}

/**
 * Turns byte counts into progress records: percent, average rate and ETA.
 * The clock is injected (milliseconds), so records are deterministic in tests.
 */
export class ProgressMeter {
  private readonly started: number;

  constructor(
    private totalBytes: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** The total became known or changed (e.g. after the selection was listed). */
  setTotal(totalBytes: number | undefined): void {
    this.totalBytes = totalBytes;
  }

  /** Progress record at `bytes` done. */
  at(bytes: number): ProgressFields {
    const elapsed = Math.max(1, this.now() - this.started) / 1000;
    const rate = bytes / elapsed;
    const out: ProgressFields = { bytes, rate };
    if (this.totalBytes !== undefined && this.totalBytes > 0) {
      out.totalBytes = this.totalBytes;
      out.percent = Math.min(100, (bytes * 100) / this.totalBytes);
      if (rate > 0) out.etaSeconds = Math.max(0, (this.totalBytes - bytes) / rate);
    }
    return out;
  }

  /**
   * Progress record at `bytes` done when the share of the work is counted in
   * other units than bytes (a backup: `done` of `total` snapshots written, as
   * PBS's "percentage done"): percent and ETA follow that share.
   */
  atShare(bytes: number, done: number, total: number): ProgressFields {
    const out = this.at(bytes);
    if (total <= 0) return out;
    const share = Math.min(1, Math.max(0, done / total));
    const elapsed = Math.max(1, this.now() - this.started) / 1000;
    out.percent = share * 100;
    if (share > 0) out.etaSeconds = (elapsed * (1 - share)) / share;
    else delete out.etaSeconds;
    return out;
  }
}
