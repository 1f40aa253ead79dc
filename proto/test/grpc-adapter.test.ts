import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client as RawClient, Metadata, Server, ServerCredentials, credentials } from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  BadRequestSchema,
  DeviceAgentService,
  DeviceChangeKind,
  DeviceKind,
  DeviceState,
  GetAgentInfoRequestSchema,
  GetAgentInfoResponseSchema,
  GrpcCode,
  GrpcError,
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  addPartialService,
  addService,
  closeClient,
  createClient,
  createHealthService,
  errorDetail,
} from "../src/index.ts";
import type { CallFailure, Client, DeviceSchema, HealthService, PartialServiceImpl, ServiceImpl } from "../src/index.ts";
import { EchoService } from "./echo-service.ts";

type DeviceInit = MessageInitShape<typeof DeviceSchema>;

const DEVICES: DeviceInit[] = [
  {
    id: "10WT012345",
    kind: DeviceKind.TAPE_DRIVE,
    vendor: "IBM",
    model: "ULTRIUM-HH9",
    revision: "Q3F0",
    serial: "10WT012345",
    path: "/dev/tape/by-id/scsi-10WT012345-sg",
    state: DeviceState.ONLINE,
    generation: "LTO-9",
  },
  {
    id: "CHG0001",
    kind: DeviceKind.MEDIUM_CHANGER,
    vendor: "HP",
    model: "MSL G3 Series",
    revision: "3.40",
    serial: "CHG0001",
    path: "/dev/tape/by-id/scsi-CHG0001",
    state: DeviceState.ONLINE,
  },
  {
    id: "vtl:lib0/drive1",
    kind: DeviceKind.TAPE_DRIVE,
    vendor: "TAPEFLT",
    model: "VIRTUAL-LTO8",
    revision: "0001",
    serial: "VDRV0001",
    path: "vtl:lib0/drive1",
    state: DeviceState.OFFLINE,
    generation: "LTO-8",
    virtual: true,
  },
];

/** A promise with its resolver, for ordering without timers. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Per-test hooks into the server implementation. */
const hooks = {
  /** Set when a handler began (a call whose deadline passes in transit may never reach it). */
  entered: false,
  handlerStarted: signal(),
  handlerAborted: signal<unknown>(),
  streamFinished: signal(),
};

function resetHooks(): void {
  hooks.entered = false;
  hooks.handlerStarted = signal();
  hooks.handlerAborted = signal<unknown>();
  hooks.streamFinished = signal();
}

function waitForAbort(abortSignal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    abortSignal.addEventListener("abort", () => {
      hooks.handlerAborted.resolve(abortSignal.reason);
      reject(abortSignal.reason);
    });
  });
}

const deviceAgent: PartialServiceImpl<typeof DeviceAgentService> = {
  async getAgentInfo(_request, context) {
    const mode = context.requestMetadata.get("x-test-mode")[0];
    if (mode === "grpc-error") {
      throw new GrpcError(GrpcCode.NOT_FOUND, "no agent info for this host", [
        errorDetail(BadRequestSchema, { fieldViolations: [{ field: "host_id", description: "unknown host" }] }),
      ]);
    }
    if (mode === "domain-error") {
      throw Object.assign(new Error("drive 10WT012345 is busy"), { grpcStatus: GrpcCode.UNAVAILABLE, code: "DRIVE_BUSY" });
    }
    if (mode === "unknown-error") {
      throw new Error("connect ECONNREFUSED postgres://admin:hunter2@db");
    }
    if (mode === "slow") {
      hooks.entered = true;
      hooks.handlerStarted.resolve();
      return waitForAbort(context.signal);
    }
    return { agent: { hostId: "host-a", agentVersion: "0.1.0", grpcAddress: "host-a:7443" } };
  },
  async listDevices(request) {
    const devices = DEVICES.filter((d) => request.kinds.length === 0 || request.kinds.includes(d.kind ?? DeviceKind.UNSPECIFIED));
    return { devices: request.includeOffline ? devices : devices.filter((d) => d.state === DeviceState.ONLINE) };
  },
  async *watchDevices(request, context) {
    hooks.entered = true;
    try {
      for (const device of DEVICES) {
        if (request.kinds.length > 0 && !request.kinds.includes(device.kind ?? DeviceKind.UNSPECIFIED)) continue;
        yield { change: DeviceChangeKind.ADDED, device };
      }
      const mode = context.requestMetadata.get("x-test-mode")[0];
      if (mode === "fail-after-snapshot") throw new GrpcError(GrpcCode.ABORTED, "device scan aborted");
      if (mode === "end-after-snapshot") return;
      hooks.handlerStarted.resolve();
      await waitForAbort(context.signal);
    } finally {
      hooks.streamFinished.resolve();
    }
  },
};

