import {
  CATALOG_REQUESTS,
  INVENTORY_JOB_SUBJECTS,
  deviceLocationSubject,
  type CatalogDigestsPage,
  type CatalogRestorePlan,
  type CatalogRestorePlanRequest,
  type MediaSetInfo,
  type PoolAllocateReply,
  type PoolAllocateRequest,
  type TapeBackupJobConfig,
  inventorySubject,
  matchesConfiguredPath,
  mediaSubject,
  type ChangerConfig,
  type DatastoreConfig,
  type DeviceKindText,
  type DeviceLocation,
  type DriveConfig,
  type MediaEntry,
  type MediaPoolConfig,
  type MediaSelector,
  type RegisterMediaRequest,
  type UpdateMediaRequest,
} from "@tapefleet/api-types";
import { ConflictError, TapefleetError, UnavailableError, type Bus } from "@tapefleet/common";
import type { AgentHost, DeviceTarget } from "./agent-port.ts";

/** What the scheduler reads and writes in the inventory service (over NATS). */
export interface InventoryPort {
  drive(name: string): Promise<DriveConfig>;
  changer(name: string): Promise<ChangerConfig>;
  pool(name: string): Promise<MediaPoolConfig>;
  drives(): Promise<DriveConfig[]>;
  changers(): Promise<ChangerConfig[]>;
  locations(kind: DeviceKindText): Promise<DeviceLocation[]>;
  scan(kind: DeviceKindText): Promise<DeviceLocation[]>;
  findMedia(sel: MediaSelector): Promise<MediaEntry | undefined>;
  registerMedia(req: RegisterMediaRequest): Promise<MediaEntry>;
  updateMedia(req: UpdateMediaRequest): Promise<MediaEntry>;
  removeMedia(sel: MediaSelector): Promise<MediaEntry | undefined>;
  setOnline(changer: string, labelTexts: readonly string[]): Promise<MediaEntry[]>;
}

/** Where a datastore lives: its configuration and the agent serving its host. */
export interface DatastoreResolver {
  datastore(name: string): Promise<DatastoreConfig>;
  /** The online agent of a host (from the device locations it announced). */
  agentOf(hostId: string): Promise<AgentHost>;
}

/** The inventory requests of backup and restore jobs (pool allocation, media state, media sets). */
export interface JobInventoryPort {
  allocate(req: PoolAllocateRequest): Promise<PoolAllocateReply>;
  markFull(uuid: string): Promise<MediaEntry>;
  setBytesUsed(uuid: string, bytesUsed: number): Promise<MediaEntry>;
  mediaSet(uuid: string): Promise<MediaSetInfo>;
  backupJobs(): Promise<TapeBackupJobConfig[]>;
  backupJob(id: string): Promise<TapeBackupJobConfig>;
}

/** The catalog queries jobs use. */
export interface CatalogPort {
  /** Every chunk digest the media set has for a store (32 bytes each). */
  digests(mediaSetUuid: string, store: string): Promise<Uint8Array[]>;
}

/** The catalog query restores use. */
export interface RestorePlanPort {
  /** Which tapes and files of a media set hold the given snapshots and chunk digests (`catalog.restore-plan`). */
  restorePlan(req: CatalogRestorePlanRequest): Promise<CatalogRestorePlan>;
}

/** The agent of a host: any online device location it announced gives its gRPC address. */
export function pickAgent(hostId: string, locations: readonly DeviceLocation[]): AgentHost {
  const mine = locations.filter((l) => l["host-id"] === hostId);
  const online = mine.find((l) => l.online);
  if (!online) {
    const detail = mine[0] ? `; last seen at ${mine[0]["last-seen"]}` : "; it has announced no devices";
    throw new UnavailableError(`no online device agent on host '${hostId}'${detail}`);
  }
  return { hostId, grpcAddress: online["grpc-address"] };
}

