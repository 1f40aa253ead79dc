import { randomUUID } from "node:crypto";
import {
  DEVICE_OPS,
  isCleaningTag,
  parseInput,
  type ChangerConfig,
  type DeviceLocation,
  type DeviceOp,
  type DeviceOpRequest,
  type DriveConfig,
  type LabelUuidEntry,
  type MediaPoolConfig,
  type TapeLabelInfo,
  type TaskStarted,
} from "@tapefleet/api-types";
import { ConflictError, TapefleetError, ValidationError } from "@tapefleet/common";
import type { AgentPort, ChangerDrive, ChangerTarget, DeviceTarget } from "./agent-port.ts";
import { pickDevice, type InventoryPort } from "./inventory-port.ts";
import type { TaskContext, TaskRegistry } from "./task-registry.ts";

/** TapeAlert flag 11 (information): a cleaning cartridge is loaded. Expected during a cleaning cycle. */
const CLEANING_MEDIA_FLAG = "CLEANING_MEDIA";

/** PBS worker type of each task operation. */
export const WORKER_TYPES: Partial<Record<DeviceOp, string>> = {
  rewind: "rewind-media",
  eject: "eject-media",
  erase: "erase-media",
  format: "format-media",
  "load-media": "load-media",
  "load-slot": "load-media",
  unload: "unload-media",
  "export-media": "export-media",
  clean: "clean-drive",
  label: "label-media",
  "barcode-label": "barcode-label-media",
  inventory: "inventory-update",
};

/** Operations that go through the drive's changer. */
const CHANGER_OPS: ReadonlySet<DeviceOp> = new Set(["load-media", "load-slot", "unload", "export-media", "clean", "barcode-label", "inventory"]);

/** A task's drive, resolved before it starts (with its changer when the operation needs one). */
interface Resolved {
  config: DriveConfig;
  drive: DeviceTarget;
  cd?: ChangerDrive;
}

/** The agent refuses to label a tape holding data with this reason. */
export const MEDIUM_NOT_EMPTY = "MEDIUM_NOT_EMPTY";

/** Clock for labelling times (epoch seconds) and id source, injectable for tests. */
export interface OpsEnv {
  now(): number;
  newUuid(): string;
}

const REAL_ENV: OpsEnv = { now: () => Math.floor(Date.now() / 1000), newUuid: () => randomUUID() };

/** A device scan result row (PBS `TapeDeviceInfo` plus where it lives). */
export interface ScanRow {
  kind: "tape" | "changer";
  path: string;
  serial: string;
  vendor: string;
  model: string;
  generation?: string;
  "host-id": string;
  "grpc-address": string;
  online: boolean;
}

function scanRow(l: DeviceLocation): ScanRow {
  const r: ScanRow = {
    kind: l.kind === "drive" ? "tape" : "changer",
    path: l.path,
    serial: l.serial,
    vendor: l.vendor,
    model: l.model,
    "host-id": l["host-id"],
    "grpc-address": l["grpc-address"],
    online: l.online,
  };
  if (l.generation) r.generation = l.generation;
  return r;
}

/**
 * The scheduler's device operations: resolve configured names to the agent
 * that has the device, call it, convert, and orchestrate the multi-step ones
 * as PBS does (label, barcode-label, inventory, clean, format). Long ones run
 * as tasks holding the drive's lock.
 */
export class DeviceOps {
  constructor(
    private readonly inventory: InventoryPort,
    private readonly agent: AgentPort,
    private readonly tasks: Pick<TaskRegistry, "start">,
    private readonly env: OpsEnv = REAL_ENV,
  ) {}

  // ---- resolution --------------------------------------------------------------

  private async driveTarget(name: string): Promise<{ config: DriveConfig; target: DeviceTarget }> {
    const config = await this.inventory.drive(name);
    return { config, target: pickDevice("drive", name, config.path, await this.inventory.locations("drive")) };
  }

  private async changerTarget(name: string): Promise<ChangerTarget> {
    const c: ChangerConfig = await this.inventory.changer(name);
    const t = pickDevice("changer", name, c.path, await this.inventory.locations("changer"));
    return { ...t, name, exportSlots: c["export-slots"] ?? [], ejectBeforeUnload: c["eject-before-unload"] ?? false };
  }

