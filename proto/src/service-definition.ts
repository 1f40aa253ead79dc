import { create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, DescMethod, DescService, Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** The HTTP/2 path of a method: `/<package>.<Service>/<Method>`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** `init` as a message of `schema`: returned as is when it already is one, else created from the init object. */
export function toMessage<D extends DescMessage>(schema: D, init: MessageInitShape<D>): MessageShape<D> {
  return isMessage(init, schema) ? (init as MessageShape<D>) : create(schema, init);
}

function serializer(schema: DescMessage): (value: Message) => Buffer {
  return (value) => {
    const bytes = toBinary(schema, toMessage(schema, value as MessageInitShape<DescMessage>));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage): (bytes: Buffer) => Message {
  return (bytes) => fromBinary(schema, bytes);
}

/** The grpc-js definition of one method: path, streaming flags and protobuf-es binary codecs. */
export function createMethodDefinition(method: DescMethod): MethodDefinition<Message, Message> {
  const requestStream = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  const responseStream = method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
  return {
    path: methodPath(method),
    requestStream,
    responseStream,
    requestSerialize: serializer(method.input),
    requestDeserialize: deserializer(method.input),
    responseSerialize: serializer(method.output),
    responseDeserialize: deserializer(method.output),
    originalName: method.name,
  };
}

const definitions = new WeakMap<DescService, ServiceDefinition>();

/**
 * Turns a protobuf-es service descriptor (a generated `GenService` or any
 * `DescService`) into a grpc-js `ServiceDefinition`, keyed by each method's
 * local name (`getAgentInfo`). Messages are encoded with `toBinary` and decoded
 * with `fromBinary`; all four streaming kinds are supported. The result is
 * cached per descriptor.
 */
export function createServiceDefinition(service: DescService): ServiceDefinition {
  const cached = definitions.get(service);
  if (cached !== undefined) return cached;
  const definition: Record<string, MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) {
    definition[method.localName] = createMethodDefinition(method);
  }
  definitions.set(service, definition);
  return definition;
}
