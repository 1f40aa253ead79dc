import { TAPE_ALERT_FLAGS, type ChangerDrive, type ChangerSlot, type ChangerStatus } from "@tapefleet/scsi";
import { checkpoint, DeviceError, sleep, toDeviceError } from "./device-error.ts";
import type { ChangerConfig, MediaChanger } from "./media-changer.ts";
import type { OperationContext, TapeDrive } from "./tape-drive.ts";

/** Volume tags of cleaning cartridges start with this (PBS §13.2). */
export const CLEANING_PREFIX = "CLN";
/** Longest wait for a drive to finish cleaning when the caller gives none (PBS wait-ready default). */
export const CLEAN_TIMEOUT_MS = 600_000;
/** MAM attribute 0x0003: load count (SPC-4 table 337). */
const MAM_LOAD_COUNT = 0x0003;
/** ASC/ASCQ 30/03: cleaning cartridge installed (the drive is cleaning). */
const ASC_CLEANING = 0x30;
const ASCQ_CLEANING_CARTRIDGE_INSTALLED = 0x03;

export function isCleaningTag(tag: string | undefined): boolean {
  return tag !== undefined && tag.startsWith(CLEANING_PREFIX);
}

/** Serializes the changer's moves (one MOVE MEDIUM at a time). */
export interface MoveSerializer {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** What a changer operation works with: the changer, its config, its move lock and (when on this agent) the drive. */
export interface ChangerSession {
  changer: MediaChanger;
  config: ChangerConfig;
  moves: MoveSerializer;
  /** The drive addressed by the request, opened by the caller; absent when not on this agent. */
  drive?: TapeDrive;
  /** Poll interval while waiting for cleaning (default 1 s). */
  pollMs?: number;
}

function driveAt(status: ChangerStatus, driveNumber: number): ChangerDrive {
  const d = status.drives[driveNumber];
  if (!d) throw new DeviceError("INVALID_ARGUMENT", `drive_number: the changer has ${status.drives.length} drives (0..${status.drives.length - 1}), got ${driveNumber}`, { field: "drive_number" });
  return d;
}

function slotAt(status: ChangerStatus, slot: number, field: string): ChangerSlot {
  const s = status.slots.find((x) => x.slot === slot);
  if (!s) throw new DeviceError("INVALID_ARGUMENT", `${field}: the changer has slots 1..${status.slots.length}, got ${slot}`, { field });
  return s;
}

function transportOf(status: ChangerStatus): number {
  return status.transports[0]?.address ?? 0;
}

function describe(tag: string | undefined): string {
  return tag ?? "(no barcode)";
}

/** Volume tags online: in drives and non-import/export slots, without cleaning cartridges, sorted (PBS online labels). */
export function onlineLabels(status: ChangerStatus): string[] {
  const tags = new Set<string>();
  for (const d of status.drives) if (d.full && d.volumeTag && !isCleaningTag(d.volumeTag)) tags.add(d.volumeTag);
  for (const s of status.slots) if (s.full && !s.importExport && s.volumeTag && !isCleaningTag(s.volumeTag)) tags.add(s.volumeTag);
  return [...tags].sort();
}

/** The first empty storage (non-import/export) slot. */
function firstFreeStorageSlot(status: ChangerStatus): ChangerSlot | undefined {
  return status.slots.find((s) => !s.importExport && !s.full);
}

async function ejectIfConfigured(session: ChangerSession, driveNumber: number): Promise<void> {
  if (!session.config.ejectBeforeUnload) return;
  if (!session.drive) {
    throw new DeviceError("INVALID_ARGUMENT", `drive: eject_before_unload needs drive ${driveNumber} on this agent (give its serial or path)`, { field: "drive" });
  }
  // PBS: eject only when TEST UNIT READY succeeds (a cleaning cartridge has ejected itself).
  if ((await session.drive.readiness()).ready) await session.drive.eject();
}

export interface UnloadOutcome {
  slot?: number;
  labelText?: string;
}

/**
 * Unloads drive `driveNumber` to `targetSlot`, else its source slot when empty,
 * else the first free storage slot (PBS §13.2 unload).
 */
export async function unloadDrive(session: ChangerSession, driveNumber: number, targetSlot: number | undefined, ctx: OperationContext = {}, known?: ChangerStatus): Promise<UnloadOutcome> {
  const status = known ?? (await session.changer.status(session.config.exportSlots));
  const d = driveAt(status, driveNumber);
  if (!d.full) return {};
  let target: ChangerSlot | undefined;
  if (targetSlot !== undefined) {
    target = slotAt(status, targetSlot, "target_slot");
    if (target.full) throw new DeviceError("SLOT_FULL", `target_slot: slot ${targetSlot} is full (${describe(target.volumeTag)})`, { field: "target_slot" });
  } else {
    const source = d.loadedSlot !== undefined ? status.slots.find((s) => s.slot === d.loadedSlot) : undefined;
    target = source && !source.full ? source : firstFreeStorageSlot(status);
    if (!target) throw new DeviceError("NO_FREE_SLOT", `no free slot to unload ${describe(d.volumeTag)} from drive ${driveNumber} to (it stays in the drive)`);
  }
  checkpoint(ctx.signal, `before unloading drive ${driveNumber} (${describe(d.volumeTag)} is still in the drive)`);
  await ejectIfConfigured(session, driveNumber);
  ctx.progress?.({ message: `unloading ${describe(d.volumeTag)} from drive ${driveNumber} to slot ${target.slot}`, activity: "unloading" });
  let dest = target;
  const explicit = targetSlot !== undefined;
  await session.moves.run(async () => {
    // Another move may have filled the slot since the status was read: look again under the move lock.
    const now = await session.changer.status(session.config.exportSlots);
    const fresh = now.slots.find((s) => s.slot === dest.slot);
    if (fresh?.full) {
      if (explicit) throw new DeviceError("SLOT_FULL", `target_slot: slot ${dest.slot} was filled meanwhile (${describe(fresh.volumeTag)}); ${describe(d.volumeTag)} stays in drive ${driveNumber}`, { field: "target_slot" });
      const other = firstFreeStorageSlot(now);
      if (!other) throw new DeviceError("NO_FREE_SLOT", `no free slot to unload ${describe(d.volumeTag)} from drive ${driveNumber} to (it stays in the drive)`);
      dest = other;
    }
    try {
      await session.changer.moveMedium(d.address, dest.address, transportOf(status));
    } catch (err) {
      throw withLocation(err, `${describe(d.volumeTag)} should still be in drive ${driveNumber} (move to slot ${dest.slot} failed)`);
    }
  }, ctx.signal);
  return { slot: dest.slot, ...(d.volumeTag ? { labelText: d.volumeTag } : {}) };
}

function withLocation(err: unknown, where: string): DeviceError {
  const e = toDeviceError(err);
  return new DeviceError(e.code, `${e.message}; ${where}`, { cause: e.cause ?? e, ...(e.scsi !== undefined ? { scsi: e.scsi } : {}) });
}

export interface LoadRequest {
  driveNumber: number;
  slot?: number;
  labelText?: string;
  waitReady?: boolean;
  waitTimeoutMs?: number;
}

export interface LoadOutcome {
  labelText?: string;
  fromSlot: number;
  alreadyLoaded: boolean;
  unloadedToSlot?: number;
  unloadedLabelText?: string;
}

/**
 * Loads a cartridge by slot or by label text into a drive (PBS §13.2): refuses
 * cleaning cartridges, does nothing when the label is already in this drive,
 * refuses one in another drive or in an import/export slot, and unloads what
 * the drive holds first.
 */
export async function loadMedia(session: ChangerSession, req: LoadRequest, ctx: OperationContext = {}): Promise<LoadOutcome> {
  if ((req.slot === undefined) === (req.labelText === undefined)) {
    throw new DeviceError("INVALID_ARGUMENT", "source: give exactly one of slot or label_text", { field: "source" });
  }
  if (req.waitReady && !session.drive) {
    throw new DeviceError("INVALID_ARGUMENT", `drive: wait_ready needs drive ${req.driveNumber} on this agent (give its serial or path)`, { field: "drive" });
  }
  let status = await session.changer.status(session.config.exportSlots);
  const d = driveAt(status, req.driveNumber);
  let source: ChangerSlot;
  if (req.labelText !== undefined) {
    const label = req.labelText;
    if (isCleaningTag(label)) throw new DeviceError("CLEANING_MEDIUM", `label_text: ${label} is a cleaning cartridge (use CleanDrive)`, { field: "label_text" });
    if (d.full && d.volumeTag === label) {
      if (req.waitReady) await waitDriveReady(session, req, ctx, label);
      return { labelText: label, fromSlot: d.loadedSlot ?? 0, alreadyLoaded: true };
    }
    const other = status.drives.find((x) => x.index !== req.driveNumber && x.full && x.volumeTag === label);
    if (other) throw new DeviceError("MEDIUM_IN_OTHER_DRIVE", `${label} is loaded in drive ${other.index}`);
    const found = status.slots.find((s) => s.full && s.volumeTag === label);
    if (!found) throw new DeviceError("LABEL_NOT_FOUND", `label_text: ${label} is not in the changer`, { field: "label_text" });
    if (found.importExport) throw new DeviceError("MEDIUM_IN_IMPORT_EXPORT", `${label} is in import/export slot ${found.slot}: import it first`);
    source = found;
  } else {
    source = slotAt(status, req.slot!, "slot");
    if (!source.full) throw new DeviceError("SLOT_EMPTY", `slot: slot ${source.slot} is empty`, { field: "slot" });
    if (isCleaningTag(source.volumeTag)) throw new DeviceError("CLEANING_MEDIUM", `slot: slot ${source.slot} holds cleaning cartridge ${source.volumeTag} (use CleanDrive)`, { field: "slot" });
  }
  const out: LoadOutcome = { fromSlot: source.slot, alreadyLoaded: false, ...(source.volumeTag ? { labelText: source.volumeTag } : {}) };
  if (d.full) {
    const u = await unloadDrive(session, req.driveNumber, undefined, ctx, status);
    if (u.slot !== undefined) out.unloadedToSlot = u.slot;
    if (u.labelText !== undefined) out.unloadedLabelText = u.labelText;
    status = await session.changer.status(session.config.exportSlots);
  }
  checkpoint(ctx.signal, `before loading ${describe(source.volumeTag)} (it is still in slot ${source.slot}; drive ${req.driveNumber} is empty)`);
  ctx.progress?.({ message: `loading ${describe(source.volumeTag)} from slot ${source.slot} into drive ${req.driveNumber}`, activity: "loading" });
  const drive = driveAt(status, req.driveNumber);
  await session.moves.run(async () => {
    // Another caller may have moved the cartridge or filled the drive since the status was read.
    const now = await session.changer.status(session.config.exportSlots);
    const still = now.slots.find((s) => s.slot === source.slot);
    if (!still?.full || still.volumeTag !== source.volumeTag) {
      throw new DeviceError("SLOT_EMPTY", `${describe(source.volumeTag)} left slot ${source.slot} meanwhile (another operation moved it); drive ${req.driveNumber} is empty`);
    }
    if (now.drives[req.driveNumber]?.full) throw new DeviceError("DRIVE_BUSY", `drive ${req.driveNumber} was loaded meanwhile with ${describe(now.drives[req.driveNumber]?.volumeTag)}`);
    try {
      await session.changer.moveMedium(source.address, drive.address, transportOf(status));
    } catch (err) {
      throw withLocation(err, `${describe(source.volumeTag)} should still be in slot ${source.slot} (move to drive ${req.driveNumber} failed)`);
    }
  }, ctx.signal);
  if (req.waitReady) await waitDriveReady(session, req, ctx, source.volumeTag);
  return out;
}

async function waitDriveReady(session: ChangerSession, req: LoadRequest, ctx: OperationContext, tag: string | undefined): Promise<void> {
  if (!session.drive) throw new DeviceError("INVALID_ARGUMENT", `drive: wait_ready needs drive ${req.driveNumber} on this agent (give its serial or path)`, { field: "drive" });
  try {
    await session.drive.waitUntilReady(req.waitTimeoutMs ?? CLEAN_TIMEOUT_MS, ctx);
  } catch (err) {
    throw withLocation(err, `${describe(tag)} is in drive ${req.driveNumber}`);
  }
}

/** Moves a cartridge from one slot to another. */
export async function transferMedia(session: ChangerSession, fromSlot: number, toSlot: number, ctx: OperationContext = {}): Promise<{ labelText?: string }> {
  const status = await session.changer.status(session.config.exportSlots);
  const from = slotAt(status, fromSlot, "from_slot");
  const to = slotAt(status, toSlot, "to_slot");
  if (!from.full) throw new DeviceError("SLOT_EMPTY", `from_slot: slot ${fromSlot} is empty`, { field: "from_slot" });
  if (to.full) throw new DeviceError("SLOT_FULL", `to_slot: slot ${toSlot} is full (${describe(to.volumeTag)})`, { field: "to_slot" });
  await session.moves.run(() => session.changer.moveMedium(from.address, to.address, transportOf(status)), ctx.signal);
  return from.volumeTag ? { labelText: from.volumeTag } : {};
}

/** Moves a cartridge (from a slot or a drive) to the first empty import/export slot (PBS §13.2 export). */
export async function exportMedia(session: ChangerSession, labelText: string, ctx: OperationContext = {}): Promise<{ slot: number }> {
  const status = await session.changer.status(session.config.exportSlots);
  const inSlot = status.slots.find((s) => s.full && s.volumeTag === labelText);
  if (inSlot?.importExport) return { slot: inSlot.slot };
  const inDrive = status.drives.find((d) => d.full && d.volumeTag === labelText);
  if (!inSlot && !inDrive) throw new DeviceError("LABEL_NOT_FOUND", `label_text: ${labelText} is not in the changer`, { field: "label_text" });
  const target = status.slots.find((s) => s.importExport && !s.full);
  if (!target) throw new DeviceError("NO_FREE_SLOT", `no empty import/export slot to export ${labelText} to`);
  if (inDrive) {
    const u = await unloadDrive(session, inDrive.index, target.slot, ctx, status);
    return { slot: u.slot ?? target.slot };
  }
  await session.moves.run(() => session.changer.moveMedium(inSlot!.address, target.address, transportOf(status)), ctx.signal);
  return { slot: target.slot };
}

export interface CleanOutcome {
  cleaningLabelText: string;
  cleaningSlot: number;
  alertFlags: string[];
  unloadedToSlot?: number;
  /** Load count of the cleaning cartridge (MAM 0x0003) after this load, when readable. */
  cleaningMounts?: number;
}

/**
 * Cleans drive `driveNumber` (PBS §13.5): finds a cleaning cartridge in a
 * non-import/export slot, unloads the drive, loads the cleaning cartridge,
 * waits for the drive to finish cleaning, puts it back into its slot, and
 * reads the TapeAlert flags (a critical flag fails the operation).
 */
export async function cleanDrive(session: ChangerSession, driveNumber: number, timeoutMs: number, ctx: OperationContext = {}): Promise<CleanOutcome> {
  const drive = session.drive;
  if (!drive) throw new DeviceError("INVALID_ARGUMENT", `drive: cleaning needs drive ${driveNumber} on this agent (give its serial or path)`, { field: "drive" });
  let status = await session.changer.status(session.config.exportSlots);
  driveAt(status, driveNumber);
  const cln = status.slots.find((s) => s.full && !s.importExport && isCleaningTag(s.volumeTag));
  if (!cln) throw new DeviceError("NO_CLEANING_MEDIUM", "no cleaning cartridge (CLN*) in a storage slot of the changer");
  const clnTag = cln.volumeTag!;
  const out: CleanOutcome = { cleaningLabelText: clnTag, cleaningSlot: cln.slot, alertFlags: [] };
  const u = await unloadDrive(session, driveNumber, undefined, ctx, status);
  if (u.slot !== undefined) {
    out.unloadedToSlot = u.slot;
    status = await session.changer.status(session.config.exportSlots);
  }
  checkpoint(ctx.signal, `before loading the cleaning cartridge (${clnTag} is in slot ${cln.slot}, drive ${driveNumber} is empty)`);
  ctx.progress?.({ message: `loading cleaning cartridge ${clnTag} from slot ${cln.slot} into drive ${driveNumber}`, activity: "loading" });
  const d = driveAt(status, driveNumber);
  await session.moves.run(() => session.changer.moveMedium(cln.address, d.address, transportOf(status)), ctx.signal);
  const where = `cleaning cartridge ${clnTag} is in drive ${driveNumber}`;
  // Wear of the cleaning cartridge (PBS logs mounts × 2 %, 50 uses): its MAM load count.
  const loads = await drive
    .cartridgeMemory()
    .then((attrs) => attrs.find((a) => a.id === MAM_LOAD_COUNT)?.value)
    .catch(() => undefined);
  if (loads !== undefined && /^\d+$/.test(loads)) out.cleaningMounts = Number(loads);
  // Cleaning runs to its end even when the caller leaves: cancel is honoured once the cartridge is back.
  let cancelled = false;
  try {
    await waitCleaningDone(drive, timeoutMs, session.pollMs ?? 1000, ctx);
  } catch (err) {
    if (!(err instanceof DeviceError && err.code === "CANCELLED")) throw withLocation(err, where);
    cancelled = true;
    ctx.progress?.({ message: "cancelled: waiting for the drive to finish cleaning before returning the cartridge", activity: "cleaning" });
    try {
      await waitCleaningDone(drive, timeoutMs, session.pollMs ?? 1000, {});
    } catch (again) {
      throw withLocation(again, where);
    }
  }
  let flags: { number: number; name: string }[] = [];
  try {
    flags = await drive.tapeAlertFlags();
  } catch {
    flags = [];
  }
  out.alertFlags = flags.map((f) => f.name);
  ctx.progress?.({ message: `returning ${clnTag} to slot ${cln.slot}`, activity: "unloading" });
  const after = await session.changer.status(session.config.exportSlots);
  const back = await unloadDrive(session, driveNumber, cln.slot, {}, after);
  if (back.slot === undefined) throw new DeviceError("CLEANING_FAILED", `the drive ejected nothing: ${where}?`);
  if (cancelled) throw new DeviceError("CANCELLED", `cancelled during cleaning; ${clnTag} is back in slot ${cln.slot}`);
  const critical = flags.filter((f) => TAPE_ALERT_FLAGS[f.number - 1]?.critical);
  if (critical.length > 0) {
    throw new DeviceError("CRITICAL_TAPE_ALERT", `cleaning failed: critical TapeAlert flags ${critical.map((f) => f.name).join(", ")} (${clnTag} is back in slot ${cln.slot})`);
  }
  ctx.progress?.({ percent: 100, message: `drive ${driveNumber} cleaned with ${clnTag}`, activity: "done" });
  return out;
}

/** Waits while the drive reports cleaning (activity 1, or NOT READY 30/03). */
async function waitCleaningDone(drive: TapeDrive, timeoutMs: number, pollMs: number, ctx: OperationContext): Promise<void> {
  const started = Date.now();
  let sawCleaning = false;
  for (;;) {
    const activity = await drive.activity();
    let cleaning = activity === "cleaning";
    if (!cleaning) {
      const r = await drive.readiness();
      cleaning = r.asc === ASC_CLEANING && r.ascq === ASCQ_CLEANING_CARTRIDGE_INSTALLED;
    }
    if (cleaning) sawCleaning = true;
    // Cleaning starts a moment after the load: give it one poll before concluding it is over.
    if (!cleaning && (sawCleaning || Date.now() - started >= pollMs)) return;
    if (Date.now() - started >= timeoutMs) throw new DeviceError("TIMEOUT", `drive still cleaning after ${timeoutMs} ms`);
    if (cleaning) ctx.progress?.({ message: "drive cleaning", activity: "cleaning" });
    await sleep(pollMs, ctx.signal, "while the drive cleans");
  }
}
