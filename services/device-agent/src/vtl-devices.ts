import { access } from "node:fs/promises";
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { createLibrary, createVtlTransport, defaultSiteSpec, openLibrary, startVtlServer, type VirtualLibrary, type VtlServer } from "@tapefleet/vtl";
import type { AgentDevice, DeviceSource } from "./devices.ts";

/** File a virtual library folder is recognised by (written by @tapefleet/vtl). */
export const VTL_STATE_FILE = "state.json";
/** Name of the wire-protocol socket the agent serves inside the library folder. */
export const VTL_SOCKET_NAME = "vtl.sock";

/**
 * Opens the virtual library in `dir`, creating it when the folder holds none:
 * from the JSON spec file `specFile` when given, else from the default site spec.
 */
export async function openOrCreateLibrary(dir: string, specFile?: string): Promise<{ library: VirtualLibrary; created: boolean }> {
  try {
    await access(join(dir, VTL_STATE_FILE));
  } catch {
    const spec: unknown = specFile === undefined ? defaultSiteSpec() : JSON.parse(await readFile(specFile, "utf8"));
    return { library: await createLibrary(dir, spec), created: true };
  }
  return { library: await openLibrary(dir), created: false };
}

/** LTO generation of each tape drive of the library, by device id (`lib1/drive0`, or a standalone drive's name). */
function generations(library: VirtualLibrary): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of library.spec.libraries ?? []) for (const [i, d] of l.drives.entries()) out.set(`${l.name}/drive${i}`, `LTO-${d.generation}`);
  for (const d of library.spec.drives ?? []) out.set(d.name, `LTO-${d.generation}`);
  return out;
}

/** The devices of an open virtual library, as the agent reports them (`vtl:<device id>` as id and path). */
export function virtualLibraryDevices(library: VirtualLibrary): AgentDevice[] {
  const gens = generations(library);
  return library.listDevices().map((info) => {
    const gen = gens.get(info.id);
    return {
      id: `vtl:${info.id}`,
      kind: info.type === "tape" ? "tape-drive" : "medium-changer",
      vendor: info.vendor,
      model: info.product,
      revision: info.revision,
      serial: info.serial,
      path: `vtl:${info.id}`,
      state: library.device(info.id).faults.offline ? "offline" : "online",
      ...(info.type === "tape" && gen !== undefined ? { generation: gen } : {}),
      virtual: true,
    };
  });
}

export interface VirtualLibrarySource extends DeviceSource {
  library: VirtualLibrary;
  /** True when this start created the library folder. */
  created: boolean;
  /** The wire-protocol server on `<dir>/vtl.sock`. */
  server: VtlServer;
}

/**
 * The virtual library in `dir` as the agent's device source: opened (or
 * created from `specFile` or the default site spec), and served on `<dir>/vtl.sock` for SCSI
 * clients. `close()` stops the socket and closes the library.
 */
export async function virtualLibrarySource(dir: string, specFile?: string): Promise<VirtualLibrarySource> {
  const { library, created } = await openOrCreateLibrary(dir, specFile);
  let server: VtlServer;
  try {
    server = await startVtlServer({ library, socketPath: join(dir, VTL_SOCKET_NAME) });
  } catch (err) {
    await library.close();
    throw err;
  }
  return {
    name: "vtl",
    library,
    created,
    server,
    list: async () => virtualLibraryDevices(library),
    open: async (device) => createVtlTransport(library, device.path.replace(/^vtl:/, "")),
    close: async () => {
      await server.close();
      await library.close();
    },
  };
}
