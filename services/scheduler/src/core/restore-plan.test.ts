import { createHash } from "node:crypto";
import type { CatalogRestorePlan, CatalogRestorePlanRequest } from "@tapefleet/api-types";
import { NotFoundError } from "@tapefleet/common";
import { encodeDynamicIndex, encodeFixedIndex } from "@tapefleet/datastore";
import { describe, expect, it } from "vitest";
import { RestoreJob, type RestoreDeps } from "./restore-job.ts";
import { indexDigests, isIndexFile, planGap, snapshotFilesOfPlan, stepsOfPlan, wholeSetSteps } from "./restore-plan.ts";
import type { TaskContext } from "./task-registry.ts";

const digest = (n: number) => new Uint8Array(createHash("sha256").update(`chunk ${n}`).digest());
const hex = (n: number) => Buffer.from(digest(n)).toString("hex");

const SET = "5a4b3c2d-1e0f-4a5b-8c7d-6e5f4a3b2c1d";
const uuidOf = (i: number) => `00000000-0000-4000-8000-00000000000${i}`;
const MEMBERS = [0, 1, 2].map((i) => ({ seqNr: i, uuid: uuidOf(i), labelText: `TT000${i}L9`, location: "online-lib1", status: "full" }));
const SNAP = "ns/prod/vm/110/2026-01-08T00:40:21Z";

describe("indexDigests", () => {
  it("reads the digests of .fidx and .didx files once each, in first-use order, and ignores other files", () => {
    const fidx = encodeFixedIndex({ size: 3 * 4096, chunkSize: 4096, digests: [digest(1), digest(2), digest(1)] });
    const didx = encodeDynamicIndex({ entries: [{ end: 100, digest: digest(3) }, { end: 250, digest: digest(2) }] });
    const files = new Map<string, Uint8Array>([
      ["drive-scsi0.img.fidx", fidx],
      ["root.pxar.didx", didx],
      ["qemu-server.conf.blob", new Uint8Array([1, 2, 3])],
    ]);
    expect(indexDigests(files)).toEqual([hex(1), hex(2), hex(3)]);
    expect(indexDigests([])).toEqual([]);
    expect([...files.keys()].filter(isIndexFile)).toEqual(["drive-scsi0.img.fidx", "root.pxar.didx"]);
  });

  it("names the index that does not decode (truncated, over-long)", () => {
    const fidx = encodeFixedIndex({ size: 4096, chunkSize: 4096, digests: [digest(1)] });
    expect(() => indexDigests([["a.fidx", fidx.subarray(0, 100)]])).toThrow(/^a\.fidx: /);
    const longer = new Uint8Array(fidx.length + 7);
    longer.set(fidx);
    expect(() => indexDigests([["b.fidx", longer]])).toThrow(/^b\.fidx: /);
    const didx = encodeDynamicIndex({ entries: [{ end: 10, digest: digest(1) }] });
    expect(() => indexDigests([["c.didx", didx.subarray(0, didx.length - 1)]])).toThrow(/^c\.didx: /);
  });
});

const plan = (over: Partial<CatalogRestorePlan> = {}): CatalogRestorePlan => ({ mediaSetUuid: SET, tapes: [], missingSnapshots: [], missingDigests: {}, ...over });

describe("catalog plans", () => {
  it("orders tapes by seq nr and files ascending; snapshot archives apart for phase 1", () => {
    const p = plan({
      tapes: [
        { mediaUuid: uuidOf(2), labelText: "TT0002L9", seqNr: 2, files: [{ fileNumber: 9, kind: "snapshot-archive", store: "store1", snapshot: `store1:${SNAP}` }, { fileNumber: 4, kind: "chunk-archive", store: "store1", chunks: 3 }] },
        { mediaUuid: uuidOf(0), labelText: "TT0000L9", seqNr: 0, files: [{ fileNumber: 7, kind: "chunk-archive", store: "store1", chunks: 1 }] },
        { mediaUuid: uuidOf(1), labelText: "TT0001L9", seqNr: 1, files: [] },
      ],
    });
    expect(stepsOfPlan(p)).toEqual([
      { mediaUuid: uuidOf(0), labelText: "TT0000L9", seqNr: 0, fileNumbers: [7] },
      { mediaUuid: uuidOf(2), labelText: "TT0002L9", seqNr: 2, fileNumbers: [4, 9] },
    ]);
    expect(snapshotFilesOfPlan(p)).toEqual([{ mediaUuid: uuidOf(2), labelText: "TT0002L9", seqNr: 2, files: [{ fileNumber: 9, store: "store1" }] }]);
    expect(wholeSetSteps([MEMBERS[2]!, MEMBERS[0]!, MEMBERS[1]!]).map((s) => [s.seqNr, s.fileNumbers])).toEqual([
      [0, undefined],
      [1, undefined],
      [2, undefined],
    ]);
  });

  it("says what the catalog lacks", () => {
    expect(planGap(plan())).toBeUndefined();
    expect(planGap(plan({ missingSnapshots: [`store1:${SNAP}`] }))).toContain(`store1:${SNAP}`);
    expect(planGap(plan({ missingDigests: { store1: [hex(1), hex(2)] } }))).toContain("2 chunk(s) of store 'store1'");
    expect(planGap(plan({ missingDigests: { store1: [] } }))).toBeUndefined();
  });
});

