import { describe, expect, it } from "vitest";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import { DeviceKind, DeviceSchema, AgentInfoSchema } from "../gen/ts/tapefleet/device/v1/device_agent_pb.ts";
import { EnvelopeSchema } from "../gen/ts/tapefleet/events/v1/envelope_pb.ts";
import { EnvelopeError, PROTOBUF_CONTENT_TYPE, createEnvelope, decodeEnvelope, encodeEnvelope, openEnvelope } from "./envelope.ts";

const FIELDS = {
  type: "device.drive.discovered",
  source: { service: "device-agent", instance: "host-a" },
  subject: "10WT012345",
  correlationId: "req-1",
};

function expectEnvelopeError(fn: () => unknown, code: string, field: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).code).toBe(code);
    expect((error as EnvelopeError).field).toBe(field);
    return;
  }
  throw new Error("expected an EnvelopeError");
}

describe("event envelope", () => {
  it("wraps and opens a protobuf payload through the wire encoding", () => {
    const time = new Date("2026-01-02T03:04:05.678Z");
    const envelope = createEnvelope(DeviceSchema, { serial: "10WT012345", kind: DeviceKind.TAPE_DRIVE, generation: "LTO-9" }, { ...FIELDS, time });
    expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(envelope.contentType).toBe(PROTOBUF_CONTENT_TYPE);
    expect(envelope.dataSchema).toBe("tapefleet.device.v1.Device");

    const received = decodeEnvelope(encodeEnvelope(envelope));
    expect(received.type).toBe("device.drive.discovered");
    expect(received.source).toMatchObject({ service: "device-agent", instance: "host-a" });
    expect(received.subject).toBe("10WT012345");
    expect(received.correlationId).toBe("req-1");
    expect(received.time && timestampDate(received.time).toISOString()).toBe("2026-01-02T03:04:05.678Z");
    const device = openEnvelope(received, DeviceSchema);
    expect(device.serial).toBe("10WT012345");
    expect(device.generation).toBe("LTO-9");
  });

  it("keeps a given id and gives each event a new one otherwise", () => {
    expect(createEnvelope(DeviceSchema, {}, { ...FIELDS, id: "0b6f3c1e-0000-4000-8000-000000000001" }).id).toBe("0b6f3c1e-0000-4000-8000-000000000001");
    expect(createEnvelope(DeviceSchema, {}, FIELDS).id).not.toBe(createEnvelope(DeviceSchema, {}, FIELDS).id);
  });

  it("refuses a payload of another message type", () => {
    const envelope = createEnvelope(DeviceSchema, { serial: "S" }, FIELDS);
    expectEnvelopeError(() => openEnvelope(envelope, AgentInfoSchema), "ENVELOPE_SCHEMA_MISMATCH", "data_schema");
  });

  it("refuses a non-protobuf content type", () => {
    const envelope = create(EnvelopeSchema, { contentType: "application/json", dataSchema: "tapefleet.device.v1.Device", data: new TextEncoder().encode("{}") });
    expectEnvelopeError(() => openEnvelope(envelope, DeviceSchema), "ENVELOPE_CONTENT_TYPE", "content_type");
  });

  it("refuses malformed payload bytes", () => {
    const envelope = createEnvelope(DeviceSchema, { serial: "10WT012345", vendor: "IBM" }, FIELDS);
    envelope.data = envelope.data.subarray(0, envelope.data.length - 2);
    expectEnvelopeError(() => openEnvelope(envelope, DeviceSchema), "ENVELOPE_DATA_MALFORMED", "data");
  });

  it("refuses truncated envelope bytes with a typed error", () => {
    const bytes = encodeEnvelope(createEnvelope(DeviceSchema, { serial: "10WT012345" }, FIELDS));
    expectEnvelopeError(() => decodeEnvelope(bytes.subarray(0, bytes.length - 5)), "ENVELOPE_MALFORMED", "envelope");
  });

  it("decodes an empty body as an empty envelope and ignores unknown trailing fields", () => {
    expect(decodeEnvelope(new Uint8Array()).id).toBe("");
    const bytes = encodeEnvelope(createEnvelope(DeviceSchema, {}, FIELDS));
    // Field 15, varint 1: a field a newer publisher might add.
    const longer = new Uint8Array([...bytes, 0x78, 0x01]);
    expect(decodeEnvelope(longer).type).toBe("device.drive.discovered");
  });
});
