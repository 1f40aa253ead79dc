/** Client of the virtual library wire protocol: a {@link ScsiTransport} over a UNIX socket. */
import { connect, type Socket } from "node:net";
import type { ScsiCommand, ScsiResult, ScsiTransport } from "@tapefleet/scsi";
import { VtlError, VtlProtocolError } from "./errors.ts";
import { decodeServerMessage, encodeClientMessage, FrameDecoder, frame, OpenResult, type DeviceInfo, type OperatorAction, type ServerMessage } from "./wire.ts";

interface Connection {
  socket: Socket;
  next(): Promise<ServerMessage>;
}

async function dial(socketPath: string): Promise<Connection> {
  const socket = connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const decoder = new FrameDecoder();
  const queue: ServerMessage[] = [];
  const waiters: { resolve: (m: ServerMessage) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  const fail = (e: Error): void => {
    failure ??= e;
    for (const w of waiters.splice(0)) w.reject(failure);
  };
  socket.on("data", (chunk: Buffer) => {
    try {
      for (const p of decoder.push(chunk)) {
        const m = decodeServerMessage(Uint8Array.from(p));
        const w = waiters.shift();
        if (w) w.resolve(m);
        else queue.push(m);
      }
    } catch (e) {
      fail(e as Error);
      socket.destroy();
    }
  });
  socket.on("error", (e) => fail(new VtlError("VTL_IO", `virtual library socket: ${e.message}`, { cause: e })));
  socket.on("close", () => fail(new VtlError("VTL_IO", "virtual library connection closed")));
  return {
    socket,
    next() {
      const m = queue.shift();
      if (m) return Promise.resolve(m);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
  };
}

/** Open `deviceId` on a `vtl serve` socket. Rejects with VTL_NO_SUCH_DEVICE or VTL_DEVICE_OFFLINE. */
export async function connectVtlSocket(socketPath: string, deviceId: string): Promise<ScsiTransport & { readonly device: DeviceInfo }> {
  const conn = await dial(socketPath);
  conn.socket.write(frame(encodeClientMessage({ kind: "open", deviceId })));
  const reply = await conn.next();
  if (reply.kind !== "open-reply") {
    conn.socket.destroy();
    throw new VtlProtocolError(`expected an OPEN reply, got ${reply.kind}`);
  }
  if (reply.result !== OpenResult.OK) {
    conn.socket.destroy();
    throw new VtlError(reply.result === OpenResult.OFFLINE ? "VTL_DEVICE_OFFLINE" : "VTL_NO_SUCH_DEVICE", reply.message ?? `cannot open ${deviceId}`);
  }
  const device = reply.device!;
  let chain: Promise<unknown> = Promise.resolve();
  return {
    description: `vtl+unix:${socketPath}#${deviceId}`,
    device,
    execute(command: ScsiCommand): Promise<ScsiResult> {
      const run = chain.then(async () => {
        const dataInLength = command.direction === "in" ? (command.dataInLength ?? 0) : 0;
        conn.socket.write(
          frame(
            encodeClientMessage({
              kind: "command",
              direction: command.direction,
              cdb: command.cdb,
              dataInLength,
              timeoutMs: command.timeoutMs,
              dataOut: command.direction === "out" ? (command.dataOut ?? new Uint8Array(0)) : new Uint8Array(0),
            }),
          ),
        );
        const r = await conn.next();
        if (r.kind !== "command-reply") throw new VtlProtocolError(`expected a COMMAND reply, got ${r.kind}`);
        return { status: r.status, sense: r.sense, data: r.data, residual: r.residual, hostStatus: r.hostStatus, driverStatus: 0 };
      });
      chain = run.catch(() => undefined);
      return run;
    },
    async close(): Promise<void> {
      conn.socket.end();
      conn.socket.destroy();
    },
  };
}

/** LIST the devices of a `vtl serve` socket. */
export async function listVtlDevices(socketPath: string): Promise<DeviceInfo[]> {
  const conn = await dial(socketPath);
  conn.socket.write(frame(encodeClientMessage({ kind: "list" })));
  try {
    const reply = await conn.next();
    if (reply.kind !== "list-reply") throw new VtlProtocolError(`expected a LIST reply, got ${reply.kind}`);
    return reply.devices;
  } finally {
    conn.socket.destroy();
  }
}

/**
 * An operator action at a running library (`vtl serve`, or the device agent's
 * `<vtl dir>/vtl.sock`): put a shelf cartridge into an import/export slot, or take one
 * out. Resolves with the cartridge's barcode; rejects with VTL_STATE_INVALID and the
 * library's reason when the action is refused (slot full or empty, cartridge not on the shelf).
 */
export async function vtlOperator(socketPath: string, action: OperatorAction): Promise<string> {
  const conn = await dial(socketPath);
  conn.socket.write(frame(encodeClientMessage({ kind: "operator", action })));
  try {
    const reply = await conn.next();
    if (reply.kind !== "operator-reply") throw new VtlProtocolError(`expected an OPERATOR reply, got ${reply.kind}`);
    if (!reply.ok) throw new VtlError("VTL_STATE_INVALID", reply.message ?? `${action.op} refused`);
    return reply.barcode!;
  } finally {
    conn.socket.destroy();
  }
}
