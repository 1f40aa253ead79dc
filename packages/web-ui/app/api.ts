/**
 * The typed API client: openapi-fetch over the types generated from the
 * gateway's OpenAPI document (app/generated/schema.d.ts). Every request sends
 * the session's token; a 401 on it ends the session (back to the login page).
 */
import type { ChangerStatusEntry, MamAttributeEntry, MediaEntry, TapeLabelInfo, TapeRequestEntry, TaskInfo, TaskLogLine, TaskStatus } from "@tapefleet/api-types";
import createClient, { type Middleware } from "openapi-fetch";
import { networkProblem, toApiProblem, type ApiProblem } from "../src/api-problem.ts";
import type { ConfigKind, Entry } from "../src/config-forms.ts";
import type { MediaContentRow, MediaSetEntry } from "../src/restore-wizard.ts";
import type { components, paths } from "./generated/schema";

export type Schemas = components["schemas"];

const TOKEN_KEY = "tapefleet.token";

/** An API call that failed, with the gateway's error body read. */
export class ApiError extends Error {
  readonly problem: ApiProblem;
  constructor(problem: ApiProblem) {
    super(problem.message);
    this.name = "ApiError";
    this.problem = problem;
  }
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** Authorization header value of a token (`<id>:<secret>`). */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

let onUnauthorized: () => void = () => {};

/** Called when the gateway rejects the session's token (revoked, or the database was reset). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = storedToken();
    if (token !== null && !request.headers.has("authorization")) request.headers.set("authorization", bearer(token));
    return request;
  },
  onResponse({ request, response }) {
    const token = storedToken();
    if (response.status === 401 && token !== null && request.headers.get("authorization") === bearer(token)) {
      storeToken(null);
      onUnauthorized();
    }
    return response;
  },
};

export const client = createClient<paths>({ baseUrl: "" });
client.use(auth);

interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer; an ApiError otherwise. */
async function unwrap<T>(call: Promise<Answer>): Promise<T> {
  let res: Answer;
  try {
    res = await call;
  } catch (err) {
    throw new ApiError(networkProblem(err));
  }
  if (!res.response.ok) throw new ApiError(toApiProblem(res.response.status, res.error));
  return res.data as T;
}

/** The token's own check at login: GET /api2/json/access/token with that token. */
export async function checkToken(token: string): Promise<void> {
  await unwrap(client.GET("/api2/json/access/token", { headers: { authorization: bearer(token) } }));
}

export type Body = Record<string, unknown>;

interface ConfigCalls {
  list(): Promise<Answer>;
  get(key: string): Promise<Answer>;
  create(body: Body): Promise<Answer>;
  update(key: string, body: Body): Promise<Answer>;
  remove(key: string): Promise<Answer>;
}

/** One typed call per kind and operation (the bodies come from the form specs). */
const CONFIG: Record<ConfigKind, ConfigCalls> = {
  changer: {
    list: () => client.GET("/api2/json/config/changer"),
    get: (name) => client.GET("/api2/json/config/changer/{name}", { params: { path: { name } } }),
    create: (body) => client.POST("/api2/json/config/changer", { body: body as Schemas["ChangerCreate"] }),
    update: (name, body) => client.PUT("/api2/json/config/changer/{name}", { params: { path: { name } }, body: body as Schemas["ChangerUpdate"] }),
    remove: (name) => client.DELETE("/api2/json/config/changer/{name}", { params: { path: { name } } }),
  },
  drive: {
    list: () => client.GET("/api2/json/config/drive"),
    get: (name) => client.GET("/api2/json/config/drive/{name}", { params: { path: { name } } }),
    create: (body) => client.POST("/api2/json/config/drive", { body: body as Schemas["DriveCreate"] }),
    update: (name, body) => client.PUT("/api2/json/config/drive/{name}", { params: { path: { name } }, body: body as Schemas["DriveUpdate"] }),
    remove: (name) => client.DELETE("/api2/json/config/drive/{name}", { params: { path: { name } } }),
  },
  "media-pool": {
    list: () => client.GET("/api2/json/config/media-pool"),
    get: (name) => client.GET("/api2/json/config/media-pool/{name}", { params: { path: { name } } }),
    create: (body) => client.POST("/api2/json/config/media-pool", { body: body as Schemas["MediaPoolCreate"] }),
    update: (name, body) => client.PUT("/api2/json/config/media-pool/{name}", { params: { path: { name } }, body: body as Schemas["MediaPoolUpdate"] }),
    remove: (name) => client.DELETE("/api2/json/config/media-pool/{name}", { params: { path: { name } } }),
  },
  "tape-backup-job": {
    list: () => client.GET("/api2/json/config/tape-backup-job"),
    get: (id) => client.GET("/api2/json/config/tape-backup-job/{id}", { params: { path: { id } } }),
    create: (body) => client.POST("/api2/json/config/tape-backup-job", { body: body as Schemas["TapeBackupJobCreate"] }),
    update: (id, body) => client.PUT("/api2/json/config/tape-backup-job/{id}", { params: { path: { id } }, body: body as Schemas["TapeBackupJobUpdate"] }),
    remove: (id) => client.DELETE("/api2/json/config/tape-backup-job/{id}", { params: { path: { id } } }),
  },
  datastore: {
    list: () => client.GET("/api2/json/config/datastore"),
    get: (name) => client.GET("/api2/json/config/datastore/{name}", { params: { path: { name } } }),
    create: (body) => client.POST("/api2/json/config/datastore", { body: body as Schemas["DatastoreCreate"] }),
    update: (name, body) => client.PUT("/api2/json/config/datastore/{name}", { params: { path: { name } }, body: body as Schemas["DatastoreUpdate"] }),
    remove: (name) => client.DELETE("/api2/json/config/datastore/{name}", { params: { path: { name } } }),
  },
};

export async function listConfig(kind: ConfigKind): Promise<Entry[]> {
  return (await unwrap<{ data: Entry[] }>(CONFIG[kind].list())).data;
}

/** An entry and its digest (sent back with an update). */
export async function getConfig(kind: ConfigKind, key: string): Promise<{ data: Entry; digest?: string }> {
  return unwrap<{ data: Entry; digest?: string }>(CONFIG[kind].get(key));
}

export async function createConfig(kind: ConfigKind, body: Body): Promise<Entry> {
  return (await unwrap<{ data: Entry }>(CONFIG[kind].create(body))).data;
}

export async function updateConfig(kind: ConfigKind, key: string, body: Body): Promise<Entry> {
  return (await unwrap<{ data: Entry }>(CONFIG[kind].update(key, body))).data;
}

export async function removeConfig(kind: ConfigKind, key: string): Promise<void> {
  await unwrap(CONFIG[kind].remove(key));
}

export type TokenInfo = Schemas["TokenInfo"];

export async function listTokens(): Promise<TokenInfo[]> {
  return (await unwrap<{ data: TokenInfo[] }>(client.GET("/api2/json/access/token"))).data;
}

/** The gateway's readiness probe (no token; not part of the OpenAPI document). */
export interface Readiness {
  status: string;
  checks: Record<string, boolean>;
}

export async function readiness(): Promise<Readiness> {
  let res: Response;
  try {
    res = await fetch("/readyz");
  } catch (err) {
    throw new ApiError(networkProblem(err));
  }
  const body: unknown = await res.json().catch(() => null);
  if (typeof body === "object" && body !== null && "checks" in body) return body as Readiness;
  throw new ApiError(toApiProblem(res.status, body));
}

// ---- Tape devices and tasks (PBS routes; the data schemas are the api-types interfaces) ----

export type { ChangerStatusEntry, MediaEntry, TaskInfo, TaskLogLine, TaskStatus };

/** The node name of the task routes (PBS style; tapefleet has one logical node). */
export const TASK_NODE = "localhost";

/** A configured drive or changer with where it lives (`/tape/drive`, `/tape/changer`). */
export type LocatedDevice = Entry & { state?: "online" | "offline" | "unknown"; serial?: string; vendor?: string; model?: string; "host-id"?: string };

export async function listTapeDrives(): Promise<LocatedDevice[]> {
  return (await unwrap<{ data: LocatedDevice[] }>(client.GET("/api2/json/tape/drive"))).data;
}

export async function listTapeChangers(): Promise<LocatedDevice[]> {
  return (await unwrap<{ data: LocatedDevice[] }>(client.GET("/api2/json/tape/changer"))).data;
}

export async function driveStatus(drive: string): Promise<Record<string, unknown>> {
  return (await unwrap<{ data: Record<string, unknown> }>(client.GET("/api2/json/tape/drive/{drive}/status", { params: { path: { drive } } }))).data;
}

export async function changerStatus(name: string): Promise<ChangerStatusEntry[]> {
  return (await unwrap<{ data: ChangerStatusEntry[] }>(client.GET("/api2/json/tape/changer/{name}/status", { params: { path: { name } } }))).data;
}

/** Loads the cartridge of `slot` into `drive`; the answer is the task's UPID. */
export async function loadSlot(drive: string, slot: number): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/tape/drive/{drive}/load-slot", { params: { path: { drive } }, body: { "source-slot": slot } }))).data;
}

