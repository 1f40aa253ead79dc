import { describe, expect, it } from "vitest";
import { activityText, alertFlags, driveOfTask, isBusy, valueText, wearRows } from "./drive-detail.ts";

describe("activityText", () => {
  it("names the drive's device activity", () => {
    expect(activityText({ "drive-activity": "no-activity", "medium-present": true })).toBe("idle");
    expect(activityText({ "drive-activity": "writing" })).toBe("writing");
    expect(activityText({ "drive-activity": "cleaning" })).toBe("cleaning");
    expect(activityText({ "drive-activity": "calibrating" })).toBe("calibrating");
    expect(activityText({ "drive-activity": "writing-encrypted" })).toBe("writing (encrypted)");
    expect(activityText({ "drive-activity": "vendor-0x20" })).toBe("vendor-0x20");
  });

  it("falls back on the medium and ready fields without an activity", () => {
    expect(activityText({ "medium-present": false, ready: false })).toBe("idle, no tape");
    expect(activityText({ "medium-present": true, ready: false })).toBe("not ready");
    expect(activityText({ "medium-present": true, ready: true })).toBe("idle");
    expect(activityText({ "drive-activity": "" })).toBe("idle");
  });

  it("tells busy from idle", () => {
    expect(isBusy({ "drive-activity": "loading" })).toBe(true);
    expect(isBusy({ "drive-activity": "no-activity" })).toBe(false);
    expect(isBusy({})).toBe(false);
  });
});

describe("alertFlags", () => {
  it("splits the raised flags and treats (empty) and absence as none", () => {
    expect(alertFlags({ "alert-flags": "CLEAN_NOW | MEDIA_LIFE" })).toEqual(["CLEAN_NOW", "MEDIA_LIFE"]);
    expect(alertFlags({ "alert-flags": "WRITE_PROTECT" })).toEqual(["WRITE_PROTECT"]);
    expect(alertFlags({ "alert-flags": "(empty)" })).toEqual([]);
    expect(alertFlags({})).toEqual([]);
    expect(alertFlags({ "alert-flags": 3 })).toEqual([]);
  });
});

describe("wearRows", () => {
  it("takes the lifetime counters of the volume statistics and the status's wearout", () => {
    const rows = wearRows(
      { "medium-passes": 12, "medium-wearout": 0.0006, "volume-mounts": 1 },
      { "volume-mounts": 4, "lifetime-bytes-written": 2_500_000_000, "lifetime-bytes-read": 12_000_000, "beginning-of-medium-passes": 9, "middle-of-tape-passes": 3 },
    );
    expect(rows).toEqual([
      { label: "Mounts", value: "4" },
      { label: "Written (lifetime)", value: "2.50 GB" },
      { label: "Read (lifetime)", value: "12.00 MB" },
      { label: "Medium passes", value: "12" },
      { label: "Beginning-of-medium passes", value: "9" },
      { label: "Middle-of-tape passes", value: "3" },
      { label: "Wearout", value: "0.06%" },
    ]);
  });

  it("leaves out what neither source has, and ignores values that are not numbers", () => {
    expect(wearRows(null, null)).toEqual([]);
    expect(wearRows({ "volume-mounts": 2 }, null)).toEqual([{ label: "Mounts", value: "2" }]);
    expect(wearRows({ "medium-wearout": "a lot" }, { "lifetime-bytes-written": "x", "volume-mounts": Number.NaN })).toEqual([]);
    // The API gives bytes (the agent turns the drive's 10^6-byte counters into bytes).
    expect(wearRows(null, { "lifetime-bytes-written": 3_200_000_000_000 })).toEqual([{ label: "Written (lifetime)", value: "3.20 TB" }]);
    expect(wearRows(null, { "lifetime-bytes-read": 0 })).toEqual([{ label: "Read (lifetime)", value: "0 B" }]);
  });
});

describe("valueText", () => {
  it("shows lists, objects and scalars", () => {
    expect(valueText(["a", "b"])).toBe("a; b");
    expect(valueText({ a: 1 })).toBe('{"a":1}');
    expect(valueText(true)).toBe("true");
    expect(valueText(42)).toBe("42");
  });
});

describe("driveOfTask", () => {
  const config = {
    jobs: [
      { id: "nightly", pool: "daily", drive: "d2" },
      { id: "weekly", pool: "daily" },
      { id: "lost", pool: "nopool" },
    ],
    pools: [{ name: "daily", drive: "d1" }],
  };
  it("finds a backup's drive through its job or its pool", () => {
    expect(driveOfTask({ "worker-type": "tape-backup-job", "worker-id": "nightly" }, config)).toBe("d2");
    expect(driveOfTask({ "worker-type": "tape-backup-job", "worker-id": "weekly" }, config)).toBe("d1");
    expect(driveOfTask({ "worker-type": "tape-backup-job", "worker-id": "lost" }, config)).toBeUndefined();
    expect(driveOfTask({ "worker-type": "tape-backup-job", "worker-id": "gone" }, config)).toBeUndefined();
    expect(driveOfTask({ "worker-type": "tape-backup", "worker-id": "store1:daily:d3" }, config)).toBe("d3");
    expect(driveOfTask({ "worker-type": "tape-backup", "worker-id": "store1:daily:any" }, config)).toBe("d1");
  });

  it("takes a drive operation's worker id, and no drive for restores, datastore tasks or tasks without an id", () => {
    expect(driveOfTask({ "worker-type": "load-media", "worker-id": "d1" }, config)).toBe("d1");
    expect(driveOfTask({ "worker-type": "tape-restore", "worker-id": "0b5e-set" }, config)).toBeUndefined();
    expect(driveOfTask({ "worker-type": "datastore-sample", "worker-id": "store1" }, config)).toBeUndefined();
    expect(driveOfTask({ "worker-type": "clean" }, config)).toBeUndefined();
  });
});
