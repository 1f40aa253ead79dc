import { ValidationError } from "@tapefleet/common";
import { describe, expect, it } from "vitest";
import { canonicalJson, configDigest } from "./digest.ts";
import { apiJsonSchemas } from "./json-schema.ts";
import { CONFIG_KINDS, inventoryEventType, inventorySubject, parseConfig, parseUpdate, type ConfigKind } from "./kinds.ts";

const FP = "0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b";

/** The field errors of an invalid input (fails the test when the input is valid). */
function fieldErrors(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const e = err as ValidationError;
    expect(e.code).toBe("VALIDATION");
    return Object.fromEntries((e.fields ?? []).map((f) => [f.field, f.message]));
  }
  throw new Error("expected a ValidationError");
}

const VALID: Record<ConfigKind, Record<string, unknown>> = {
  changer: { name: "lib1", path: "/dev/tape/by-id/scsi-LIB1" },
  drive: { name: "drv1", path: "/dev/sg3" },
  "media-pool": { name: "p1" },
  "tape-backup-job": { id: "job1", store: "store1", pool: "p1", drive: "drv1" },
  datastore: { name: "store1", path: "/srv/pbs/store1", host: "agent-1" },
};

/** [kind, field, bad value, expected message (regexp)] — one row per field rule. */
const BAD: [ConfigKind, string, unknown, RegExp][] = [
  ["changer", "name", "a", /at least 2 characters/],
  ["changer", "name", "a".repeat(33), /at most 32 characters/],
  ["changer", "name", "../x", /invalid characters/],
  ["changer", "name", 7, /must be a string/],
  ["changer", "path", "dev/sg3", /absolute path/],
  ["changer", "path", "", /must not be empty/],
  ["changer", "path", "/dev/../etc", /'\.\.'/],
  ["changer", "path", "/dev/sg3\n", /control characters/],
  ["changer", "path", "/" + "a".repeat(256), /at most 256/],
  ["changer", "export-slots", "1,0", /invalid slot number '0'/],
  ["changer", "export-slots", "1,x", /invalid slot number 'x'/],
  ["changer", "export-slots", [1, 2.5], /invalid slot number '2.5'/],
  ["changer", "export-slots", [70000], /invalid slot number '70000'/],
  ["changer", "export-slots", 5, /list of slot numbers/],
  ["changer", "eject-before-unload", "yes", /must be a boolean/],
  ["drive", "changer", "x", /at least 2 characters/],
  ["drive", "changer-drivenum", 256, /integer from 0 to 255/],
  ["drive", "changer-drivenum", -1, /integer from 0 to 255/],
  ["drive", "changer-drivenum", 1.5, /integer from 0 to 255/],
  ["drive", "changer-drivenum", "1", /must be a number/],
  ["datastore", "name", "ab", /at least 3 characters/],
  ["datastore", "path", "srv/x", /absolute path/],
  ["datastore", "path", "/srv/../etc", /'\.\.'/],
  ["datastore", "host", "-agent", /agent host id/],
  ["media-pool", "name", "p", /at least 2 characters/],
  ["media-pool", "drive", "d", /at least 2 characters/],
  ["media-pool", "allocation", "sometimes", /^must be 'continue', 'always' or a calendar event: invalid calendar event 'sometimes': /],
  ["media-pool", "retention", "7dayz", /^invalid time span '7dayz': .*dayz/],
  ["media-pool", "retention", "", /^invalid time span '': /],
  ["media-pool", "template", "x", /2 to 64 characters/],
  ["media-pool", "template", "x".repeat(65), /2 to 64 characters/],
  ["media-pool", "template", "a\tb", /control characters/],
  ["media-pool", "encrypt", "0e:ab", /key fingerprint/],
  ["media-pool", "encrypt", FP.replace("0e", "0g"), /key fingerprint/],
  ["media-pool", "comment", "two\nlines", /single line/],
  ["media-pool", "comment", "c".repeat(129), /at most 128/],
  ["tape-backup-job", "id", "j", /at least 3 characters/],
  ["tape-backup-job", "store", "s/1", /invalid characters/],
  ["tape-backup-job", "pool", "p", /at least 2 characters/],
  ["tape-backup-job", "drive", "", /at least 2 characters/],
  ["tape-backup-job", "schedule", "mon..fry", /^invalid calendar event 'mon..fry': /],
  ["tape-backup-job", "latest-only", 1, /must be a boolean/],
  ["tape-backup-job", "notify-user", "root", /name@realm/],
  ["tape-backup-job", "eject-media", "true", /must be a boolean/],
  ["tape-backup-job", "export-media-set", null, /must be a boolean/],
  ["tape-backup-job", "ns", "a//b", /component ''/],
  ["tape-backup-job", "ns", "a/b/c/d/e/f/g/h", /at most 7 levels/],
  ["tape-backup-job", "max-depth", 8, /integer from 0 to 7/],
  ["tape-backup-job", "group-filter", ["type:disk"], /invalid group filter 'type:disk'/],
  ["tape-backup-job", "group-filter", ["regex:("], /bad regular expression/],
  ["tape-backup-job", "group-filter", "type:vm", /must be a list/],
  ["tape-backup-job", "comment", 5, /must be a string/],
];

