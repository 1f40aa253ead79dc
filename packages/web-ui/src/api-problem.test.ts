import { describe, expect, it } from "vitest";
import { networkProblem, splitFieldErrors, toApiProblem } from "./api-problem.ts";

describe("toApiProblem", () => {
  it("reads the gateway's error body: code, message, a message per field, request id", () => {
    const p = toApiProblem(400, {
      errors: { retention: "invalid time span '7dayz'", "changer-drivenum": "must be ≤ 255" },
      message: "invalid media-pool",
      code: "VALIDATION",
      requestId: "r-1",
    });
    expect(p).toEqual({
      status: 400,
      code: "VALIDATION",
      message: "invalid media-pool",
      fields: { retention: "invalid time span '7dayz'", "changer-drivenum": "must be ≤ 255" },
      requestId: "r-1",
    });
  });

  it("keeps only string field messages and falls back to the status for bodies of another shape", () => {
    expect(toApiProblem(409, { errors: { name: 3, path: "taken" }, code: "CONFLICT", message: "" })).toEqual({
      status: 409,
      code: "CONFLICT",
      message: "the server answered HTTP 409",
      fields: { path: "taken" },
    });
    for (const body of [undefined, null, "<html>bad gateway</html>", [1, 2], 42]) {
      expect(toApiProblem(502, body)).toEqual({ status: 502, code: "HTTP", message: "the server answered HTTP 502", fields: {} });
    }
    expect(toApiProblem(500, { errors: ["x"], message: "boom" }).fields).toEqual({});
  });

  it("describes a request that got no answer", () => {
    expect(networkProblem(new TypeError("Failed to fetch"))).toEqual({
      status: 0,
      code: "NETWORK",
      message: "the gateway did not answer: Failed to fetch",
      fields: {},
    });
    expect(networkProblem("down").message).toBe("the gateway did not answer: down");
  });
});

describe("splitFieldErrors", () => {
  it("puts messages of the form's fields under them and lists the others with their field name", () => {
    const p = toApiProblem(400, { errors: { retention: "bad", body: "malformed JSON", delete: "unknown field" }, message: "m", code: "VALIDATION" });
    expect(splitFieldErrors(p, ["name", "retention"])).toEqual({ byField: { retention: "bad" }, other: ["body: malformed JSON", "delete: unknown field"] });
    expect(splitFieldErrors(toApiProblem(404, { message: "no such drive", code: "NOT_FOUND", errors: {} }), ["name"])).toEqual({ byField: {}, other: [] });
  });
});
