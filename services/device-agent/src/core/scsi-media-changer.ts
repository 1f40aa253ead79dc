import { NotReadyError, ScsiDevice, UnitAttentionError, type ChangerStatus, type ScsiTransport } from "@tapefleet/scsi";
import { sleep, toDeviceError } from "./device-error.ts";
import type { ChangerIdentity, MediaChanger } from "./media-changer.ts";

/** Retry window of the first status command (PBS §7.3: every 1 s for up to 5 s). */
export const CHANGER_RETRY_MS = 5000;
/** Retry window while the changer reports "becoming ready" (PBS: 5 min). */
export const CHANGER_BECOMING_READY_RETRY_MS = 300_000;
/** Interval between retries. */
export const CHANGER_RETRY_INTERVAL_MS = 1000;

/** {@link MediaChanger} over a ScsiTransport, with the PBS retry rules of §7.3. */
export class ScsiMediaChanger implements MediaChanger {
  readonly device: ScsiDevice;
  private readonly retryIntervalMs: number;

  constructor(transport: ScsiTransport, options: { retryIntervalMs?: number } = {}) {
    this.device = new ScsiDevice(transport);
    this.retryIntervalMs = options.retryIntervalMs ?? CHANGER_RETRY_INTERVAL_MS;
  }

  async identity(): Promise<ChangerIdentity> {
    try {
      const inq = await this.device.inquiry();
      const serial = await this.device.vpdSerial().catch(() => "");
      return { vendor: inq.vendor, product: inq.product, serial };
    } catch (err) {
      throw toDeviceError(err, "changer INQUIRY");
    }
  }

  async status(exportSlots: readonly number[]): Promise<ChangerStatus> {
    const started = Date.now();
    for (;;) {
      try {
        return await this.device.readElementStatus({ exportSlots });
      } catch (err) {
        const becoming = err instanceof NotReadyError && err.reason === "becomingReady";
        const window = becoming ? CHANGER_BECOMING_READY_RETRY_MS : CHANGER_RETRY_MS;
        const retryable = err instanceof UnitAttentionError || err instanceof NotReadyError;
        if (!retryable || Date.now() - started >= window) throw toDeviceError(err, "READ ELEMENT STATUS");
        if (!(err instanceof UnitAttentionError)) await sleep(this.retryIntervalMs);
      }
    }
  }

  async moveMedium(sourceAddress: number, destinationAddress: number, transportAddress: number): Promise<void> {
    try {
      await this.retryAttention(() => this.device.moveMedium(sourceAddress, destinationAddress, transportAddress));
    } catch (err) {
      throw toDeviceError(err, `MOVE MEDIUM 0x${sourceAddress.toString(16)} → 0x${destinationAddress.toString(16)}`);
    }
  }

  async initializeElementStatus(): Promise<void> {
    try {
      await this.retryAttention(() => this.device.initializeElementStatus());
    } catch (err) {
      throw toDeviceError(err, "INITIALIZE ELEMENT STATUS");
    }
  }

  /** Runs a command again after a unit attention (an operator opened the I/E station, power on). */
  private async retryAttention<T>(fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof UnitAttentionError) || i >= 4) throw err;
      }
    }
  }
}
