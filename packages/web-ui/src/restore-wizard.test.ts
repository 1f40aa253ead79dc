import { describe, expect, it } from "vitest";
import { formatNamespaceMapping, neededTapes, offlineTapes, restoreBody, snapshotSpec, sourceStores, type MediaContentRow, type MediaSetEntry } from "./restore-wizard.ts";

const SET = "0b4e2a6c-1111-4222-8333-944455556666";
const set: MediaSetEntry = {
  "media-set-uuid": SET,
  "media-set-name": "daily 2026-01-01",
  "media-set-ctime": 1,
  pool: "daily",
  complete: true,
  members: [
    { "seq-nr": 1, uuid: "u2", "label-text": "TF1002L9", location: "offline", status: "full" },
    { "seq-nr": 0, uuid: "u1", "label-text": "TF1001L9", location: "online-lib1", status: "full" },
  ],
};
const row = (uuid: string, label: string, seq: number, store: string, snapshot: string): MediaContentRow => ({
  "label-text": label,
  uuid,
  pool: "daily",
  "media-set-name": set["media-set-name"],
  "media-set-uuid": SET,
  "media-set-ctime": 1,
  "seq-nr": seq,
  snapshot,
  "backup-time": 1,
  store,
});
const content = [row("u1", "TF1001L9", 0, "store1", "vm/100/2026-01-01T00:00:00Z"), row("u2", "TF1002L9", 1, "store1", "ns/a/ct/200/2026-01-01T00:00:00Z"), row("u2", "TF1002L9", 1, "other", "host/h/2026-01-01T00:00:00Z")];

describe("restore body", () => {
  it("a whole media set into one datastore", () => {
    expect(restoreBody({ mediaSet: SET, targets: { store1: "restored", other: "restored" }, snapshots: [], namespaces: [] })).toEqual({ "media-set": SET, store: "store1=restored,other=restored" });
  });

  it("chosen snapshots with a namespace mapping and a drive; empty mappings are left out", () => {
    const body = restoreBody({
      mediaSet: SET,
      targets: { store1: " restored " },
      snapshots: [snapshotSpec(content[1]!)],
      namespaces: [
        { store: "store1", source: "a", target: "mapped", maxDepth: 0 },
        { store: "store1", source: " ", target: "" },
      ],
      drive: "d1",
    });
    expect(body).toEqual({ "media-set": SET, store: "store1=restored", snapshots: ["store1:ns/a/ct/200/2026-01-01T00:00:00Z"], namespaces: ["store=store1,source=a,target=mapped,max-depth=0"], drive: "d1" });
  });

  it("an empty target is still sent, for the API to name the field", () => {
    expect(restoreBody({ mediaSet: SET, targets: { store1: "" }, snapshots: [], namespaces: [] })["store"]).toBe("store1=");
  });

  it("namespace mappings as property strings", () => {
    expect(formatNamespaceMapping({ store: "s", source: "", target: "t" })).toBe("store=s,target=t");
    expect(formatNamespaceMapping({ store: "s", source: "a/b", target: "" })).toBe("store=s,source=a/b");
  });

  it("source stores: of the chosen snapshots, else of the whole content", () => {
    expect(sourceStores(content, [])).toEqual(["other", "store1"]);
    expect(sourceStores(content, ["store1:vm/100/2026-01-01T00:00:00Z"])).toEqual(["store1"]);
    expect(sourceStores([], [])).toEqual([]);
  });
});

describe("tapes the restore reads", () => {
  it("every member in seq nr order, located from the media list, with the chosen snapshots each holds", () => {
    const tapes = neededTapes(set, content, ["store1:ns/a/ct/200/2026-01-01T00:00:00Z"], [{ uuid: "u2", location: "vault-offsite", status: "full" }]);
    expect(tapes).toEqual([
      { seqNr: 0, uuid: "u1", labelText: "TF1001L9", location: "online-lib1", status: "full", holds: [], need: "chunks" },
      { seqNr: 1, uuid: "u2", labelText: "TF1002L9", location: "vault-offsite", status: "full", holds: ["store1:ns/a/ct/200/2026-01-01T00:00:00Z"], need: "snapshots" },
    ]);
    expect(offlineTapes(tapes).map((t) => t.labelText)).toEqual(["TF1002L9"]);
  });

  it("tapes after the last one holding a chosen snapshot are not read; a whole set reads every tape", () => {
    const first = neededTapes(set, content, ["store1:vm/100/2026-01-01T00:00:00Z"], []);
    expect(first.map((t) => [t.labelText, t.need])).toEqual([
      ["TF1001L9", "snapshots"],
      ["TF1002L9", "none"],
    ]);
    // TF1002L9 is offline but not read: nothing to bring in.
    expect(offlineTapes(first)).toEqual([]);
    const whole = neededTapes(set, content, [], []);
    expect(whole.map((t) => t.need)).toEqual(["whole", "whole"]);
    expect(offlineTapes(whole).map((t) => t.labelText)).toEqual(["TF1002L9"]);
  });
});
