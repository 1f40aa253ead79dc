import type { BackupStartRequest, ChangerConfig, DriveConfig, PoolAllocateReply } from "@tapefleet/api-types";
import { TapefleetError, ValidationError } from "@tapefleet/common";
import type { AgentHost, AgentPort, ChangerDrive, DatastoreAgentPort, DeviceTarget } from "./agent-port.ts";
import { pickDevice, type CatalogPort, type DatastoreResolver, type InventoryPort, type JobInventoryPort } from "./inventory-port.ts";
import { driveResource, mediaResource, type Lease, type LeaseManager } from "./lease-manager.ts";
import { formatBytes, ProgressMeter } from "./progress.ts";
import { classifyError, withRetry } from "./retry-policy.ts";
import { DEFAULT_TAPE_RECHECK_MS, type TapeRequestBoard } from "./tape-requests.ts";
import type { TaskContext } from "./task-registry.ts";
import { DEFAULT_MEMBER_CATALOG_WAIT_MS, memberCatalogsFor, type MemberCatalogPort, type MemberCatalogStream } from "./member-catalogs.ts";

/** PBS worker type of a tape backup. */
export const BACKUP_WORKER_TYPE = "tape-backup";
/** Reason of a backup whose datastore is on another host than the drive. */
export const DATASTORE_NOT_ON_DRIVE_HOST = "DATASTORE_NOT_ON_DRIVE_HOST";

export interface BackupDeps {
  /** With `MemberCatalogPort`, a tape joining a set gets the catalog archives of the members before it. */
  inventory: InventoryPort & JobInventoryPort & DatastoreResolver & CatalogPort & Partial<MemberCatalogPort>;
  agent: AgentPort & DatastoreAgentPort;
  leases: Pick<LeaseManager, "acquireAnyDrive" | "extend" | "release" | "keepAlive">;
  tapeRequests: TapeRequestBoard;
  /** Mail + event to the job's notify user. */
  notify?: (user: string, subject: string, text: string) => Promise<void>;
  /** Slow re-check of a waiting tape request (ms). */
  recheckMs?: number;
  /** Chunk archive bytes per commit passed to the agent (0: its default). */
  commitBytes?: number;
  /** How long to wait for the catalog to ingest the previous tape's commits before taking its catalog (ms). */
  memberCatalogWaitMs?: number;
  now?: () => number;
}

/** How often a finished backup asks whether the catalog lists its last commits (ms). */
const CATALOG_POLL_MS = 200;

/** Summary of a finished backup. */
export interface BackupSummary {
  mediaSetUuid: string;
  tapes: string[];
  snapshots: number;
  bytes: number;
}

interface DriveUse {
  name: string;
  config: DriveConfig;
  target: DeviceTarget;
  cd?: ChangerDrive;
}

/**
 * A tape backup (PBS `backup` job, §5/§6/§11.6): lease a drive (named or any
 * free one of the pool's library), list the snapshots the job selects on the
 * datastore's agent, and write them in one media set: allocate a tape from
 * the pool, lease and load it, write with the set's known digests, and on
 * `TAPE_FULL` mark it full, unload and continue on the next tape of the same
 * set. No usable tape online raises a tape request and waits (delayed state,
 * woken by inventory/changer events or a slow timer). At the end the tape is
 * unloaded (`ejectMedia`) and the set exported (`exportMediaSet`); a failed
 * job leaves the tape in the drive.
 */
export class BackupJob {
  constructor(private readonly deps: BackupDeps) {}

  private async resolveDrive(name: string): Promise<DriveUse> {
    const inv = this.deps.inventory;
    const config = await inv.drive(name);
    const target = pickDevice("drive", name, config.path, await inv.locations("drive"));
    if (config.changer === undefined) return { name, config, target };
    const c: ChangerConfig = await inv.changer(config.changer);
    const ct = pickDevice("changer", c.name, c.path, await inv.locations("changer"));
    return {
      name,
      config,
      target,
      cd: { changer: { ...ct, name: c.name, exportSlots: c["export-slots"] ?? [], ejectBeforeUnload: c["eject-before-unload"] ?? false }, driveNumber: config["changer-drivenum"] ?? 0, drive: target },
    };
  }