// `missing` is left out on purpose: the adapter must answer UNIMPLEMENTED.
const echo: Omit<ServiceImpl<typeof EchoService>, "missing"> = {
  async echo(request) {
    return { value: request.value.toUpperCase() };
  },
  async collect(requests) {
    const parts: string[] = [];
    for await (const request of requests) parts.push(request.value);
    return { value: parts.join(",") };
  },
  async first(requests) {
    for await (const request of requests) return { value: request.value };
    return { value: "" };
  },
  async *chat(requests) {
    for await (const request of requests) {
      if (request.value === "boom") throw new GrpcError(GrpcCode.INVALID_ARGUMENT, "boom is not a word");
      yield { value: `re: ${request.value}` };
    }
  },
};

let server: Server;
let address: string;
let health: HealthService;
let agentClient: Client<typeof DeviceAgentService>;
let healthClient: Client<typeof Health>;
let echoClient: Client<typeof EchoService>;
const failures: { error: unknown; failure: CallFailure }[] = [];

async function* strings(...values: string[]): AsyncGenerator<{ value: string }> {
  for (const value of values) yield { value };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GrpcError);
    return error as GrpcError;
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  server = new Server();
  health = createHealthService();
  const onError = (error: unknown, failure: CallFailure): void => {
    failures.push({ error, failure });
  };
  addPartialService(server, DeviceAgentService, deviceAgent, { onError });
  addService(server, EchoService, echo as ServiceImpl<typeof EchoService>, { onError });
  addService(server, Health, health.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error))),
  );
  address = `127.0.0.1:${port}`;
  health.setStatus(DeviceAgentService.typeName, "SERVING");
  agentClient = createClient(DeviceAgentService, address, credentials.createInsecure(), { defaultTimeoutMs: 30_000 });
  healthClient = createClient(Health, address, credentials.createInsecure());
  echoClient = createClient(EchoService, address, credentials.createInsecure());
});

afterAll(async () => {
  closeClient(agentClient);
  closeClient(healthClient);
  closeClient(echoClient);
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
});

describe("unary", () => {
  it("calls GetAgentInfo and decodes the typed response", async () => {
    const response = await agentClient.getAgentInfo({});
    expect(response.$typeName).toBe("tapefleet.device.v1.GetAgentInfoResponse");
    expect(response.agent?.hostId).toBe("host-a");
    expect(response.agent?.agentVersion).toBe("0.1.0");
    expect(response.agent?.grpcAddress).toBe("host-a:7443");
  });

  it("passes request fields through and keeps optional presence", async () => {
    const online = await agentClient.listDevices({ kinds: [DeviceKind.TAPE_DRIVE] });
    expect(online.devices.map((d) => d.serial)).toEqual(["10WT012345"]);
    expect(online.devices[0]?.generation).toBe("LTO-9");

    const all = await agentClient.listDevices({ includeOffline: true });
    expect(all.devices.map((d) => d.id)).toEqual(["10WT012345", "CHG0001", "vtl:lib0/drive1"]);
    const changer = all.devices[1];
    expect(changer?.kind).toBe(DeviceKind.MEDIUM_CHANGER);
    expect(changer?.generation).toBeUndefined();
    expect(all.devices[2]?.virtual).toBe(true);
    expect(all.devices[2]?.state).toBe(DeviceState.OFFLINE);
  });

  it("serves the method at /<package>.<Service>/<Method> with protobuf binary bodies", async () => {
    const raw = new RawClient(address, credentials.createInsecure());
    try {
      const identity = (b: Buffer): Buffer => b;
      const body = Buffer.from(toBinary(GetAgentInfoRequestSchema, create(GetAgentInfoRequestSchema)));
      const reply = await new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest("/tapefleet.device.v1.DeviceAgentService/GetAgentInfo", identity, identity, body, new Metadata(), {}, (error, value) =>
          error === null && value !== undefined ? resolve(value) : reject(error),
        ),
      );
      expect(fromBinary(GetAgentInfoResponseSchema, reply).agent?.hostId).toBe("host-a");
    } finally {
      raw.close();
    }
  });

  it("answers UNIMPLEMENTED for a method without a handler", async () => {
    const error = await rejection(echoClient.missing({ value: "x" }));
    expect(error.code).toBe(GrpcCode.UNIMPLEMENTED);
    expect(error.rawMessage).toContain("tapefleet.testing.v1.EchoService.Missing");
  });
});

