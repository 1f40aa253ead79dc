import type { ScsiTransport } from "@tapefleet/scsi";
import { createVtlTransport, type VirtualLibrary } from "@tapefleet/vtl";
import { SessionError } from "./session-error.ts";

/** A drive held for one session. */
export interface SessionDrive {
  transport: ScsiTransport;
  release(): void;
}

/** How sessions get exclusive use of a drive (one operation per drive). */
export interface SessionDrives {
  acquire(drive: string, owner: string): Promise<SessionDrive>;
}

/**
 * The tape drives of a virtual library, by device id (`lib1/drive0`) or the
 * agent's id for it (`vtl:lib1/drive0`), one holder at a time: a second
 * session on a held drive fails at once with `drive-busy`.
 */
export function virtualLibraryDrives(library: VirtualLibrary): SessionDrives {
  const held = new Map<string, string>();
  return {
    async acquire(drive, owner) {
      const id = drive.startsWith("vtl:") ? drive.slice(4) : drive;
      const info = library.listDevices().find((d) => d.id === id);
      if (info === undefined || info.type !== "tape") throw new SessionError("unknown-drive", `drive '${drive}': no such tape drive`, { field: "drive" });
      const holder = held.get(id);
      if (holder !== undefined) throw new SessionError("drive-busy", `drive '${drive}' is busy: ${holder} is running`);
      held.set(id, owner);
      let released = false;
      return {
        transport: createVtlTransport(library, id),
        release: () => {
          if (released) return;
          released = true;
          held.delete(id);
        },
      };
    },
  };
}

/**
 * `SessionDrives` over the agent's own drive registry and locks: `resolve`
 * gives the drive's transport (throw for an unknown id), `acquire` takes the
 * drive's lock for `owner` and returns its release (throw when busy). The
 * registry's errors pass through unchanged (they carry their own codes).
 */
export function sessionDrivesFrom(registry: {
  resolve(drive: string): Promise<ScsiTransport> | ScsiTransport;
  acquire(drive: string, owner: string): Promise<() => void>;
}): SessionDrives {
  return {
    async acquire(drive, owner) {
      const transport = await registry.resolve(drive);
      const release = await registry.acquire(drive, owner);
      let released = false;
      return {
        transport,
        release: () => {
          if (released) return;
          released = true;
          release();
        },
      };
    },
  };
}
