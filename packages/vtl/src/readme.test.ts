import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { defaultSiteSpec, validateSpec } from "./spec.ts";
import { Cdb, fixture } from "./test-support.ts";

describe("README", () => {
  it("its spec example is valid and opens as a library", async () => {
    const text = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const json = /```json\n([\s\S]*?)```/.exec(text)![1]!;
    const spec = validateSpec(JSON.parse(json));
    expect(spec.libraries![0]!.cartridges!.map((c) => c.kind)).toEqual(["data", "data", "worm", "data", "cleaning", "data"]);
    const fx = await fixture(JSON.parse(json));
    try {
      expect(fx.lib.listDevices().map((d) => d.id)).toEqual(["lib1/changer", "lib1/drive0", "lib1/drive1", "tape0"]);
      const d = fx.dev("tape0");
      expect((await d.run(Cdb.inquiry(36), { inLen: 36 })).status).toBe(0);
    } finally {
      await fx.cleanup();
    }
  });

  it("describes the default site as it is", async () => {
    const text = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const s = defaultSiteSpec();
    const lib = s.libraries![0]!;
    expect(text).toContain(`${lib.slots} slots, ${lib.importExportSlots} I/E`);
    const barcodes = lib.cartridges!.map((c) => c.barcode);
    expect(barcodes).toHaveLength(12);
    for (const b of ["TF0001L9", "TF0008L9", "TF0009L8", "TF0010L8", "TFW001LZ", "CLN001L1"]) {
      expect(barcodes).toContain(b);
      expect(text).toContain(b);
    }
    expect(lib.drives.map((d) => `${d.generation}:${d.serial}`)).toEqual(["9:TFD9000001", "8:TFD8000002"]);
  });
});