/** InventoryPort over the inventory service's NATS API; the request id travels along. */
export class BusInventory implements InventoryPort, DatastoreResolver, JobInventoryPort, CatalogPort, RestorePlanPort {
  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs: number,
    private readonly requestId?: string,
  ) {}

  /** The same port, tagging requests with another request id. */
  withRequestId(requestId: string): BusInventory {
    return new BusInventory(this.bus, this.timeoutMs, requestId);
  }

  private req<T>(subject: string, payload: unknown): Promise<T> {
    return this.bus.request<T>(subject, payload, { timeoutMs: this.timeoutMs, ...(this.requestId ? { requestId: this.requestId } : {}) });
  }

  drive(name: string) {
    return this.req<DriveConfig>(inventorySubject("drive", "get"), { key: name });
  }
  changer(name: string) {
    return this.req<ChangerConfig>(inventorySubject("changer", "get"), { key: name });
  }
  pool(name: string) {
    return this.req<MediaPoolConfig>(inventorySubject("media-pool", "get"), { key: name });
  }
  drives() {
    return this.req<DriveConfig[]>(inventorySubject("drive", "list"), undefined);
  }
  changers() {
    return this.req<ChangerConfig[]>(inventorySubject("changer", "list"), undefined);
  }
  locations(kind: DeviceKindText) {
    return this.req<DeviceLocation[]>(deviceLocationSubject("list"), { kind });
  }
  scan(kind: DeviceKindText) {
    return this.req<DeviceLocation[]>(deviceLocationSubject("scan"), { kind });
  }
  async findMedia(sel: MediaSelector) {
    try {
      return await this.req<MediaEntry>(mediaSubject("get"), sel);
    } catch (err) {
      if (err instanceof TapefleetError && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
  }
  registerMedia(req: RegisterMediaRequest) {
    return this.req<MediaEntry>(mediaSubject("register"), req);
  }
  updateMedia(req: UpdateMediaRequest) {
    return this.req<MediaEntry>(mediaSubject("update"), req);
  }
  async removeMedia(sel: MediaSelector) {
    try {
      return await this.req<MediaEntry>(mediaSubject("remove"), sel);
    } catch (err) {
      if (err instanceof TapefleetError && err.code === "NOT_FOUND") return undefined;
      throw err;
    }
  }
  setOnline(changer: string, labelTexts: readonly string[]) {
    return this.req<MediaEntry[]>(mediaSubject("set-online"), { changer, "label-texts": labelTexts });
  }
  allocate(req: PoolAllocateRequest) {
    return this.req<PoolAllocateReply>(INVENTORY_JOB_SUBJECTS.poolAllocate, req);
  }
  markFull(uuid: string) {
    return this.req<MediaEntry>(INVENTORY_JOB_SUBJECTS.mediaMarkFull, { uuid });
  }
  setBytesUsed(uuid: string, bytesUsed: number) {
    return this.req<MediaEntry>(INVENTORY_JOB_SUBJECTS.mediaSetBytesUsed, { uuid, bytesUsed });
  }
  mediaSet(uuid: string) {
    return this.req<MediaSetInfo>(INVENTORY_JOB_SUBJECTS.mediaSetGet, { uuid });
  }
  /** One page of a tape's media catalog (`catalog.media.catalog`; `MemberCatalogPort`). */
  mediaCatalogPage(mediaUuid: string, after?: string) {
    return this.req<import("@tapefleet/api-types").CatalogMediaCatalogPage>(CATALOG_REQUESTS.mediaCatalog, { mediaUuid, ...(after !== undefined ? { after } : {}) });
  }
  /** The highest file number the catalog lists for a tape (`MemberCatalogPort`). */
  async catalogLastFile(mediaUuid: string) {
    const list = await this.req<import("@tapefleet/api-types").CatalogMediaSummary[]>(CATALOG_REQUESTS.mediaList, { mediaUuids: [mediaUuid] });
    return list.find((m) => m.mediaUuid === mediaUuid)?.lastFileNumber ?? undefined;
  }
  backupJobs() {
    return this.req<TapeBackupJobConfig[]>(inventorySubject("tape-backup-job", "list"), undefined);
  }
  backupJob(id: string) {
    return this.req<TapeBackupJobConfig>(inventorySubject("tape-backup-job", "get"), { key: id });
  }
  async digests(mediaSetUuid: string, store: string) {
    const out: Uint8Array[] = [];
    let after: string | undefined;
    for (;;) {
      const page: CatalogDigestsPage = await this.req<CatalogDigestsPage>(CATALOG_REQUESTS.mediaSetDigests, { mediaSetUuid, store, ...(after !== undefined ? { after } : {}) });
      const bytes = Buffer.from(page.digests, "base64");
      for (let i = 0; i + 32 <= bytes.length; i += 32) out.push(new Uint8Array(bytes.subarray(i, i + 32)));
      if (page.next === undefined) return out;
      after = page.next;
    }
  }
  restorePlan(req: CatalogRestorePlanRequest) {
    return this.req<CatalogRestorePlan>(CATALOG_REQUESTS.restorePlan, req);
  }
  datastore(name: string) {
    return this.req<DatastoreConfig>(inventorySubject("datastore", "get"), { key: name });
  }
  async agentOf(hostId: string) {
    return pickAgent(hostId, [...(await this.locations("drive")), ...(await this.locations("changer"))]);
  }
}

/**
 * The one device agent that has a configured device: an online device
 * location whose path or serial matches the configured path. None online, or
 * the path found on several hosts, is an error naming the device.
 */
export function pickDevice(kind: DeviceKindText, name: string, configPath: string, locations: readonly DeviceLocation[]): DeviceTarget {
  const matching = locations.filter((l) => l.kind === kind && matchesConfiguredPath(configPath, l));
  const online = matching.filter((l) => l.online);
  if (online.length === 0) {
    const seen = matching[0];
    const detail = seen ? `; last seen on host '${seen["host-id"]}' at ${seen["last-seen"]}` : "; no agent has announced it (check the path, or run a scan)";
    throw new UnavailableError(`no online device agent has ${kind} '${name}' (path ${configPath})${detail}`);
  }
  const hosts = [...new Set(online.map((l) => l["host-id"]))];
  if (online.length > 1) {
    throw new ConflictError(`${kind} '${name}' (path ${configPath}) is ambiguous: it matches ${online.length} devices on host(s) ${hosts.join(", ")}`);
  }
  const l = online[0]!;
  return { hostId: l["host-id"], grpcAddress: l["grpc-address"], serial: l.serial, path: l.path };
}
