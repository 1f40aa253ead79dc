import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Datastore } from "./datastore.ts";
import { ingestFiles } from "./ingest.ts";
import { MANIFEST_BLOB_NAME } from "./names.ts";
import {
  checkNamespaceMappings,
  parseDatastoreMap,
  parseNamespaceMapping,
  parseRestoreSnapshot,
  restoreSnapshotFromDir,
  restoreTmpPath,
  targetDatastore,
  targetNamespaces,
} from "./restore-mapping.ts";
import { expectCode, pseudoRandom, useTmpDirs } from "./test-support.ts";

const tmp = useTmpDirs();

describe("datastore map", () => {
  it("maps sources and falls back to the default", () => {
    const m = parseDatastoreMap("a01=b01,e01");
    expect(targetDatastore(m, "a01")).toBe("b01");
    expect(targetDatastore(m, "zzz")).toBe("e01");
    const noDefault = parseDatastoreMap("a01=b01");
    expect(targetDatastore(noDefault, "zzz")).toBeUndefined();
    expect(targetDatastore(parseDatastoreMap("a01=b01,a01=c01"), "a01")).toBe("b01");
  });

  it("rejects bad maps", async () => {
    const e = await expectCode(() => parseDatastoreMap("e01,f01"), "invalid-field");
    expect(e.message).toContain("multiple default");
    await expectCode(() => parseDatastoreMap(""), "invalid-field");
    await expectCode(() => parseDatastoreMap("a01=b01,,c01"), "invalid-field");
    await expectCode(() => parseDatastoreMap(`a01=${"b".repeat(62)}`), "invalid-field");
    await expectCode(() => parseDatastoreMap("a01=../x"), "invalid-name");
    await expectCode(() => parseDatastoreMap("ab"), "invalid-name");
  });
});

describe("namespace mappings", () => {
  it("parses property strings with defaults", () => {
    expect(parseNamespaceMapping("store=s01")).toEqual({ store: "s01", source: [], target: [], maxDepth: 7 });
    expect(parseNamespaceMapping("store=s01,source=a/b,target=x,max-depth=1")).toEqual({ store: "s01", source: ["a", "b"], target: ["x"], maxDepth: 1 });
  });

  it("rejects malformed mappings and duplicates", async () => {
    for (const bad of ["source=a", "store=s01,max-depth=8", "store=s01,max-depth=-1", "store=s01,foo=1", "store=s01,store=s02", "store=s01,source"]) {
      await expectCode(() => parseNamespaceMapping(bad), "invalid-field");
    }
    await expectCode(() => parseNamespaceMapping("store=s01,source=../x"), "invalid-name");
    const dup = ["store=s01,source=a,target=x", "store=s01,source=a,target=y"].map(parseNamespaceMapping);
    await expectCode(() => checkNamespaceMappings(dup), "invalid-field");
    expect(checkNamespaceMappings([parseNamespaceMapping("store=s01,source=a"), parseNamespaceMapping("store=s02,source=a")])).toHaveLength(2);
  });

  it("maps a namespace to every matching target within max-depth", () => {
    const maps = ["store=s01,source=a,target=x,max-depth=1", "store=s01,source=a/b,target=y", "store=s02,target=z"].map(parseNamespaceMapping);
    const t = (store: string, ns: string): string[] => targetNamespaces(maps, store, ns === "" ? [] : ns.split("/")).map((n) => n.join("/"));
    expect(t("s01", "a")).toEqual(["x"]);
    expect(t("s01", "a/b")).toEqual(["x/b", "y"]);
    expect(t("s01", "a/b/c")).toEqual(["y/c"]);
    expect(t("s01", "q")).toEqual([]);
    expect(t("s02", "")).toEqual(["z"]);
    expect(t("s02", "m/n")).toEqual(["z/m/n"]);
    const deep = [parseNamespaceMapping("store=s01,target=1/2/3/4/5")];
    expect(targetNamespaces(deep, "s01", ["a", "b"]).map((n) => n.join("/"))).toEqual(["1/2/3/4/5/a/b"]);
    expect(targetNamespaces(deep, "s01", ["a", "b", "c"])).toEqual([]);
  });

  it("parses snapshot specs", async () => {
    expect(parseRestoreSnapshot("store1:ns/a/vm/100/2023-11-14T22:13:20Z")).toEqual({ store: "store1", ref: { ns: ["a"], type: "vm", id: "100", time: 1700000000 } });
    await expectCode(() => parseRestoreSnapshot("vm/100/2023-11-14T22:13:20Z"), "invalid-name");
  });
});

describe("restore from an unpacked directory", () => {
  it("copies a snapshot from the restore temporary directory, manifest last", async () => {
    const src = new Datastore(await tmp(), "src");
    await src.chunks.create();
    const ref = { ns: ["a"], type: "ct" as const, id: "300", time: 1700000000 };
    const r = await ingestFiles(src, { ...ref, chunkSize: 4096, files: [{ name: "root", data: pseudoRandom(10000, 4), as: "image" }, { name: "pct.conf", data: new Uint8Array([65]) }] });
    const target = new Datastore(await tmp(), "dst");
    await target.chunks.create();
    const dir = restoreTmpPath(target, "0d4e1b6a-3c2f-4e5d-9a8b-7c6d5e4f3a2b", "src", ref);
    expect(dir).toBe(join(target.path, ".tmp/0d4e1b6a-3c2f-4e5d-9a8b-7c6d5e4f3a2b/src/ns/a/ct/300/2023-11-14T22:13:20Z"));
    await mkdir(dir, { recursive: true });
    for (const name of [MANIFEST_BLOB_NAME, ...r.manifest.files.map((f) => f.filename)]) await writeFile(join(dir, name), await src.readSnapshotFile(ref, name));
    await writeFile(join(dir, "client.log.blob"), await src.readSnapshotFile(ref, "pct.conf.blob"));
    const steps: string[] = [];
    const targetRef = { ...ref, ns: ["restored"] };
    await restoreSnapshotFromDir(target, targetRef, dir, { owner: "root@pam", onStep: (s) => steps.push(s.step) });
    expect(steps[steps.length - 1]).toBe("rename-manifest");
    expect(await target.listSnapshotFiles(targetRef)).toEqual(["client.log.blob", "index.json.blob", "pct.conf.blob", "root.img.fidx"]);
    expect(await target.readSnapshotFile(targetRef, "root.img.fidx")).toEqual(await src.readSnapshotFile(ref, "root.img.fidx"));
    await expectCode(() => restoreTmpPath(target, "not-a-uuid", "src", ref), "invalid-name");
    await expectCode(() => restoreSnapshotFromDir(target, { ...targetRef, time: 1 }, join(dir, "missing"), { owner: "root@pam" }), "not-found");
  });
});