describe("streaming", () => {
  it("streams WatchDevices and cancels the server side when the client stops reading", async () => {
    resetHooks();
    const seen: string[] = [];
    for await (const event of agentClient.watchDevices({})) {
      expect(event.change).toBe(DeviceChangeKind.ADDED);
      seen.push(event.device?.id ?? "");
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(["10WT012345", "CHG0001"]);
    await hooks.streamFinished.promise;
  });

  it("reads a whole stream that the server ends", async () => {
    const events = await collect(agentClient.watchDevices({ kinds: [DeviceKind.TAPE_DRIVE] }, { metadata: { "x-test-mode": "end-after-snapshot" } }));
    expect(events.map((e) => e.device?.id)).toEqual(["10WT012345", "vtl:lib0/drive1"]);
  });

  it("delivers messages sent before a stream fails, then the error", async () => {
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of agentClient.watchDevices({}, { metadata: { "x-test-mode": "fail-after-snapshot" } })) seen.push(event.device?.id ?? "");
      })(),
    );
    expect(seen).toEqual(["10WT012345", "CHG0001", "vtl:lib0/drive1"]);
    expect(error.code).toBe(GrpcCode.ABORTED);
    expect(error.rawMessage).toBe("device scan aborted");
  });

  it("supports client streaming", async () => {
    const response = await echoClient.collect(strings("a", "b", "c"));
    expect(response.value).toBe("a,b,c");
    const fromArray = await echoClient.collect([{ value: "x" }, { value: "y" }]);
    expect(fromArray.value).toBe("x,y");
    const empty = await echoClient.collect(strings());
    expect(empty.value).toBe("");
  });

  it("stops sending when the server answers a client stream early", async () => {
    const sourceClosed = signal();
    async function* endless(): AsyncGenerator<{ value: string }> {
      try {
        for (let i = 0; ; i++) yield { value: `request-${i}-${"y".repeat(1000)}` };
      } finally {
        sourceClosed.resolve();
      }
    }
    const response = await echoClient.first(endless());
    expect(response.value.startsWith("request-0-")).toBe(true);
    await sourceClosed.promise;
  });

  it("fails a client stream whose request source throws, naming the cause", async () => {
    async function* broken(): AsyncGenerator<{ value: string }> {
      yield { value: "a" };
      throw new Error("tape read failed");
    }
    const error = await rejection(echoClient.collect(broken()));
    expect(error.code).toBe(GrpcCode.CANCELLED);
    expect(error.rawMessage).toBe("request stream failed: tape read failed");
    expect((error.cause as Error).message).toBe("tape read failed");
    const bidiError = await rejection(collect(echoClient.chat(broken())));
    expect(bidiError.rawMessage).toBe("request stream failed: tape read failed");
  });

  it("supports bidirectional streaming", async () => {
    const replies = await collect(echoClient.chat(strings("one", "two", "three")));
    expect(replies.map((r) => r.value)).toEqual(["re: one", "re: two", "re: three"]);
  });

  it("ends a bidirectional stream with the handler's error", async () => {
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const reply of echoClient.chat(strings("fine", "boom", "never"))) seen.push(reply.value);
      })(),
    );
    expect(seen).toEqual(["re: fine"]);
    expect(error.code).toBe(GrpcCode.INVALID_ARGUMENT);
  });

  it("sends many messages through flow control", async () => {
    const values = Array.from({ length: 2000 }, (_, i) => `message-${i}-${"x".repeat(200)}`);
    const replies = await collect(echoClient.chat(strings(...values)));
    expect(replies).toHaveLength(values.length);
    expect(replies[1999]?.value).toBe(`re: ${values[1999]}`);
  });
});

