import type { ChangerStatus } from "@tapefleet/scsi";

/** What the inventory knows about a changer (PBS tape.cfg `changer` section), passed with each request. */
export interface ChangerConfig {
  /** Extra slot numbers treated as import/export. */
  exportSlots: readonly number[];
  /** Eject the drive before moving a cartridge out of it. */
  ejectBeforeUnload: boolean;
}

export const DEFAULT_CHANGER_CONFIG: ChangerConfig = Object.freeze({ exportSlots: [], ejectBeforeUnload: false });

/** Identity of a changer (INQUIRY + VPD 0x80). */
export interface ChangerIdentity {
  vendor: string;
  product: string;
  serial: string;
}

/**
 * A medium changer: element status with mtx slot numbering and MOVE MEDIUM by
 * element address. Implemented over any ScsiTransport by ScsiMediaChanger; the
 * PBS policies (load by label, unload to the source slot, export, clean) are in
 * changer-operations.ts.
 */
export interface MediaChanger {
  identity(): Promise<ChangerIdentity>;
  /** READ ELEMENT STATUS, slots numbered storage first then import/export (+ `exportSlots`). */
  status(exportSlots: readonly number[]): Promise<ChangerStatus>;
  /** MOVE MEDIUM between element addresses (transport: the first transport element). */
  moveMedium(sourceAddress: number, destinationAddress: number, transportAddress: number): Promise<void>;
  /** INITIALIZE ELEMENT STATUS (inventory scan of the whole library). */
  initializeElementStatus(): Promise<void>;
}
