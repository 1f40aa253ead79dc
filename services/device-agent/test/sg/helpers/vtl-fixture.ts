/**
 * A temporary virtual library served on a UNIX socket in this process, with
 * the forwarding library configured so that /dev/sg-vtlN paths (and by-id
 * aliases) reach its devices.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLibrary, startVtlServer, type VirtualLibrary, type VtlServer } from "@tapefleet/vtl";
import {
  buildForwardingLibrary,
  forwardDevices,
  forwardingSpec,
  SGFWD_ENV,
  type ForwardedDevice,
} from "../../../src/sg/index.ts";

export interface VtlFixture {
  dir: string;
  library: VirtualLibrary;
  server: VtlServer;
  socketPath: string;
  /** The forwarded paths, as configured at start. */
  devices: ForwardedDevice[];
  /** Path of libsgfwd.so. */
  forwardingLibrary: string;
  /** Environment for a child process: LD_PRELOAD and TAPEFLEET_SGFWD. */
  preloadEnv: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * Creates the library from `spec`, serves it, and maps each `devices` entry
 * (`path` → device id) through the forwarding library: configured in this
 * process for the koffi transport, and in `preloadEnv` for child processes.
 */
export async function startVtlFixture(
  spec: unknown,
  devices: ReadonlyArray<Omit<ForwardedDevice, "socketPath">>,
): Promise<VtlFixture> {
  const dir = await mkdtemp(join(tmpdir(), "tapefleet-sg-vtl-"));
  const forwardingLibrary = await buildForwardingLibrary();
  const library = await createLibrary(join(dir, "library"), spec);
  const socketPath = join(dir, "vtl.sock");
  const server = await startVtlServer({ library, socketPath });
  const forwarded = devices.map((d) => ({ ...d, socketPath }));
  const value = forwardingSpec(forwarded);
  const withdraw = forwardDevices(forwardingLibrary, forwarded);
  return {
    dir,
    library,
    server,
    socketPath,
    devices: forwarded,
    forwardingLibrary,
    preloadEnv: { ...process.env, LD_PRELOAD: forwardingLibrary, [SGFWD_ENV]: value },
    async close() {
      await server.close();
      await library.close();
      withdraw();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
