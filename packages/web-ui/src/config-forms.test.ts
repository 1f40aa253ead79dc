import { describe, expect, it } from "vitest";
import { CONFIG_KINDS, createBody, encodeField, FORM_SPECS, formValuesOf, hasChanges, specOfRoute, updateBody, type FieldSpec } from "./config-forms.ts";

const pool = FORM_SPECS["media-pool"];
const job = FORM_SPECS["tape-backup-job"];
const drive = FORM_SPECS.drive;
const changer = FORM_SPECS.changer;

const f = (type: FieldSpec["type"]): FieldSpec => ({ key: "k", label: "K", type, description: "" });

describe("form specs", () => {
  it("have one page per kind, a key field that is a required key, and list columns that are fields", () => {
    expect(CONFIG_KINDS.map((k) => FORM_SPECS[k].route)).toEqual(["/changers", "/drives", "/media-pools", "/backup-jobs", "/datastores"]);
    for (const k of CONFIG_KINDS) {
      const spec = FORM_SPECS[k];
      const keyField = spec.fields.find((x) => x.key === spec.keyField);
      expect(keyField, k).toMatchObject({ required: true, isKey: true });
      for (const c of spec.columns) expect(spec.fields.some((x) => x.key === c), `${k}.${c}`).toBe(true);
      expect(specOfRoute(spec.route)).toBe(spec);
    }
    expect(specOfRoute("/tasks")).toBeUndefined();
  });
});

describe("encodeField", () => {
  it("turns form text into the API's JSON, and empty input into 'not set'", () => {
    expect(encodeField(f("text"), "  daily ")).toBe("daily");
    expect(encodeField(f("text"), "   ")).toBeUndefined();
    expect(encodeField(f("integer"), "7")).toBe(7);
    expect(encodeField(f("integer"), "-1")).toBe(-1);
    expect(encodeField(f("integer"), "seven")).toBe("seven");
    expect(encodeField(f("integer"), "")).toBeUndefined();
    expect(encodeField(f("boolean"), true)).toBe(true);
    expect(encodeField(f("boolean"), false)).toBeUndefined();
    expect(encodeField(f("lines"), "type:vm\n group:ct/100 ,exclude:x\n\n")).toEqual(["type:vm", "group:ct/100", "exclude:x"]);
    expect(encodeField(f("lines"), " \n , ")).toBeUndefined();
    expect(encodeField(f("text"), undefined)).toBeUndefined();
  });
});

describe("create and update bodies", () => {
  it("creates with every field that is set", () => {
    const values = { ...formValuesOf(pool), name: "daily", drive: "d1", retention: "7dayz" };
    expect(createBody(pool, values)).toEqual({ name: "daily", drive: "d1", retention: "7dayz" });
    const jobValues = { ...formValuesOf(job), id: "nightly", store: "s1", pool: "daily", drive: "d1", "latest-only": true, "max-depth": "2", "group-filter": "type:vm" };
    expect(createBody(job, jobValues)).toEqual({ id: "nightly", store: "s1", pool: "daily", drive: "d1", "latest-only": true, "max-depth": 2, "group-filter": ["type:vm"] });
  });

  it("shows an entry in the form and gets it back unchanged", () => {
    const entry = { id: "nightly", store: "s1", pool: "daily", drive: "d1", schedule: "daily", "eject-media": true, "max-depth": 3, "group-filter": ["type:vm", "type:ct"] };
    const values = formValuesOf(job, entry);
    expect(values).toMatchObject({ id: "nightly", schedule: "daily", "eject-media": true, "latest-only": false, "max-depth": "3", "group-filter": "type:vm\ntype:ct", comment: "" });
    expect(updateBody(job, entry, values, "d".repeat(64))).toEqual({ digest: "d".repeat(64) });
    expect(hasChanges(updateBody(job, entry, values, "d".repeat(64)))).toBe(false);
    const c = { name: "lib1", path: "/dev/sg3", "export-slots": [15, 16] };
    expect(formValuesOf(changer, c)["export-slots"]).toBe("15,16");
    expect(updateBody(changer, c, formValuesOf(changer, c))).toEqual({});
  });

  it("sends changed fields, deletes cleared optional ones, never sends the key, and keeps a cleared required field visible to the API", () => {
    const entry = { name: "daily", drive: "d1", retention: "7days", comment: "old" };
    const values = { ...formValuesOf(pool, entry), name: "renamed", retention: "14days", comment: "", template: "%id%" };
    const body = updateBody(pool, entry, values, "a".repeat(64));
    expect(body).toEqual({ retention: "14days", template: "%id%", delete: ["comment"], digest: "a".repeat(64) });
    expect(hasChanges(body)).toBe(true);

    const d = { name: "d1", path: "/dev/sg1", changer: "lib1", "changer-drivenum": 1 };
    expect(updateBody(drive, d, { ...formValuesOf(drive, d), path: "", changer: "", "changer-drivenum": "x" })).toEqual({
      path: "",
      "changer-drivenum": "x",
      delete: ["changer"],
    });
    const j = { id: "nightly", store: "s1", pool: "daily", drive: "d1", "latest-only": true };
    expect(updateBody(job, j, { ...formValuesOf(job, j), "latest-only": false, "eject-media": true })).toEqual({ "eject-media": true, delete: ["latest-only"] });
  });
});