/** Unloads `drive` (back to the slot the cartridge came from); the answer is the task's UPID. */
export async function unloadDrive(drive: string): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/tape/drive/{drive}/unload", { params: { path: { drive } }, body: {} }))).data;
}

// ---- Drive and changer operations (tape/drive/{drive}/..., tape/changer/{name}/...) ----

export type { MamAttributeEntry, TapeLabelInfo };

/** Cartridge memory (MAM) attributes of the loaded tape. */
export async function cartridgeMemory(drive: string): Promise<MamAttributeEntry[]> {
  return (await unwrap<{ data: MamAttributeEntry[] }>(client.GET("/api2/json/tape/drive/{drive}/cartridge-memory", { params: { path: { drive } } }))).data;
}

/** Volume statistics (log page 0x17) of the loaded tape: lifetime and last-mount counters. */
export async function volumeStatistics(drive: string): Promise<Record<string, unknown>> {
  return (await unwrap<{ data: Record<string, unknown> }>(client.GET("/api2/json/tape/drive/{drive}/volume-statistics", { params: { path: { drive } } }))).data;
}

/** The labels on the loaded tape; null for a tape without a label. */
export async function readLabel(drive: string, inventorize = false): Promise<TapeLabelInfo | null> {
  const res = await unwrap<{ data?: TapeLabelInfo | null }>(client.GET("/api2/json/tape/drive/{drive}/read-label", { params: { path: { drive }, query: inventorize ? { inventorize: true } : {} } }));
  return res.data ?? null;
}

