import { mkdir } from "node:fs/promises";
import { UnavailableError } from "@tapefleet/common";
import type { DeviceAgentConfig } from "./config.ts";
import { NO_DEVICES, type DeviceSource } from "./devices.ts";
import { virtualLibrarySource } from "./vtl-devices.ts";

/**
 * The device source a configured agent serves: the virtual library in
 * `TAPEFLEET_VTL_DIR` (created from the default site spec on first start),
 * or no devices at all when none is configured.
 */
export async function deviceSourceFor(config: DeviceAgentConfig): Promise<DeviceSource> {
  if (config.vtlDir === undefined) return NO_DEVICES;
  try {
    await mkdir(config.vtlDir, { recursive: true });
    return await virtualLibrarySource(config.vtlDir);
  } catch (err) {
    throw new UnavailableError(`cannot open the virtual library in ${config.vtlDir} (TAPEFLEET_VTL_DIR): ${(err as Error).message}`, err);
  }
}
