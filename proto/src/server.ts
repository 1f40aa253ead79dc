import { randomUUID } from "node:crypto";
import type { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Metadata, status as grpcStatus } from "@grpc/grpc-js";
import type {
  Deadline,
  Server,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  StatusObject,
  UntypedHandleCall,
  UntypedServiceImplementation,
  sendUnaryData,
} from "@grpc/grpc-js";
import { ERROR_DOMAIN, GrpcError, REQUEST_ID_KEY, errorDetail, isErrorStatusCode } from "./grpc-error.ts";
import { ErrorInfoSchema } from "../gen/ts/google/rpc/error_details_pb.ts";
import { createServiceDefinition, toMessage } from "./service-definition.ts";

/** Any grpc-js server call object. */
export type ServerCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

/** What a handler knows about the call it serves. */
export interface HandlerContext {
  /** The method being served. */
  readonly method: DescMethod;
  /** Request headers. */
  readonly requestMetadata: Metadata;
  /** Trailers sent with the final status; handlers may add entries. */
  readonly responseTrailers: Metadata;
  /** Aborted when the client cancels or the deadline passes; long handlers should stop then. */
  readonly signal: AbortSignal;
  /** The call's deadline (`Infinity` when the client set none). */
  readonly deadline: Deadline;
  /** Address of the client. */
  readonly peer: string;
  /** The request id: the client's `x-request-id` header, or a fresh UUID. Returned in trailers. */
  readonly requestId: string;
  /** The underlying grpc-js call, for what this context does not cover. */
  readonly call: ServerCall;
}

/** A unary handler: one request in, one response out. */
export type UnaryImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: HandlerContext,
) => Promise<MessageInitShape<O>> | MessageInitShape<O>;

/** A server-streaming handler: one request in, a stream out (usually an async generator). */
export type ServerStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: HandlerContext,
) => AsyncIterable<MessageInitShape<O>>;

/** A client-streaming handler: a stream in, one response out. */
export type ClientStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  context: HandlerContext,
) => Promise<MessageInitShape<O>>;

/** A bidirectional-streaming handler: a stream in, a stream out. */
export type BidiStreamingImpl<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  context: HandlerContext,
) => AsyncIterable<MessageInitShape<O>>;

/** The handler type of one method, chosen by its streaming kind. */
export type MethodImpl<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? UnaryImpl<I, O>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? ServerStreamingImpl<I, O>
    : M extends { methodKind: "client_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? ClientStreamingImpl<I, O>
      : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
        ? BidiStreamingImpl<I, O>
        : never;

/** An implementation of a service: one handler per method, keyed by the method's local name. */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S["method"]]: MethodImpl<S["method"][K]>;
};

/**
 * An implementation of part of a service (a test double, or a server that
 * serves a subset); methods left out answer UNIMPLEMENTED. Register it with
 * {@link addPartialService}.
 */
export type PartialServiceImpl<S extends DescService> = Partial<ServiceImpl<S>>;

/** Facts about a failed call, given to {@link AddServiceOptions.onError}. */
export interface CallFailure {
  /** The method that failed. */
  readonly method: DescMethod;
  /** The request id returned to the client. */
  readonly requestId: string;
  /** The status sent to the client. */
  readonly code: number;
  /** True when the error was not a GrpcError or an error with `grpcStatus` (sent as opaque INTERNAL). */
  readonly unexpected: boolean;
}

/** Options of {@link addService}. */
export interface AddServiceOptions {
  /** Called once for each call that ends with an error (for logging); must not throw. */
  onError?: (error: unknown, failure: CallFailure) => void;
}

type ErrorLike = { grpcStatus?: unknown; message?: unknown; code?: unknown };

/**
 * Maps an error thrown by a handler to the status sent to the client:
 * - a {@link GrpcError} keeps its code, message and details;
 * - an error with a numeric `grpcStatus` (1–16) keeps its message, and its
 *   string `code` (if any) is sent as a google.rpc.ErrorInfo reason;
 * - anything else becomes INTERNAL with only the request id, so internals never leak.
 */
export function errorToGrpcError(error: unknown, requestId: string): { error: GrpcError; unexpected: boolean } {
  if (error instanceof GrpcError) return { error, unexpected: false };
  if (typeof error === "object" && error !== null) {
    const e = error as ErrorLike;
    if (isErrorStatusCode(e.grpcStatus)) {
      const message = typeof e.message === "string" ? e.message : statusFallbackMessage(e.grpcStatus);
      const details = typeof e.code === "string" ? [errorDetail(ErrorInfoSchema, { reason: e.code, domain: ERROR_DOMAIN })] : [];
      return { error: new GrpcError(e.grpcStatus, message, details, { cause: error }), unexpected: false };
    }
  }
  return {
    error: new GrpcError(grpcStatus.INTERNAL, `internal error (request id ${requestId})`, [], { cause: error }),
    unexpected: true,
  };
}

function statusFallbackMessage(code: number): string {
  return `request failed with status ${code}`;
}

function requestIdOf(metadata: Metadata): string {
  const value = metadata.get(REQUEST_ID_KEY)[0];
  if (typeof value === "string" && value.length > 0 && value.length <= 128) return value;
  return randomUUID();
}

function createContext(method: DescMethod, call: ServerCall): { context: HandlerContext; abort: AbortController; done: () => void } {
  const abort = new AbortController();
  const requestId = requestIdOf(call.metadata);
  const responseTrailers = new Metadata();
  responseTrailers.set(REQUEST_ID_KEY, requestId);
  const onCancelled = (): void => abort.abort(new GrpcError(grpcStatus.CANCELLED, "call cancelled by the client or its deadline"));
  const emitter = call as unknown as EventEmitter;
  emitter.on("cancelled", onCancelled);
  const context: HandlerContext = {
    method,
    requestMetadata: call.metadata,
    responseTrailers,
    signal: abort.signal,
    deadline: call.getDeadline(),
    peer: call.getPeer(),
    requestId,
    call,
  };
  return { context, abort, done: () => emitter.removeListener("cancelled", onCancelled) };
}

