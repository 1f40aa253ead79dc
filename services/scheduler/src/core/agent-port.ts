import { credentials } from "@grpc/grpc-js";
import type { ChangerStatusEntry, MamAttributeEntry, TapeLabelInfo } from "@tapefleet/api-types";
import { closeClient, createClient, DeviceAgentService, type Client, type OperationProgress } from "@tapefleet/proto";
import { changerStatusToApi, driveStatusToApi, fromAgentError, labelToApi, mamToApi, onlineTagsOf, volumeStatisticsToApi } from "./converters.ts";

/** A device on an agent, as resolved from the configuration and the device locations. */
export interface DeviceTarget {
  hostId: string;
  grpcAddress: string;
  serial: string;
  path: string;
}

/** A changer with its configuration (passed to the agent in each request). */
export interface ChangerTarget extends DeviceTarget {
  name: string;
  exportSlots: number[];
  ejectBeforeUnload: boolean;
}

/** A drive inside a changer. */
export interface ChangerDrive {
  changer: ChangerTarget;
  driveNumber: number;
  drive: DeviceTarget;
}

/** Receives the progress lines of a long operation. */
export type ProgressSink = (text: string) => void;

export interface CallCtx {
  signal?: AbortSignal;
  progress?: ProgressSink;
}

export interface LoadResult {
  labelText?: string;
  fromSlot: number;
  alreadyLoaded: boolean;
}

export interface CleanResult {
  cleaningLabelText: string;
  cleaningSlot: number;
  cleaningMounts?: number;
  alertFlags: string[];
}

/**
 * What the scheduler asks of device agents, in API shapes (no proto types).
 * `GrpcAgentPort` implements it over gRPC; tests use fakes.
 */
export interface AgentPort {
  driveStatus(d: DeviceTarget): Promise<Record<string, unknown>>;
  cartridgeMemory(d: DeviceTarget): Promise<MamAttributeEntry[]>;
  volumeStatistics(d: DeviceTarget): Promise<Record<string, unknown>>;
  /** Labels of the loaded tape; undefined when the tape is empty. */
  readLabel(d: DeviceTarget, ctx?: CallCtx): Promise<TapeLabelInfo | undefined>;
  rewind(d: DeviceTarget, ctx?: CallCtx): Promise<void>;
  eject(d: DeviceTarget, ctx?: CallCtx): Promise<void>;
  erase(d: DeviceTarget, fast: boolean, ctx?: CallCtx): Promise<void>;
  format(d: DeviceTarget, fast: boolean, ctx?: CallCtx): Promise<{ worm: boolean; steps: string[] }>;
  label(d: DeviceTarget, label: { labelText: string; uuid: string; ctime: number; pool?: string | undefined }, ctx?: CallCtx): Promise<{ warnings: string[] }>;
  changerStatus(c: ChangerTarget): Promise<{ entries: ChangerStatusEntry[]; online: string[] }>;
  /** Volume tags in drives and storage slots, without CLN, sorted. */
  onlineLabels(c: ChangerTarget): Promise<string[]>;
  transfer(c: ChangerTarget, from: number, to: number): Promise<string | undefined>;
  load(cd: ChangerDrive, source: { slot: number } | { labelText: string }, ctx?: CallCtx): Promise<LoadResult>;
  unload(cd: ChangerDrive, targetSlot: number | undefined, ctx?: CallCtx): Promise<{ slot?: number; labelText?: string }>;
  exportMedia(c: ChangerTarget, labelText: string): Promise<number>;
  inventoryScan(c: ChangerTarget): Promise<{ entries: ChangerStatusEntry[]; online: string[] }>;
  clean(cd: ChangerDrive, ctx?: CallCtx): Promise<CleanResult>;
  close(): void;
}

type AgentClient = Client<typeof DeviceAgentService>;

function progressText(p: OperationProgress): string {
  const pct = p.percent !== undefined ? ` (${Math.round(p.percent)}%)` : "";
  return `${p.message || p.activity}${pct}`;
}