/** Rewinds the tape; the answer is the task's UPID. */
export async function rewindDrive(drive: string): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/tape/drive/{drive}/rewind", { params: { path: { drive } } }))).data;
}

/** Ejects the tape; the answer is the task's UPID. */
export async function ejectMedia(drive: string): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/tape/drive/{drive}/eject-media", { params: { path: { drive } } }))).data;
}

/** Cleans the drive with the changer's cleaning cartridge; the answer is the task's UPID. */
export async function cleanDrive(drive: string): Promise<string> {
  return (await unwrap<{ data: string }>(client.PUT("/api2/json/tape/drive/{drive}/clean", { params: { path: { drive } } }))).data;
}

/** Formats the loaded tape (fast unless `fast` is false; `label-text` checks it is that tape); the answer is the task's UPID. */
export async function formatMedia(drive: string, opts: { fast?: boolean; "label-text"?: string } = {}): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/tape/drive/{drive}/format-media", { params: { path: { drive } }, body: opts }))).data;
}

/** Reads the labels of the drive's changer's tapes into the inventory (all of them with `readAll`); the answer is the task's UPID. */
export async function inventoryChanger(drive: string, readAll: boolean): Promise<string> {
  return (await unwrap<{ data: string }>(client.PUT("/api2/json/tape/drive/{drive}/inventory", { params: { path: { drive } }, body: readAll ? { "read-all-labels": true } : {} }))).data;
}

