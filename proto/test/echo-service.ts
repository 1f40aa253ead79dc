import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { DescService } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema, StringValueSchema, file_google_protobuf_wrappers } from "@bufbuild/protobuf/wkt";

/**
 * A service built at run time (not part of the buf module) to exercise the
 * streaming kinds the published services do not use yet: unary, client
 * streaming (consuming all or only the first request), bidi streaming, and a method left unimplemented.
 */
const file = create(FileDescriptorProtoSchema, {
  name: "tapefleet/testing/v1/echo_service.proto",
  package: "tapefleet.testing.v1",
  syntax: "proto3",
  dependency: ["google/protobuf/wrappers.proto"],
  service: [
    {
      name: "EchoService",
      method: [
        { name: "Echo", inputType: ".google.protobuf.StringValue", outputType: ".google.protobuf.StringValue" },
        { name: "Collect", inputType: ".google.protobuf.StringValue", outputType: ".google.protobuf.StringValue", clientStreaming: true },
        { name: "First", inputType: ".google.protobuf.StringValue", outputType: ".google.protobuf.StringValue", clientStreaming: true },
        { name: "Chat", inputType: ".google.protobuf.StringValue", outputType: ".google.protobuf.StringValue", clientStreaming: true, serverStreaming: true },
        { name: "Missing", inputType: ".google.protobuf.StringValue", outputType: ".google.protobuf.StringValue" },
      ],
    },
  ],
});

const registry = createFileRegistry(file, (name) => (name === "google/protobuf/wrappers.proto" ? file_google_protobuf_wrappers : undefined));

const found: DescService | undefined = registry.getService("tapefleet.testing.v1.EchoService");
if (found === undefined) throw new Error("EchoService missing from its registry");

type S = typeof StringValueSchema;

/** tapefleet.testing.v1.EchoService, typed like generated code. */
export const EchoService = found as unknown as GenService<{
  echo: { methodKind: "unary"; input: S; output: S };
  collect: { methodKind: "client_streaming"; input: S; output: S };
  first: { methodKind: "client_streaming"; input: S; output: S };
  chat: { methodKind: "bidi_streaming"; input: S; output: S };
  missing: { methodKind: "unary"; input: S; output: S };
}>;