describe("configuration schemas", () => {
  it.each(BAD)("%s: rejects %s = %j naming the field", (kind, field, value, message) => {
    const errors = fieldErrors(() => parseConfig(kind, { ...VALID[kind], [field]: value }));
    expect(Object.keys(errors)).toEqual([field.includes(".") ? field : expect.stringMatching(new RegExp(`^${field}(\\.\\d+)?$`))]);
    expect(Object.values(errors)[0]).toMatch(message);
  });

  it("names array elements by index", () => {
    const errors = fieldErrors(() => parseConfig("tape-backup-job", { ...VALID["tape-backup-job"], "group-filter": ["type:vm", "bogus"] }));
    expect(Object.keys(errors)).toEqual(["group-filter.1"]);
  });

  it("reports every bad field at once, missing required ones and unknown ones", () => {
    const errors = fieldErrors(() => parseConfig("tape-backup-job", { id: "job1", pool: "p", extra: 1 }));
    expect(errors).toEqual({ store: "is required", pool: "must be at least 2 characters", drive: "is required", extra: "unknown field" });
    expect(fieldErrors(() => parseConfig("changer", "lib1"))).toEqual({ body: "must be a JSON object" });
    expect(fieldErrors(() => parseConfig("changer", null))).toEqual({ body: "must be a JSON object" });
  });

  it("formats the error message as '<field>: <reason>'", () => {
    try {
      parseConfig("media-pool", { name: "daily", retention: "7dayz" });
    } catch (err) {
      expect((err as Error).message).toMatch(/^retention: invalid time span '7dayz': /);
    }
  });

  it("accepts the valid forms and normalizes them", () => {
    expect(parseConfig("changer", { ...VALID.changer, "export-slots": "3, 1,2,2", "eject-before-unload": true })).toEqual({
      ...VALID.changer,
      "export-slots": [1, 2, 3],
      "eject-before-unload": true,
    });
    expect(parseConfig("changer", { ...VALID.changer, "export-slots": [4, 2] })["export-slots"]).toEqual([2, 4]);
    expect(parseConfig("changer", { ...VALID.changer, "export-slots": "" })["export-slots"]).toEqual([]);
    expect(parseConfig("drive", { ...VALID.drive, changer: "lib1", "changer-drivenum": 255 })["changer-drivenum"]).toBe(255);
    for (const allocation of ["continue", "always", "daily", "mon..fri 8..17,22:0/15", "sat *-1..7 15:00"]) {
      expect(parseConfig("media-pool", { name: "p1", allocation }).allocation).toBe(allocation);
    }
    for (const retention of ["keep", "overwrite", "7days", "2 weeks", "1d 2h 3m", "6M"]) {
      expect(parseConfig("media-pool", { name: "p1", retention }).retention).toBe(retention);
    }
    expect(parseConfig("media-pool", { name: "p1", encrypt: FP.toUpperCase() }).encrypt).toBe(FP);
    const job = parseConfig("tape-backup-job", {
      ...VALID["tape-backup-job"],
      schedule: "daily",
      "latest-only": true,
      "notify-user": "root@pam",
      "eject-media": false,
      "export-media-set": true,
      ns: "a/b",
      "max-depth": 0,
      "group-filter": ["type:vm", "group:ct/100", "exclude:regex:^test-", "exclude:type:host"],
      comment: "nightly",
    });
    expect(job["max-depth"]).toBe(0);
    expect(job["group-filter"]).toHaveLength(4);
  });
});