  /** Candidate drives: the named one, else every drive of the library of the pool's drive (or of any library). */
  private async candidates(req: BackupStartRequest): Promise<string[]> {
    if (req.drive !== undefined) return [req.drive];
    const pool = await this.deps.inventory.pool(req.pool);
    const drives = await this.deps.inventory.drives();
    const poolDrive = pool.drive !== undefined ? drives.find((d) => d.name === pool.drive) : undefined;
    const library = poolDrive?.changer;
    const names = drives.filter((d) => (library !== undefined ? d.changer === library : d.changer !== undefined)).map((d) => d.name);
    if (poolDrive && !names.includes(poolDrive.name)) names.unshift(poolDrive.name);
    if (names.length === 0) throw ValidationError.field("drive", `no drive given and pool '${req.pool}' names no library drive to pick from`);
    return names.sort((a, b) => (a === pool.drive ? -1 : b === pool.drive ? 1 : a.localeCompare(b)));
  }

  async run(req: BackupStartRequest, ctx: TaskContext): Promise<BackupSummary> {
    const { inventory, agent, leases } = this.deps;
    const ds = await inventory.datastore(req.store);
    const host: AgentHost = await inventory.agentOf(ds.host);
    const candidates = await this.candidates(req);
    const { lease: firstLease, drive: driveName } = await withRetry("lease a drive", () => leases.acquireAnyDrive(ctx.upid, candidates), {
      signal: ctx.signal,
      onRetry: (t) => ctx.log(t),
    });
    let lease: Lease = firstLease;
    let lost: TapefleetError | undefined;
    const stopKeepAlive = leases.keepAlive(
      () => lease,
      (err) => {
        lost = err;
      },
    );
    const checkLease = () => {
      if (lost) throw lost;
      ctx.signal.throwIfAborted();
    };
    let failed = true;
    let drive: DriveUse | undefined;
    try {
      drive = await this.resolveDrive(driveName);
      // An encrypted pool: the agent writes the key's fingerprint and key config into a new set label and loads the set's key.
      const encrypt = (await inventory.pool(req.pool)).encrypt;
      if (encrypt) ctx.log(`media pool '${req.pool}' is encrypted with key ${encrypt}`);
      ctx.log(`tape backup of datastore '${ds.name}' to pool '${req.pool}' on drive '${driveName}'`);
      if (drive.target.hostId !== host.hostId) {
        throw new TapefleetError("CONFLICT", `datastore '${ds.name}' is on host '${host.hostId}' but drive '${driveName}' is on host '${drive.target.hostId}'`, { reason: DATASTORE_NOT_ON_DRIVE_HOST });
      }
      const selected = await agent.listSnapshots(host, {
        path: ds.path,
        store: ds.name,
        ...(req.ns !== undefined ? { ns: req.ns } : {}),
        ...(req.maxDepth !== undefined ? { maxDepth: req.maxDepth } : {}),
        ...(req.groupFilter !== undefined ? { groupFilters: req.groupFilter } : {}),
        latestOnly: req.latestOnly ?? false,
      });
      ctx.log(`${selected.length} snapshot(s) selected${req.latestOnly ? " (latest only)" : ""}`);
      let remaining = selected.map((s) => `${ds.name}:${s.snapshot}`);
      const meter = new ProgressMeter(undefined, this.deps.now);
      const tapes: string[] = [];
      let setUuid: string | undefined;
      let exclude: string[] = [];
      let totalBytes = 0;
      let snapshotsWritten = 0;
      /** Highest file committed per tape in this job: the catalog must list it before that tape's catalog is taken. */
      const committed = new Map<string, number>();
      /** The last snapshot filled the tape before its catalog archive: the catalog goes to the next tape (PBS §4.3). */
      let catalogPending = false;
      while (remaining.length > 0 || setUuid === undefined || catalogPending) {
        checkLease();
        const alloc = await this.allocate(req, drive, setUuid, exclude, ctx);
        setUuid = alloc.setLabel.uuid;
        const label = alloc.medium["label-text"];
        if (alloc.newSet) ctx.log(`starting new media set '${alloc.mediaSetName}' (${setUuid})${alloc.newSetReason ? `: ${alloc.newSetReason}` : ""}`);
        lease = await leases.extend(lease, [mediaResource(alloc.medium.uuid)]);
        await this.load(drive, label, ctx);
        checkLease();
        const known = await inventory.digests(setUuid, ds.name);
        ctx.log(`writing to media '${label}' (seq nr ${alloc.setLabel.seqNr}), ${remaining.length} snapshot(s) left, ${known.length} chunk(s) already in the set`);
        const memberCatalogs = await this.memberCatalogs(setUuid, alloc.setLabel.seqNr, committed, ctx);
        const before = totalBytes;
        const out = await agent.writeSession(
          host,
          {
            drive: drive.target.serial,
            datastorePath: ds.path,
            store: ds.name,
            mediaSet: { uuid: setUuid, pool: req.pool, seqNr: alloc.setLabel.seqNr, ctime: alloc.setLabel.ctime },
            ...(alloc.mediaSetName ? { mediaSetName: alloc.mediaSetName } : {}),
            snapshots: remaining,
            knownDigests: known,
            ...(this.deps.commitBytes ? { commitBytes: this.deps.commitBytes } : {}),
            ...(encrypt ? { encryptFingerprint: encrypt } : {}),
            job: ctx.upid,
            driveName,
            ...(memberCatalogs.length > 0 ? { memberCatalogs } : {}),
          },
          { signal: ctx.signal, onProgress: (p) => ctx.progress(meter.atShare(before + p.bytesWritten, snapshotsWritten + p.snapshotsWritten, selected.length), `media '${label}'`) },
        );
        totalBytes = before + out.bytesWritten;
        if (out.lastCommittedFile !== undefined) committed.set(out.mediaUuid || alloc.medium.uuid, out.lastCommittedFile);
        snapshotsWritten += out.snapshotsWritten.length;
        tapes.push(label);
        const used = (alloc.medium["bytes-used"] ?? 0) + out.bytesWritten;
        await inventory.setBytesUsed(alloc.medium.uuid, used);
        if (out.status === "complete") {
          ctx.log(`media '${label}': ${out.snapshotsWritten.length} snapshot(s), ${formatBytes(out.bytesWritten)} written`);
          remaining = [];
          break;
        }
        catalogPending = out.remaining.length === 0 && out.catalogWritten === false;
        ctx.log(
          catalogPending
            ? `media '${label}' is full after ${formatBytes(out.bytesWritten)}: its catalog goes to the next tape of the set`
            : `media '${label}' is full after ${formatBytes(out.bytesWritten)}: ${out.remaining.length} snapshot(s) go to the next tape`,
        );
        await inventory.markFull(alloc.medium.uuid);
        remaining = out.remaining;
        exclude = [...exclude, alloc.medium.uuid];
        if (drive.cd) await agent.unload(drive.cd, undefined, { signal: ctx.signal, progress: (t) => ctx.log(t) });
        lease = await this.dropMedia(lease, alloc.medium.uuid);
      }
      if (req.exportMediaSet && setUuid !== undefined) await this.exportSet(drive, setUuid, ctx);
      else if (req.ejectMedia) await this.eject(drive, ctx);
      await this.awaitCatalog(committed, ctx);
      failed = false;
      const summary: BackupSummary = { mediaSetUuid: setUuid!, tapes, snapshots: snapshotsWritten, bytes: totalBytes };
      ctx.log(`backup finished: ${snapshotsWritten} snapshot(s), ${formatBytes(totalBytes)} on ${tapes.length} tape(s) (${tapes.join(", ")}) of media set ${setUuid}`);
      if (req.notifyUser) await this.deps.notify?.(req.notifyUser, `Tape backup of '${ds.name}' OK`, `${ctx.upid}\n${tapes.length} tape(s): ${tapes.join(", ")}\n${formatBytes(totalBytes)}`).catch(() => undefined);
      return summary;
    } catch (err) {
      if (failed && drive) ctx.log(`the tape stays in drive '${drive.name}'`);
      if (req.notifyUser) await this.deps.notify?.(req.notifyUser, `Tape backup of '${ds.name}' failed`, `${ctx.upid}\n${(err as Error).message}`).catch(() => undefined);
      throw err;
    } finally {
      stopKeepAlive();
      await leases.release(lease).catch(() => undefined);
    }
  }