/** Moves the tape `label` (in a slot or a drive of the drive's changer) to a free import/export slot; the answer is the task's UPID. */
export async function exportMedia(drive: string, label: string): Promise<string> {
  return (await unwrap<{ data: string }>(client.PUT("/api2/json/tape/drive/{drive}/export-media", { params: { path: { drive } }, body: { "label-text": label } }))).data;
}

/** Moves a cartridge from one slot (or import/export slot) of a changer to another. */
export async function transferMedia(changer: string, from: number, to: number): Promise<void> {
  await unwrap(client.POST("/api2/json/tape/changer/{name}/transfer", { params: { path: { name: changer } }, body: { from, to } }));
}

/** Sets a medium's status (full, damaged, retired), or clears it (undefined). */
export async function setMediaStatus(uuid: string, status: string | undefined): Promise<void> {
  await unwrap(client.POST("/api2/json/tape/media/list/{uuid}/status", { params: { path: { uuid } }, body: status === undefined ? {} : { status } }));
}

export async function listTasks(query: { running?: boolean; limit?: number } = {}): Promise<TaskInfo[]> {
  return (await unwrap<{ data: TaskInfo[] }>(client.GET("/api2/json/nodes/{node}/tasks", { params: { path: { node: TASK_NODE }, query } }))).data;
}

export async function taskStatus(upid: string): Promise<TaskStatus> {
  return (await unwrap<{ data: TaskStatus }>(client.GET("/api2/json/nodes/{node}/tasks/{upid}/status", { params: { path: { node: TASK_NODE, upid } } }))).data;
}

/** Log lines from `start` (0-based), the total so far, and whether the task still runs. */
export async function taskLog(upid: string, start: number, limit = 500): Promise<{ data: TaskLogLine[]; total: number; active: boolean }> {
  return unwrap(client.GET("/api2/json/nodes/{node}/tasks/{upid}/log", { params: { path: { node: TASK_NODE, upid }, query: { start, limit } } }));
}

export async function stopTask(upid: string): Promise<void> {
  await unwrap(client.DELETE("/api2/json/nodes/{node}/tasks/{upid}", { params: { path: { node: TASK_NODE, upid } } }));
}

/** Labelled media of the inventory, optionally of one pool. */
export async function listMedia(query: { pool?: string } = {}): Promise<MediaEntry[]> {
  return (await unwrap<{ data: MediaEntry[] }>(client.GET("/api2/json/tape/media/list", { params: { query } }))).data;
}

/** A job waiting for an operator to load or insert a tape. */
export type { TapeRequestEntry };

export async function listTapeRequests(): Promise<TapeRequestEntry[]> {
  return (await unwrap<{ data: TapeRequestEntry[] }>(client.GET("/api2/json/tape/requests"))).data;
}

/** Runs a tape backup job now; the answer is the task's UPID. */
export async function runBackupJob(id: string): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/config/tape-backup-job/{id}/run", { params: { path: { id } } }))).data;
}

// ---- Media content, media sets, restores, encryption keys ----

export type { MediaContentRow, MediaSetEntry } from "../src/restore-wizard.ts";
/** A row of the media list (`/tape/media/list`: MediaEntry plus expiry and the set's name). */
export type MediaListEntry = MediaEntry & { "media-set-name"?: string; expired?: boolean; "expire-time"?: number; catalog?: boolean };

export interface MediaContentQuery {
  "label-text"?: string;
  pool?: string;
  "media-set-uuid"?: string;
  snapshot?: string;
  store?: string;
}