describe("update requests", () => {
  it("accepts partial changes and a delete list (array or text)", () => {
    expect(parseUpdate("media-pool", { retention: "14days", delete: ["allocation", "comment"] })).toEqual({ retention: "14days", delete: ["allocation", "comment"] });
    expect(parseUpdate("media-pool", { delete: "allocation,comment" })).toEqual({ delete: ["allocation", "comment"] });
    expect(parseUpdate("changer", {})).toEqual({});
  });

  it("rejects unknown or required fields in delete, set-and-delete, a key change and bad values", () => {
    expect(fieldErrors(() => parseUpdate("media-pool", { delete: ["name"] }))).toEqual({
      delete: "cannot delete 'name': deletable fields are drive, allocation, retention, template, encrypt, comment",
    });
    expect(fieldErrors(() => parseUpdate("drive", { delete: ["path"] })).delete).toMatch(/cannot delete 'path'/);
    expect(fieldErrors(() => parseUpdate("media-pool", { retention: "7d", delete: ["retention"] }))).toEqual({ delete: "cannot set and delete 'retention' at once" });
    expect(fieldErrors(() => parseUpdate("changer", { name: "lib2" }))).toEqual({ name: "unknown field" });
    expect(fieldErrors(() => parseUpdate("tape-backup-job", { id: "x2x" }))).toEqual({ id: "unknown field" });
    expect(fieldErrors(() => parseUpdate("media-pool", { retention: "7dayz" })).retention).toMatch(/^invalid time span '7dayz'/);
    expect(fieldErrors(() => parseUpdate("media-pool", { delete: 3 }))).toEqual({ delete: "must be a list of field names" });
  });
});

describe("configuration digest", () => {
  it("hashes the canonical JSON, so key order does not matter", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }], e: "x" })).toBe('{"a":[{"d":2}],"b":1,"e":"x"}');
    expect(configDigest({ name: "p1", drive: "d1x" })).toBe(configDigest({ drive: "d1x", name: "p1" }));
    expect(configDigest({ name: "p1" })).not.toBe(configDigest({ name: "p2" }));
    expect(configDigest({ name: "p1" })).toMatch(/^[0-9a-f]{64}$/);
  });
  it("is accepted in update requests and checked for shape", () => {
    const d = configDigest({ name: "p1" });
    expect(parseUpdate("media-pool", { comment: "x", digest: d })).toEqual({ comment: "x", digest: d });
    expect(fieldErrors(() => parseUpdate("media-pool", { digest: "abc" }))).toEqual({ digest: "must be a configuration digest (64 lowercase hex digits)" });
  });
});

describe("protocol names and JSON Schemas", () => {
  it("names subjects and event types per kind", () => {
    expect(inventorySubject("media-pool", "create")).toBe("inventory.config.media-pool.create");
    expect(inventoryEventType("tape-backup-job", "removed")).toBe("inventory.tape-backup-job.removed");
  });

  it("exports a JSON Schema per body, with the facts of each field", () => {
    const s = apiJsonSchemas();
    for (const p of ["Changer", "Drive", "MediaPool", "TapeBackupJob"]) {
      for (const suffix of ["Config", "Create", "Update"]) expect(s[`${p}${suffix}`]?.["type"]).toBe("object");
    }
    expect(Object.keys(s)).toHaveLength(CONFIG_KINDS.length * 3 + 4);
    const pool = s["MediaPoolConfig"] as { properties: Record<string, Record<string, unknown>>; required: string[]; additionalProperties: boolean };
    expect(pool.required).toEqual(["name"]);
    expect(pool.additionalProperties).toBe(false);
    expect(pool.properties["name"]).toMatchObject({ type: "string", minLength: 2, maxLength: 32 });
    const drive = s["DriveConfig"] as { properties: Record<string, Record<string, unknown>> };
    expect(drive.properties["changer-drivenum"]).toMatchObject({ type: "integer", minimum: 0, maximum: 255 });
    const create = s["ChangerCreate"] as { properties: Record<string, Record<string, unknown>> };
    expect(create.properties["export-slots"]?.["anyOf"]).toHaveLength(2);
    const update = s["MediaPoolUpdate"] as { properties: Record<string, unknown>; required?: string[] };
    expect(update.required).toBeUndefined();
    expect(Object.keys(update.properties)).toContain("delete");
  });
});
