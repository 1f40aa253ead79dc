/** A device agent run as a real process (`tsx src/main.ts`) with its own virtual library. */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { credentials } from "@grpc/grpc-js";
import { closeClient, createClient, DeviceAgentService, type Client } from "@tapefleet/proto";
import { freePort } from "@tapefleet/testkit";

const MAIN = fileURLToPath(new URL("../../../src/main.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));

export interface AgentProcess {
  hostId: string;
  grpcAddress: string;
  logFile: string;
  client: Client<typeof DeviceAgentService>;
  stop(): Promise<void>;
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Starts an agent serving the library created from `spec` in `dir`; resolves when it answers gRPC. */
export async function startAgentProcess(opts: { hostId: string; dir: string; spec: unknown; env: Record<string, string> }): Promise<AgentProcess> {
  const specFile = join(opts.dir, `${opts.hostId}-spec.json`);
  writeFileSync(specFile, JSON.stringify(opts.spec));
  const grpcAddress = `127.0.0.1:${await freePort()}`;
  const logFile = join(opts.dir, `${opts.hostId}.log`);
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      cwd: REPO,
      env: {
        ...process.env,
        ...opts.env,
        TAPEFLEET_HOST_ID: opts.hostId,
        TAPEFLEET_GRPC_ADDRESS: grpcAddress,
        TAPEFLEET_HTTP_PORT: "0",
        TAPEFLEET_VTL_DIR: join(opts.dir, `${opts.hostId}-vtl`),
        TAPEFLEET_VTL_SPEC: specFile,
        TAPEFLEET_READY_POLL_MS: "50",
        TAPEFLEET_LOG_LEVEL: "info",
      },
      stdio: ["ignore", fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let exited = false;
  const done = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const client = createClient(DeviceAgentService, grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 30_000 });
  const stop = async () => {
    closeClient(client);
    if (!exited) child.kill("SIGTERM");
    const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
    await done;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`agent ${opts.hostId} exited during start:\n${tail(logFile)}`);
    try {
      await client.getAgentInfo({}, { timeoutMs: 1000 });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`agent ${opts.hostId} did not answer gRPC in time:\n${tail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { hostId: opts.hostId, grpcAddress, logFile, client, stop };
}

/** A small library whose names and serials carry `tag` (A, B, ...), so two agents never clash. */
export function agentSpec(tag: string, options: { calibrationMs?: number } = {}) {
  const t = tag.toUpperCase();
  return {
    libraries: [
      {
        name: `lib${tag.toLowerCase()}`,
        slots: 8,
        importExportSlots: 1,
        serial: `TFLIB${t}0001`,
        drives: [
          { generation: 9, serial: `TF${t}9000001` },
          { generation: 8, serial: `TF${t}8000002` },
        ],
        cartridges: [
          { barcode: `${t}00001L9`, slot: 1 },
          { barcode: `${t}00002L8`, slot: 2 },
          { barcode: `${t}00003L9`, slot: 3, newMedia: true },
          { barcode: `${t}00004L8`, slot: 4 },
          { barcode: `CLN${t}01L1`, slot: 8 },
        ],
      },
    ],
    defaults: { capacityBytes: 64 * 1024 * 1024 },
    timing: { loadMs: 50, cleaningMs: 300, calibrationMs: options.calibrationMs ?? 600_000, powerOnUnitAttention: true },
  };
}
