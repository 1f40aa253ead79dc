import { randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EnvelopeSchema } from "../gen/ts/tapefleet/events/v1/envelope_pb.ts";
import type { Envelope } from "../gen/ts/tapefleet/events/v1/envelope_pb.ts";

/** Content type of protobuf-encoded event data. */
export const PROTOBUF_CONTENT_TYPE = "application/protobuf";

/** Stable codes of {@link EnvelopeError}. */
export type EnvelopeErrorCode = "ENVELOPE_MALFORMED" | "ENVELOPE_CONTENT_TYPE" | "ENVELOPE_SCHEMA_MISMATCH" | "ENVELOPE_DATA_MALFORMED";

/** An event envelope or its payload cannot be read. */
export class EnvelopeError extends Error {
  override readonly name = "EnvelopeError";
  readonly code: EnvelopeErrorCode;
  /** The envelope field at fault. */
  readonly field: string;

  constructor(code: EnvelopeErrorCode, field: string, message: string, cause?: unknown) {
    super(`${field}: ${message}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.field = field;
  }
}

/** The envelope attributes a publisher chooses; id and time default to a fresh UUID and now. */
export interface EnvelopeFields {
  /** Event type, "<service>.<entity>.<verb>" ("inventory.pool.created"). */
  type: string;
  /** Publishing service and instance. */
  source: { service: string; instance: string };
  /** Id of the entity the event is about. */
  subject: string;
  /** Id shared by everything one operation caused. */
  correlationId?: string;
  /** Event id; a new UUID when absent. */
  id?: string;
  /** When the event happened; now when absent. */
  time?: Date;
}

/** Wraps a protobuf payload in an envelope (content type application/protobuf, data schema = the message's full name). */
export function createEnvelope<D extends DescMessage>(schema: D, data: MessageInitShape<D>, fields: EnvelopeFields): Envelope {
  return create(EnvelopeSchema, {
    id: fields.id ?? randomUUID(),
    type: fields.type,
    source: fields.source,
    time: timestampFromDate(fields.time ?? new Date()),
    subject: fields.subject,
    correlationId: fields.correlationId ?? "",
    contentType: PROTOBUF_CONTENT_TYPE,
    dataSchema: schema.typeName,
    data: toBinary(schema, create(schema, data)),
  });
}

/** Decodes the payload of an envelope made by {@link createEnvelope}, checking content type and data schema. */
export function openEnvelope<D extends DescMessage>(envelope: Envelope, schema: D): MessageShape<D> {
  if (envelope.contentType !== PROTOBUF_CONTENT_TYPE) {
    throw new EnvelopeError("ENVELOPE_CONTENT_TYPE", "content_type", `expected "${PROTOBUF_CONTENT_TYPE}", got "${envelope.contentType}"`);
  }
  if (envelope.dataSchema !== schema.typeName) {
    throw new EnvelopeError("ENVELOPE_SCHEMA_MISMATCH", "data_schema", `expected "${schema.typeName}", got "${envelope.dataSchema}"`);
  }
  try {
    return fromBinary(schema, envelope.data);
  } catch (error) {
    throw new EnvelopeError("ENVELOPE_DATA_MALFORMED", "data", `not a valid ${schema.typeName}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/** Encodes an envelope for publishing (the NATS message body). */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return toBinary(EnvelopeSchema, envelope);
}

/** Decodes a NATS message body into an envelope. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  try {
    return fromBinary(EnvelopeSchema, bytes);
  } catch (error) {
    throw new EnvelopeError("ENVELOPE_MALFORMED", "envelope", `not a valid tapefleet.events.v1.Envelope: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}
