import type { DeviceAgentConfig } from "./config.ts";
import { NO_DEVICES, type DeviceSource } from "./devices.ts";

/**
 * The device source a configured agent serves. The virtual library folder
 * (`TAPEFLEET_VTL_DIR`) is not read yet: until the agent serves the virtual
 * library, an agent reports no devices rather than invented ones.
 */
export async function deviceSourceFor(_config: DeviceAgentConfig): Promise<DeviceSource> {
  return NO_DEVICES;
}
