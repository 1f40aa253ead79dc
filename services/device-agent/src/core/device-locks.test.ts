import { describe, expect, it } from "vitest";
import { DeviceLocks } from "./device-locks.ts";

describe("DeviceLocks", () => {
  it("grants a free lock, refuses a held one at once naming the holder, and frees it on release", async () => {
    const locks = new DeviceLocks();
    const release = await locks.acquire("drive A", "DRIVE_BUSY", { owner: "LabelMedia (request 1)" });
    expect(locks.holder("drive A")?.owner).toBe("LabelMedia (request 1)");
    await expect(locks.acquire("drive A", "DRIVE_BUSY", { owner: "Rewind" })).rejects.toMatchObject({ code: "DRIVE_BUSY", grpcStatus: 9, message: expect.stringContaining("LabelMedia (request 1)") });
    const other = await locks.acquire("drive B", "DRIVE_BUSY", { owner: "x" });
    other();
    release();
    release(); // idempotent
    expect(locks.holder("drive A")).toBeUndefined();
    (await locks.acquire("drive A", "DRIVE_BUSY", { owner: "again" }))();
  });

  it("hands the lock to waiters in arrival order", async () => {
    const locks = new DeviceLocks();
    const first = await locks.acquire("changer C", "CHANGER_BUSY", { owner: "1" });
    const order: string[] = [];
    const second = locks.acquire("changer C", "CHANGER_BUSY", { owner: "2", waitMs: 60_000 }).then((r) => (order.push("2"), r));
    const third = locks.acquire("changer C", "CHANGER_BUSY", { owner: "3", waitMs: 60_000 }).then((r) => (order.push("3"), r));
    first();
    (await second)();
    (await third)();
    expect(order).toEqual(["2", "3"]);
    expect(locks.holder("changer C")).toBeUndefined();
  });

  it("gives up waiting after waitMs (busy) or when the signal aborts (cancelled), leaving the queue clean", async () => {
    const locks = new DeviceLocks();
    const held = await locks.acquire("drive A", "DRIVE_BUSY", { owner: "holder" });
    await expect(locks.acquire("drive A", "DRIVE_BUSY", { owner: "w", waitMs: 5 })).rejects.toMatchObject({ code: "DRIVE_BUSY", message: expect.stringContaining("still running") });
    const abort = new AbortController();
    const cancelled = locks.acquire("drive A", "DRIVE_BUSY", { owner: "c", waitMs: 60_000, signal: abort.signal });
    abort.abort();
    await expect(cancelled).rejects.toMatchObject({ code: "CANCELLED" });
    const pre = new AbortController();
    pre.abort();
    await expect(locks.acquire("drive A", "DRIVE_BUSY", { owner: "p", waitMs: 1000, signal: pre.signal })).rejects.toMatchObject({ code: "CANCELLED" });
    held();
    expect(locks.holder("drive A")).toBeUndefined();
  });
});