  /** The drive and its changer; a drive without a changer is an error naming the operation. */
  private async changerDrive(driveName: string, what: string): Promise<ChangerDrive & { config: DriveConfig }> {
    const { config, target } = await this.driveTarget(driveName);
    if (config.changer === undefined) throw new ValidationError([{ field: "drive", message: `drive '${driveName}' has no changer: ${what} needs one` }]);
    return { config, drive: target, changer: await this.changerTarget(config.changer), driveNumber: config["changer-drivenum"] ?? 0 };
  }

  // ---- entry point ---------------------------------------------------------------

  /** Validate and run one operation: direct ones return their result, task ones `{ upid }` at once. */
  async run(op: DeviceOp, payload: unknown, user: string): Promise<unknown> {
    const spec = DEVICE_OPS[op];
    if (!spec) throw ValidationError.field("op", `unknown device operation '${String(op)}'`);
    const req = parseInput(spec.request, payload ?? {}) as Record<string, unknown>;
    if (spec.task) return this.startTask(op, req, user);
    return this.direct(op, req);
  }

  private async direct(op: DeviceOp, req: Record<string, unknown>): Promise<unknown> {
    switch (op) {
      case "scan-drives":
        return (await this.inventory.scan("drive")).map(scanRow);
      case "scan-changers":
        return (await this.inventory.scan("changer")).map(scanRow);
      case "changer-status": {
        const r = req as DeviceOpRequest<"changer-status">;
        const ch = await this.changerTarget(r.changer);
        const status = await this.agent.changerStatus(ch);
        await this.inventory.setOnline(ch.name, status.online);
        return status.entries;
      }
      case "transfer": {
        const r = req as DeviceOpRequest<"transfer">;
        const ch = await this.changerTarget(r.changer);
        await this.agent.transfer(ch, r.from, r.to);
        // A cartridge moved into or out of an import/export slot changes which tapes are online (§6.4): the
        // inventory follows at once, so a job waiting on a tape request sees an imported tape.
        await this.inventory.setOnline(ch.name, await this.agent.onlineLabels(ch));
        return null;
      }
      case "status":
        return this.agent.driveStatus((await this.driveTarget((req as DeviceOpRequest<"status">).drive)).target);
      case "cartridge-memory":
        return this.agent.cartridgeMemory((await this.driveTarget((req as DeviceOpRequest<"cartridge-memory">).drive)).target);
      case "volume-statistics":
        return this.agent.volumeStatistics((await this.driveTarget((req as DeviceOpRequest<"volume-statistics">).drive)).target);
      case "read-label": {
        const r = req as DeviceOpRequest<"read-label">;
        const { config, target } = await this.driveTarget(r.drive);
        const label = await this.agent.readLabel(target);
        if (!label) throw new ConflictError(`drive '${r.drive}': the tape is empty (no media label)`);
        if (r.inventorize) await this.register(label, config.changer);
        return label;
      }
      case "inventory-list": {
        const r = req as DeviceOpRequest<"inventory-list">;
        const cd = await this.changerDrive(r.drive, "inventory");
        const tags = await this.agent.onlineLabels(cd.changer);
        await this.inventory.setOnline(cd.changer.name, tags);
        const out: LabelUuidEntry[] = [];
        for (const tag of tags) {
          const m = await this.inventory.findMedia({ "label-text": tag });
          out.push(m ? { "label-text": tag, uuid: m.uuid } : { "label-text": tag });
        }
        return out;
      }
      default:
        throw ValidationError.field("op", `'${op}' runs as a task`);
    }
  }

  private async startTask(op: DeviceOp, req: Record<string, unknown>, user: string): Promise<TaskStarted> {
    const name = req["drive"] as string;
    // Resolve before the task starts, so a bad name or an absent agent is the request's error.
    let resolved: Resolved;
    if (CHANGER_OPS.has(op)) {
      const cd = await this.changerDrive(name, op);
      resolved = { config: cd.config, drive: cd.drive, cd };
    } else {
      const { config, target } = await this.driveTarget(name);
      resolved = { config, drive: target };
    }
    const upid = await this.tasks.start(
      { workerType: WORKER_TYPES[op]!, workerId: name, user, lock: `drive:${name}`, lockTitle: `drive '${name}'` },
      (ctx) => this.task(op, req, resolved, ctx),
    );
    return { upid };
  }