/** A restore job over fakes: a changer library with one drive, three members, a catalog that answers `plans` in turn. */
function harness(catalogAnswers: Array<CatalogRestorePlan | Error> | undefined) {
  const calls: string[] = [];
  const planRequests: CatalogRestorePlanRequest[] = [];
  const fidx = encodeFixedIndex({ size: 2 * 4096, chunkSize: 4096, digests: [digest(1), digest(2)] });
  const location = (kind: "drive" | "changer", serial: string) => ({ "host-id": "h1", "grpc-address": "127.0.0.1:1", serial, path: `/dev/${serial}`, kind, vendor: "", model: "", online: true, "last-seen": "" });
  const inventory = {
    mediaSet: async () => ({ uuid: SET, pool: "daily", name: "set", ctime: 1, members: MEMBERS, complete: true }),
    drives: async () => [{ name: "d1", path: "DRV1", changer: "lib1" }],
    drive: async () => ({ name: "d1", path: "DRV1", changer: "lib1" }),
    changer: async () => ({ name: "lib1", path: "CHG1" }),
    locations: async (kind: "drive" | "changer") => [kind === "drive" ? location("drive", "DRV1") : location("changer", "CHG1")],
    datastore: async (name: string) => ({ name, path: `/srv/${name}`, host: "h1" }),
    agentOf: async () => ({ hostId: "h1", grpcAddress: "127.0.0.1:1" }),
  };
  let loaded = "";
  /** Snapshots the fake agent reports as not restored, per loaded tape. */
  const failing = new Map<string, string[]>();
  const agent = {
    load: async (_cd: unknown, src: { labelText: string }) => {
      if (loaded !== src.labelText) calls.push(`load ${src.labelText}`);
      loaded = src.labelText;
      return {};
    },
    unload: async () => {
      calls.push("unload");
      return {};
    },
    readSnapshotArchive: async (_h: unknown, req: { fileNumber: number; keep: (n: string) => boolean }) => {
      calls.push(`read ${loaded} file ${req.fileNumber}`);
      const files = new Map<string, Uint8Array>();
      for (const [n, b] of [["drive-scsi0.img.fidx", fidx] as const, ["index.json.blob", new Uint8Array(3)] as const]) if (req.keep(n)) files.set(n, b);
      return { store: "store1", snapshot: SNAP, files };
    },
    restoreFromTape: async (_h: unknown, req: { store: string; fileNumbers?: number[]; snapshots?: string[]; namespaces?: string[] }) => {
      calls.push(`restore ${loaded} into ${req.store}: ${req.fileNumbers ? `files ${req.fileNumbers.join(",")}` : "whole tape"}${req.snapshots ? ` only ${req.snapshots.join(",")}` : ""}${req.namespaces ? ` ns ${req.namespaces.join(";")}` : ""}`);
      const failedSnapshots = failing.get(loaded) ?? [];
      return { files: 1, chunksInserted: 0, snapshots: [], failedSnapshots, bytesRead: 0 };
    },
  };
  const leases = {
    acquireAnyDrive: async (_u: string, drives: readonly string[], media: readonly string[]) => ({ lease: { holderJob: "j", resources: media }, drive: drives[0]! }),
    release: async () => undefined,
    keepAlive: () => () => undefined,
  };
  const answers = catalogAnswers ? [...catalogAnswers] : undefined;
  const catalog = answers && {
    restorePlan: async (req: CatalogRestorePlanRequest) => {
      planRequests.push(req);
      const a = answers.shift();
      if (a === undefined) throw new Error("no more plans");
      if (a instanceof Error) throw a;
      return a;
    },
  };
  const lines: string[] = [];
  const progress: { percent: number | undefined; label: string | undefined }[] = [];
  const ctx = { upid: "UPID:t", signal: new AbortController().signal, log: (t: string) => lines.push(t), warn: (t: string) => lines.push(t), error: (t: string) => lines.push(t), progress: (f: { percent?: number }, label?: string) => progress.push({ percent: f.percent, label }) } as unknown as TaskContext;
  const deps = { inventory, agent, leases, ...(catalog ? { catalog } : {}) } as unknown as RestoreDeps;
  return { job: new RestoreJob(deps), ctx, calls, planRequests, lines, failing, progress };
}

