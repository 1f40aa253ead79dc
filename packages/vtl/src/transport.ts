/** In-process {@link ScsiTransport} onto a device of a {@link VirtualLibrary}. */
import type { ScsiCommand, ScsiResult, ScsiTransport } from "@tapefleet/scsi";
import { VtlError } from "./errors.ts";
import type { VirtualLibrary } from "./library.ts";

export function createVtlTransport(library: VirtualLibrary, deviceId: string): ScsiTransport {
  const device = library.device(deviceId);
  let closed = false;
  return {
    description: `vtl:${deviceId}`,
    async execute(command: ScsiCommand): Promise<ScsiResult> {
      if (closed) throw new VtlError("VTL_LIBRARY_CLOSED", `transport to ${deviceId} is closed`);
      const r = await device.execute(command);
      return { status: r.status, sense: r.sense, data: r.data, residual: r.residual, hostStatus: r.hostStatus, driverStatus: 0 };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
