import { describe, expect, it } from "vitest";
import { DeviceAgentService } from "@tapefleet/proto";
import { archiveKindFromProto, archiveKindToProto, commitFromProto, commitToProto, writeStatusNumber } from "./session-service.ts";
import { SessionError, toSessionError } from "./session-error.ts";
import { sessionDrivesFrom } from "./session-drives.ts";
import type { CommitRecord } from "./commit-record.ts";

describe("session service converters", () => {
  it("maps archive kinds and write statuses to the enum values of session.proto by name", () => {
    const commit = DeviceAgentService.method.writeSession.output.fields.find((f) => f.name === "commit")!.message!;
    const kinds = commit.fields.find((f) => f.name === "kind")!.enum!;
    const byName = new Map(kinds.values.map((v) => [v.name, v.number]));
    expect(archiveKindToProto("chunk-archive")).toBe(byName.get("ARCHIVE_KIND_CHUNK"));
    expect(archiveKindToProto("snapshot-archive")).toBe(byName.get("ARCHIVE_KIND_SNAPSHOT"));
    expect(archiveKindToProto("catalog-archive")).toBe(byName.get("ARCHIVE_KIND_CATALOG"));
    expect(archiveKindToProto("skipped")).toBe(0);
    for (const k of ["chunk-archive", "snapshot-archive", "catalog-archive"] as const) expect(archiveKindFromProto(archiveKindToProto(k))).toBe(k);
    expect(archiveKindFromProto(0)).toBeUndefined();
    expect(writeStatusNumber("complete")).not.toBe(writeStatusNumber("tape-full"));
    expect(writeStatusNumber("complete")).toBeGreaterThan(0);
  });

  it("round-trips a commit record through the ArchiveCommit message and refuses an unknown kind", () => {
    const r: CommitRecord = {
      mediaSetUuid: "7d1c9a4e-2b3f-4c5d-9e8f-a0b1c2d3e4f5",
      mediaUuid: "0e6f5c3a-9f1d-4e2b-8a7c-112233445566",
      seqNr: 3,
      fileNumber: 9_007_199_254_740_991,
      archiveUuid: "11111111-2222-4333-8444-555555555555",
      kind: "chunk-archive",
      store: "store1",
      chunkDigests: ["ab".repeat(32), "cd".repeat(32)],
    };
    const m = commitToProto(r);
    expect(m.chunkDigests.every((d) => d.length === 32)).toBe(true);
    expect(commitFromProto(m)).toEqual(r);
    const snap = commitFromProto({ ...commitToProto({ ...r, kind: "snapshot-archive", snapshot: "ns/a/vm/100/2024-01-01T00:00:00Z", chunkDigests: [] }) });
    expect(snap.snapshot).toBe("ns/a/vm/100/2024-01-01T00:00:00Z");
    expect(() => commitFromProto({ ...m, kind: 99 })).toThrow(SessionError);
  });

  it("finds the SessionError behind wrapped causes and maps codes to gRPC statuses", () => {
    const inner = new SessionError("medium-error", "medium error at tape file 4, block 2", { fileNumber: 4, block: 2 });
    const wrapped = new Error("write block 2: …", { cause: new Error("io", { cause: inner }) });
    expect(toSessionError(wrapped)).toBe(inner);
    expect(inner.grpcStatus).toBe(15);
    const other = toSessionError(new Error("disk gone"), "datastore");
    expect(other).toMatchObject({ code: "datastore", message: "disk gone" });
    expect(new SessionError("drive-busy", "x").grpcStatus).toBe(10);
  });

  it("adapts a drive registry with locks to session drives", async () => {
    const held: string[] = [];
    const drives = sessionDrivesFrom({
      resolve: (d) => {
        if (d !== "d1") throw new SessionError("unknown-drive", d);
        return { description: d, execute: async () => ({ status: 0, sense: new Uint8Array(), data: new Uint8Array(), residual: 0, hostStatus: 0, driverStatus: 0 }), close: async () => undefined };
      },
      acquire: async (d, owner) => {
        if (held.includes(d)) throw new SessionError("drive-busy", `${d} held`);
        held.push(d);
        void owner;
        return () => held.splice(held.indexOf(d), 1);
      },
    });
    const a = await drives.acquire("d1", "test");
    await expect(drives.acquire("d1", "test")).rejects.toMatchObject({ code: "drive-busy" });
    a.release();
    a.release();
    expect(held).toEqual([]);
    await expect(drives.acquire("d9", "test")).rejects.toMatchObject({ code: "unknown-drive" });
  });
});