  private async task(op: DeviceOp, req: Record<string, unknown>, r: Resolved, ctx: TaskContext): Promise<void> {
    const drive = r.drive;
    const call = { signal: ctx.signal, progress: (t: string) => ctx.log(t) };
    const cd = r.cd;
    switch (op) {
      case "rewind":
        ctx.log(`rewind drive '${r.config.name}'`);
        return this.agent.rewind(drive, call);
      case "eject":
        ctx.log(`eject media in drive '${r.config.name}'`);
        return this.agent.eject(drive, call);
      case "erase":
      case "format":
        return this.formatOrErase(op, req as DeviceOpRequest<"format">, r.config, drive, ctx);
      case "load-media": {
        const label = (req as DeviceOpRequest<"load-media">)["label-text"];
        ctx.log(`load media '${label}' into drive '${r.config.name}'`);
        const res = await this.agent.load(cd!, { labelText: label }, call);
        ctx.log(res.alreadyLoaded ? `media '${label}' is already loaded` : `loaded '${label}' from slot ${res.fromSlot}`);
        return;
      }
      case "load-slot": {
        const slot = (req as DeviceOpRequest<"load-slot">)["source-slot"];
        ctx.log(`load media from slot ${slot} into drive '${r.config.name}'`);
        const res = await this.agent.load(cd!, { slot }, call);
        ctx.log(`loaded ${res.labelText ?? "(no barcode)"} from slot ${res.fromSlot}`);
        return;
      }
      case "unload": {
        const target = (req as DeviceOpRequest<"unload">)["target-slot"];
        ctx.log(`unload drive '${r.config.name}'${target !== undefined ? ` to slot ${target}` : ""}`);
        const res = await this.agent.unload(cd!, target, call);
        ctx.log(res.slot === undefined ? "drive was empty" : `unloaded ${res.labelText ?? "(no barcode)"} to slot ${res.slot}`);
        return;
      }
      case "export-media": {
        const label = (req as DeviceOpRequest<"export-media">)["label-text"];
        const slot = await this.agent.exportMedia(cd!.changer, label);
        ctx.log(`exported media '${label}' to import/export slot ${slot}`);
        const m = await this.inventory.findMedia({ "label-text": label });
        if (m) await this.inventory.updateMedia({ uuid: m.uuid, location: "offline" });
        return;
      }
      case "clean": {
        ctx.log(`clean drive '${r.config.name}'`);
        const res = await this.agent.clean(cd!, call);
        ctx.log(`used cleaning cartridge '${res.cleaningLabelText}' (slot ${res.cleaningSlot}), it is back in its slot`);
        if (res.cleaningMounts !== undefined) ctx.log(`cleaning cartridge wear: ${res.cleaningMounts * 2}% (${res.cleaningMounts} uses of 50)`);
        // CLEANING_MEDIA (flag 11, information) is what a drive reports while a cleaning cartridge is in it.
        const unexpected = res.alertFlags.filter((f) => f !== CLEANING_MEDIA_FLAG);
        if (unexpected.length < res.alertFlags.length) ctx.log(`TapeAlert ${CLEANING_MEDIA_FLAG} (a cleaning cartridge was loaded): expected`);
        if (unexpected.length > 0) ctx.warn(`TapeAlert flags after cleaning: ${unexpected.join(", ")}`);
        ctx.log("drive cleaned successfully");
        return;
      }
      case "label": {
        const q = req as DeviceOpRequest<"label">;
        const poolConfig = q.pool !== undefined ? await this.checkPool(q.pool) : undefined;
        if (poolConfig) {
          const problem = await this.wormPoolProblem(drive, q["label-text"], poolConfig);
          if (problem !== undefined) throw ValidationError.field("pool", problem);
        }
        await this.labelOne(r.config, drive, q["label-text"], q.pool, ctx);
        return;
      }
      case "barcode-label":
        return this.barcodeLabel(req as DeviceOpRequest<"barcode-label">, r.config, cd!, ctx);
      case "inventory":
        return this.inventoryUpdate(req as DeviceOpRequest<"inventory">, r.config, cd!, ctx);
      default:
        throw ValidationError.field("op", `'${op}' is not a task`);
    }
  }

  // ---- orchestration ---------------------------------------------------------------

  private async checkPool(pool: string): Promise<MediaPoolConfig> {
    try {
      return await this.inventory.pool(pool);
    } catch (err) {
      if (err instanceof TapefleetError && err.code === "NOT_FOUND") throw ValidationError.field("pool", `media pool '${pool}' does not exist`);
      throw err;
    }
  }

