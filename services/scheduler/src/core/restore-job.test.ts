import { describe, expect, it } from "vitest";
import { restoreOwnerOf } from "./restore-job.ts";

describe("restoreOwnerOf", () => {
  it("keeps auth ids, maps root and gateway token ids to auth ids the datastore accepts", () => {
    expect(restoreOwnerOf("admin@pam")).toBe("admin@pam");
    expect(restoreOwnerOf("backup@pbs!tape")).toBe("backup@pbs!tape");
    expect(restoreOwnerOf("root")).toBe("root@pam");
    expect(restoreOwnerOf("admin")).toBe("root@pam!admin");
    expect(restoreOwnerOf("ops-token.1")).toBe("root@pam!ops-token.1");
  });

  it("refuses a user that is neither, naming the field", () => {
    expect(() => restoreOwnerOf("a@b@c")).toThrow(/user/);
    expect(() => restoreOwnerOf("-x")).toThrow(/user: '-x'/);
  });
});
