/**
 * The forwarding library under the koffi SG_IO transport, against a scripted
 * target: every sg_io_hdr field the transport sets reaches the wire, and every
 * field of the reply comes back where the kernel would put it.
 */
import { TransportError } from "@tapefleet/scsi";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SgError,
  buildForwardingLibrary,
  forwardDevices,
  openSgDevice,
  type SgIoTransport,
} from "../../src/sg/index.ts";
import { startScriptedTarget, type CommandOutcome, type ReceivedCommand, type ScriptedTarget } from "./helpers/scripted-target.ts";

const TUR = Uint8Array.of(0x00, 0, 0, 0, 0, 0);
const INQUIRY = Uint8Array.of(0x12, 0, 0, 0, 0x60, 0);
const WRITE6 = Uint8Array.of(0x0a, 0, 0, 0x10, 0, 0);
const READ_POSITION = Uint8Array.of(0x34, 0x06, 0, 0, 0, 0, 0, 0, 0, 0);

let library: string;
let withdraw: () => void = () => undefined;
let target: ScriptedTarget;
let script: (c: ReceivedCommand) => CommandOutcome | Promise<CommandOutcome> = () => ({});

beforeAll(async () => {
  library = await buildForwardingLibrary();
  target = await startScriptedTarget({
    devices: { "lib9/drive0": "tape", "lib9/changer": "changer", "lib9/drive1": "offline" },
    onCommand: (c) => script(c),
  });
  withdraw = forwardDevices(library, [
    { path: "/dev/sg-fwd0", aliases: ["/dev/tape/by-id/scsi-FWD0-sg"], socketPath: target.socketPath, deviceId: "lib9/drive0" },
    { path: "/dev/sg-fwd1", socketPath: target.socketPath, deviceId: "lib9/changer" },
    { path: "/dev/sg-fwd2", socketPath: target.socketPath, deviceId: "lib9/drive1" },
    { path: "/dev/sg-fwd3", socketPath: target.socketPath, deviceId: "lib9/nothing" },
    { path: "/dev/sg-fwd4", socketPath: `${target.socketPath}.absent`, deviceId: "lib9/drive0" },
  ], { graceMs: 200 });
});

afterAll(async () => {
  await target.close();
  withdraw();
});

async function withDevice<T>(path: string, body: (t: SgIoTransport) => Promise<T>, senseLength: 32 | 64 | 96 = 32): Promise<T> {
  const t = await openSgDevice(path, { library, senseLength });
  try {
    return await body(t);
  } finally {
    await t.close();
  }
}

async function expectSgError(p: Promise<unknown>, code: string): Promise<SgError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SgError);
  expect((error as SgError).reason).toBe(code);
  // Every transport failure is a TransportError of @tapefleet/scsi for the layers above.
  expect(error).toBeInstanceOf(TransportError);
  expect((error as SgError).code).toBe("TRANSPORT");
  return error as SgError;
}

describe("open", () => {
  it("opens a configured path, resolving an alias to the device path", async () => {
    const before = target.opens.length;
    const t = await openSgDevice("/dev/tape/by-id/scsi-FWD0-sg", { library });
    expect(t.resolvedPath).toBe("/dev/sg-fwd0");
    expect(t.description).toBe("sg:/dev/tape/by-id/scsi-FWD0-sg (/dev/sg-fwd0)");
    await t.close();
    expect(target.opens.slice(before)).toEqual(["lib9/drive0"]);
  });

  it("maps a missing device to ENODEV, an offline one and an absent server to ENXIO", async () => {
    expect((await expectSgError(openSgDevice("/dev/sg-fwd3", { library }), "open-failed")).message).toMatch(/ENODEV/);
    expect((await expectSgError(openSgDevice("/dev/sg-fwd2", { library }), "open-failed")).message).toMatch(/ENXIO/);
    expect((await expectSgError(openSgDevice("/dev/sg-fwd4", { library }), "open-failed")).message).toMatch(/ENXIO/);
  });

  it("passes unconfigured paths to the C library", async () => {
    const e = await expectSgError(openSgDevice("/dev/sg-not-configured", { library }), "open-failed");
    expect(e.errno).toBe(2);
    await expectSgError(openSgDevice("/dev/null", { library }), "not-sg-device");
  });
});