  /**
   * Waits until the catalog lists every file this job committed (the agent's
   * records travel on JetStream), so `media content` shows the backup once
   * the task has ended. A catalog that lags longer than the member catalog
   * wait is a warning, not a failure: the data is on tape.
   */
  private async awaitCatalog(committed: ReadonlyMap<string, number>, ctx: TaskContext): Promise<void> {
    const port = this.deps.inventory;
    if (port.catalogLastFile === undefined || committed.size === 0) return;
    const deadline = Date.now() + (this.deps.memberCatalogWaitMs ?? DEFAULT_MEMBER_CATALOG_WAIT_MS);
    for (const [mediaUuid, want] of committed) {
      for (;;) {
        let last: number | undefined;
        try {
          last = await port.catalogLastFile(mediaUuid);
        } catch (err) {
          ctx.warn(`the catalog does not answer (${(err as Error).message}): media content may not list this backup yet`);
          return;
        }
        if (last !== undefined && last >= want) break;
        if (Date.now() > deadline) {
          ctx.warn(`the catalog lists media ${mediaUuid} up to file ${last ?? "none"}, not yet file ${want}: media content may not list this backup yet`);
          return;
        }
        await new Promise((r) => setTimeout(r, CATALOG_POLL_MS));
        ctx.signal.throwIfAborted();
      }
    }
  }

