import { describe, expect, it } from "vitest";
import { KEYVAULT_SUBJECTS } from "@tapefleet/api-types";
import { ValidationError } from "@tapefleet/common";
import { buildOpenApiDocument } from "../openapi.ts";
import { KEY_ROUTES } from "./key-routes.ts";

const FP = "0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b";
const route = (method: string, path: string) => {
  const r = KEY_ROUTES.find((x) => x.method === method && x.path === path);
  if (!r?.forward) throw new Error(`no route ${method} ${path}`);
  return r.forward;
};

function validation(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error("expected a ValidationError");
}

describe("tape encryption key routes", () => {
  it("map PBS fields to keyvault requests", () => {
    const create = route("POST", "/config/tape-encryption-keys");
    expect(create.subject).toBe(KEYVAULT_SUBJECTS.create);
    expect(create.build({ hint: "h", password: "secret pw" }, {})).toEqual({ hint: "h", password: "secret pw" });
    expect(create.map!({ fingerprint: FP, created: 1 })).toBe(FP);
    const update = route("PUT", "/config/tape-encryption-keys/{fingerprint}");
    expect(update.build({ password: "old pass", "new-password": "new pass" }, { fingerprint: FP })).toEqual({ fingerprint: FP, oldPassword: "old pass", newPassword: "new pass" });
    const remove = route("DELETE", "/config/tape-encryption-keys/{fingerprint}");
    expect(remove.build({ force: true }, { fingerprint: FP.toUpperCase() })).toEqual({ fingerprint: FP, force: true });
    const paper = route("GET", "/config/tape-encryption-keys/{fingerprint}/paperkey");
    expect(paper.build({}, { fingerprint: FP })).toEqual({ fingerprint: FP, format: "text" });
    expect(paper.build({ "output-format": "html" }, { fingerprint: FP })).toEqual({ fingerprint: FP, format: "html" });
    expect(paper.map!({ fingerprint: FP, format: "text", document: "DOC" })).toBe("DOC");
    const imp = route("POST", "/config/tape-encryption-keys/import");
    expect(imp.build({ "key-config": "{}", password: "pw pw pw" }, {})).toEqual({ keyConfig: "{}", password: "pw pw pw" });
  });

  it("name the HTTP field in errors and never echo a password", () => {
    const create = route("POST", "/config/tape-encryption-keys");
    const short = validation(() => create.build({ password: "abc" }, {}));
    expect(short.fields).toEqual([{ field: "password", message: "must be at least 5 bytes" }]);
    expect(validation(() => create.build({ password: "long enough", kdf: "scrypt" }, {})).fields?.[0]).toEqual({ field: "kdf", message: "unknown field" });
    const update = route("PUT", "/config/tape-encryption-keys/{fingerprint}");
    const half = validation(() => update.build({ password: "the old secret" }, { fingerprint: FP }));
    expect(half.fields?.[0]?.field).toBe("new-password");
    expect(half.message).not.toContain("the old secret");
    expect(validation(() => route("GET", "/config/tape-encryption-keys/{fingerprint}").build({}, { fingerprint: "nope" })).fields?.[0]?.field).toBe("fingerprint");
    expect(validation(() => route("GET", "/config/tape-encryption-keys/{fingerprint}/paperkey").build({ "output-format": "pdf" }, { fingerprint: FP })).fields?.[0]?.field).toBe("output-format");
  });

  it("are in the OpenAPI document under PBS paths", () => {
    const doc = buildOpenApiDocument({ version: "t" }) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/api2/json/config/tape-encryption-keys"]!).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api2/json/config/tape-encryption-keys/{fingerprint}"]!).sort()).toEqual(["delete", "get", "put"]);
    expect(doc.paths["/api2/json/config/tape-encryption-keys/{fingerprint}/paperkey"]!["get"]).toBeDefined();
    expect(doc.paths["/api2/json/config/tape-encryption-keys/import"]!["post"]).toBeDefined();
  });
});