describe("deadlines and cancellation", () => {
  it("fails a unary call with DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
    resetHooks();
    const error = await rejection(agentClient.getAgentInfo({}, { timeoutMs: 200, metadata: { "x-test-mode": "slow" } }));
    expect(error.code).toBe(GrpcCode.DEADLINE_EXCEEDED);
    if (hooks.entered) {
      const reason = await hooks.handlerAborted.promise;
      expect(reason).toBeInstanceOf(GrpcError);
    }
  });

  it("honours an absolute deadline on a server stream", async () => {
    resetHooks();
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of agentClient.watchDevices({}, { deadline: Date.now() + 300 })) seen.push(event.device?.id ?? "");
      })(),
    );
    expect(error.code).toBe(GrpcCode.DEADLINE_EXCEEDED);
    expect(seen).toEqual(["10WT012345", "CHG0001", "vtl:lib0/drive1"].slice(0, seen.length));
    if (hooks.entered) await hooks.streamFinished.promise;
  });

  it("cancels a unary call when its AbortSignal aborts", async () => {
    resetHooks();
    const controller = new AbortController();
    const pending = agentClient.getAgentInfo({}, { signal: controller.signal, metadata: { "x-test-mode": "slow" } });
    await hooks.handlerStarted.promise;
    controller.abort(new Error("operator pressed stop"));
    const error = await rejection(pending);
    expect(error.code).toBe(GrpcCode.CANCELLED);
    expect(error.cause).toBeInstanceOf(Error);
    await hooks.handlerAborted.promise;
  });

  it("cancels a server stream when its AbortSignal aborts", async () => {
    resetHooks();
    const controller = new AbortController();
    const seen: string[] = [];
    const done = rejection(
      (async () => {
        for await (const event of agentClient.watchDevices({}, { signal: controller.signal })) seen.push(event.device?.id ?? "");
      })(),
    );
    await hooks.handlerStarted.promise;
    controller.abort();
    const error = await done;
    expect(error.code).toBe(GrpcCode.CANCELLED);
    await hooks.streamFinished.promise;
  });

  it("applies the client's default timeout to unary calls but not to streams", async () => {
    resetHooks();
    const hasty = createClient(DeviceAgentService, address, credentials.createInsecure(), { defaultTimeoutMs: 1 });
    try {
      const error = await rejection(hasty.getAgentInfo({}, { metadata: { "x-test-mode": "slow" } }));
      expect(error.code).toBe(GrpcCode.DEADLINE_EXCEEDED);
      resetHooks();
      const controller = new AbortController();
      const seen: string[] = [];
      const error2 = await rejection(
        (async () => {
          for await (const event of hasty.watchDevices({}, { signal: controller.signal })) {
            seen.push(event.device?.id ?? "");
            if (seen.length === 3) controller.abort();
          }
        })(),
      );
      expect(error2.code).toBe(GrpcCode.CANCELLED);
      expect(seen).toHaveLength(3);
    } finally {
      closeClient(hasty);
    }
  });

  it("does not start a call whose signal is already aborted", async () => {
    const error = await rejection(agentClient.getAgentInfo({}, { signal: AbortSignal.abort() }));
    expect(error.code).toBe(GrpcCode.CANCELLED);
    const streamError = await rejection(collect(agentClient.watchDevices({}, { signal: AbortSignal.abort() })));
    expect(streamError.code).toBe(GrpcCode.CANCELLED);
  });
});