  /**
   * The catalogs of the members before `seqNr`, for the write session
   * (reference §4.3: a tape joining a set carries them, so its last tape
   * alone rebuilds the set's catalog). None when the catalog cannot give
   * them: the job goes on with a warning, and the set's catalog is then
   * restored by scanning its tapes.
   */
  private async memberCatalogs(setUuid: string, seqNr: number, committed: ReadonlyMap<string, number>, ctx: TaskContext): Promise<MemberCatalogStream[]> {
    const port = this.deps.inventory;
    if (seqNr === 0 || port.mediaCatalogPage === undefined || port.catalogLastFile === undefined) return [];
    const set = await this.deps.inventory.mediaSet(setUuid);
    const got = await memberCatalogsFor(port as MemberCatalogPort, setUuid, set.members, seqNr, {
      committed,
      signal: ctx.signal,
      ...(this.deps.memberCatalogWaitMs !== undefined ? { waitMs: this.deps.memberCatalogWaitMs } : {}),
    });
    if ("missing" in got) {
      ctx.warn(`the catalogs of the earlier members are not written to this tape: ${got.missing}`);
      return [];
    }
    ctx.log(`catalogs of ${got.catalogs.length} earlier member(s) sent with the write session`);
    return got.catalogs;
  }

  private async dropMedia(lease: Lease, uuid: string): Promise<Lease> {
    await this.deps.leases.release(lease, [mediaResource(uuid)]);
    return { ...lease, resources: lease.resources.filter((r) => r !== mediaResource(uuid)) };
  }

