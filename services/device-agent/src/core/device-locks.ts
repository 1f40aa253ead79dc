import { DeviceError } from "./device-error.ts";

interface Waiter {
  owner: string;
  grant: (release: () => void) => void;
  fail: (err: Error) => void;
}

interface LockState {
  owner: string;
  since: number;
  waiters: Waiter[];
}

/** Releases a held lock (idempotent). */
export type Release = () => void;

export interface AcquireOptions {
  /** What holds the lock (shown to the next caller: "LabelMedia (request …)"). */
  owner: string;
  /** How long to wait when the lock is held; 0 fails at once. */
  waitMs?: number;
  /** Gives up waiting (CANCELLED) when aborted. */
  signal?: AbortSignal;
}

/**
 * In-process exclusive locks by key (one per drive, one per changer): one
 * operation per device at a time. A caller that cannot get a lock within
 * `waitMs` gets DRIVE_BUSY / CHANGER_BUSY naming the holder. Waiters are
 * served in arrival order.
 */
export class DeviceLocks {
  private readonly held = new Map<string, LockState>();

  /** The current holder of `key`, if any. */
  holder(key: string): { owner: string; since: number } | undefined {
    const s = this.held.get(key);
    return s ? { owner: s.owner, since: s.since } : undefined;
  }

  acquire(key: string, busyCode: "DRIVE_BUSY" | "CHANGER_BUSY", options: AcquireOptions): Promise<Release> {
    const state = this.held.get(key);
    if (!state) {
      this.held.set(key, { owner: options.owner, since: Date.now(), waiters: [] });
      return Promise.resolve(this.releaser(key));
    }
    const what = busyCode === "DRIVE_BUSY" ? "drive" : "changer";
    const waitMs = options.waitMs ?? 0;
    if (waitMs <= 0) return Promise.reject(new DeviceError(busyCode, `${what} ${key} is busy: ${state.owner} is running`));
    if (options.signal?.aborted) return Promise.reject(new DeviceError("CANCELLED", `cancelled while waiting for ${what} ${key}`));
    return new Promise<Release>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        const i = state.waiters.indexOf(waiter);
        if (i >= 0) state.waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        owner: options.owner,
        grant: (release) => {
          cleanup();
          resolve(release);
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      const onAbort = () => waiter.fail(new DeviceError("CANCELLED", `cancelled while waiting for ${what} ${key}`));
      const timer = setTimeout(() => {
        const now = this.held.get(key);
        waiter.fail(new DeviceError(busyCode, `${what} ${key} is busy: ${now?.owner ?? state.owner} still running after ${waitMs} ms`));
      }, waitMs);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      state.waiters.push(waiter);
    });
  }

  private releaser(key: string): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const state = this.held.get(key);
      if (!state) return;
      const next = state.waiters.shift();
      if (!next) {
        this.held.delete(key);
        return;
      }
      state.owner = next.owner;
      state.since = Date.now();
      next.grant(this.releaser(key));
    };
  }
}
