import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VtlProtocolError } from "./errors.ts";
import {
  decodeClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeServerMessage,
  FrameDecoder,
  frame,
  OpenResult,
  type ClientMessage,
  type ServerMessage,
} from "./wire.ts";

const device = { id: "lib1/drive0", type: "tape" as const, vendor: "IBM", product: "ULT3580-TD9", revision: "S9J1", serial: "X1" };

describe("wire codec", () => {
  it("encodes the contract bytes exactly", () => {
    expect([...encodeClientMessage({ kind: "open", deviceId: "lib1/changer" })]).toEqual([0x01, ...Buffer.from("lib1/changer")]);
    expect([...encodeClientMessage({ kind: "list" })]).toEqual([0x03]);
    const cmd = encodeClientMessage({ kind: "command", direction: "out", cdb: Uint8Array.of(0x0a, 0, 0, 0, 2, 0), dataInLength: 0, timeoutMs: 600000, dataOut: Uint8Array.of(7, 8) });
    expect([...cmd]).toEqual([0x02, 1, 6, 0, 0, 0, 0, 0, 0x00, 0x09, 0x27, 0xc0, 0x0a, 0, 0, 0, 2, 0, 7, 8]);
    const reply = encodeServerMessage({ kind: "command-reply", status: 2, hostStatus: 0, residual: 36, sense: Uint8Array.of(0x70, 0, 5), data: Uint8Array.of(9) });
    expect([...reply]).toEqual([0x82, 2, 3, 0, 0, 0, 0, 36, 0x70, 0, 5, 9]);
    const open = encodeServerMessage({ kind: "open-reply", result: OpenResult.NO_SUCH_DEVICE, message: "no" });
    expect([...open]).toEqual([0x81, 1, ...Buffer.from("no")]);
    expect([...frame(Uint8Array.of(1, 2, 3))]).toEqual([0, 0, 0, 3, 1, 2, 3]);
  });

  it("round-trips every message kind", () => {
    const client: ClientMessage[] = [
      { kind: "open", deviceId: "tape0" },
      { kind: "list" },
      { kind: "command", direction: "in", cdb: Uint8Array.of(0x12, 0, 0, 0, 36, 0), dataInLength: 36, timeoutMs: 30000, dataOut: new Uint8Array(0) },
      { kind: "operator", action: { op: "import", library: "lib1", barcode: "TF0009L9", slot: 2 } },
      { kind: "operator", action: { op: "import", library: "lib1", barcode: "TF0009L9" } },
      { kind: "operator", action: { op: "remove", library: "lib1", slot: 1 } },
    ];
    for (const m of client) expect(decodeClientMessage(encodeClientMessage(m))).toEqual(m);
    const server: ServerMessage[] = [
      { kind: "open-reply", result: 0, device },
      { kind: "open-reply", result: 2, message: "device lib1/drive0 is offline" },
      { kind: "list-reply", devices: [device] },
      { kind: "command-reply", status: 0, hostStatus: 3, residual: 5, sense: new Uint8Array(0), data: Uint8Array.of(1, 2) },
      { kind: "operator-reply", ok: true, barcode: "TF0009L9" },
      { kind: "operator-reply", ok: false, message: "lib1: import/export slot 1 is full" },
    ];
    for (const m of server) expect(decodeServerMessage(encodeServerMessage(m))).toEqual(m);
  });

  it("rejects truncated and malformed payloads with typed errors", () => {
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(0x02, 0, 6, 0),
      Uint8Array.of(0x02, 3, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
      Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
      Uint8Array.of(0x02, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
      Uint8Array.of(0x7f),
      Uint8Array.of(0x01, 0xff, 0xfe),
    ];
    for (const b of bad) expect(() => decodeClientMessage(b)).toThrow(VtlProtocolError);
    const badServer: Uint8Array[] = [
      Uint8Array.of(0x81),
      Uint8Array.of(0x81, 0, ...Buffer.from("{")),
      Uint8Array.of(0x81, 0, ...Buffer.from('{"id":1}')),
      Uint8Array.of(0x83, ...Buffer.from("{}")),
      Uint8Array.of(0x82, 0, 10, 0, 0, 0, 0, 0, 1),
      Uint8Array.of(0x82, 0, 0),
    ];
    for (const b of badServer) expect(() => decodeServerMessage(b)).toThrow(VtlProtocolError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          decodeClientMessage(b);
          decodeServerMessage(b);
        } catch (e) {
          expect(e).toBeInstanceOf(VtlProtocolError);
        }
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it("encodes an operator action as JSON after its type byte and rejects malformed ones naming the field", () => {
    expect([...encodeClientMessage({ kind: "operator", action: { op: "remove", library: "l", slot: 1 } })]).toEqual([0x04, ...Buffer.from('{"op":"remove","library":"l","slot":1}')]);
    const op = (o: unknown) => Uint8Array.of(0x04, ...Buffer.from(JSON.stringify(o)));
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.of(0x04), /not valid JSON/],
      [op({ op: "import", library: "l" }), /barcode/],
      [op({ op: "remove", library: "l" }), /slot is required/],
      [op({ op: "import", library: "l", barcode: "B", slot: 0 }), /slot must be an integer/],
      [op({ op: "eject", library: "l" }), /op must be/],
      [op({ op: "import", barcode: "B" }), /library/],
      [op(["import"]), /library/],
    ];
    for (const [b, re] of cases) expect(() => decodeClientMessage(b)).toThrow(re);
    for (const b of [Uint8Array.of(0x84), Uint8Array.of(0x84, ...Buffer.from('{"ok":"yes"}')), Uint8Array.of(0x84, ...Buffer.from('{"ok":true,"barcode":1}'))]) {
      expect(() => decodeServerMessage(b)).toThrow(VtlProtocolError);
    }
  });

  it("reassembles frames split at any byte and rejects oversized frames", () => {
    const payloads = [Uint8Array.of(1), new Uint8Array(1000).fill(7), Uint8Array.of(3, 4)];
    const stream = Buffer.concat(payloads.map((p) => frame(p)));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const dec = new FrameDecoder();
        const out: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          out.push(...dec.push(stream.subarray(prev, p)));
          prev = p;
        }
        expect(out.map((o) => Buffer.from(o).toString("hex"))).toEqual(payloads.map((p) => Buffer.from(p).toString("hex")));
      }),
      { seed: 11, numRuns: 200 },
    );
    expect(() => new FrameDecoder(10).push(frame(new Uint8Array(11)))).toThrow(VtlProtocolError);
  });
});