  /** Allocate a tape; with none usable online, raise a tape request and wait until one appears. */
  private async allocate(req: BackupStartRequest, drive: DriveUse, setUuid: string | undefined, exclude: string[], ctx: TaskContext): Promise<PoolAllocateReply> {
    let request: { id: string } | undefined;
    /** Cartridges in the import/export slots when the request was raised (e.g. an exported set): they stay there. */
    let present = new Set<string>();
    /** Warnings of the import/export slot check already in the task log (each once per request). */
    const warned = new Set<string>();
    try {
      for (;;) {
        ctx.signal.throwIfAborted();
        // changes announced from here on end the wait below at once (none is lost while the request is raised)
        const pokes = this.deps.tapeRequests.pokes;
        try {
          const reply = await this.deps.inventory.allocate({
            pool: req.pool,
            driveChanger: drive.config.changer ?? null,
            ...(setUuid !== undefined ? { mediaSetUuid: setUuid } : {}),
            ...(setUuid === undefined && req.forceMediaSet ? { forceMediaSet: true } : {}),
            ...(exclude.length > 0 ? { exclude } : {}),
          });
          if (request) ctx.log("a usable tape appeared: continuing");
          return reply;
        } catch (err) {
          if (classifyError(err) !== "operator") throw err;
          if (!request) {
            present = await this.ieLabels(drive);
            const message = `${(err as Error).message}: insert a writable tape of pool '${req.pool}'${drive.config.changer ? ` into an import/export slot of changer '${drive.config.changer}' (the job imports it)` : ` into drive '${drive.name}'`}`;
            request = await this.deps.tapeRequests.raise({
              upid: ctx.upid,
              kind: drive.config.changer ? "insert" : "load",
              pool: req.pool,
              ...(setUuid !== undefined ? { mediaSetUuid: setUuid } : {}),
              ...(drive.config.changer !== undefined ? { changer: drive.config.changer } : {}),
              drive: drive.name,
              message,
            });
            ctx.warn(`tape request: ${message}`);
            if (req.notifyUser) await this.deps.notify?.(req.notifyUser, `Tape request for backup ${ctx.upid}`, message).catch(() => undefined);
          }
          if ((await this.importFromIeSlots(drive, req.pool, present, warned, ctx)) > 0) continue;
          await this.deps.tapeRequests.wait(this.deps.recheckMs ?? DEFAULT_TAPE_RECHECK_MS, ctx.signal, pokes);
        }
      }
    } finally {
      if (request) await this.deps.tapeRequests.close(request.id);
    }
  }

  /** Volume tags in the import/export slots of the drive's changer (none when it has no changer or does not answer). */
  private async ieLabels(drive: DriveUse): Promise<Set<string>> {
    if (!drive.cd) return new Set();
    try {
      const { entries } = await this.deps.agent.changerStatus(drive.cd.changer);
      return new Set(entries.filter((e) => e["entry-kind"] === "import-export" && e["label-text"] !== undefined).map((e) => e["label-text"]!));
    } catch {
      return new Set();
    }
  }