  /**
   * A WORM cartridge can never be overwritten, so it only goes into a pool
   * that keeps its media forever (retention `keep`, PBS's default). Asks the
   * drive whether the loaded cartridge is WORM; returns the reason it may not
   * be labelled into `pool`, or undefined when it may.
   */
  private async wormPoolProblem(drive: DeviceTarget, labelText: string, pool: MediaPoolConfig): Promise<string | undefined> {
    const retention = pool.retention ?? "keep";
    if (retention === "keep") return undefined;
    const status = await this.agent.driveStatus(drive);
    if (status["worm"] !== true) return undefined;
    return `WORM medium ${labelText} needs a pool with retention 'keep'; pool '${pool.name}' has '${retention}'`;
  }

  private async register(label: TapeLabelInfo, changer: string | undefined): Promise<void> {
    const req = {
      uuid: label.uuid,
      "label-text": label["label-text"],
      ctime: label.ctime,
      ...(label.pool !== undefined ? { pool: label.pool } : {}),
      ...(label["media-set-uuid"] !== undefined ? { "media-set-uuid": label["media-set-uuid"] } : {}),
      ...(label["media-set-ctime"] !== undefined ? { "media-set-ctime": label["media-set-ctime"] } : {}),
      ...(label["seq-nr"] !== undefined ? { "seq-nr": label["seq-nr"] } : {}),
      ...(label["encryption-key-fingerprint"] !== undefined ? { "encryption-key-fingerprint": label["encryption-key-fingerprint"] } : {}),
      location: changer !== undefined ? `online-${changer}` : "offline",
      replace: true,
    };
    await this.inventory.registerMedia(req);
  }

  /** PBS `label` (§13.3): label text unused in the inventory → agent label with a fresh uuid/ctime → register. */
  private async labelOne(config: DriveConfig, drive: DeviceTarget, labelText: string, pool: string | undefined, ctx: TaskContext): Promise<string> {
    const existing = await this.inventory.findMedia({ "label-text": labelText });
    if (existing) throw new ConflictError(`media with label '${labelText}' already exists in the inventory (uuid ${existing.uuid})`);
    const uuid = this.env.newUuid();
    const ctime = this.env.now();
    ctx.log(`Label media '${labelText}' (${uuid})${pool !== undefined ? ` for pool '${pool}'` : ""}`);
    const res = await this.agent.label(drive, { labelText, uuid, ctime, pool }, { signal: ctx.signal, progress: (t) => ctx.log(t) });
    for (const w of res.warnings) ctx.warn(w);
    await this.inventory.registerMedia({
      uuid,
      "label-text": labelText,
      ctime,
      ...(pool !== undefined ? { pool } : {}),
      location: config.changer !== undefined ? `online-${config.changer}` : "offline",
    });
    ctx.log(`media '${labelText}' labeled and added to the inventory`);
    return uuid;
  }

  /** PBS `barcode-label` (§13.3): every online tag without CLN, sorted, not in the inventory: load, check empty, label. */
  private async barcodeLabel(req: DeviceOpRequest<"barcode-label">, config: DriveConfig, cd: ChangerDrive, ctx: TaskContext): Promise<void> {
    const poolConfig = req.pool !== undefined ? await this.checkPool(req.pool) : undefined;
    const tags = [...(await this.agent.onlineLabels(cd.changer))].filter((t) => !isCleaningTag(t)).sort();
    await this.inventory.setOnline(cd.changer.name, tags);
    if (tags.length === 0) throw new ConflictError(`changer '${cd.changer.name}' has no labeled cartridges (no barcodes found)`);
    let labeled = 0;
    let skipped = 0;
    for (const tag of tags) {
      ctx.signal.throwIfAborted();
      const known = await this.inventory.findMedia({ "label-text": tag });
      if (known) {
        ctx.log(`media '${tag}' is already in the inventory (uuid ${known.uuid}): skipped`);
        skipped++;
        continue;
      }
      ctx.log(`checking/loading media '${tag}'`);
      await this.agent.load(cd, { labelText: tag }, { signal: ctx.signal, progress: (t) => ctx.log(t) });
      let label: TapeLabelInfo | undefined;
      try {
        label = await this.agent.readLabel(cd.drive, { signal: ctx.signal });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        ctx.warn(`media '${tag}' is not empty (${(err as Error).message}): format it first; skipped`);
        skipped++;
        continue;
      }
      if (label) {
        ctx.warn(`media '${tag}' is already labeled ('${label["label-text"]}', uuid ${label.uuid}): skipped`);
        skipped++;
        continue;
      }
      const wormProblem = poolConfig ? await this.wormPoolProblem(cd.drive, tag, poolConfig) : undefined;
      if (wormProblem !== undefined) {
        ctx.warn(`${wormProblem}: skipped`);
        skipped++;
        continue;
      }
      try {
        await this.labelOne(config, cd.drive, tag, req.pool, ctx);
        labeled++;
      } catch (err) {
        if ((err as { reason?: string }).reason === MEDIUM_NOT_EMPTY) {
          ctx.warn(`media '${tag}' is not empty (format it first): skipped`);
          skipped++;
          continue;
        }
        throw err;
      }
    }
    ctx.log(`barcode-label: ${labeled} labeled, ${skipped} skipped`);
  }

