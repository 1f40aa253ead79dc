import {
  DEVICE_SCAN_SUBJECT,
  matchesConfiguredPath,
  type AnnouncedDevice,
  type DeviceKindText,
  type DeviceLocation,
  type DeviceScanAnswer,
} from "@tapefleet/api-types";
import type { Bus, Logger } from "@tapefleet/common";
import { and, asc, eq, lt, notInArray, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { deviceLocations, type InventorySchema } from "../db/schema.ts";
import type { ConfigStore } from "./config-store.ts";
import type { MediaStore } from "./media-store.ts";

type Db = PostgresJsDatabase<InventorySchema>;
type Row = typeof deviceLocations.$inferSelect;

export function deviceLocationFromRow(r: Row): DeviceLocation {
  const d: DeviceLocation = {
    "host-id": r.hostId,
    "grpc-address": r.grpcAddress,
    serial: r.serial,
    path: r.path,
    kind: r.kind as DeviceKindText,
    vendor: r.vendor,
    model: r.model,
    online: r.online,
    "last-seen": r.lastSeen.toISOString(),
  };
  if (r.generation !== null) d.generation = r.generation;
  return d;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** One announced device from untrusted JSON; undefined when it lacks serial, path or kind. */
export function parseAnnouncedDevice(v: unknown): AnnouncedDevice | undefined {
  if (!isObj(v)) return undefined;
  const serial = str(v["serial"]);
  const path = str(v["path"]);
  const kindRaw = str(v["kind"]);
  const kind: DeviceKindText | undefined =
    kindRaw === "drive" || kindRaw === "tape-drive" || kindRaw === "tape" ? "drive" : kindRaw === "changer" || kindRaw === "medium-changer" ? "changer" : undefined;
  if (!serial || !path || !kind) return undefined;
  const d: AnnouncedDevice = { serial, path, kind, vendor: str(v["vendor"]) ?? "", model: str(v["model"]) ?? "", online: v["online"] !== false };
  const gen = str(v["generation"]);
  if (gen) d.generation = gen;
  return d;
}

/** A `device.scan` answer or heartbeat `info` from untrusted JSON (devices undefined when not a list). */
export function parseScanAnswer(v: unknown): { hostId: string; grpcAddress: string; devices: AnnouncedDevice[] | undefined } | undefined {
  if (!isObj(v)) return undefined;
  const hostId = str(v["hostId"]);
  const grpcAddress = str(v["grpcAddress"]);
  if (!hostId || !grpcAddress) return undefined;
  const devices = Array.isArray(v["devices"]) ? v["devices"].map(parseAnnouncedDevice).filter((d): d is AnnouncedDevice => d !== undefined) : undefined;
  return { hostId, grpcAddress, devices };
}

export interface DeviceTrackerOptions {
  /** A host whose last announcement is older than this is offline (ms). */
  offlineAfterMs: number;
  /** How long a scan waits for agents' answers (ms). */
  scanDeadlineMs: number;
}

/**
 * Keeps where each device lives (host id, agent gRPC address, serial, path,
 * online, last seen) from agent heartbeats and `device.scan` answers. A host
 * that misses heartbeats for `offlineAfterMs` goes offline with all its
 * devices, and media online in its changers become offline.
 */
export class DeviceTracker {
  /** Hosts known alive in this process; a heartbeat from any other host triggers a scan. */
  private readonly alive = new Set<string>();
  /** The last device list recorded per host (JSON), so unchanged heartbeats only touch `last_seen`. */
  private readonly lastDevices = new Map<string, string>();
  private scanning: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly config: ConfigStore,
    private readonly mediaStore: MediaStore,
    private readonly logger: Logger,
    private readonly opts: DeviceTrackerOptions,
  ) {}

  /** Store one agent's answer: its devices as announced; devices of that host it no longer lists go offline. */
  async record(answer: DeviceScanAnswer, now = new Date()): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const d of answer.devices) {
        const values = {
          hostId: answer.hostId,
          serial: d.serial,
          grpcAddress: answer.grpcAddress,
          path: d.path,
          kind: d.kind,
          vendor: d.vendor,
          model: d.model,
          generation: d.generation ?? null,
          online: d.online,
          lastSeen: now,
        };
        await tx
          .insert(deviceLocations)
          .values(values)
          .onConflictDoUpdate({ target: [deviceLocations.hostId, deviceLocations.serial], set: { ...values } });
      }
      const listed = answer.devices.map((d) => d.serial);
      await tx
        .update(deviceLocations)
        .set({ online: false, lastSeen: now, grpcAddress: answer.grpcAddress })
        .where(and(eq(deviceLocations.hostId, answer.hostId), listed.length > 0 ? notInArray(deviceLocations.serial, listed) : undefined));
    });
    this.alive.add(answer.hostId);
    this.lastDevices.set(answer.hostId, JSON.stringify([answer.grpcAddress, answer.devices]));
  }

  /** A heartbeat of a device agent (`ServiceAnnouncement`). */
  async onHeartbeat(announcement: unknown): Promise<void> {
    const info = isObj(announcement) ? parseScanAnswer(announcement["info"]) : undefined;
    if (!info) return;
    const answer = info.devices ? { hostId: info.hostId, grpcAddress: info.grpcAddress, devices: info.devices } : undefined;
    if (answer && (!this.alive.has(info.hostId) || this.lastDevices.get(info.hostId) !== JSON.stringify([info.grpcAddress, info.devices]))) {
      await this.record(answer);
      return;
    }
    // Unchanged: touch the host's rows. Rows whose online flag disagrees (another replica's sweep
    // took the host offline) are stored again from the heartbeat, or by a scan when it lists none.
    const rows = await this.db
      .update(deviceLocations)
      .set({ lastSeen: new Date(), grpcAddress: info.grpcAddress })
      .where(eq(deviceLocations.hostId, info.hostId))
      .returning({ serial: deviceLocations.serial, online: deviceLocations.online });
    if (answer) {
      const stale = rows.some((r) => answer.devices.find((d) => d.serial === r.serial)?.online !== r.online);
      if (stale) await this.record(answer);
      return;
    }
    if (!this.alive.has(info.hostId) || rows.length === 0 || rows.some((r) => !r.online)) await this.scan();
  }

  /** Ask every agent (`device.scan`), store the answers, return them. Concurrent calls share one gather. */
  async scan(): Promise<DeviceScanAnswer[]> {
    const answers = await this.bus.gather<unknown>(DEVICE_SCAN_SUBJECT, {}, this.opts.scanDeadlineMs);
    const parsed: DeviceScanAnswer[] = [];
    for (const a of answers) {
      const p = parseScanAnswer(a);
      if (p) parsed.push({ hostId: p.hostId, grpcAddress: p.grpcAddress, devices: p.devices ?? [] });
    }
    const chain = (this.scanning ?? Promise.resolve()).then(async () => {
      for (const p of parsed) await this.record(p);
    });
    this.scanning = chain.catch(() => {});
    await chain;
    return parsed;
  }

  async list(filter: { kind?: DeviceKindText; online?: boolean } = {}): Promise<DeviceLocation[]> {
    const conds = [];
    if (filter.kind) conds.push(eq(deviceLocations.kind, filter.kind));
    if (filter.online !== undefined) conds.push(eq(deviceLocations.online, filter.online));
    const rows = await this.db
      .select()
      .from(deviceLocations)
      .where(conds.length > 0 ? and(...conds) : undefined)
      .orderBy(asc(deviceLocations.kind), asc(deviceLocations.hostId), asc(deviceLocations.path));
    return rows.map(deviceLocationFromRow);
  }

  /**
   * Hosts silent for longer than `offlineAfterMs`: their devices go offline,
   * and media online in a configured changer among them become offline.
   * Returns the devices that went offline.
   */
  async sweep(now = new Date()): Promise<DeviceLocation[]> {
    const cutoff = new Date(now.getTime() - this.opts.offlineAfterMs);
    const rows = await this.db
      .update(deviceLocations)
      .set({ online: false })
      .where(and(eq(deviceLocations.online, true), lt(deviceLocations.lastSeen, cutoff)))
      .returning();
    if (rows.length === 0) return [];
    for (const r of rows) {
      this.alive.delete(r.hostId);
      this.lastDevices.delete(r.hostId);
    }
    const gone = rows.map(deviceLocationFromRow);
    const changers = (await this.config.list("changer")).filter((c) => gone.some((d) => d.kind === "changer" && matchesConfiguredPath(c.path, d)));
    const media = await this.mediaStore.setChangersOffline(changers.map((c) => c.name));
    this.logger.warn(
      { hosts: [...new Set(gone.map((d) => d["host-id"]))], devices: gone.map((d) => d.serial), changers: changers.map((c) => c.name), media: media.length },
      "device agent silent: devices offline",
    );
    return gone;
  }

  /** Count of online devices (for logs and tests). */
  async onlineCount(): Promise<number> {
    const r = await this.db.select({ n: sql<number>`count(*)::int` }).from(deviceLocations).where(eq(deviceLocations.online, true));
    return r[0]?.n ?? 0;
  }
}
