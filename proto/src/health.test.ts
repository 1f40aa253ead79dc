import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { HealthCheckRequestSchema, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { GrpcCode, GrpcError } from "./grpc-error.ts";
import { createHealthService } from "./health.ts";
import type { HandlerContext } from "./server.ts";

function context(signal: AbortSignal): HandlerContext {
  return { signal } as HandlerContext;
}

const request = (service: string) => create(HealthCheckRequestSchema, { service });

describe("createHealthService", () => {
  it("starts with the server SERVING and nothing else", async () => {
    const health = createHealthService();
    expect(health.getStatus("")).toBe(ServingStatus.SERVING);
    await expect(health.implementation.check(request("a.B"), context(new AbortController().signal))).rejects.toSatisfy(
      (e) => e instanceof GrpcError && e.code === GrpcCode.NOT_FOUND,
    );
  });

  it("takes initial statuses", async () => {
    const health = createHealthService({ "": "NOT_SERVING", "a.B": ServingStatus.SERVING });
    expect(await health.implementation.check(request(""), context(new AbortController().signal))).toEqual({ status: ServingStatus.NOT_SERVING });
    expect(health.getStatus("a.B")).toBe(ServingStatus.SERVING);
  });

  it("marks everything NOT_SERVING on shutdown and ignores later updates", async () => {
    const health = createHealthService({ "": "SERVING", "a.B": "SERVING" });
    const abort = new AbortController();
    const watch = health.implementation.watch(request("a.B"), context(abort.signal))[Symbol.asyncIterator]();
    expect((await watch.next()).value).toEqual({ status: ServingStatus.SERVING });
    health.enterShutdown();
    health.setStatus("a.B", "SERVING");
    expect(health.getStatus("")).toBe(ServingStatus.NOT_SERVING);
    expect(health.getStatus("a.B")).toBe(ServingStatus.NOT_SERVING);
    expect((await watch.next()).value).toEqual({ status: ServingStatus.NOT_SERVING });
    abort.abort();
    expect(await watch.next()).toEqual({ done: true, value: undefined });
  });

  it("ends a watch when its signal aborts", async () => {
    const health = createHealthService();
    const abort = new AbortController();
    const watch = health.implementation.watch(request(""), context(abort.signal))[Symbol.asyncIterator]();
    expect((await watch.next()).value).toEqual({ status: ServingStatus.SERVING });
    const pending = watch.next();
    abort.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});
