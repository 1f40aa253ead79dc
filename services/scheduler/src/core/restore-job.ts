import { parseDatastoreMap, type ChangerConfig, type RestoreStartRequest } from "@tapefleet/api-types";
import { TapefleetError, ValidationError } from "@tapefleet/common";
import type { AgentHost, AgentPort, ChangerDrive, DatastoreAgentPort, DeviceTarget } from "./agent-port.ts";
import { pickDevice, type DatastoreResolver, type InventoryPort, type JobInventoryPort } from "./inventory-port.ts";
import { driveResource, mediaResource, type LeaseManager } from "./lease-manager.ts";
import { formatBytes } from "./progress.ts";
import { withRetry } from "./retry-policy.ts";
import type { TaskContext } from "./task-registry.ts";

/** PBS worker type of a tape restore. */
export const RESTORE_WORKER_TYPE = "tape-restore";
/** Reason of a restore whose media set lacks a member, or whose member is not online. */
export const MEDIA_NOT_ONLINE = "MEDIA_NOT_ONLINE";

export interface RestoreDeps {
  inventory: InventoryPort & JobInventoryPort & DatastoreResolver;
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
 * transaction, loaded in seq order through the changer and restored by the
 * agent (`RestoreFromTape`) into the target datastore of the store map, with
 * the `--snapshots` selection (`store:path`, per target) and the
 * `--namespaces` mappings passed through. A member not online fails the job
 * naming it.
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
      for (const [targetStore, srcs] of targets) {
        const ds = await inventory.datastore(targetStore);
        const host: AgentHost = await inventory.agentOf(ds.host);
        if (host.hostId !== target.hostId) throw ValidationError.field("store", `target datastore '${ds.name}' is on host '${host.hostId}', drive '${driveName}' on '${target.hostId}'`);
        const snapshots = (req.snapshots ?? []).filter((s) => srcs.includes(s.slice(0, s.indexOf(":")))).map((s) => s.slice(s.indexOf(":") + 1));
        for (const m of members) {
          if (lost) throw lost;
          ctx.signal.throwIfAborted();
          await this.load(cd, target, m.labelText, m.location, ctx);
          ctx.log(`restore media '${m.labelText}' (seq nr ${m.seqNr}) into datastore '${ds.name}'`);
          const r = await agent.restoreFromTape(
            host,
            { drive: target.serial, datastorePath: ds.path, store: ds.name, owner: req.owner ?? "root@pam",
              job: ctx.upid,
              driveName, ...(req.namespaces ? { namespaces: req.namespaces } : {}), ...(snapshots.length > 0 ? { snapshots } : {}) },
            {
              signal: ctx.signal,
              onProgress: (p) => ctx.log(`file ${p.fileNumber}: ${p.chunksInserted} chunk(s) inserted${p.snapshots.length > 0 ? `, restored ${p.snapshots.join(", ")}` : ""}${p.note ? ` (${p.note})` : ""}`),
            },
          );
          ctx.log(`media '${m.labelText}': ${r.files} file(s), ${r.chunksInserted} chunk(s) inserted, ${r.snapshots.length} snapshot(s), ${formatBytes(r.bytesRead)} read`);
        }
      }
      if (cd) await agent.unload(cd, undefined, { signal: ctx.signal, progress: (t) => ctx.log(t) });
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
