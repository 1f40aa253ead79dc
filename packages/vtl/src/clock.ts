/** Time source of a library: wall clock in production, a manual clock in tests. */
export interface VtlClock {
  now(): number;
  /** Wait `ms` (a manual clock advances itself instead of waiting). */
  sleep(ms: number): Promise<void>;
}

export const systemClock: VtlClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock that only moves when told to (deterministic tests of timed states). */
export class ManualClock implements VtlClock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    return Promise.resolve();
  }
}