function failureStatus(error: unknown, context: HandlerContext, options: AddServiceOptions): StatusObject {
  const mapped = errorToGrpcError(error, context.requestId);
  const status = mapped.error.toStatus();
  status.metadata.merge(context.responseTrailers);
  if (options.onError !== undefined) {
    try {
      options.onError(error, { method: context.method, requestId: context.requestId, code: status.code, unexpected: mapped.unexpected });
    } catch {
      // A failing logger must not change the status the client gets.
    }
  }
  return status;
}

/** Resolves when the writable drains, or when the call is cancelled. */
function drained(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      call.removeListener("drain", finish);
      signal.removeEventListener("abort", finish);
      resolve();
    };
    call.once("drain", finish);
    signal.addEventListener("abort", finish, { once: true });
  });
}

const ABORTED = Symbol("aborted");

function abortedPromise(signal: AbortSignal): Promise<typeof ABORTED> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(ABORTED);
    else signal.addEventListener("abort", () => resolve(ABORTED), { once: true });
  });
}

async function writeAll(
  method: DescMethod,
  source: AsyncIterable<MessageInitShape<DescMessage>>,
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  context: HandlerContext,
  options: AddServiceOptions,
): Promise<void> {
  const iterator = source[Symbol.asyncIterator]();
  const aborted = abortedPromise(context.signal);
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), aborted]);
      if (step === ABORTED) {
        // The client is gone: ask the handler to stop, without waiting for it.
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
        return;
      }
      if (step.done === true) break;
      const message = toMessage(method.output, step.value);
      if (!call.write(message)) await drained(call as ServerWritableStream<unknown, unknown>, context.signal);
    }
    if (!context.signal.aborted) call.end(context.responseTrailers);
  } catch (error) {
    if (!context.signal.aborted) call.emit("error", failureStatus(error, context, options));
  }
}

/**
 * The request stream of a call. Ending the loop must not destroy the call:
 * for a bidi call the response side is still open.
 */
async function* readAll<T>(call: ServerReadableStream<T, unknown> | ServerDuplexStream<T, unknown>): AsyncGenerator<T> {
  for await (const message of (call as unknown as Readable).iterator({ destroyOnReturn: false })) yield message as T;
}

type AnyHandler = (input: unknown, context: HandlerContext) => unknown;

function wrapMethod(method: DescMethod, handler: AnyHandler, options: AddServiceOptions): UntypedHandleCall {
  switch (method.methodKind) {
    case "unary":
    case "client_streaming":
      return (call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const { context, done } = createContext(method, call);
        const input = method.methodKind === "unary" ? (call as ServerUnaryCall<unknown, unknown>).request : readAll(call as ServerReadableStream<unknown, unknown>);
        Promise.resolve()
          .then(() => handler(input, context))
          .then(
            (result) => callback(null, toMessage(method.output, result as MessageInitShape<DescMessage>), context.responseTrailers),
            (error: unknown) => callback(failureStatus(error, context, options)),
          )
          .catch((error: unknown) => callback(failureStatus(error, context, options)))
          .finally(done);
      };
    case "server_streaming":
    case "bidi_streaming":
      return (call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>) => {
        const { context, done } = createContext(method, call);
        const input = method.methodKind === "server_streaming" ? (call as ServerWritableStream<unknown, unknown>).request : readAll(call as ServerDuplexStream<unknown, unknown>);
        let source: AsyncIterable<MessageInitShape<DescMessage>>;
        try {
          source = handler(input, context) as AsyncIterable<MessageInitShape<DescMessage>>;
        } catch (error) {
          call.emit("error", failureStatus(error, context, options));
          done();
          return;
        }
        void writeAll(method, source, call, context, options).finally(done);
      };
  }
}

function unimplemented(method: DescMethod): AnyHandler {
  return () => {
    throw new GrpcError(grpcStatus.UNIMPLEMENTED, `${method.parent.typeName}.${method.name} is not implemented`);
  };
}

/**
 * Registers a protobuf-es service on a grpc-js server. `impl` has one handler
 * per method, typed from the descriptor: unary → `(req, ctx) => Promise<init>`,
 * server streaming → async generator, client streaming → `(reqs, ctx) => Promise<init>`,
 * bidi → `(reqs, ctx) => async generator`. Handlers may return message
 * instances or init objects. Errors map through {@link errorToGrpcError}; every
 * response carries the request id in the `x-request-id` trailer.
 */
export function addService<S extends DescService>(server: Server, service: S, impl: ServiceImpl<S>, options: AddServiceOptions = {}): void {
  addPartialService(server, service, impl, options);
}

/**
 * Like {@link addService}, for an implementation of only some methods: the
 * others answer UNIMPLEMENTED. Production services use `addService`, whose
 * type requires every method.
 */
export function addPartialService<S extends DescService>(
  server: Server,
  service: S,
  impl: PartialServiceImpl<S>,
  options: AddServiceOptions = {},
): void {
  const handlers: UntypedServiceImplementation = {};
  const table = impl as unknown as Record<string, AnyHandler | undefined>;
  for (const method of service.methods) {
    const handler = table[method.localName];
    const bound: AnyHandler = typeof handler === "function" ? (input, context) => handler.call(impl, input, context) : unimplemented(method);
    handlers[method.localName] = wrapMethod(method, bound, options);
  }
  server.addService(createServiceDefinition(service), handlers);
}
