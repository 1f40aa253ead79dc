import { describe, expect, it } from "vitest";
import { TapeRequestBoard } from "./tape-requests.ts";

const HOUR = 3_600_000;

/** Whether `p` settled within a few turns of the event loop (no timers involved). */
async function settledSoon(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe("tape request board", () => {
  it("wakes every waiter at a poke", async () => {
    const board = new TapeRequestBoard();
    const a = board.wait(HOUR);
    const b = board.wait(HOUR);
    expect(await settledSoon(a)).toBe(false);
    board.poke();
    expect(await settledSoon(Promise.all([a, b]))).toBe(true);
  });

  it("a poke between looking and waiting is not lost: the wait ends at once", async () => {
    const board = new TapeRequestBoard();
    const seen = board.pokes;
    // the job looks at the media and raises its request; meanwhile the operator imports a tape
    await board.raise({ upid: "UPID:x", kind: "insert", pool: "daily", changer: "lib1", drive: "d1", message: "insert a tape" });
    board.poke();
    expect(await settledSoon(board.wait(HOUR, undefined, seen))).toBe(true);
    // nothing new since the count the job holds now: it waits
    const now = board.pokes;
    const w = board.wait(HOUR, undefined, now);
    expect(await settledSoon(w)).toBe(false);
    board.poke();
    expect(await settledSoon(w)).toBe(true);
  });

  it("rejects a wait whose signal aborts, and one already aborted", async () => {
    const board = new TapeRequestBoard();
    const ac = new AbortController();
    const w = board.wait(HOUR, ac.signal);
    ac.abort(new Error("stopped"));
    await expect(w).rejects.toThrow("stopped");
    await expect(board.wait(HOUR, ac.signal, board.pokes - 1)).rejects.toThrow("stopped");
  });
});
