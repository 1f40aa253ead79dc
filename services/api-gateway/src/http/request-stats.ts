/** Counts requests by status class between two reports (for the periodic rate log line). */
export class RequestStats {
  private counts = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
  private since = Date.now();

  record(status: number): void {
    const cls = status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : "2xx";
    this.counts[cls]++;
  }

  /** The counts since the last report and the rate per second; resets the counters. */
  take(now = Date.now()): { requests: number; perSecond: number; byStatus: Record<string, number>; intervalMs: number } {
    const byStatus = this.counts;
    const requests = byStatus["2xx"] + byStatus["3xx"] + byStatus["4xx"] + byStatus["5xx"];
    const intervalMs = Math.max(1, now - this.since);
    this.counts = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
    this.since = now;
    return { requests, perSecond: Math.round((requests * 1000 * 100) / intervalMs) / 100, byStatus, intervalMs };
  }
}
