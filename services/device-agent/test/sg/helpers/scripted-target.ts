/**
 * A scripted server speaking the virtual library wire protocol, for testing
 * the forwarding library field by field: each command is handed to a test
 * function that decides the reply (or hangs, or drops the connection).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ReceivedCommand {
  deviceId: string;
  direction: number;
  cdb: Uint8Array;
  dataInLength: number;
  timeoutMs: number;
  dataOut: Uint8Array;
}

export interface ScriptedReply {
  status?: number;
  sense?: Uint8Array;
  hostStatus?: number;
  residual?: number;
  data?: Uint8Array;
}

/** What to do with one command: reply, never answer, or close the connection. */
export type CommandOutcome = ScriptedReply | "hang" | "drop";

export interface ScriptedTargetOptions {
  /** device id → peripheral type; other ids get "no such device"; "offline" gets result 2. */
  devices: Record<string, "tape" | "changer" | "offline">;
  onCommand: (command: ReceivedCommand) => CommandOutcome | Promise<CommandOutcome>;
}

export interface ScriptedTarget {
  socketPath: string;
  /** OPEN frames received, in order. */
  opens: string[];
  commands: ReceivedCommand[];
  close(): Promise<void>;
}

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

export async function startScriptedTarget(options: ScriptedTargetOptions): Promise<ScriptedTarget> {
  const dir = mkdtempSync(join(tmpdir(), "tapefleet-sgfwd-target-"));
  const socketPath = join(dir, "target.sock");
  const opens: string[] = [];
  const commands: ReceivedCommand[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = Buffer.alloc(0);
    let deviceId: string | undefined;
    let chain = Promise.resolve();
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const len = pending.readUInt32BE(0);
        if (pending.length < 4 + len) break;
        const payload = pending.subarray(4, 4 + len);
        pending = pending.subarray(4 + len);
        chain = chain.then(() => handle(Buffer.from(payload)));
      }
    });

    async function handle(p: Buffer): Promise<void> {
      if (socket.destroyed) return;
      if (deviceId === undefined) {
        const id = p.subarray(1).toString("utf8");
        opens.push(id);
        const type = options.devices[id];
        if (p[0] !== 0x01 || type === undefined) {
          socket.end(frame(Buffer.concat([Buffer.of(0x81, 1), Buffer.from(`no such device: ${id}`)])));
          return;
        }
        if (type === "offline") {
          socket.end(frame(Buffer.concat([Buffer.of(0x81, 2), Buffer.from(`offline: ${id}`)])));
          return;
        }
        deviceId = id;
        const info = { id, type, vendor: "TAPEFLEE", product: "SCRIPTED", revision: "0001", serial: `S-${id}` };
        socket.write(frame(Buffer.concat([Buffer.of(0x81, 0), Buffer.from(JSON.stringify(info))])));
        return;
      }
      const cdbLength = p[2] ?? 0;
      const command: ReceivedCommand = {
        deviceId,
        direction: p[1] ?? 0,
        cdb: Uint8Array.from(p.subarray(12, 12 + cdbLength)),
        dataInLength: p.readUInt32BE(4),
        timeoutMs: p.readUInt32BE(8),
        dataOut: Uint8Array.from(p.subarray(12 + cdbLength)),
      };
      commands.push(command);
      const outcome = await options.onCommand(command);
      if (outcome === "hang") return;
      if (outcome === "drop") {
        socket.destroy();
        return;
      }
      const sense = outcome.sense ?? new Uint8Array(0);
      const data = outcome.data ?? new Uint8Array(0);
      const head = Buffer.alloc(8);
      head[0] = 0x82;
      head[1] = outcome.status ?? 0;
      head[2] = sense.length;
      head[3] = outcome.hostStatus ?? 0;
      head.writeUInt32BE(outcome.residual ?? 0, 4);
      socket.write(frame(Buffer.concat([head, sense, data])));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    socketPath,
    opens,
    commands,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