/** Snapshots on tape, from the catalog (PBS `media content`). */
export async function mediaContent(query: MediaContentQuery = {}): Promise<MediaContentRow[]> {
  return (await unwrap<{ data: MediaContentRow[] }>(client.GET("/api2/json/tape/media/content", { params: { query } }))).data;
}

/** Media sets, newest first, with their members. */
export async function listMediaSets(query: { pool?: string } = {}): Promise<MediaSetEntry[]> {
  return (await unwrap<{ data: MediaSetEntry[] }>(client.GET("/api2/json/tape/media/media-sets", { params: { query } }))).data;
}

/** Removes a medium from the inventory. */
export async function destroyMedia(labelText: string): Promise<void> {
  await unwrap(client.POST("/api2/json/tape/media/destroy", { body: { "label-text": labelText } }));
}

/** Sets a medium's location to a vault (or offline without one). */
export async function moveMedia(labelText: string, vault: string | undefined): Promise<void> {
  await unwrap(client.POST("/api2/json/tape/media/move", { body: { "label-text": labelText, ...(vault === undefined ? {} : { "vault-name": vault }) } }));
}

/** Starts a restore; the answer is the task's UPID. */
export async function startRestore(body: Body): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/tape/restore", { body: body as never }))).data;
}

/** A tape encryption key (fingerprint, hint, created; `show` adds kdf and modified). */
export interface KeyInfo {
  fingerprint: string;
  hint?: string;
  created: number;
  kdf?: string;
  modified?: number;
}

export async function listKeys(): Promise<KeyInfo[]> {
  return (await unwrap<{ data: KeyInfo[] }>(client.GET("/api2/json/config/tape-encryption-keys"))).data;
}

export async function showKey(fingerprint: string): Promise<KeyInfo> {
  return (await unwrap<{ data: KeyInfo }>(client.GET("/api2/json/config/tape-encryption-keys/{fingerprint}", { params: { path: { fingerprint } } }))).data;
}

/** Creates a key; the answer is its fingerprint. */
export async function createKey(body: Body): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/config/tape-encryption-keys", { body: body as never }))).data;
}

export async function updateKey(fingerprint: string, body: Body): Promise<void> {
  await unwrap(client.PUT("/api2/json/config/tape-encryption-keys/{fingerprint}", { params: { path: { fingerprint } }, body: body as never }));
}

export async function removeKey(fingerprint: string, force = false): Promise<void> {
  await unwrap(client.DELETE("/api2/json/config/tape-encryption-keys/{fingerprint}", { params: { path: { fingerprint }, query: force ? { force: true } : {} } }));
}

export async function importKey(body: Body): Promise<KeyInfo> {
  return (await unwrap<{ data: KeyInfo }>(client.POST("/api2/json/config/tape-encryption-keys/import", { body: body as never }))).data;
}

/** The paper key of a key: `html` (with the QR code as an SVG image) or `text`. */
export async function paperkey(fingerprint: string, format: "html" | "text"): Promise<string> {
  return (await unwrap<{ data: string }>(client.GET("/api2/json/config/tape-encryption-keys/{fingerprint}/paperkey", { params: { path: { fingerprint }, query: { "output-format": format } } }))).data;
}

/** The last `count` log lines of a task (for its latest progress). */
export async function taskLogTail(upid: string, count: number): Promise<TaskLogLine[]> {
  const head = await taskLog(upid, 0, 1);
  if (head.total <= 1) return head.data;
  return (await taskLog(upid, Math.max(0, head.total - count), count)).data;
}

/** Labels every new tape of the drive's changer with its barcode (into `pool` when given); the answer is the task's UPID. */
export async function barcodeLabel(drive: string, pool: string | undefined): Promise<string> {
  return (await unwrap<{ data: string }>(client.POST("/api2/json/tape/drive/{drive}/barcode-label-media", { params: { path: { drive } }, body: pool === undefined ? {} : { pool } }))).data;
}