  /** PBS `inventory` update (§13.6): read the labels of unknown (or all) online tapes and store them. */
  private async inventoryUpdate(req: DeviceOpRequest<"inventory">, config: DriveConfig, cd: ChangerDrive, ctx: TaskContext): Promise<void> {
    const tags = [...(await this.agent.onlineLabels(cd.changer))].filter((t) => !isCleaningTag(t)).sort();
    const changed = await this.inventory.setOnline(cd.changer.name, tags);
    for (const m of changed) ctx.log(`media '${m["label-text"]}' is now ${m.location}`);
    let loadedAny = false;
    for (const tag of tags) {
      ctx.signal.throwIfAborted();
      if (!req["read-all-labels"] && (await this.inventory.findMedia({ "label-text": tag }))) {
        ctx.log(`media '${tag}' already in the inventory`);
        continue;
      }
      ctx.log(`loading media '${tag}'`);
      await this.agent.load(cd, { labelText: tag }, { signal: ctx.signal, progress: (t) => ctx.log(t) });
      loadedAny = true;
      let label: TapeLabelInfo | undefined;
      try {
        label = await this.agent.readLabel(cd.drive, { signal: ctx.signal });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        ctx.warn(`unable to read the label of media '${tag}': ${(err as Error).message}`);
        continue;
      }
      if (!label) {
        ctx.log(`media '${tag}' is empty`);
        continue;
      }
      if (label["label-text"] !== tag) {
        ctx.warn(`label text mismatch: barcode '${tag}' but the tape is labeled '${label["label-text"]}': skipped`);
        continue;
      }
      await this.register(label, config.changer);
      ctx.log(`inventorized media '${tag}' (uuid ${label.uuid})`);
    }
    if (loadedAny) {
      const res = await this.agent.unload(cd, undefined, { signal: ctx.signal, progress: (t) => ctx.log(t) });
      if (res.slot !== undefined) ctx.log(`unloaded '${res.labelText ?? "?"}' to slot ${res.slot}`);
    }
  }

  /** PBS `format` / `erase` (§13.4): optionally load by label, check the label, drop the medium from the inventory, then format. */
  private async formatOrErase(op: "format" | "erase", req: DeviceOpRequest<"format">, config: DriveConfig, drive: DeviceTarget, ctx: TaskContext): Promise<void> {
    const fast = req.fast ?? true;
    const wanted = req["label-text"];
    if (wanted !== undefined && config.changer !== undefined) {
      const cd = await this.changerDrive(config.name, op);
      await this.agent.load(cd, { labelText: wanted }, { signal: ctx.signal, progress: (t) => ctx.log(t) });
    }
    let label: TapeLabelInfo | undefined;
    try {
      label = await this.agent.readLabel(drive, { signal: ctx.signal });
    } catch (err) {
      if (wanted !== undefined) throw err;
      ctx.warn(`unable to read the media label: ${(err as Error).message} (formatting anyway)`);
    }
    if (label) {
      if (wanted !== undefined && label["label-text"] !== wanted) {
        throw new ConflictError(`wrong media label: expected '${wanted}', found '${label["label-text"]}'`);
      }
      ctx.log(`found media '${label["label-text"]}' (uuid ${label.uuid})`);
      const removed = await this.inventory.removeMedia({ uuid: label.uuid });
      if (removed) ctx.log(`removed media '${label["label-text"]}' from the inventory`);
    } else if (wanted !== undefined) {
      throw new ConflictError(`media '${wanted}' has no label`);
    }
    ctx.log(`${op === "format" ? "format" : "erase"} media (${fast ? "fast" : "full"})`);
    if (op === "format") {
      const res = await this.agent.format(drive, fast, { signal: ctx.signal, progress: (t) => ctx.log(t) });
      if (res.worm) ctx.log("WORM media: nothing to erase");
    } else {
      await this.agent.erase(drive, fast, { signal: ctx.signal, progress: (t) => ctx.log(t) });
    }
  }
}
