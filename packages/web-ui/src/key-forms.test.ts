import { describe, expect, it } from "vitest";
import { keyCreateBody, keyImportBody, keyUpdateBody, REPEAT_FIELD } from "./key-forms.ts";

describe("key forms", () => {
  it("create: the password typed twice, the hint when given", () => {
    expect(keyCreateBody({ password: "secret1", repeat: "secret1", hint: " the usual " })).toEqual({ body: { password: "secret1", hint: "the usual" } });
    expect(keyCreateBody({ password: "abc", repeat: "abc", hint: "" })).toEqual({ body: { password: "abc" } });
    expect(keyCreateBody({ password: "secret1", repeat: "secret2", hint: "" })).toEqual({ errors: { [REPEAT_FIELD]: "the passwords differ" } });
  });

  it("update: only what changed; a new password goes with the current one", () => {
    expect(keyUpdateBody({ hint: "new", oldHint: "old", password: "", newPassword: "", repeat: "" })).toEqual({ body: { hint: "new" } });
    expect(keyUpdateBody({ hint: "old", oldHint: "old", password: "p1", newPassword: "p2p2p2", repeat: "p2p2p2" })).toEqual({ body: { password: "p1", "new-password": "p2p2p2" } });
    expect(keyUpdateBody({ hint: "old", oldHint: "old", password: "p1", newPassword: "p2p2p2", repeat: "p3" })).toEqual({ errors: { [REPEAT_FIELD]: "the passwords differ" } });
    // Nothing changed: an empty body, for the API to refuse with its message.
    expect(keyUpdateBody({ hint: "old", oldHint: "old", password: "", newPassword: "", repeat: "" })).toEqual({ body: {} });
  });

  it("import: the key text, its password, an optional hint", () => {
    expect(keyImportBody({ keyConfig: "\n-----BEGIN…\n", password: "pw", hint: "" })).toEqual({ body: { "key-config": "-----BEGIN…", password: "pw" } });
    expect(keyImportBody({ keyConfig: "{}", password: "pw", hint: "h" })).toEqual({ body: { "key-config": "{}", password: "pw", hint: "h" } });
  });
});
