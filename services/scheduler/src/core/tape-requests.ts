import { randomUUID } from "node:crypto";
import type { TapeRequestEntry } from "@tapefleet/api-types";

/** Event subject (relative to the bus prefix) of a new tape request. */
export const TAPE_REQUEST_CREATED_EVENT = "scheduler.tape-request.created";
/** Event subject of a tape request that was satisfied or given up. */
export const TAPE_REQUEST_CLOSED_EVENT = "scheduler.tape-request.closed";
/** How often a waiting job looks again when no event woke it (ms). */
export const DEFAULT_TAPE_RECHECK_MS = 60_000;

/**
 * Open tape requests of the jobs of this instance: a job that needs an
 * operator (no usable tape online, a tape to load in a standalone drive)
 * raises one and waits in a delayed state, without polling fast: `poke()`
 * (called on inventory and changer events) wakes every waiter at once, a slow
 * timer wakes them otherwise.
 */
export class TapeRequestBoard {
  private readonly open = new Map<string, TapeRequestEntry>();
  private waiters = new Set<() => void>();
  /** Pokes so far: a job notes it before it looks, and a poke it missed meanwhile ends its wait at once. */
  private pokeCount = 0;

  constructor(
    private readonly hooks: { created?: (e: TapeRequestEntry) => void | Promise<void>; closed?: (e: TapeRequestEntry) => void | Promise<void> } = {},
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async raise(req: Omit<TapeRequestEntry, "id" | "since">): Promise<TapeRequestEntry> {
    const entry: TapeRequestEntry = { ...req, id: randomUUID(), since: this.now() };
    this.open.set(entry.id, entry);
    await this.hooks.created?.(entry);
    return entry;
  }

  async close(id: string): Promise<void> {
    const e = this.open.get(id);
    if (!e) return;
    this.open.delete(id);
    await this.hooks.closed?.(e);
  }

  list(): TapeRequestEntry[] {
    return [...this.open.values()].sort((a, b) => a.since - b.since || a.id.localeCompare(b.id));
  }

  /** Pokes so far (pass it to `wait` as `since`, read before looking at the media). */
  get pokes(): number {
    return this.pokeCount;
  }

  /** Something changed (media imported, changer moved a tape): every waiting job looks again. */
  poke(): void {
    this.pokeCount++;
    const w = this.waiters;
    this.waiters = new Set();
    for (const wake of w) wake();
  }

  /**
   * Resolves at the next poke or after `ms`; rejects when the signal aborts. With `since`
   * (`pokes` read before the caller last looked), a poke that came after it and before this
   * call resolves at once: a change announced while the job was still raising its request
   * or checking the import/export slots is not lost.
   */
  wait(ms: number, signal?: AbortSignal, since?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      if (since !== undefined && since !== this.pokeCount) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(done);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
