import { parseDatastoreMap, type CatalogRestorePlan, type ChangerConfig, type RestoreStartRequest } from "@tapefleet/api-types";
import { TapefleetError, ValidationError } from "@tapefleet/common";
import type { AgentHost, AgentPort, ChangerDrive, DatastoreAgentPort, DeviceTarget, SnapshotArchiveFiles } from "./agent-port.ts";
import { pickDevice, type DatastoreResolver, type InventoryPort, type JobInventoryPort, type RestorePlanPort } from "./inventory-port.ts";
import { driveResource, mediaResource, type LeaseManager } from "./lease-manager.ts";
import { formatBytes, ProgressMeter } from "./progress.ts";
import { indexDigests, isIndexFile, planGap, snapshotFilesOfPlan, stepsOfPlan, wholeSetSteps, type RestoreStep } from "./restore-plan.ts";
import { withRetry } from "./retry-policy.ts";
import type { TaskContext } from "./task-registry.ts";

/** PBS worker type of a tape restore. */
export const RESTORE_WORKER_TYPE = "tape-restore";
/** Reason of a restore whose media set lacks a member, or whose member is not online. */
export const MEDIA_NOT_ONLINE = "MEDIA_NOT_ONLINE";
/** Reason of a restore that read every file but could not restore some snapshots. */
export const SNAPSHOTS_NOT_RESTORED = "SNAPSHOTS_NOT_RESTORED";

export interface RestoreDeps {
  inventory: InventoryPort & JobInventoryPort & DatastoreResolver;
  /** The catalog's `catalog.restore-plan` (absent: every member is read whole). */
  catalog?: RestorePlanPort;
  agent: AgentPort & DatastoreAgentPort;
  leases: Pick<LeaseManager, "acquireAnyDrive" | "release" | "keepAlive">;
  /** Mail + event (a restore that needs a key the keyvault lacks tells the notify user, else the owner). */
  notify?: (user: string, subject: string, text: string) => Promise<void>;
}

/** Reason of an agent error: the tape's media set is encrypted with a key the keyvault does not have ("key FP needed"). */
export const KEY_NEEDED = "key-needed";

