/**
 * Progress of a running task, read from its log: the scheduler writes progress
 * lines whose `data` holds the structured fields (percent, bytes, total, rate,
 * ETA) next to the human text.
 */

/** The structured fields of a task log progress line. */
export interface TaskProgress {
  /** Completion 0–100, when the total is known. */
  percent?: number;
  /** Bytes done so far. */
  bytes: number;
  /** Total bytes, when known. */
  totalBytes?: number;
  /** Average rate since the start (bytes/s). */
  rate: number;
  /** Estimated seconds left, when known. */
  etaSeconds?: number;
}

/** A task log line as the API returns it; progress lines carry `data`. */
export interface ProgressLogLine {
  n: number;
  t: string;
  data?: unknown;
}

function finiteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** The progress fields of a line's `data`, or undefined when it has none (or malformed ones). */
export function progressOf(data: unknown): TaskProgress | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  if (!finiteNumber(d["bytes"]) || !finiteNumber(d["rate"]) || d["bytes"] < 0 || d["rate"] < 0) return undefined;
  const p: TaskProgress = { bytes: d["bytes"], rate: d["rate"] };
  if (finiteNumber(d["percent"])) p.percent = Math.min(100, Math.max(0, d["percent"]));
  if (finiteNumber(d["totalBytes"]) && d["totalBytes"] >= 0) p.totalBytes = d["totalBytes"];
  if (finiteNumber(d["etaSeconds"]) && d["etaSeconds"] >= 0) p.etaSeconds = d["etaSeconds"];
  return p;
}

/**
 * The latest progress of a log: the last progress line, with its label (the
 * text before `: `, e.g. `media 'TF1001L9'`, `sample`).
 */
export function latestProgress(lines: readonly ProgressLogLine[]): { progress: TaskProgress; label?: string; n: number } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    const progress = progressOf(line.data);
    if (progress === undefined) continue;
    const colon = line.t.indexOf(": ");
    const head = colon > 0 ? line.t.slice(0, colon) : "";
    // A line without a label starts with the percent or the amount.
    const label = head !== "" && !/^\d/.test(head) ? head : undefined;
    return { progress, n: line.n, ...(label === undefined ? {} : { label }) };
  }
  return undefined;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** Bytes in binary units: `512 B`, `1.50 MiB`. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(2)} ${UNITS[u]}`;
}

/** A rate: `12.50 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** Seconds left as `1h 02m 03s`, `2m 05s` or `7s`. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m ${String(r).padStart(2, "0")}s`;
  if (m > 0) return `${m}m ${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** The parts a progress bar shows: percent text, amount, rate and ETA. */
export function describeProgress(p: TaskProgress): { percent?: string; amount: string; rate: string; eta?: string } {
  return {
    ...(p.percent !== undefined ? { percent: `${p.percent.toFixed(1)}%` } : {}),
    amount: p.totalBytes !== undefined ? `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.bytes),
    rate: formatRate(p.rate),
    ...(p.etaSeconds !== undefined ? { eta: `ETA ${formatEta(p.etaSeconds)}` } : {}),
  };
}
