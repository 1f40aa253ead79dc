import { mkdir } from "node:fs/promises";
import { UnavailableError } from "@tapefleet/common";
import type { DeviceAgentConfig } from "./config.ts";
import { NO_DEVICES, type DeviceSource } from "./devices.ts";
import { combineSources, sgDevicesSource } from "./sg-devices.ts";
import { virtualLibrarySource } from "./vtl-devices.ts";

async function vtlSource(dir: string, spec: string | undefined, setting: string): Promise<DeviceSource> {
  try {
    await mkdir(dir, { recursive: true });
    return await virtualLibrarySource(dir, spec);
  } catch (err) {
    throw new UnavailableError(`cannot open the virtual library in ${dir} (${setting}): ${(err as Error).message}`, err);
  }
}

/**
 * The device source a configured agent serves: the virtual library in
 * `TAPEFLEET_VTL_DIR` (created from `TAPEFLEET_VTL_SPEC` or the default site
 * spec on first start), then each entry of `devices` (virtual library folders
 * and real devices by path), or no devices at all when none is configured.
 */
export async function deviceSourceFor(config: DeviceAgentConfig): Promise<DeviceSource> {
  const sources: DeviceSource[] = [];
  try {
    if (config.vtlDir !== undefined) sources.push(await vtlSource(config.vtlDir, config.vtlSpec, "TAPEFLEET_VTL_DIR"));
    for (const [i, d] of config.devices.entries()) if ("vtl" in d) sources.push(await vtlSource(d.vtl, d.spec, `devices[${i}]`));
  } catch (err) {
    for (const s of sources) await s.close?.().catch(() => {});
    throw err;
  }
  const paths = config.devices.flatMap((d) => ("path" in d ? [d.path] : []));
  if (paths.length > 0) sources.push(sgDevicesSource(paths, config.sgLibrary === undefined ? {} : { systemLibrary: config.sgLibrary }));
  if (sources.length === 0) return NO_DEVICES;
  return combineSources(sources);
}