/** PBS auth id: `user@realm` or `user@realm!token` (the owner file of a backup group). */
const AUTH_ID_RE = /^[^\s:/@!]+@[A-Za-z0-9_][A-Za-z0-9._-]*(?:![A-Za-z0-9_][A-Za-z0-9._-]*)?$/;
/** A gateway token id usable as the token part of an auth id. */
const TOKEN_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Owner of the groups a restore creates, from the user who started it: an
 * auth id (`user@realm`, `user@realm!token`) as is; `root` (no user named) as
 * `root@pam`; a gateway API token id `t` as `root@pam!t` (the gateway's tokens
 * act for the site's administrator). The datastore accepts nothing else as an
 * owner, so a token id alone would leave every snapshot unrestored.
 */
export function restoreOwnerOf(user: string): string {
  if (AUTH_ID_RE.test(user)) return user;
  if (user === "root") return "root@pam";
  if (TOKEN_NAME_RE.test(user)) return `root@pam!${user}`;
  throw ValidationError.field("user", `'${user}' is neither an auth id (user@realm[!token]) nor a token id usable as one`);
}

/** Source store → target store of one restore (`a=b,c`: `a` to `b`, every other store to `c`). */
export function restoreTargets(storeMap: string, sources: readonly string[]): Map<string, string> {
  const map = parseDatastoreMap(storeMap);
  if (typeof map === "string") throw ValidationError.field("store", map);
  const out = new Map<string, string>();
  for (const s of sources) {
    const t = map.map[s] ?? map.default;
    if (t !== undefined) out.set(s, t);
  }
  return out;
}

/**
 * A tape restore (PBS `restore`, §12): the members of the media set
 * (`inventory.media-set.get`, all seq nrs known) are leased with a drive in one
 * transaction and restored by the agent (`RestoreFromTape`) into the target
 * datastore of the store map, with the `--namespaces` mappings passed through.
 *
 * A whole-set restore loads every member in seq order and reads it whole
 * (§12.2). A restore of `--snapshots` (`store:path`) follows the catalog
 * (§12.3): `catalog.restore-plan` names the tapes and files of the snapshot
 * archives; those are read back (phase 1) for the chunk digests their
 * indexes reference; a second plan with those digests names the chunk
 * archives too; then only the tapes of that plan are loaded, in seq order,
 * and the agent LOCATEs each listed file. When the catalog does not know the
 * set, or lacks a snapshot or a chunk, every member is read whole with the
 * snapshot filter instead. A member not online fails the job naming it.
 */
export class RestoreJob {
  constructor(private readonly deps: RestoreDeps) {}

  /** `owner`: auth id the restored groups belong to (the user who started the restore; default root@pam). */
  async run(req: RestoreStartRequest & { owner?: string }, ctx: TaskContext): Promise<void> {
    const { inventory, agent, leases } = this.deps;
    const set = await inventory.mediaSet(req.mediaSet);
    if (!set.complete) throw new TapefleetError("CONFLICT", `media set ${set.uuid} ('${set.name}') is incomplete: seq nrs ${set.members.map((m) => m.seqNr).join(", ")} known`, { reason: MEDIA_NOT_ONLINE });
    const members = [...set.members].sort((a, b) => a.seqNr - b.seqNr);
    // Source stores: the ones the snapshots name, else every store the map names (a default maps them all into one).
    const snapshotStores = (req.snapshots ?? []).map((s) => s.slice(0, s.indexOf(":")));
    const parsed = parseDatastoreMap(req.store);
    if (typeof parsed === "string") throw ValidationError.field("store", parsed);
    const sources = snapshotStores.length > 0 ? [...new Set(snapshotStores)] : [...Object.keys(parsed.map), ...(parsed.default !== undefined ? ["*"] : [])];
    const targets = new Map<string, string[]>();
    for (const src of sources) {
      const t = src === "*" ? parsed.default! : (parsed.map[src] ?? parsed.default);
      if (t === undefined) throw ValidationError.field("store", `no target datastore for store '${src}'`);
      targets.set(t, [...(targets.get(t) ?? []), src]);
    }
    const drives = req.drive !== undefined ? [req.drive] : (await inventory.drives()).filter((d) => d.changer !== undefined).map((d) => d.name).sort();
    const { lease, drive: driveName } = await withRetry("lease a drive and the tapes of the set", () => leases.acquireAnyDrive(ctx.upid, drives, members.map((m) => m.uuid)), {
      signal: ctx.signal,
      onRetry: (t) => ctx.log(t),
    });
    let lost: Error | undefined;
    const stop = leases.keepAlive(
      () => lease,
      (err) => (lost = err),
    );
    try {
      const config = await inventory.drive(driveName);
      const target = pickDevice("drive", driveName, config.path, await inventory.locations("drive"));
      let cd: ChangerDrive | undefined;
      if (config.changer !== undefined) {
        const c: ChangerConfig = await inventory.changer(config.changer);
        const ct = pickDevice("changer", c.name, c.path, await inventory.locations("changer"));
        cd = { changer: { ...ct, name: c.name, exportSlots: c["export-slots"] ?? [], ejectBeforeUnload: c["eject-before-unload"] ?? false }, driveNumber: config["changer-drivenum"] ?? 0, drive: target };
      }
      ctx.log(`restore media set '${set.name}' (${set.uuid}, ${members.length} tape(s)) on drive '${driveName}'`);
      // Snapshots the agent could not restore: the task goes on with the rest, then fails naming them.
      const failed: string[] = [];
      for (const [targetStore, srcs] of targets) {
        const ds = await inventory.datastore(targetStore);
        const host: AgentHost = await inventory.agentOf(ds.host);
        if (host.hostId !== target.hostId) throw ValidationError.field("store", `target datastore '${ds.name}' is on host '${host.hostId}', drive '${driveName}' on '${target.hostId}'`);
        const specs = (req.snapshots ?? []).filter((s) => srcs.includes(s.slice(0, s.indexOf(":"))));
        const snapshots = specs.map((s) => s.slice(s.indexOf(":") + 1));
        const checkLease = () => {
          if (lost) throw lost;
          ctx.signal.throwIfAborted();
        };
        const loadMember = async (step: RestoreStep) => {
          const m = members.find((x) => x.uuid === step.mediaUuid);
          if (m === undefined) throw new TapefleetError("CONFLICT", `media '${step.labelText}' (${step.mediaUuid}) is not a member of media set ${set.uuid} in the inventory`, { reason: MEDIA_NOT_ONLINE });
          checkLease();
          await this.load(cd, target, m.labelText, m.location, ctx);
        };
        const steps = specs.length > 0 ? await this.planSelective(set.uuid, specs, wholeSetSteps(members), { host, drive: target, driveName, load: loadMember, checkLease }, ctx) : wholeSetSteps(members);
        // Progress: bytes read and rate; percent from the tapes of this target done (their sizes are not known ahead).
        const meter = new ProgressMeter(undefined);
        let bytesBefore = 0;
        let done = 0;
        const progress = (bytes: number, label: string) => ctx.progress({ ...meter.at(bytes), percent: (done * 100) / steps.length }, label);
        for (const m of steps) {
          checkLease();
          await loadMember(m);
          ctx.log(`restore media '${m.labelText}' (seq nr ${m.seqNr}) into datastore '${ds.name}'${m.fileNumbers ? `: file(s) ${m.fileNumbers.join(", ")}` : ""}`);
          const r = await agent.restoreFromTape(
            host,
            {
              drive: target.serial,
              datastorePath: ds.path,
              store: ds.name,
              owner: req.owner ?? "root@pam",
              job: ctx.upid,
              driveName,
              ...(m.fileNumbers ? { fileNumbers: m.fileNumbers } : {}),
              ...(req.namespaces ? { namespaces: req.namespaces } : {}),
              ...(snapshots.length > 0 ? { snapshots } : {}),
            },
            {
              signal: ctx.signal,
              onProgress: (p) => {
                progress(bytesBefore + p.bytesRead, `media '${m.labelText}' (${done + 1} of ${steps.length})`);
                ctx.log(`file ${p.fileNumber}: ${p.chunksInserted} chunk(s) inserted${p.snapshots.length > 0 ? `, restored ${p.snapshots.join(", ")}` : ""}${p.note ? ` (${p.note})` : ""}`);
                for (const f of p.failedSnapshots) ctx.warn(`file ${p.fileNumber}: snapshot not restored: ${f}`);
              },
            },
          );
          failed.push(...r.failedSnapshots);
          bytesBefore += r.bytesRead;
          done++;
          progress(bytesBefore, `media '${m.labelText}' done (${done} of ${steps.length})`);
          ctx.log(`media '${m.labelText}': ${r.files} file(s), ${r.chunksInserted} chunk(s) inserted, ${r.snapshots.length} snapshot(s), ${formatBytes(r.bytesRead)} read`);
        }
      }
      if (cd) await agent.unload(cd, undefined, { signal: ctx.signal, progress: (t) => ctx.log(t) });
      if (failed.length > 0) {
        const shown = failed.slice(0, 5).join("; ");
        throw new TapefleetError("CONFLICT", `${failed.length} snapshot(s) not restored: ${shown}${failed.length > 5 ? `; and ${failed.length - 5} more (see the task log)` : ""}`, { reason: SNAPSHOTS_NOT_RESTORED });
      }
    } catch (err) {
      if (err instanceof TapefleetError && err.reason === KEY_NEEDED) {
        ctx.warn(err.message);
        await this.deps.notify?.(req.notifyUser ?? req.owner ?? "root@pam", `Tape restore of media set ${set.uuid} needs a key`, `${ctx.upid}\n${err.message}`).catch(() => undefined);
      }
      throw err;
    } finally {
      stop();
      await leases.release(lease).catch(() => undefined);
    }
  }

  /**
   * The tapes and files a restore of `specs` (`store:snapshot`) reads, from
   * the catalog: phase 1 reads the snapshot archives the first plan names
   * for the digests of their indexes; the second plan adds the chunk
   * archives holding them. `whole` (every member) when the catalog cannot
   * plan the restore.
   */
  private async planSelective(
    mediaSetUuid: string,
    specs: string[],
    whole: RestoreStep[],
    io: { host: AgentHost; drive: DeviceTarget; driveName: string; load: (step: RestoreStep) => Promise<void>; checkLease: () => void },
    ctx: TaskContext,
  ): Promise<RestoreStep[]> {
    const { catalog, agent } = this.deps;
    const fallback = (why: string) => {
      ctx.log(`${why}: reading every tape of the set`);
      return whole;
    };
    if (catalog === undefined) return fallback("no catalog");
    let first: CatalogRestorePlan;
    try {
      first = await catalog.restorePlan({ mediaSetUuid, snapshots: specs });
    } catch (err) {
      if (err instanceof TapefleetError && (err.code === "NOT_FOUND" || err.code === "UNAVAILABLE" || err.code === "TIMEOUT")) return fallback(`the catalog cannot plan the restore (${err.message})`);
      throw err;
    }
    const gap = planGap(first);
    if (gap !== undefined) return fallback(gap);
    const digests: Record<string, Set<string>> = {};
    for (const tape of snapshotFilesOfPlan(first)) {
      await io.load({ mediaUuid: tape.mediaUuid, labelText: tape.labelText, seqNr: tape.seqNr });
      for (const f of tape.files) {
        io.checkLease();
        let archive: SnapshotArchiveFiles;
        let list: string[];
        try {
          archive = await agent.readSnapshotArchive(io.host, { drive: io.drive.serial, fileNumber: f.fileNumber, keep: isIndexFile }, { signal: ctx.signal, keyFor: { job: ctx.upid, driveName: io.driveName } });
          list = indexDigests(archive.files);
        } catch (err) {
          // An encrypted set's archives are read only by the restore itself (it loads the key).
          ctx.signal.throwIfAborted();
          return fallback(`media '${tape.labelText}' file ${f.fileNumber}: cannot read the snapshot's indexes (${(err as Error).message})`);
        }
        const set = (digests[archive.store || f.store] ??= new Set());
        for (const d of list) set.add(d);
        ctx.log(`media '${tape.labelText}' file ${f.fileNumber}: ${archive.snapshot} needs ${list.length} chunk(s)`);
      }
    }
    const plan = await catalog.restorePlan({ mediaSetUuid, snapshots: specs, digests: Object.fromEntries(Object.entries(digests).map(([store, set]) => [store, [...set]])) });
    const gap2 = planGap(plan);
    if (gap2 !== undefined) return fallback(gap2);
    const steps = stepsOfPlan(plan);
    ctx.log(`catalog plan: ${steps.map((s) => `'${s.labelText}' (${s.fileNumbers?.length ?? 0} file(s))`).join(", ")} of ${whole.length} tape(s)`);
    return steps;
  }

  private async load(cd: ChangerDrive | undefined, drive: DeviceTarget, label: string, location: string, ctx: TaskContext): Promise<void> {
    if (!cd) {
      const found = await this.deps.agent.readLabel(drive, { signal: ctx.signal });
      if (found?.["label-text"] !== label) throw new TapefleetError("CONFLICT", `load media '${label}' into the standalone drive`, { reason: MEDIA_NOT_ONLINE });
      return;
    }
    if (location !== `online-${cd.changer.name}`) throw new TapefleetError("CONFLICT", `media '${label}' is ${location}, not online in changer '${cd.changer.name}': import it first`, { reason: MEDIA_NOT_ONLINE });
    await withRetry("load media", () => this.deps.agent.load(cd, { labelText: label }, { signal: ctx.signal, progress: (t) => ctx.log(t) }), { signal: ctx.signal, onRetry: (t) => ctx.log(t) });
  }
}

/** Resources a restore holds: the drive and every tape of the set. */
export const restoreResources = (drive: string, media: readonly string[]): string[] => [driveResource(drive), ...media.map(mediaResource)];
