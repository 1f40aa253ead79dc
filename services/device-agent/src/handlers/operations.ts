import type { DeviceAgentService, HandlerContext, ServiceImpl } from "@tapefleet/proto";
import { DeviceError } from "../core/device-error.ts";
import type { DeviceService, LockOptions } from "../core/device-service.ts";
import { READY_TIMEOUT_MS } from "../core/scsi-tape-drive.ts";
import type { OperationContext, Progress } from "../core/tape-drive.ts";
import {
  changerConfigFromProto,
  big,
  changerStatusToProto,
  fromBig,
  driveStatusToProto,
  labelsToProto,
  mamToProto,
  mediaLabelToProto,
  positionToProto,
  progressToProto,
  volumeStatisticsToProto,
} from "../converters.ts";

type Impl = ServiceImpl<typeof DeviceAgentService>;

/** The drive and changer rpcs of DeviceAgentService. */
export type OperationsImpl = Pick<
  Impl,
  | "getDriveStatus"
  | "readCartridgeMemory"
  | "readVolumeStatistics"
  | "readLabel"
  | "rewind"
  | "ejectMedia"
  | "eraseMedia"
  | "formatMedia"
  | "waitUntilReady"
  | "labelMedia"
  | "locateFile"
  | "moveToEndOfData"
  | "moveToLastFile"
  | "readPosition"
  | "getChangerStatus"
  | "transferMedia"
  | "loadMedia"
  | "unloadMedia"
  | "exportMedia"
  | "inventoryScan"
  | "listOnlineLabels"
  | "cleanDrive"
>;

export interface OperationsOptions {
  /** MAM application version written when labelling (default of LabelMediaRequest.application_version). */
  applicationVersion: string;
  /** Called when a streaming operation ends after its client went away (stopped at a safe point, or finished). */
  onAbandoned?: (method: string, requestId: string, outcome: unknown) => void;
}

/** Label text schema of PBS (§3.1). */
const LABEL_TEXT_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{1,31}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function lockOf(ctx: HandlerContext, lockWaitMs: number): LockOptions {
  return { owner: `${ctx.method.name} (request ${ctx.requestId})`, waitMs: lockWaitMs, signal: ctx.signal };
}

/**
 * Runs a long operation and yields its progress messages, then its result.
 * When the client goes away the generator is closed; the operation sees its
 * signal aborted and stops at the next safe point (releasing its locks).
 */
