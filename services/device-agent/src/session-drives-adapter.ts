import type { DeviceService } from "./core/device-service.ts";
import { DeviceError } from "./core/device-error.ts";
import { SessionError, type SessionDrives } from "./sessions/index.ts";

/**
 * The tape data path sessions' drives over the agent's DeviceService: a
 * session holds the same per-drive lock as every other drive operation, so a
 * label or load never runs while a session writes (and the other way round).
 */
export function serviceSessionDrives(service: DeviceService): SessionDrives {
  return {
    async acquire(drive, owner) {
      let device;
      try {
        device = await service.resolve(drive, "tape-drive", "drive");
      } catch (err) {
        if (err instanceof DeviceError && (err.code === "NO_SUCH_DEVICE" || err.code === "WRONG_DEVICE_KIND")) throw new SessionError("unknown-drive", err.message, { field: "drive", cause: err });
        throw err;
      }
      let release;
      try {
        release = await service.lockDrive(device, { owner, waitMs: 0 });
      } catch (err) {
        throw new SessionError("drive-busy", (err as Error).message, { cause: err });
      }
      try {
        if (!service.source.open) throw new Error(`${device.path} cannot be opened`);
        const transport = await service.source.open(device);
        let released = false;
        return {
          transport,
          release: () => {
            if (released) return;
            released = true;
            void transport.close().catch(() => {});
            release();
          },
        };
      } catch (err) {
        release();
        throw err;
      }
    },
  };
}
