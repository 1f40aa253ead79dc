/**
 * The virtual library wire protocol (pure codec). Every message is a frame: u32 BE payload
 * length, then the payload. See README.md "Wire protocol".
 */
import { VtlProtocolError } from "./errors.ts";

export const MessageType = {
  OPEN: 0x01,
  COMMAND: 0x02,
  LIST: 0x03,
  OPERATOR: 0x04,
  OPEN_REPLY: 0x81,
  COMMAND_REPLY: 0x82,
  LIST_REPLY: 0x83,
  OPERATOR_REPLY: 0x84,
} as const;

export const OpenResult = { OK: 0, NO_SUCH_DEVICE: 1, OFFLINE: 2 } as const;

/** Largest payload accepted in one frame (a WRITE of 16 MiB plus headers). */
export const MAX_FRAME_PAYLOAD = 16 * 1024 * 1024 + 4096;

const DIRECTIONS = ["none", "out", "in"] as const;
export type WireDirection = (typeof DIRECTIONS)[number];

/** Device description exchanged in OPEN and LIST replies. */
export interface DeviceInfo {
  id: string;
  type: "tape" | "changer";
  vendor: string;
  product: string;
  revision: string;
  serial: string;
}

export interface OpenRequest {
  kind: "open";
  deviceId: string;
}
export interface ListRequest {
  kind: "list";
}
export interface CommandRequest {
  kind: "command";
  direction: WireDirection;
  cdb: Uint8Array;
  dataInLength: number;
  timeoutMs: number;
  dataOut: Uint8Array;
}
/**
 * What an operator does at the library while it runs: put a shelf cartridge into an
 * import/export slot (`import`, 1-based `slot`, default the first empty one), or take the
 * cartridge out of one onto the shelf (`remove`).
 */
export type OperatorAction = { op: "import"; library: string; barcode: string; slot?: number } | { op: "remove"; library: string; slot: number };
export interface OperatorRequest {
  kind: "operator";
  action: OperatorAction;
}
export type ClientMessage = OpenRequest | ListRequest | CommandRequest | OperatorRequest;

export interface OpenReply {
  kind: "open-reply";
  result: number;
  /** Present when result is OK. */
  device?: DeviceInfo;
  /** Present when result is not OK. */
  message?: string;
}
export interface CommandReply {
  kind: "command-reply";
  status: number;
  hostStatus: number;
  residual: number;
  sense: Uint8Array;
  data: Uint8Array;
}
export interface ListReply {
  kind: "list-reply";
  devices: DeviceInfo[];
}
export interface OperatorReply {
  kind: "operator-reply";
  ok: boolean;
  /** The cartridge put in or taken out (when ok). */
  barcode?: string;
  /** Why the action was refused (when not ok). */
  message?: string;
}
export type ServerMessage = OpenReply | CommandReply | ListReply | OperatorReply;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: true });

