import { once } from "node:events";
import type { DescMessage, DescMethod, DescService, Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Client as GrpcClient, Metadata, status as grpcStatus } from "@grpc/grpc-js";
import type { CallOptions as GrpcCallOptions, ChannelCredentials, ChannelOptions, ClientDuplexStream, ClientWritableStream, ServiceError } from "@grpc/grpc-js";
import { GrpcError } from "./grpc-error.ts";
import { createMethodDefinition } from "./service-definition.ts";

/** Per-call options of a generated client method. */
export interface CallOptions {
  /** Give up after this many milliseconds (DEADLINE_EXCEEDED); overrides the client's default timeout. */
  timeoutMs?: number;
  /** Absolute deadline (Date or epoch milliseconds); wins over `timeoutMs` when both are set. */
  deadline?: Date | number;
  /** Cancels the call (CANCELLED) when aborted. */
  signal?: AbortSignal;
  /** Request headers, added to the client's default headers. */
  metadata?: Metadata | Readonly<Record<string, string>>;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /**
   * Timeout of unary and client-streaming calls that set neither `timeoutMs`
   * nor `deadline`. Server-streaming and bidi calls (often long-lived watches)
   * get no default: give them `timeoutMs`, `deadline` or `signal`.
   */
  defaultTimeoutMs?: number;
  /** Headers sent with every call (for example `x-request-id` propagation is per call; auth tokens go here). */
  metadata?: Readonly<Record<string, string>>;
  /** grpc-js channel options (keepalive, message size limits). */
  channelOptions?: ChannelOptions;
}

/** The requests of a client-streaming or bidi call: an async generator, or any (async) iterable such as an array. */
export type RequestSource<T> = AsyncIterable<T> | Iterable<T>;