async function* streamOperation<R, O>(
  ctx: HandlerContext,
  options: OperationsOptions,
  run: (op: OperationContext) => Promise<R>,
  progress: (p: ReturnType<typeof progressToProto>) => O,
  result: (r: R) => O,
): AsyncGenerator<O> {
  const queue: Progress[] = [];
  let wake: (() => void) | undefined;
  let settled: { ok: true; value: R } | { ok: false; error: unknown } | undefined;
  let consumerGone = true;
  const done = run({ signal: ctx.signal, progress: (p) => (queue.push(p), wake?.()) }).then(
    (value) => {
      settled = { ok: true, value };
      wake?.();
    },
    (error: unknown) => {
      settled = { ok: false, error };
      wake?.();
    },
  );
  try {
    for (;;) {
      while (queue.length > 0) yield progress(progressToProto(queue.shift()!));
      if (settled) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    consumerGone = false;
  } finally {
    if (consumerGone) void done.then(() => options.onAbandoned?.(ctx.method.name, ctx.requestId, settled?.ok ? "finished" : (settled?.error ?? "stopped")));
  }
  const s = settled as { ok: true; value: R } | { ok: false; error: unknown };
  if (!s.ok) throw s.error;
  yield result(s.value);
}

function required(value: string, field: string): string {
  if (value === "") throw new DeviceError("INVALID_ARGUMENT", `${field}: required`, { field });
  return value;
}

/** The drive and changer rpcs over a DeviceService. */
export function operationsImpl(service: DeviceService, options: OperationsOptions): OperationsImpl {
  const ev = <R, O>(ctx: HandlerContext, run: (op: OperationContext) => Promise<R>, result: (r: R) => O) =>
    streamOperation(ctx, options, run, (p) => ({ event: { case: "progress" as const, value: p } }) as O, result);

  return {
    async getDriveStatus(req) {
      return { status: driveStatusToProto(await service.driveStatus(req.device)) };
    },
    async readCartridgeMemory(req) {
      return { attributes: (await service.withDrive(req.device, false, (d) => d.cartridgeMemory())).map(mamToProto) };
    },
    async readVolumeStatistics(req) {
      return { statistics: volumeStatisticsToProto(await service.withDrive(req.device, false, (d) => d.volumeStatistics())) };
    },
    async readLabel(req, ctx) {
      return labelsToProto(await service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.readLabel()));
    },
    async rewind(req, ctx) {
      await service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.rewind());
      return {};
    },
    async ejectMedia(req, ctx) {
      await service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.eject());
      return {};
    },
    eraseMedia(req, ctx) {
      return ev(
        ctx,
        (op) => service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.erase(req.fast, op)),
        () => ({ event: { case: "result" as const, value: { fast: req.fast } } }),
      );
    },
    formatMedia(req, ctx) {
      const fast = req.fast ?? true;
      return ev(
        ctx,
        (op) => service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.format(fast, op)),
        (r) => ({ event: { case: "result" as const, value: { worm: r.worm, steps: r.steps, ...(r.density !== undefined ? { density: r.density } : {}) } } }),
      );
    },
    waitUntilReady(req, ctx) {
      return ev(
        ctx,
        (op) => service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.waitUntilReady(req.timeoutMs || READY_TIMEOUT_MS, op)),
        (r) => ({ event: { case: "result" as const, value: { waitedMs: big(r.waitedMs) } } }),
      );
    },
    labelMedia(req, ctx) {
      if (!LABEL_TEXT_RE.test(req.labelText)) {
        throw new DeviceError("INVALID_ARGUMENT", `label_text: must be 2-32 characters of [A-Za-z0-9_][A-Za-z0-9._-]*, got '${req.labelText}'`, { field: "label_text" });
      }
      if (!UUID_RE.test(req.uuid)) throw new DeviceError("INVALID_ARGUMENT", `uuid: must be a lowercase hyphenated UUID, got '${req.uuid}'`, { field: "uuid" });
      const ctime = fromBig(req.ctime, "ctime");
      if (ctime <= 0) throw new DeviceError("INVALID_ARGUMENT", `ctime: must be epoch seconds > 0, got ${ctime}`, { field: "ctime" });
      const label = { labelText: req.labelText, uuid: req.uuid, ctime, ...(req.pool !== undefined && req.pool !== "" ? { pool: req.pool } : {}) };
      return ev(
        ctx,
        (op) => service.label(req.device, lockOf(ctx, req.lockWaitMs), label, req.applicationVersion ?? options.applicationVersion, op),
        (r) => ({ event: { case: "result" as const, value: { label: mediaLabelToProto(r.label), warnings: r.warnings } } }),
      );
    },
    async locateFile(req, ctx) {
      const r = await service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.locateFile(fromBig(req.fileNumber, "file_number")));
      return { position: positionToProto(r.position), locateOffset: r.locateOffset };
    },
    async moveToEndOfData(req, ctx) {
      const r = await service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.moveToEndOfData(req.writeMissingFilemark));
      return { position: positionToProto(r.position), missingFilemark: r.missingFilemark, filemarkWritten: r.filemarkWritten };
    },
    async moveToLastFile(req, ctx) {
      return { position: positionToProto(await service.withDrive(req.device, lockOf(ctx, req.lockWaitMs), (d) => d.moveToLastFile())) };
    },
    async readPosition(req) {
      return { position: positionToProto(await service.withDrive(req.device, false, (d) => d.position())) };
    },
    async getChangerStatus(req) {
      const r = await service.changerStatus(req.device, changerConfigFromProto(req.options));
      return { status: changerStatusToProto(r.status, r.identity, r.drivePaths) };
    },
    async transferMedia(req, ctx) {
      const r = await service.transferMedia({ changer: req.device, config: changerConfigFromProto(req.options), fromSlot: req.fromSlot, toSlot: req.toSlot, ...lockOf(ctx, req.lockWaitMs) });
      return r.labelText !== undefined ? { labelText: r.labelText } : {};
    },
    loadMedia(req, ctx) {
      const source = req.source.case === "slot" ? { slot: req.source.value } : req.source.case === "labelText" ? { labelText: required(req.source.value, "label_text") } : {};
      return ev(
        ctx,
        (op) =>
          service.loadMedia(
            {
              changer: req.device,
              config: changerConfigFromProto(req.options),
              driveNumber: req.driveNumber,
              ...source,
              waitReady: req.waitReady,
              ...(req.drive !== undefined ? { drive: req.drive } : {}),
              ...lockOf(ctx, req.lockWaitMs),
            },
            op,
          ),
        (r) => ({
          event: {
            case: "result" as const,
            value: {
              fromSlot: r.fromSlot,
              alreadyLoaded: r.alreadyLoaded,
              ...(r.labelText !== undefined ? { labelText: r.labelText } : {}),
              ...(r.unloadedToSlot !== undefined ? { unloadedToSlot: r.unloadedToSlot } : {}),
              ...(r.unloadedLabelText !== undefined ? { unloadedLabelText: r.unloadedLabelText } : {}),
            },
          },
        }),
      );
    },
    unloadMedia(req, ctx) {
      return ev(
        ctx,
        (op) =>
          service.unloadMedia(
            {
              changer: req.device,
              config: changerConfigFromProto(req.options),
              driveNumber: req.driveNumber,
              ...(req.targetSlot !== undefined ? { targetSlot: req.targetSlot } : {}),
              ...(req.drive !== undefined ? { drive: req.drive } : {}),
              ...lockOf(ctx, req.lockWaitMs),
            },
            op,
          ),
        (r) => ({ event: { case: "result" as const, value: { ...(r.slot !== undefined ? { slot: r.slot } : {}), ...(r.labelText !== undefined ? { labelText: r.labelText } : {}) } } }),
      );
    },
    async exportMedia(req, ctx) {
      return service.exportMedia({ changer: req.device, config: changerConfigFromProto(req.options), labelText: req.labelText, ...lockOf(ctx, req.lockWaitMs) });
    },
    async inventoryScan(req, ctx) {
      const r = await service.inventoryScan({ changer: req.device, config: changerConfigFromProto(req.options), ...lockOf(ctx, req.lockWaitMs) });
      return { status: changerStatusToProto(r.status, r.identity, r.drivePaths) };
    },
    async listOnlineLabels(req) {
      return { labelTexts: await service.onlineLabels(req.device, changerConfigFromProto(req.options)) };
    },
    cleanDrive(req, ctx) {
      return ev(
        ctx,
        (op) =>
          service.cleanDrive(
            {
              changer: req.device,
              config: changerConfigFromProto(req.options),
              driveNumber: req.driveNumber,
              timeoutMs: req.timeoutMs,
              ...(req.drive !== undefined ? { drive: req.drive } : {}),
              ...lockOf(ctx, req.lockWaitMs),
            },
            op,
          ),
        (r) => ({
          event: {
            case: "result" as const,
            value: {
              cleaningLabelText: r.cleaningLabelText,
              cleaningSlot: r.cleaningSlot,
              alertFlags: r.alertFlags,
              ...(r.unloadedToSlot !== undefined ? { unloadedToSlot: r.unloadedToSlot } : {}),
              ...(r.cleaningMounts !== undefined ? { cleaningMounts: big(r.cleaningMounts) } : {}),
            },
          },
        }),
      );
    },
  };
}
