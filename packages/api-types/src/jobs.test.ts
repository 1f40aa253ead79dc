import { describe, expect, it } from "vitest";
import {
  backupStartRequest,
  INVENTORY_JOB_SUBJECTS,
  mediaDestroyRequest,
  parseDatastoreMap,
  poolAllocateRequest,
  restoreStartRequest,
  SCHEDULER_JOB_SUBJECTS,
  setMediaStatusRequest,
} from "./jobs.ts";

const U = "0b5b3f1e-6a3c-4d2e-9f00-1234567890ab";

describe("jobs contract", () => {
  it("subjects are the contract's names", () => {
    expect(INVENTORY_JOB_SUBJECTS.poolAllocate).toBe("inventory.pool.allocate");
    expect(INVENTORY_JOB_SUBJECTS.mediaSetGet).toBe("inventory.media-set.get");
    expect(SCHEDULER_JOB_SUBJECTS.backupStart).toBe("scheduler.backup.start");
    expect(SCHEDULER_JOB_SUBJECTS.tapeRequestList).toBe("scheduler.tape-request.list");
  });

  it("pool allocation: changer may be null, exclude lists uuids, unknown fields refused", () => {
    expect(poolAllocateRequest.parse({ pool: "daily", driveChanger: null }).driveChanger).toBeNull();
    expect(poolAllocateRequest.parse({ pool: "daily", driveChanger: "lib1", exclude: [U], now: 5 }).exclude).toEqual([U]);
    expect(poolAllocateRequest.safeParse({ pool: "daily" }).success).toBe(false);
    expect(poolAllocateRequest.safeParse({ pool: "daily", driveChanger: null, exclude: ["x"] }).success).toBe(false);
    expect(poolAllocateRequest.safeParse({ pool: "daily", driveChanger: null, extra: 1 }).success).toBe(false);
  });

  it("status null clears; unknown status refused", () => {
    expect(setMediaStatusRequest.parse({ uuid: U, status: null }).status).toBeNull();
    expect(setMediaStatusRequest.safeParse({ uuid: U, status: "writable" }).success).toBe(false);
  });

  it("destroy needs exactly one of uuid and label text", () => {
    expect(mediaDestroyRequest.safeParse({ uuid: U }).success).toBe(true);
    expect(mediaDestroyRequest.safeParse({ labelText: "TAPE01" }).success).toBe(true);
    expect(mediaDestroyRequest.safeParse({}).success).toBe(false);
    expect(mediaDestroyRequest.safeParse({ uuid: U, labelText: "TAPE01" }).success).toBe(false);
  });

  it("datastore maps: one default, no source twice, names checked", () => {
    expect(parseDatastoreMap("a12=b12,e12")).toEqual({ default: "e12", map: { a12: "b12" } });
    expect(parseDatastoreMap("store1")).toEqual({ default: "store1", map: {} });
    expect(parseDatastoreMap("abc,def")).toMatch(/at most one default/);
    expect(parseDatastoreMap("abc=x12,abc=y12")).toMatch(/mapped twice/);
    expect(parseDatastoreMap("a b")).toMatch(/invalid item 'a b'/);
    expect(parseDatastoreMap(`${"a".repeat(33)}=${"b".repeat(33)}`)).toMatch(/longer than 65/);
  });

  it("backup and restore requests", () => {
    expect(backupStartRequest.parse({ store: "store1", pool: "daily", maxDepth: 2, latestOnly: true }).maxDepth).toBe(2);
    expect(backupStartRequest.safeParse({ store: "store1", pool: "daily", maxDepth: 8 }).success).toBe(false);
    const r = restoreStartRequest.parse({
      mediaSet: U,
      store: "store1=store2",
      snapshots: ["store1:ns/a/vm/100/2026-01-02T03:04:05Z", "store1:ct/7/2026-01-02T03:04:05Z"],
      namespaces: ["store=store1,source=a,target=b,max-depth=2"],
    });
    expect(r.snapshots).toHaveLength(2);
    expect(restoreStartRequest.safeParse({ mediaSet: U, store: "s1" }).success).toBe(false);
    expect(restoreStartRequest.safeParse({ mediaSet: U, store: "store1", snapshots: ["vm/100"] }).success).toBe(false);
    expect(restoreStartRequest.safeParse({ mediaSet: U, store: "store1", namespaces: ["source=a"] }).success).toBe(false);
    expect(restoreStartRequest.safeParse({ mediaSet: U, store: "store1", namespaces: ["store=s,max-depth=9"] }).success).toBe(false);
  });
});