describe("RestoreJob planning", () => {
  const firstPlan = plan({ tapes: [{ mediaUuid: uuidOf(2), labelText: "TT0002L9", seqNr: 2, files: [{ fileNumber: 6, kind: "snapshot-archive", store: "store1", snapshot: `store1:${SNAP}` }] }] });
  const secondPlan = plan({
    tapes: [
      { mediaUuid: uuidOf(0), labelText: "TT0000L9", seqNr: 0, files: [{ fileNumber: 3, kind: "chunk-archive", store: "store1", chunks: 1 }] },
      {
        mediaUuid: uuidOf(2),
        labelText: "TT0002L9",
        seqNr: 2,
        files: [
          { fileNumber: 6, kind: "snapshot-archive", store: "store1", snapshot: `store1:${SNAP}` },
          { fileNumber: 5, kind: "chunk-archive", store: "store1", chunks: 1 },
        ],
      },
    ],
  });

  it("a single snapshot: reads its archive for the digests, then loads only the tapes of the plan, in order, with their files", async () => {
    const h = harness([firstPlan, secondPlan]);
    await h.job.run({ mediaSet: SET, store: "store1=store3", snapshots: [`store1:${SNAP}`], namespaces: ["store=store1,source=prod,target=restored"], drive: "d1" } as never, h.ctx);
    expect(h.calls).toEqual([
      "load TT0002L9",
      "read TT0002L9 file 6",
      "load TT0000L9",
      "restore TT0000L9 into store3: files 3 only " + SNAP + " ns store=store1,source=prod,target=restored",
      "load TT0002L9",
      "restore TT0002L9 into store3: files 5,6 only " + SNAP + " ns store=store1,source=prod,target=restored",
      "unload",
    ]);
    expect(h.planRequests).toEqual([
      { mediaSetUuid: SET, snapshots: [`store1:${SNAP}`] },
      { mediaSetUuid: SET, snapshots: [`store1:${SNAP}`], digests: { store1: [hex(1), hex(2)] } },
    ]);
    expect(h.lines.join("\n")).not.toContain("TT0001L9");
  });

  it("a whole set: every member in seq order, each read whole; the catalog is not asked", async () => {
    const h = harness([]);
    await h.job.run({ mediaSet: SET, store: "store2" } as never, h.ctx);
    expect(h.calls).toEqual([
      "load TT0000L9",
      "restore TT0000L9 into store2: whole tape",
      "load TT0001L9",
      "restore TT0001L9 into store2: whole tape",
      "load TT0002L9",
      "restore TT0002L9 into store2: whole tape",
      "unload",
    ]);
    expect(h.planRequests).toEqual([]);
    expect(h.progress.map((p) => p.percent?.toFixed(1))).toEqual(["33.3", "66.7", "100.0"]);
    expect(h.progress.at(-1)!.label).toBe("media 'TT0002L9' done (3 of 3)");
  });

  it("reads every tape, then fails naming the snapshots the agent could not restore", async () => {
    const h = harness([]);
    h.failing.set("TT0001L9", [`${SNAP}: group owned by another user`]);
    const run = h.job.run({ mediaSet: SET, store: "store2" } as never, h.ctx);
    await expect(run).rejects.toMatchObject({ reason: "SNAPSHOTS_NOT_RESTORED", message: `1 snapshot(s) not restored: ${SNAP}: group owned by another user` });
    expect(h.calls.filter((c) => c.startsWith("restore"))).toHaveLength(3);
    expect(h.calls.at(-1)).toBe("unload");
  });

  it("falls back to reading every member (with the snapshot filter) when the catalog has no records of the set", async () => {
    const h = harness([new NotFoundError("media set", SET)]);
    await h.job.run({ mediaSet: SET, store: "store1=store3", snapshots: [`store1:${SNAP}`], drive: "d1" } as never, h.ctx);
    expect(h.calls.filter((c) => c.startsWith("restore"))).toEqual([0, 1, 2].map((i) => `restore TT000${i}L9 into store3: whole tape only ${SNAP}`));
    expect(h.lines.some((l) => l.includes("reading every tape of the set"))).toBe(true);
  });

  it("falls back when the snapshot archive cannot be read back (an encrypted set)", async () => {
    const h = harness([firstPlan, secondPlan]);
    const agent = (h.job as unknown as { deps: { agent: { readSnapshotArchive: () => Promise<never> } } }).deps.agent;
    agent.readSnapshotArchive = async () => {
      throw new Error("key FP needed");
    };
    await h.job.run({ mediaSet: SET, store: "store1=store3", snapshots: [`store1:${SNAP}`], drive: "d1" } as never, h.ctx);
    expect(h.calls.filter((c) => c.startsWith("restore")).length).toBe(3);
    expect(h.lines.some((l) => l.includes("cannot read the snapshot's indexes (key FP needed)"))).toBe(true);
  });

  it("falls back when the catalog lacks a chunk the snapshot needs", async () => {
    const h = harness([firstPlan, plan({ ...secondPlan, missingDigests: { store1: [hex(2)] } })]);
    await h.job.run({ mediaSet: SET, store: "store1=store3", snapshots: [`store1:${SNAP}`], drive: "d1" } as never, h.ctx);
    expect(h.calls.filter((c) => c.startsWith("restore")).length).toBe(3);
    expect(h.lines.some((l) => l.includes("1 chunk(s) of store 'store1'") && l.includes("reading every tape"))).toBe(true);
  });
});