/** Consume a progress stream: progress lines go to the sink; returns the final result. */
async function streamed<R>(
  stream: AsyncIterable<{ event: { case: "progress"; value: OperationProgress } | { case: "result"; value: R } | { case: undefined; value?: undefined } }>,
  ctx: CallCtx | undefined,
): Promise<R> {
  let result: R | undefined;
  for await (const msg of stream) {
    if (msg.event.case === "progress") ctx?.progress?.(progressText(msg.event.value));
    else if (msg.event.case === "result") result = msg.event.value;
  }
  if (result === undefined) throw new Error("the device agent ended the operation without a result");
  return result;
}

/** AgentPort over gRPC: one client (channel) per agent address, reused. */
export class GrpcAgentPort implements AgentPort {
  private readonly clients = new Map<string, AgentClient>();

  constructor(private readonly opts: { lockWaitMs: number; timeoutMs: number }) {}

  private client(address: string): AgentClient {
    let c = this.clients.get(address);
    if (!c) {
      c = createClient(DeviceAgentService, address, credentials.createInsecure(), { defaultTimeoutMs: this.opts.timeoutMs });
      this.clients.set(address, c);
    }
    return c;
  }

  private async call<T>(d: { grpcAddress: string }, fn: (c: AgentClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client(d.grpcAddress));
    } catch (err) {
      throw fromAgentError(err, d.grpcAddress);
    }
  }

  private opt(ctx?: CallCtx) {
    return ctx?.signal ? { signal: ctx.signal } : {};
  }

  private changerOptions(c: ChangerTarget) {
    return { exportSlots: c.exportSlots, ejectBeforeUnload: c.ejectBeforeUnload };
  }

  driveStatus(d: DeviceTarget) {
    return this.call(d, async (c) => {
      const r = await c.getDriveStatus({ device: d.serial });
      return r.status ? driveStatusToApi(r.status) : {};
    });
  }
  cartridgeMemory(d: DeviceTarget) {
    return this.call(d, async (c) => mamToApi((await c.readCartridgeMemory({ device: d.serial })).attributes));
  }
  volumeStatistics(d: DeviceTarget) {
    return this.call(d, async (c) => {
      const r = await c.readVolumeStatistics({ device: d.serial });
      return r.statistics ? volumeStatisticsToApi(r.statistics) : {};
    });
  }
  readLabel(d: DeviceTarget, ctx?: CallCtx) {
    return this.call(d, async (c) => labelToApi(await c.readLabel({ device: d.serial, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx))));
  }
  rewind(d: DeviceTarget, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      await c.rewind({ device: d.serial, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx));
    });
  }
  eject(d: DeviceTarget, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      await c.ejectMedia({ device: d.serial, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx));
    });
  }
  erase(d: DeviceTarget, fast: boolean, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      await streamed(c.eraseMedia({ device: d.serial, fast, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx)), ctx);
    });
  }
  format(d: DeviceTarget, fast: boolean, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      const r = await streamed(c.formatMedia({ device: d.serial, fast, lockWaitMs: this.opts.lockWaitMs }, this.opt(ctx)), ctx);
      return { worm: r.worm, steps: [...r.steps] };
    });
  }
  label(d: DeviceTarget, label: { labelText: string; uuid: string; ctime: number; pool?: string | undefined }, ctx?: CallCtx) {
    return this.call(d, async (c) => {
      const r = await streamed(
        c.labelMedia(
          {
            device: d.serial,
            labelText: label.labelText,
            uuid: label.uuid,
            // int64: the wire codec takes a number or a bigint.
            ctime: label.ctime as never,
            ...(label.pool !== undefined ? { pool: label.pool } : {}),
            lockWaitMs: this.opts.lockWaitMs,
          },
          this.opt(ctx),
        ),
        ctx,
      );
      return { warnings: [...r.warnings] };
    });
  }
  changerStatus(ch: ChangerTarget) {
    return this.call(ch, async (c) => {
      const r = await c.getChangerStatus({ device: ch.serial, options: this.changerOptions(ch) });
      return r.status ? { entries: changerStatusToApi(r.status), online: onlineTagsOf(r.status) } : { entries: [], online: [] };
    });
  }
  onlineLabels(ch: ChangerTarget) {
    return this.call(ch, async (c) => [...(await c.listOnlineLabels({ device: ch.serial, options: this.changerOptions(ch) })).labelTexts]);
  }
  transfer(ch: ChangerTarget, from: number, to: number) {
    return this.call(ch, async (c) => (await c.transferMedia({ device: ch.serial, fromSlot: from, toSlot: to, options: this.changerOptions(ch), lockWaitMs: this.opts.lockWaitMs })).labelText);
  }
  load(cd: ChangerDrive, source: { slot: number } | { labelText: string }, ctx?: CallCtx) {
    return this.call(cd.changer, async (c) => {
      const r = await streamed(
        c.loadMedia(
          {
            device: cd.changer.serial,
            driveNumber: cd.driveNumber,
            source: "slot" in source ? { case: "slot", value: source.slot } : { case: "labelText", value: source.labelText },
            options: this.changerOptions(cd.changer),
            waitReady: true,
            drive: cd.drive.serial,
            lockWaitMs: this.opts.lockWaitMs,
          },
          this.opt(ctx),
        ),
        ctx,
      );
      const out: LoadResult = { fromSlot: r.fromSlot, alreadyLoaded: r.alreadyLoaded };
      if (r.labelText !== undefined) out.labelText = r.labelText;
      return out;
    });
  }
  unload(cd: ChangerDrive, targetSlot: number | undefined, ctx?: CallCtx) {
    return this.call(cd.changer, async (c) => {
      const r = await streamed(
        c.unloadMedia(
          {
            device: cd.changer.serial,
            driveNumber: cd.driveNumber,
            ...(targetSlot !== undefined ? { targetSlot } : {}),
            options: this.changerOptions(cd.changer),
            drive: cd.drive.serial,
            lockWaitMs: this.opts.lockWaitMs,
          },
          this.opt(ctx),
        ),
        ctx,
      );
      const out: { slot?: number; labelText?: string } = {};
      if (r.slot !== undefined) out.slot = r.slot;
      if (r.labelText !== undefined) out.labelText = r.labelText;
      return out;
    });
  }
  exportMedia(ch: ChangerTarget, labelText: string) {
    return this.call(ch, async (c) => (await c.exportMedia({ device: ch.serial, labelText, options: this.changerOptions(ch), lockWaitMs: this.opts.lockWaitMs })).slot);
  }
  inventoryScan(ch: ChangerTarget) {
    return this.call(ch, async (c) => {
      const r = await c.inventoryScan({ device: ch.serial, options: this.changerOptions(ch), lockWaitMs: this.opts.lockWaitMs });
      return r.status ? { entries: changerStatusToApi(r.status), online: onlineTagsOf(r.status) } : { entries: [], online: [] };
    });
  }
  clean(cd: ChangerDrive, ctx?: CallCtx) {
    return this.call(cd.changer, async (c) => {
      const r = await streamed(
        c.cleanDrive(
          { device: cd.changer.serial, driveNumber: cd.driveNumber, options: this.changerOptions(cd.changer), drive: cd.drive.serial, lockWaitMs: this.opts.lockWaitMs },
          this.opt(ctx),
        ),
        ctx,
      );
      const out: CleanResult = { cleaningLabelText: r.cleaningLabelText, cleaningSlot: r.cleaningSlot, alertFlags: [...r.alertFlags] };
      if (r.cleaningMounts !== undefined) out.cleaningMounts = Number(r.cleaningMounts);
      return out;
    });
  }
  close(): void {
    for (const c of this.clients.values()) closeClient(c);
    this.clients.clear();
  }
}