  /**
   * While the job waits on a tape request at a changer: a cartridge the
   * operator put into an import/export slot that the pool can take (a tape of
   * the pool that is not full, damaged or retired, or a free tape) is moved
   * into an empty storage slot, which makes it online (§6.4). Cartridges that
   * were there before the request (`present`, e.g. an exported set), unknown
   * cartridges and other pools' tapes stay where they are. A changer that does
   * not answer is a warning (once in `warned`): the job keeps waiting. Returns how many it imported.
   */
  private async importFromIeSlots(drive: DriveUse, pool: string, present: ReadonlySet<string>, warned: Set<string>, ctx: TaskContext): Promise<number> {
    const cd = drive.cd;
    if (!cd) return 0;
    const { agent, inventory } = this.deps;
    const warnOnce = (text: string) => {
      if (warned.has(text)) return;
      warned.add(text);
      ctx.warn(text);
    };
    try {
      const { entries } = await agent.changerStatus(cd.changer);
      const reserved = new Set(entries.filter((e) => e["entry-kind"] === "drive" && e["loaded-slot"] !== undefined).map((e) => e["loaded-slot"]));
      const empty = entries.filter((e) => e["entry-kind"] === "slot" && e["label-text"] === undefined && e.state === undefined && !reserved.has(e["entry-id"])).map((e) => e["entry-id"]);
      let imported = 0;
      for (const e of entries) {
        const label = e["label-text"];
        if (e["entry-kind"] !== "import-export" || label === undefined || present.has(label)) continue;
        const m = await inventory.findMedia({ "label-text": label });
        if (!m || (m.pool !== undefined && m.pool !== pool) || ["full", "damaged", "retired"].includes(m.status)) continue;
        const to = empty.shift();
        if (to === undefined) {
          warnOnce(`media '${label}' is in import/export slot ${e["entry-id"]}, but changer '${cd.changer.name}' has no empty slot to import it into`);
          break;
        }
        await agent.transfer(cd.changer, e["entry-id"], to);
        ctx.log(`imported media '${label}' from import/export slot ${e["entry-id"]} into slot ${to}`);
        imported++;
      }
      if (imported > 0) await inventory.setOnline(cd.changer.name, await agent.onlineLabels(cd.changer));
      return imported;
    } catch (err) {
      ctx.signal.throwIfAborted();
      warnOnce(`cannot look at the import/export slots of changer '${cd.changer.name}': ${(err as Error).message}`);
      return 0;
    }
  }

  private async load(drive: DriveUse, label: string, ctx: TaskContext): Promise<void> {
    if (!drive.cd) {
      const found = await this.deps.agent.readLabel(drive.target, { signal: ctx.signal });
      if (found?.["label-text"] !== label) throw new TapefleetError("CONFLICT", `standalone drive '${drive.name}' holds ${found ? `'${found["label-text"]}'` : "no labeled tape"}: load '${label}'`, { reason: "WRONG_MEDIA" });
      return;
    }
    const res = await withRetry("load media", () => this.deps.agent.load(drive.cd!, { labelText: label }, { signal: ctx.signal, progress: (t) => ctx.log(t) }), {
      signal: ctx.signal,
      onRetry: (t) => ctx.log(t),
    });
    ctx.log(res.alreadyLoaded ? `media '${label}' is already loaded` : `loaded media '${label}' from slot ${res.fromSlot}`);
  }

  private async eject(drive: DriveUse, ctx: TaskContext): Promise<void> {
    if (drive.cd) {
      const r = await this.deps.agent.unload(drive.cd, undefined, { signal: ctx.signal, progress: (t) => ctx.log(t) });
      if (r.slot !== undefined) ctx.log(`unloaded '${r.labelText ?? "?"}' to slot ${r.slot}`);
    } else {
      await this.deps.agent.eject(drive.target, { signal: ctx.signal });
      ctx.log(`ejected the tape of drive '${drive.name}'`);
    }
  }

  /** Move every tape of the set to an import/export slot (PBS export-media-set). */
  private async exportSet(drive: DriveUse, setUuid: string, ctx: TaskContext): Promise<void> {
    if (!drive.cd) {
      await this.eject(drive, ctx);
      return;
    }
    const set = await this.deps.inventory.mediaSet(setUuid);
    for (const m of set.members) {
      const slot = await this.deps.agent.exportMedia(drive.cd.changer, m.labelText);
      ctx.log(`exported media '${m.labelText}' to import/export slot ${slot}`);
      const entry = await this.deps.inventory.findMedia({ uuid: m.uuid });
      if (entry) await this.deps.inventory.updateMedia({ uuid: m.uuid, location: "offline" });
    }
  }
}

/** Resource names a backup holds while writing to a tape (for tests and docs). */
export const backupResources = (drive: string, mediaUuid: string): string[] => [driveResource(drive), mediaResource(mediaUuid)];
