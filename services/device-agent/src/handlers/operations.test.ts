import { describe, expect, it } from "vitest";
import type { HandlerContext } from "@tapefleet/proto";
import { DeviceError } from "../core/device-error.ts";
import type { DeviceService } from "../core/device-service.ts";
import type { OperationContext } from "../core/tape-drive.ts";
import { operationsImpl } from "./operations.ts";

function context(name: string, signal = new AbortController().signal): HandlerContext {
  return { method: { name }, signal, requestId: "req-1" } as unknown as HandlerContext;
}

/** A DeviceService stand-in whose drive erase reports progress and waits for the test. */
function stubService(run: (op: OperationContext) => Promise<void>) {
  const calls: unknown[] = [];
  const service = {
    withDrive: async (ref: string, lock: unknown, fn: (d: unknown) => Promise<unknown>) => {
      calls.push({ ref, lock });
      return fn({ erase: (_fast: boolean, op: OperationContext) => run(op) });
    },
  } as unknown as DeviceService;
  return { service, calls };
}

describe("streaming operations at the gRPC edge", () => {
  it("sends every progress message in order, then the result; the lock names the rpc and request", async () => {
    const { service, calls } = stubService(async (op) => {
      op.progress?.({ message: "rewinding", activity: "rewinding" });
      await Promise.resolve();
      op.progress?.({ percent: 50, message: "erasing", activity: "erasing" });
    });
    const impl = operationsImpl(service, { applicationVersion: "1" });
    const out: unknown[] = [];
    for await (const m of impl.eraseMedia({ device: "D1", fast: true, lockWaitMs: 5 } as never, context("EraseMedia")) as AsyncIterable<unknown>) out.push(m);
    expect(out).toEqual([
      { event: { case: "progress", value: { message: "rewinding", activity: "rewinding" } } },
      { event: { case: "progress", value: { percent: 50, message: "erasing", activity: "erasing" } } },
      { event: { case: "result", value: { fast: true } } },
    ]);
    expect(calls).toEqual([{ ref: "D1", lock: { owner: "EraseMedia (request req-1)", waitMs: 5, signal: expect.any(AbortSignal) } }]);
  });

  it("ends the stream with the operation's error", async () => {
    const { service } = stubService(async (op) => {
      op.progress?.({ message: "rewinding", activity: "rewinding" });
      throw new DeviceError("NO_MEDIUM", "the drive holds no cartridge");
    });
    const impl = operationsImpl(service, { applicationVersion: "1" });
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const m of impl.eraseMedia({ device: "D1", fast: false, lockWaitMs: 0 } as never, context("EraseMedia")) as AsyncIterable<unknown>) seen.push(m);
      })(),
    ).rejects.toMatchObject({ code: "NO_MEDIUM", grpcStatus: 9 });
    expect(seen).toHaveLength(1);
  });

  it("reports an operation its client left once it has stopped", async () => {
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const abort = new AbortController();
    const { service } = stubService(async (op) => {
      op.progress?.({ message: "waiting", activity: "calibrating" });
      await gate;
      if (op.signal?.aborted) throw new DeviceError("CANCELLED", "cancelled while waiting");
    });
    const abandoned: unknown[] = [];
    const impl = operationsImpl(service, { applicationVersion: "1", onAbandoned: (method, requestId, outcome) => abandoned.push({ method, requestId, outcome }) });
    for await (const m of impl.eraseMedia({ device: "D1", fast: true, lockWaitMs: 0 } as never, context("EraseMedia", abort.signal)) as AsyncIterable<unknown>) {
      expect(m).toMatchObject({ event: { case: "progress" } });
      break; // the client goes away
    }
    abort.abort();
    finish();
    await expect.poll(() => abandoned.length).toBe(1);
    expect(abandoned[0]).toMatchObject({ method: "EraseMedia", requestId: "req-1", outcome: { code: "CANCELLED" } });
  });

  it("validates label requests before touching the drive, naming the field", () => {
    const { service, calls } = stubService(async () => {});
    const impl = operationsImpl(service, { applicationVersion: "1" });
    const label = (r: Record<string, unknown>) => () => impl.labelMedia({ device: "D1", labelText: "TAPE01L9", uuid: "0e6f5c3a-9f1d-4e2b-8a7c-112233445566", ctime: 1n, lockWaitMs: 0, ...r } as never, context("LabelMedia"));
    expect(label({ labelText: "-bad" })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "label_text" }));
    expect(label({ uuid: "0E6F5C3A-9F1D-4E2B-8A7C-112233445566" })).toThrow(expect.objectContaining({ field: "uuid" }));
    expect(label({ ctime: 0n })).toThrow(expect.objectContaining({ field: "ctime" }));
    expect(label({ ctime: 2n ** 60n })).toThrow(expect.objectContaining({ field: "ctime" }));
    expect(calls).toEqual([]);
  });
});