describe("SG_IO forwarding", () => {
  it("sends a no-data command with its CDB and timeout", async () => {
    script = () => ({ status: 0 });
    const r = await withDevice("/dev/sg-fwd0", (t) => t.execute({ cdb: TUR, direction: "none", timeoutMs: 30_000 }));
    const c = target.commands.at(-1);
    expect(c).toMatchObject({ deviceId: "lib9/drive0", direction: 0, dataInLength: 0, timeoutMs: 30_000 });
    expect([...(c?.cdb ?? [])]).toEqual([...TUR]);
    expect(c?.dataOut.length).toBe(0);
    expect(r).toEqual({ status: 0, sense: new Uint8Array(0), data: new Uint8Array(0), residual: 0, hostStatus: 0, driverStatus: 0 });
  });

  it("returns data-in with the residual of a short transfer", async () => {
    const payload = Uint8Array.from({ length: 36 }, (_, i) => i + 1);
    script = () => ({ data: payload, residual: 0x60 - 36 });
    const r = await withDevice("/dev/sg-fwd1", (t) => t.execute({ cdb: INQUIRY, direction: "in", dataInLength: 0x60, timeoutMs: 5000 }));
    const c = target.commands.at(-1);
    expect(c).toMatchObject({ deviceId: "lib9/changer", direction: 2, dataInLength: 0x60 });
    expect([...r.data]).toEqual([...payload]);
    expect(r.residual).toBe(0x60 - 36);
  });

  it("never hands back more data than was asked for", async () => {
    script = () => ({ data: new Uint8Array(64).fill(7) });
    const r = await withDevice("/dev/sg-fwd0", (t) => t.execute({ cdb: READ_POSITION, direction: "in", dataInLength: 32, timeoutMs: 5000 }));
    expect(r.data).toEqual(new Uint8Array(32).fill(7));
    expect(r.residual).toBe(0);
  });

  it("carries data-out bytes and the device's residual", async () => {
    const block = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);
    script = () => ({ residual: 96 });
    const r = await withDevice("/dev/sg-fwd0", (t) => t.execute({ cdb: WRITE6, direction: "out", dataOut: block, timeoutMs: 600_000 }));
    const c = target.commands.at(-1);
    expect(c).toMatchObject({ direction: 1, dataInLength: 0, timeoutMs: 600_000 });
    expect(c?.dataOut).toEqual(block);
    expect(r.residual).toBe(96);
    expect(r.data.length).toBe(0);
  });

  it.each([32, 64, 96] as const)("returns CHECK CONDITION sense up to a %i-byte buffer with DRIVER_SENSE", async (size) => {
    const sense = Uint8Array.from({ length: 80 }, (_, i) => (i === 0 ? 0x70 : i === 2 ? 0x03 : i));
    script = () => ({ status: 0x02, sense });
    const r = await withDevice("/dev/sg-fwd0", (t) => t.execute({ cdb: TUR, direction: "none", timeoutMs: 1000 }), size);
    expect(r.status).toBe(0x02);
    expect(r.driverStatus).toBe(0x08);
    expect(r.sense).toEqual(sense.subarray(0, Math.min(size, 80)));
  });

  it("maps host status NO_CONNECT to device-offline and TIME_OUT to timeout", async () => {
    script = () => ({ hostStatus: 0x01 });
    const offline = await withDevice("/dev/sg-fwd0", (t) => expectSgError(t.execute({ cdb: TUR, direction: "none", timeoutMs: 1000 }), "device-offline"));
    expect(offline.hostStatus).toBe(0x01);
    script = () => ({ hostStatus: 0x03 });
    const timeout = await withDevice("/dev/sg-fwd0", (t) => expectSgError(t.execute({ cdb: TUR, direction: "none", timeoutMs: 1000 }), "timeout"));
    expect(timeout.hostStatus).toBe(0x03);
  });

  it("times out an unanswered command, then reconnects for the next one", async () => {
    await withDevice("/dev/sg-fwd0", async (t) => {
      const opensBefore = target.opens.length;
      script = () => "hang";
      await expectSgError(t.execute({ cdb: TUR, direction: "none", timeoutMs: 50 }), "timeout");
      script = () => ({ status: 0 });
      const r = await t.execute({ cdb: TUR, direction: "none", timeoutMs: 1000 });
      expect(r.status).toBe(0);
      expect(target.opens.slice(opensBefore)).toEqual(["lib9/drive0"]);
    });
  });

  it("reports a dropped connection as device-offline, then reconnects", async () => {
    await withDevice("/dev/sg-fwd0", async (t) => {
      script = () => "drop";
      await expectSgError(t.execute({ cdb: TUR, direction: "none", timeoutMs: 1000 }), "device-offline");
      script = () => ({ status: 0 });
      expect((await t.execute({ cdb: TUR, direction: "none", timeoutMs: 1000 })).status).toBe(0);
    });
  });

  it("keeps the event loop running while a command is outstanding", async () => {
    // The target answers only after a timer of this process fired three
    // times; if the ioctl blocked the event loop, no timer would ever fire.
    let ticks = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    script = async () => {
      await released;
      return { status: 0 };
    };
    await withDevice("/dev/sg-fwd0", async (t) => {
      const pending = t.execute({ cdb: TUR, direction: "none", timeoutMs: 60_000 });
      const timer = setInterval(() => {
        ticks += 1;
        if (ticks === 3) release();
      }, 5);
      const r = await pending;
      clearInterval(timer);
      expect(r.status).toBe(0);
      expect(ticks).toBeGreaterThanOrEqual(3);
    });
  });

  it("serializes concurrent commands on one handle", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    script = async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      return { status: 0 };
    };
    await withDevice("/dev/sg-fwd0", async (t) => {
      const all = await Promise.all(Array.from({ length: 8 }, () => t.execute({ cdb: TUR, direction: "none", timeoutMs: 1000 })));
      expect(all.map((r) => r.status)).toEqual(new Array(8).fill(0));
    });
    expect(maxInFlight).toBe(1);
  });

  it("keeps handles on different devices apart when their commands run at once", async () => {
    // Each reply names the device the target saw; koffi runs the ioctls on
    // several worker threads at the same time.
    script = async (c) => {
      await new Promise((r) => setImmediate(r));
      return { data: new TextEncoder().encode(`${c.deviceId}:${c.cdb[4]}`) };
    };
    const handles = await Promise.all(["/dev/sg-fwd0", "/dev/sg-fwd1", "/dev/tape/by-id/scsi-FWD0-sg"].map((p) => openSgDevice(p, { library })));
    try {
      const expected: string[] = [];
      const runs: Promise<string>[] = [];
      for (let i = 0; i < 30; i++) {
        const h = handles[i % handles.length];
        if (h === undefined) throw new Error("no handle");
        expected.push(`${h.resolvedPath === "/dev/sg-fwd1" ? "lib9/changer" : "lib9/drive0"}:${i}`);
        const cdb = Uint8Array.of(0x12, 0, 0, 0, i, 0);
        runs.push(h.execute({ cdb, direction: "in", dataInLength: 64, timeoutMs: 5000 }).then((r) => new TextDecoder().decode(r.data)));
      }
      expect(await Promise.all(runs)).toEqual(expected);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it("moves any data-in and data-out size intact and accounts the residual", async () => {
    const t = await openSgDevice("/dev/sg-fwd0", { library });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 300_000 }),
          fc.integer({ min: 0, max: 300_000 }),
          fc.integer({ min: 0, max: 255 }),
          async (asked, offered, seed) => {
            const payload = Uint8Array.from({ length: offered }, (_, i) => (i * 13 + seed) & 0xff);
            script = () => ({ data: payload });
            const r = await t.execute({ cdb: Uint8Array.of(0x08, 0x02, 0, 0, 0, 0), direction: "in", dataInLength: asked, timeoutMs: 5000 });
            const got = Math.min(asked, offered);
            expect(r.data.length).toBe(got);
            expect(Buffer.compare(r.data, payload.subarray(0, got))).toBe(0);
            expect(r.residual).toBe(asked - got);

            script = (c) => ({ residual: c.dataOut.length === payload.length ? 0 : 1 });
            const w = await t.execute({ cdb: Uint8Array.of(0x0a, 0, 0, 0, 0, 0), direction: "out", dataOut: payload, timeoutMs: 5000 });
            expect(w.residual).toBe(0);
            const sent = target.commands.at(-1);
            expect(sent?.direction).toBe(payload.length > 0 ? 1 : 0);
            expect(Buffer.compare(sent?.dataOut ?? new Uint8Array(), payload)).toBe(0);
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      await t.close();
    }
  });

  it("rejects malformed commands before they reach the device", async () => {
    const before = target.commands.length;
    await withDevice("/dev/sg-fwd0", async (t) => {
      await expectSgError(t.execute({ cdb: Uint8Array.of(0, 0, 0), direction: "none", timeoutMs: 1000 }), "bad-request");
      await expectSgError(t.execute({ cdb: TUR, direction: "none", timeoutMs: -1 }), "bad-request");
      await expectSgError(t.execute({ cdb: INQUIRY, direction: "in", dataInLength: 1.5, timeoutMs: 1000 }), "bad-request");
      await expectSgError(t.execute({ cdb: INQUIRY, direction: "in", dataInLength: 64 * 1024 * 1024, timeoutMs: 1000 }), "bad-request");
    });
    expect(target.commands.length).toBe(before);
  });

  it("refuses commands after close", async () => {
    const t = await openSgDevice("/dev/sg-fwd0", { library });
    await t.close();
    await t.close();
    await expectSgError(t.execute({ cdb: TUR, direction: "none", timeoutMs: 1000 }), "closed");
  });
});