describe("error mapping", () => {
  it("sends a GrpcError's code, message and typed details", async () => {
    const error = await rejection(agentClient.getAgentInfo({}, { metadata: { "x-test-mode": "grpc-error" } }));
    expect(error.code).toBe(GrpcCode.NOT_FOUND);
    expect(error.rawMessage).toBe("no agent info for this host");
    expect(error.message).toBe("[NOT_FOUND] no agent info for this host");
    const [badRequest] = error.findDetails(BadRequestSchema);
    expect(badRequest?.fieldViolations.map((v) => [v.field, v.description])).toEqual([["host_id", "unknown host"]]);
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("maps an error with grpcStatus to that status and its code to an ErrorInfo reason", async () => {
    const error = await rejection(agentClient.getAgentInfo({}, { metadata: { "x-test-mode": "domain-error" } }));
    expect(error.code).toBe(GrpcCode.UNAVAILABLE);
    expect(error.rawMessage).toBe("drive 10WT012345 is busy");
    expect(error.reason).toBe("DRIVE_BUSY");
  });

  it("turns an unknown error into INTERNAL with a request id and no internals", async () => {
    failures.length = 0;
    const error = await rejection(agentClient.getAgentInfo({}, { metadata: { "x-test-mode": "unknown-error", "x-request-id": "req-7f3a" } }));
    expect(error.code).toBe(GrpcCode.INTERNAL);
    expect(error.rawMessage).toBe("internal error (request id req-7f3a)");
    expect(error.message).not.toMatch(/hunter2|postgres|ECONNREFUSED/);
    expect(error.details).toEqual([]);
    expect(error.requestId).toBe("req-7f3a");
    expect(failures).toHaveLength(1);
    expect(failures[0]?.failure).toMatchObject({ requestId: "req-7f3a", code: GrpcCode.INTERNAL, unexpected: true });
    expect((failures[0]?.error as Error).message).toContain("hunter2");
  });

  it("reports expected failures to onError as not unexpected", async () => {
    failures.length = 0;
    await rejection(agentClient.getAgentInfo({}, { metadata: { "x-test-mode": "grpc-error" } }));
    expect(failures.map((f) => [f.failure.code, f.failure.unexpected, f.failure.method.name])).toEqual([[GrpcCode.NOT_FOUND, false, "GetAgentInfo"]]);
  });
});

describe("grpc.health.v1.Health", () => {
  it("answers Check for the server, a registered service and an unknown one", async () => {
    expect((await healthClient.check({ service: "" })).status).toBe(ServingStatus.SERVING);
    expect((await healthClient.check({ service: "tapefleet.device.v1.DeviceAgentService" })).status).toBe(ServingStatus.SERVING);
    const error = await rejection(healthClient.check({ service: "tapefleet.nope.v1.NopeService" }));
    expect(error.code).toBe(GrpcCode.NOT_FOUND);
  });

  it("lists every status", async () => {
    health.setStatus("tapefleet.listed.v1.ListedService", "NOT_SERVING");
    const response = await healthClient.list({});
    expect(response.statuses[""]?.status).toBe(ServingStatus.SERVING);
    expect(response.statuses["tapefleet.listed.v1.ListedService"]?.status).toBe(ServingStatus.NOT_SERVING);
    health.clearStatus("tapefleet.listed.v1.ListedService");
  });

  it("streams status changes to Watch", async () => {
    const service = "tapefleet.watched.v1.WatchedService";
    const seen: ServingStatus[] = [];
    for await (const response of healthClient.watch({ service })) {
      seen.push(response.status);
      if (seen.length === 1) health.setStatus(service, "SERVING");
      else if (seen.length === 2) {
        health.setStatus(service, "SERVING"); // unchanged: no message
        health.setStatus(service, ServingStatus.NOT_SERVING);
      } else if (seen.length === 3) health.clearStatus(service);
      else break;
    }
    expect(seen).toEqual([ServingStatus.SERVICE_UNKNOWN, ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVICE_UNKNOWN]);
    expect((await rejection(healthClient.check({ service }))).code).toBe(GrpcCode.NOT_FOUND);
  });
});