/** A unary client method. */
export type UnaryFn<I extends DescMessage, O extends DescMessage> = (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>;
/** A server-streaming client method; breaking out of the loop cancels the call. */
export type ServerStreamingFn<I extends DescMessage, O extends DescMessage> = (request: MessageInitShape<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>;
/** A client-streaming client method. */
export type ClientStreamingFn<I extends DescMessage, O extends DescMessage> = (requests: RequestSource<MessageInitShape<I>>, options?: CallOptions) => Promise<MessageShape<O>>;
/** A bidirectional-streaming client method. */
export type BidiStreamingFn<I extends DescMessage, O extends DescMessage> = (requests: RequestSource<MessageInitShape<I>>, options?: CallOptions) => AsyncIterable<MessageShape<O>>;

/** The client method type of one rpc, chosen by its streaming kind. */
export type ClientMethod<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? UnaryFn<I, O>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? ServerStreamingFn<I, O>
    : M extends { methodKind: "client_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? ClientStreamingFn<I, O>
      : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
        ? BidiStreamingFn<I, O>
        : never;

/** A typed, promise-based client of a service: one method per rpc, by local name. */
export type Client<S extends DescService> = {
  readonly [K in keyof S["method"]]: ClientMethod<S["method"][K]>;
};

const channels = new WeakMap<object, GrpcClient>();

/** Closes the channel of a client made by {@link createClient}; calls in flight are cancelled. */
export function closeClient(client: object): void {
  channels.get(client)?.close();
}

/** The grpc-js client under a client made by {@link createClient} (for `waitForReady`, channel state). */
export function grpcClientOf(client: object): GrpcClient {
  const grpcClient = channels.get(client);
  if (grpcClient === undefined) throw new TypeError("not a client made by createClient()");
  return grpcClient;
}

function toGrpcError(error: unknown, signal: AbortSignal | undefined): GrpcError {
  if (error instanceof GrpcError) return error;
  if (typeof error === "object" && error !== null && "code" in error && typeof (error as ServiceError).code === "number") {
    const se = error as ServiceError;
    return GrpcError.fromStatus({ code: se.code, details: se.details, metadata: se.metadata }, signal?.aborted === true ? signal.reason : error);
  }
  return new GrpcError(grpcStatus.INTERNAL, error instanceof Error ? error.message : String(error), [], { cause: error });
}

function abortedError(signal: AbortSignal): GrpcError {
  return new GrpcError(grpcStatus.CANCELLED, "call aborted by the caller", [], { cause: signal.reason });
}

/** Cancels `call` when `signal` aborts; returns the function that removes the listener. */
function linkAbort(signal: AbortSignal | undefined, call: { cancel(): void }): () => void {
  if (signal === undefined) return () => undefined;
  const onAbort = (): void => call.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/** Where a request stream's failure is kept, so the caller sees it instead of a bare CANCELLED. */
interface SourceState {
  error?: unknown;
  failed: boolean;
}

/** Resolves on "drain", or once the call has ended (status, error or close): whatever comes first. */
function drainOrEnd(call: ClientWritableStream<Message> | ClientDuplexStream<Message, Message>): Promise<void> {
  return new Promise((resolve) => {
    const events = ["drain", "status", "error", "close"] as const;
    const done = (): void => {
      for (const event of events) call.removeListener(event, done);
      resolve();
    };
    for (const event of events) call.once(event, done);
  });
}

/**
 * Writes the request stream into the call with flow control, then half-closes.
 * Stops when the call ends first. When the source throws, the call is
 * cancelled and the error kept in `state`.
 */
async function pump(requests: RequestSource<Message>, call: ClientWritableStream<Message> | ClientDuplexStream<Message, Message>, state: SourceState): Promise<void> {
  let ended = false;
  const onEnd = (): void => {
    ended = true;
  };
  call.once("status", onEnd);
  call.once("close", onEnd);
  call.on("error", onEnd);
  try {
    for await (const request of requests) {
      if (ended) break;
      if (!call.write(request)) await drainOrEnd(call);
      if (ended) break;
    }
    if (!ended) call.end();
  } catch (error) {
    state.failed = true;
    state.error = error;
    call.cancel();
  } finally {
    call.removeListener("status", onEnd);
    call.removeListener("close", onEnd);
    call.removeListener("error", onEnd);
  }
}

function sourceFailure(state: SourceState): GrpcError {
  const reason = state.error instanceof Error ? state.error.message : String(state.error);
  return new GrpcError(grpcStatus.CANCELLED, `request stream failed: ${reason}`, [], { cause: state.error });
}

/**
 * Creates a typed client of a protobuf-es service over a new grpc-js channel.
 * Unary and client-streaming methods return promises; server-streaming and
 * bidi methods return async iterables. Every failure is a {@link GrpcError}.
 * Close the channel with {@link closeClient}.
 */
export function createClient<S extends DescService>(service: S, address: string, credentials: ChannelCredentials, options: ClientOptions = {}): Client<S> {
  const grpcClient = new GrpcClient(address, credentials, options.channelOptions ?? {});
  const client: Record<string, unknown> = {};

  const prepare: Prepare = (callOptions, useDefaultTimeout) => {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
    const extra = callOptions?.metadata;
    if (extra instanceof Metadata) metadata.merge(extra);
    else if (extra !== undefined) for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    const grpcOptions: GrpcCallOptions = {};
    const timeoutMs = callOptions?.timeoutMs ?? (useDefaultTimeout ? options.defaultTimeoutMs : undefined);
    if (callOptions?.deadline !== undefined) grpcOptions.deadline = callOptions.deadline;
    else if (timeoutMs !== undefined) grpcOptions.deadline = Date.now() + timeoutMs;
    return { metadata, grpcOptions };
  };

  for (const method of service.methods) {
    client[method.localName] = createMethod(grpcClient, method, prepare);
  }
  channels.set(client, grpcClient);
  return client as Client<S>;
}

type Prepare = (callOptions: CallOptions | undefined, useDefaultTimeout: boolean) => { metadata: Metadata; grpcOptions: GrpcCallOptions };

function createMethod(grpcClient: GrpcClient, method: DescMethod, prepare: Prepare): unknown {
  const def = createMethodDefinition(method);
  switch (method.methodKind) {
    case "unary":
      return (request: unknown, callOptions?: CallOptions): Promise<Message> =>
        new Promise((resolve, reject) => {
          const signal = callOptions?.signal;
          if (signal?.aborted === true) return reject(abortedError(signal));
          const { metadata, grpcOptions } = prepare(callOptions, true);
          let unlink = (): void => undefined;
          const call = grpcClient.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request as Message, metadata, grpcOptions, (error, response) => {
            unlink();
            if (error !== null || response === undefined) reject(toGrpcError(error, signal));
            else resolve(response);
          });
          unlink = linkAbort(signal, call);
        });
    case "client_streaming":
      return (requests: RequestSource<unknown>, callOptions?: CallOptions): Promise<Message> =>
        new Promise((resolve, reject) => {
          const signal = callOptions?.signal;
          if (signal?.aborted === true) return reject(abortedError(signal));
          const { metadata, grpcOptions } = prepare(callOptions, true);
          let unlink = (): void => undefined;
          const source: SourceState = { failed: false };
          const call = grpcClient.makeClientStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, metadata, grpcOptions, (error, response) => {
            unlink();
            if (source.failed) reject(sourceFailure(source));
            else if (error !== null || response === undefined) reject(toGrpcError(error, signal));
            else resolve(response);
          });
          unlink = linkAbort(signal, call);
          void pump(requests as RequestSource<Message>, call, source);
        });
    case "server_streaming":
      return (request: unknown, callOptions?: CallOptions): AsyncIterable<Message> =>
        readStream(callOptions, () => {
          const { metadata, grpcOptions } = prepare(callOptions, false);
          return { call: grpcClient.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, request as Message, metadata, grpcOptions) };
        });
    case "bidi_streaming":
      return (requests: RequestSource<unknown>, callOptions?: CallOptions): AsyncIterable<Message> =>
        readStream(callOptions, () => {
          const { metadata, grpcOptions } = prepare(callOptions, false);
          const call = grpcClient.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, metadata, grpcOptions);
          const source: SourceState = { failed: false };
          void pump(requests as RequestSource<Message>, call, source);
          return { call, source };
        });
  }
}

/** Reads a response stream lazily: the call starts on the first `next()` and is cancelled when the loop stops early. */
async function* readStream(
  callOptions: CallOptions | undefined,
  start: () => { call: AsyncIterable<unknown> & { cancel(): void }; source?: SourceState },
): AsyncGenerator<Message> {
  const signal = callOptions?.signal;
  if (signal?.aborted === true) throw abortedError(signal);
  const { call, source } = start();
  const unlink = linkAbort(signal, call);
  let finished = false;
  try {
    for await (const message of call) yield message as Message;
    finished = true;
  } catch (error) {
    finished = true;
    throw source?.failed === true ? sourceFailure(source) : toGrpcError(error, signal);
  } finally {
    unlink();
    if (!finished) call.cancel();
  }
}