/** Prefix a payload with its u32 BE length. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

function withType(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = type;
  out.set(body, 1);
  return out;
}

export function encodeClientMessage(m: ClientMessage): Uint8Array {
  switch (m.kind) {
    case "open":
      return withType(MessageType.OPEN, utf8.encode(m.deviceId));
    case "list":
      return Uint8Array.of(MessageType.LIST);
    case "operator":
      return withType(MessageType.OPERATOR, utf8.encode(JSON.stringify(m.action)));
    case "command": {
      if (m.cdb.length < 1 || m.cdb.length > 255) throw new VtlProtocolError(`cdb length ${m.cdb.length} out of range 1..255`);
      const out = new Uint8Array(12 + m.cdb.length + m.dataOut.length);
      const v = new DataView(out.buffer);
      out[0] = MessageType.COMMAND;
      out[1] = DIRECTIONS.indexOf(m.direction);
      out[2] = m.cdb.length;
      out[3] = 0;
      v.setUint32(4, m.dataInLength);
      v.setUint32(8, m.timeoutMs);
      out.set(m.cdb, 12);
      out.set(m.dataOut, 12 + m.cdb.length);
      return out;
    }
  }
}

export function decodeClientMessage(p: Uint8Array): ClientMessage {
  if (p.length < 1) throw new VtlProtocolError("empty frame");
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  switch (p[0]) {
    case MessageType.OPEN:
      return { kind: "open", deviceId: decodeText(p.subarray(1), "device id") };
    case MessageType.LIST:
      return { kind: "list" };
    case MessageType.OPERATOR:
      return { kind: "operator", action: parseOperatorAction(parseJson(decodeText(p.subarray(1), "operator"), "operator")) };
    case MessageType.COMMAND: {
      if (p.length < 12) throw new VtlProtocolError(`command frame: ${p.length} bytes, header needs 12`);
      const dir = DIRECTIONS[p[1]!];
      if (dir === undefined) throw new VtlProtocolError(`command frame: direction ${p[1]} is not 0, 1 or 2`);
      const cdbLength = p[2]!;
      if (cdbLength === 0) throw new VtlProtocolError("command frame: cdbLength is 0");
      if (p.length < 12 + cdbLength) throw new VtlProtocolError(`command frame: cdbLength ${cdbLength} exceeds the frame`);
      return {
        kind: "command",
        direction: dir,
        dataInLength: v.getUint32(4),
        timeoutMs: v.getUint32(8),
        cdb: p.subarray(12, 12 + cdbLength),
        dataOut: p.subarray(12 + cdbLength),
      };
    }
    default:
      throw new VtlProtocolError(`unknown client message type 0x${p[0]!.toString(16)}`);
  }
}

export function encodeServerMessage(m: ServerMessage): Uint8Array {
  switch (m.kind) {
    case "open-reply": {
      const text = m.result === OpenResult.OK ? JSON.stringify(m.device) : (m.message ?? "");
      const body = utf8.encode(text);
      const out = new Uint8Array(2 + body.length);
      out[0] = MessageType.OPEN_REPLY;
      out[1] = m.result;
      out.set(body, 2);
      return out;
    }
    case "list-reply":
      return withType(MessageType.LIST_REPLY, utf8.encode(JSON.stringify(m.devices)));
    case "operator-reply": {
      const body: Record<string, unknown> = { ok: m.ok };
      if (m.barcode !== undefined) body["barcode"] = m.barcode;
      if (m.message !== undefined) body["message"] = m.message;
      return withType(MessageType.OPERATOR_REPLY, utf8.encode(JSON.stringify(body)));
    }
    case "command-reply": {
      if (m.sense.length > 255) throw new VtlProtocolError(`sense length ${m.sense.length} exceeds 255`);
      const out = new Uint8Array(8 + m.sense.length + m.data.length);
      out[0] = MessageType.COMMAND_REPLY;
      out[1] = m.status;
      out[2] = m.sense.length;
      out[3] = m.hostStatus;
      new DataView(out.buffer).setUint32(4, m.residual >>> 0);
      out.set(m.sense, 8);
      out.set(m.data, 8 + m.sense.length);
      return out;
    }
  }
}

export function decodeServerMessage(p: Uint8Array): ServerMessage {
  if (p.length < 1) throw new VtlProtocolError("empty frame");
  switch (p[0]) {
    case MessageType.OPEN_REPLY: {
      if (p.length < 2) throw new VtlProtocolError("open reply: missing result byte");
      const result = p[1]!;
      const text = decodeText(p.subarray(2), "open reply");
      if (result !== OpenResult.OK) return { kind: "open-reply", result, message: text };
      return { kind: "open-reply", result, device: parseDeviceInfo(parseJson(text, "open reply"), "open reply") };
    }
    case MessageType.LIST_REPLY: {
      const json = parseJson(decodeText(p.subarray(1), "list reply"), "list reply");
      if (!Array.isArray(json)) throw new VtlProtocolError("list reply: expected a JSON array");
      return { kind: "list-reply", devices: json.map((d, i) => parseDeviceInfo(d, `list reply[${i}]`)) };
    }
    case MessageType.OPERATOR_REPLY: {
      const o = parseJson(decodeText(p.subarray(1), "operator reply"), "operator reply");
      if (typeof o !== "object" || o === null || typeof (o as { ok?: unknown }).ok !== "boolean") throw new VtlProtocolError("operator reply: field ok must be a boolean");
      const { ok, barcode, message } = o as { ok: boolean; barcode?: unknown; message?: unknown };
      if (barcode !== undefined && typeof barcode !== "string") throw new VtlProtocolError("operator reply: field barcode must be a string");
      if (message !== undefined && typeof message !== "string") throw new VtlProtocolError("operator reply: field message must be a string");
      return { kind: "operator-reply", ok, ...(barcode !== undefined ? { barcode } : {}), ...(message !== undefined ? { message } : {}) };
    }
    case MessageType.COMMAND_REPLY: {
      if (p.length < 8) throw new VtlProtocolError(`command reply: ${p.length} bytes, header needs 8`);
      const senseLength = p[2]!;
      if (p.length < 8 + senseLength) throw new VtlProtocolError(`command reply: senseLength ${senseLength} exceeds the frame`);
      return {
        kind: "command-reply",
        status: p[1]!,
        hostStatus: p[3]!,
        residual: new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(4),
        sense: p.subarray(8, 8 + senseLength),
        data: p.subarray(8 + senseLength),
      };
    }
    default:
      throw new VtlProtocolError(`unknown server message type 0x${p[0]!.toString(16)}`);
  }
}

function decodeText(b: Uint8Array, what: string): string {
  try {
    return utf8d.decode(b);
  } catch {
    throw new VtlProtocolError(`${what}: not valid UTF-8`);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new VtlProtocolError(`${what}: not valid JSON`);
  }
}

function parseOperatorAction(x: unknown): OperatorAction {
  if (typeof x !== "object" || x === null) throw new VtlProtocolError("operator: action must be an object");
  const o = x as Record<string, unknown>;
  if (typeof o.library !== "string" || o.library === "") throw new VtlProtocolError("operator: field library must be a non-empty string");
  const slot = o.slot;
  if (slot !== undefined && (typeof slot !== "number" || !Number.isInteger(slot) || slot < 1)) throw new VtlProtocolError("operator: field slot must be an integer >= 1");
  if (o.op === "import") {
    if (typeof o.barcode !== "string" || o.barcode === "") throw new VtlProtocolError("operator: field barcode must be a non-empty string");
    return { op: "import", library: o.library, barcode: o.barcode, ...(slot !== undefined ? { slot: slot as number } : {}) };
  }
  if (o.op === "remove") {
    if (slot === undefined) throw new VtlProtocolError("operator: field slot is required to remove a cartridge");
    return { op: "remove", library: o.library, slot: slot as number };
  }
  throw new VtlProtocolError(`operator: field op must be "import" or "remove"`);
}

function parseDeviceInfo(x: unknown, what: string): DeviceInfo {
  if (typeof x !== "object" || x === null) throw new VtlProtocolError(`${what}: device must be an object`);
  const o = x as Record<string, unknown>;
  for (const k of ["id", "vendor", "product", "revision", "serial"] as const) {
    if (typeof o[k] !== "string") throw new VtlProtocolError(`${what}: field ${k} must be a string`);
  }
  if (o.type !== "tape" && o.type !== "changer") throw new VtlProtocolError(`${what}: field type must be "tape" or "changer"`);
  return {
    id: o.id as string,
    type: o.type,
    vendor: o.vendor as string,
    product: o.product as string,
    revision: o.revision as string,
    serial: o.serial as string,
  };
}

/**
 * Splits a byte stream into frame payloads. Feed chunks with `push`; complete payloads are
 * returned in order. Throws {@link VtlProtocolError} on a frame larger than `maxPayload`.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  push(chunk: Uint8Array): Uint8Array[] {
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.length;
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const len = head.readUInt32BE(0);
      if (len > this.maxPayload) throw new VtlProtocolError(`frame of ${len} bytes exceeds the limit of ${this.maxPayload}`);
      if (this.buffered < 4 + len) break;
      const all = this.take(4 + len);
      out.push(all.subarray(4));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    let first = this.chunks[0]!;
    if (first.length < n) {
      first = Buffer.concat(this.chunks);
      this.chunks = [first];
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
