import { describe, expect, it } from "vitest";
import { errorFromJson, httpStatusOf, NotFoundError, toPublicError, ValidationError, TapefleetError } from "./errors.ts";

describe("errors", () => {
  it("maps codes to HTTP status", () => {
    expect(httpStatusOf("VALIDATION")).toBe(400);
    expect(httpStatusOf("UNAUTHORIZED")).toBe(401);
    expect(httpStatusOf("FORBIDDEN")).toBe(403);
    expect(httpStatusOf("NOT_FOUND")).toBe(404);
    expect(httpStatusOf("CONFLICT")).toBe(409);
    expect(new NotFoundError("pool", "x").httpStatus).toBe(404);
  });

  it("round-trips through JSON with field errors", () => {
    const e = ValidationError.field("retention", "invalid time span '7dayz'");
    const back = errorFromJson(JSON.parse(JSON.stringify(e)));
    expect(back.code).toBe("VALIDATION");
    expect(back.fields).toEqual([{ field: "retention", message: "invalid time span '7dayz'" }]);
    expect(back.message).toContain("retention");
  });

  it("carries a reason sub-code", () => {
    const e = new TapefleetError("CONFLICT", "no usable media in pool 'daily'", { reason: "NO_USABLE_MEDIA" });
    const back = errorFromJson(JSON.parse(JSON.stringify(e)));
    expect(back.reason).toBe("NO_USABLE_MEDIA");
    expect(back.code).toBe("CONFLICT");
  });

  it("hides unknown errors behind a request id", () => {
    const pub = toPublicError(new Error("secret detail"), "req-1");
    expect(pub.code).toBe("INTERNAL");
    expect(pub.message).not.toContain("secret");
    expect(pub.toJSON().requestId).toBe("req-1");
    const known = new TapefleetError("CONFLICT", "exists");
    expect(toPublicError(known, "r")).toBe(known);
  });

  it("treats malformed replies as internal", () => {
    expect(errorFromJson({ code: "NOPE" }).code).toBe("INTERNAL");
    expect(errorFromJson(null).code).toBe("INTERNAL");
  });
});
