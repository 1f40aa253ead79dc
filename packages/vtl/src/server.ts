/**
 * `vtl serve`: the wire protocol on a UNIX stream socket. One connection is one open device
 * handle; commands of one device are serialized by the device, devices run concurrently.
 */
import { rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { createLibrary, libraryExists, openLibrary, type VirtualLibrary } from "./library.ts";
import { defaultSiteSpec } from "./spec.ts";
import type { VirtualDevice } from "./device.ts";
import { HostStatus, Status } from "./scsi-codes.ts";
import { decodeClientMessage, encodeServerMessage, FrameDecoder, frame, OpenResult, type ServerMessage } from "./wire.ts";

export interface VtlServerOptions {
  /** An open library, or a folder to open. */
  library?: VirtualLibrary;
  dir?: string;
  /** With `dir`: the spec to create the library from when the folder holds none (default: the default site). */
  spec?: unknown;
  socketPath: string;
}

export interface VtlServer {
  readonly library: VirtualLibrary;
  readonly socketPath: string;
  /** Stop listening, drop connections; closes the library when the server opened it. */
  close(): Promise<void>;
}

export async function startVtlServer(options: VtlServerOptions): Promise<VtlServer> {
  const owned = options.library === undefined;
  let library: VirtualLibrary;
  if (options.library) library = options.library;
  else if (options.dir) {
    library = (await libraryExists(options.dir))
      ? await openLibrary(options.dir)
      : await createLibrary(options.dir, options.spec ?? defaultSiteSpec());
  }
  else throw new TypeError("startVtlServer needs library or dir");
  await rm(options.socketPath, { force: true });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    handleConnection(library, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    library,
    socketPath: options.socketPath,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await rm(options.socketPath, { force: true });
      if (owned) await library.close();
    },
  };
}

function handleConnection(library: VirtualLibrary, socket: Socket): void {
  const decoder = new FrameDecoder();
  let device: VirtualDevice | undefined;
  let first = true;
  // commands of one connection are answered in order
  let chain: Promise<void> = Promise.resolve();
  const send = (m: ServerMessage): void => {
    if (!socket.destroyed) socket.write(frame(encodeServerMessage(m)));
  };
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk: Buffer) => {
    let payloads: Uint8Array[];
    try {
      payloads = decoder.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const p of payloads) {
      let msg;
      try {
        msg = decodeClientMessage(p);
      } catch {
        socket.destroy();
        return;
      }
      if (first) {
        first = false;
        if (msg.kind === "list") {
          send({ kind: "list-reply", devices: library.listDevices().filter((d) => !library.device(d.id).faults.offline) });
          socket.end();
          return;
        }
        if (msg.kind === "operator") {
          const action = msg.action;
          chain = chain.then(async () => {
            try {
              const barcode = action.op === "import" ? (await library.importCartridge(action.library, action.barcode, action.slot), action.barcode) : await library.removeFromImportExport(action.library, action.slot);
              send({ kind: "operator-reply", ok: true, barcode });
            } catch (err) {
              send({ kind: "operator-reply", ok: false, message: (err as Error).message });
            }
            socket.end();
          });
          return;
        }
        if (msg.kind !== "open") {
          socket.destroy();
          return;
        }
        if (!library.hasDevice(msg.deviceId)) {
          send({ kind: "open-reply", result: OpenResult.NO_SUCH_DEVICE, message: `no device ${JSON.stringify(msg.deviceId)}` });
          socket.end();
          return;
        }
        const d = library.device(msg.deviceId);
        if (d.faults.offline) {
          send({ kind: "open-reply", result: OpenResult.OFFLINE, message: `device ${msg.deviceId} is offline` });
          socket.end();
          return;
        }
        device = d;
        send({ kind: "open-reply", result: OpenResult.OK, device: { ...d.info } });
        continue;
      }
      if (msg.kind !== "command" || !device) {
        socket.destroy();
        return;
      }
      const dev = device;
      const cmd = msg;
      // frame payloads are fresh buffers per received chunk; the tape image copies what it keeps
      const cdb = cmd.cdb;
      const dataOut = cmd.dataOut;
      chain = chain.then(async () => {
        try {
          const r = await dev.execute({ cdb, direction: cmd.direction, dataOut, dataInLength: cmd.dataInLength, timeoutMs: cmd.timeoutMs });
          send({ kind: "command-reply", status: r.status, hostStatus: r.hostStatus, residual: r.residual, sense: r.sense, data: r.data });
        } catch {
          // an internal failure of the emulation: report it as a lost device, never hang the client
          send({ kind: "command-reply", status: Status.GOOD, hostStatus: HostStatus.NO_CONNECT, residual: cmd.dataInLength, sense: new Uint8Array(0), data: new Uint8Array(0) });
        }
      });
    }
  });
}
