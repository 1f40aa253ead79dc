import { describe, expect, it } from "vitest";
import {
  checkArchiveName,
  checkAuthid,
  checkBackupId,
  checkDigestHex,
  checkNamespace,
  compareGroups,
  formatSnapshotTime,
  groupPath,
  namespacePath,
  parseNamespace,
  parseNamespacePath,
  parseSnapshotPath,
  parseSnapshotTime,
  snapshotPath,
  type BackupGroupRef,
} from "./names.ts";
import { formatByteSize, parseByteSize } from "./size.ts";
import { expectCode } from "./test-support.ts";

describe("namespaces", () => {
  it("converts between API form and path form", () => {
    expect(parseNamespace("")).toEqual([]);
    expect(parseNamespace("a/b")).toEqual(["a", "b"]);
    expect(namespacePath(["a", "b"])).toBe("ns/a/ns/b");
    expect(namespacePath([])).toBe("");
    expect(parseNamespacePath("ns/a/ns/b")).toEqual(["a", "b"]);
    expect(parseNamespacePath("")).toEqual([]);
  });

  it("accepts 7 levels and refuses 8", async () => {
    expect(checkNamespace(["1", "2", "3", "4", "5", "6", "7"])).toHaveLength(7);
    const err = await expectCode(() => checkNamespace(["1", "2", "3", "4", "5", "6", "7", "8"]), "invalid-name");
    expect(err.message).toContain("depth 8");
  });

  it("refuses traversal and unsafe components", async () => {
    for (const bad of ["..", ".", "", "a b", "-x", "a\\b", "é"]) await expectCode(() => checkNamespace([bad]), "invalid-name");
    await expectCode(() => parseNamespace("a//b"), "invalid-name");
    await expectCode(() => parseNamespace("a/../b"), "invalid-name");
    await expectCode(() => parseNamespacePath("ns/a/x/b"), "invalid-name");
    await expectCode(() => parseNamespacePath("ns/a/ns"), "invalid-name");
  });

  it("limits the full name to 256 characters", async () => {
    const c = "x".repeat(60);
    expect(checkNamespace([c, c, c, "y".repeat(73)]).join("/")).toHaveLength(256);
    await expectCode(() => checkNamespace([c, c, c, "y".repeat(74)]), "invalid-name");
  });
});

describe("snapshot times", () => {
  it("round-trips RFC 3339 UTC", () => {
    expect(formatSnapshotTime(1700000000)).toBe("2023-11-14T22:13:20Z");
    expect(parseSnapshotTime("2023-11-14T22:13:20Z")).toBe(1700000000);
    expect(formatSnapshotTime(0)).toBe("1970-01-01T00:00:00Z");
  });

  it("refuses other forms and impossible dates", async () => {
    for (const bad of ["2023-11-14T22:13:20+00:00", "2023-11-14 22:13:20Z", "2023-02-30T00:00:00Z", "2023-11-14T24:00:00Z", "2023-11-14T22:13:20.5Z"]) {
      await expectCode(() => parseSnapshotTime(bad), "invalid-name");
    }
    await expectCode(() => formatSnapshotTime(1.5), "invalid-field");
    await expectCode(() => formatSnapshotTime(-1), "invalid-field");
  });
});

describe("group and snapshot paths", () => {
  it("builds and parses paths", () => {
    const ref = { ns: ["a", "b"], type: "vm" as const, id: "100", time: 1700000000 };
    expect(groupPath(ref)).toBe("ns/a/ns/b/vm/100");
    expect(snapshotPath(ref)).toBe("ns/a/ns/b/vm/100/2023-11-14T22:13:20Z");
    expect(parseSnapshotPath("ns/a/ns/b/vm/100/2023-11-14T22:13:20Z")).toEqual(ref);
    expect(parseSnapshotPath("host/elsa/2020-06-15T05:18:33Z")).toEqual({ ns: [], type: "host", id: "elsa", time: 1592198313 });
  });

  it("refuses bad snapshot paths", async () => {
    await expectCode(() => parseSnapshotPath("vm/100"), "invalid-name");
    await expectCode(() => parseSnapshotPath("qemu/100/2020-06-15T05:18:33Z"), "invalid-name");
    await expectCode(() => parseSnapshotPath("vm/../2020-06-15T05:18:33Z"), "invalid-name");
    await expectCode(() => parseSnapshotPath("x/a/vm/1/2020-06-15T05:18:33Z"), "invalid-name");
  });

  it("sorts groups as PBS: ct, host, vm; numeric ids numerically and first", () => {
    const g = (type: "vm" | "ct" | "host", id: string): BackupGroupRef => ({ ns: [], type, id });
    const sorted = [g("vm", "abc"), g("vm", "100"), g("vm", "20"), g("host", "z"), g("ct", "300"), g("vm", "9")].sort(compareGroups);
    expect(sorted.map((x) => `${x.type}/${x.id}`)).toEqual(["ct/300", "host/z", "vm/9", "vm/20", "vm/100", "vm/abc"]);
  });
});

describe("other names", () => {
  it("checks archive names, ids, digests and owners", async () => {
    expect(checkArchiveName("drive-scsi0.img.fidx")).toBe("drive-scsi0.img.fidx");
    expect(checkArchiveName("index.json.blob")).toBe("index.json.blob");
    for (const bad of ["x.txt", "../x.blob", ".hidden.blob", "a/b.didx", "fidx"]) await expectCode(() => checkArchiveName(bad), "invalid-name");
    await expectCode(() => checkBackupId("a/b"), "invalid-name");
    expect(checkDigestHex("ab".repeat(32))).toHaveLength(64);
    await expectCode(() => checkDigestHex("AB".repeat(32)), "invalid-name");
    expect(checkAuthid("root@pam")).toBe("root@pam");
    expect(checkAuthid("backup@pbs!tape")).toBe("backup@pbs!tape");
    await expectCode(() => checkAuthid("root"), "invalid-name");
    await expectCode(() => checkAuthid("root@pam\nx"), "invalid-name");
  });

  it("parses and formats byte sizes", async () => {
    expect(parseByteSize("2GiB")).toBe(2 * 1024 ** 3);
    expect(parseByteSize("512 MiB")).toBe(512 * 1024 ** 2);
    expect(parseByteSize("4MB")).toBe(4e6);
    expect(parseByteSize("1.5k")).toBe(1536);
    expect(parseByteSize("100")).toBe(100);
    await expectCode(() => parseByteSize("2 GiBs"), "invalid-field");
    await expectCode(() => parseByteSize("-1"), "invalid-field");
    expect(formatByteSize(1536)).toBe("1.50 KiB");
    expect(formatByteSize(10)).toBe("10 B");
  });
});
