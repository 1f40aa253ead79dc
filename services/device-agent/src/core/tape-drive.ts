import type { TapeAlertActive, VolumeStatistics } from "@tapefleet/scsi";
import type { MediaLabel, MediaSetLabel } from "@tapefleet/tape-format";

/** One progress step of a long operation. */
export interface Progress {
  /** Completion in percent (0–100) when the device reports it. */
  percent?: number;
  message: string;
  /** Drive activity (log page 0x11) or an agent step ("moving", "writing-label", "done"). */
  activity: string;
}

/** What a long operation gets from its caller: cancellation and a progress sink. */
export interface OperationContext {
  /** Aborted when the caller goes away: the operation stops at its next safe point (CANCELLED). */
  signal?: AbortSignal;
  progress?: (p: Progress) => void;
}

/** Drive and medium status: the PBS `LtoDriveAndMediaStatus` fields (§8.4) and a few more. */
export interface DriveStatusReport {
  vendor: string;
  product: string;
  revision: string;
  serial: string;
  ready: boolean;
  mediumPresent: boolean;
  blockSize?: number;
  densityCode?: number;
  density?: string;
  compression?: boolean;
  bufferMode?: number;
  writeProtect?: boolean;
  worm?: boolean;
  alertFlags: string[];
  fileNumber?: number;
  blockNumber?: number;
  manufactured?: string;
  bytesWritten?: number;
  bytesRead?: number;
  mediumPasses?: number;
  mediumWearout?: number;
  volumeMounts?: number;
  driveActivity?: string;
  /** Why fields are missing (queries skipped while the drive is active, or refused). */
  notes: string[];
}

/** One MAM attribute as `{id, name, value}` with the value as text. */
export interface MamEntry {
  id: number;
  name: string;
  value: string;
  readOnly: boolean;
  format: "binary" | "ascii" | "text";
}

/** The labels of a tape: empty (blank or a filemark at BOT), or file 0 and maybe file 1. */
export type TapeLabels = { empty: true } | { empty: false; mediaLabel: MediaLabel; mediaSetLabel?: MediaSetLabel };

export interface TapePosition {
  fileNumber: number;
  blockNumber: number;
}

export interface FormatResult {
  density?: string;
  worm: boolean;
  steps: string[];
}

export interface LabelResult {
  label: MediaLabel;
  warnings: string[];
}

export interface EndOfDataResult {
  position: TapePosition;
  missingFilemark: boolean;
  filemarkWritten: boolean;
}

/**
 * A tape drive, as the agent's operations use it (PBS `TapeDriver` + the LTO
 * specifics). Implemented over any ScsiTransport by {@link ScsiTapeDrive}.
 */
export interface TapeDrive {
  status(): Promise<DriveStatusReport>;
  cartridgeMemory(): Promise<MamEntry[]>;
  volumeStatistics(): Promise<VolumeStatistics>;
  /** Rewinds and reads file 0 and file 1 (a filemark at BOT counts as empty). */
  readLabel(): Promise<TapeLabels>;
  rewind(): Promise<void>;
  /** Rewind and LOAD/UNLOAD with LOAD=0. */
  eject(): Promise<void>;
  erase(fast: boolean, ctx?: OperationContext): Promise<void>;
  /** PBS format_media (§13.4); `fast` erases only. */
  format(fast: boolean, ctx?: OperationContext): Promise<FormatResult>;
  /** Polls TEST UNIT READY until ready, reporting calibration progress. */
  waitUntilReady(timeoutMs: number, ctx?: OperationContext): Promise<{ waitedMs: number }>;
  /** PBS label (§13.3 drive part): refuses a tape with data, clears the key, fast format, file 0, verify, MAM. */
  label(label: MediaLabel, options: { applicationVersion: string }, ctx?: OperationContext): Promise<LabelResult>;
  /** PBS locate_file with the LOCATE offset calibration (§7.2). */
  locateFile(fileNumber: number): Promise<{ position: TapePosition; locateOffset: number }>;
  moveToEndOfData(writeMissingFilemark: boolean): Promise<EndOfDataResult>;
  moveToLastFile(): Promise<TapePosition>;
  position(): Promise<TapePosition>;
  tapeAlertFlags(): Promise<TapeAlertActive[]>;
  /** Drive activity of log page 0x11 (undefined when the page is not readable). */
  activity(): Promise<string | undefined>;
  clearEncryptionKey(): Promise<void>;
  /** One TEST UNIT READY (after clearing unit attentions): ready, or the NOT READY ASC/ASCQ. */
  readiness(): Promise<{ ready: boolean; asc?: number; ascq?: number; noMedium?: boolean }>;
}
