import {
  INVENTORY_JOB_SUBJECTS,
  mediaMoveRequest,
  type MediaListRow,
  deviceLocationSubject,
  inventorySubject,
  matchesConfiguredPath,
  mediaSubject,
  schedulerDeviceSubject,
  taskSubject,
  type ChangerConfig,
  type DeviceLocation,
  type DeviceOp,
  type DriveConfig,
  type TaskOp,
} from "@tapefleet/api-types";
import { ValidationError, type Bus } from "@tapefleet/common";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { API_ROOT } from "./routes.ts";
import { JOB_ROUTES, toBusRequest } from "./job-routes.ts";
import { KEY_ROUTES } from "./key-routes.ts";

const MOVE_FIELDS = {
  uuid: { bus: "uuid", field: { type: "string" as const, description: "Medium UUID." } },
  "label-text": { bus: "labelText", field: { type: "string" as const, description: "Label text." } },
  "vault-name": { bus: "vault", field: { type: "string" as const, description: "Vault." } },
};

/** How an HTTP route reaches its service. */
export interface TapeRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under `/api2/json`, with `{param}`s (OpenAPI form). */
  path: string;
  operationId: string;
  summary: string;
  tag: "tape-changers" | "tape-drives" | "tape-media" | "tape-jobs" | "datastores" | "tasks";
  /** Device operation (scheduler) the route runs. */
  op?: DeviceOp;
  /** Task API (scheduler) the route calls. */
  taskOp?: TaskOp;
  /** Operation that runs as a task: the reply is `{"data": "<UPID>"}`. */
  task?: boolean;
  /** A forward that touches a drive: waits as long as device operations do. */
  long?: boolean;
  /** Query parameters (GET) and their types. */
  query?: Record<string, "bool" | "int" | "string">;
  /** Body fields (POST/PUT) for the document; validation happens in the scheduler. */
  body?: Record<string, { type: "boolean" | "integer" | "string" | "array"; description: string; required?: boolean }>;
  /** Forward to a bus subject: the request built from the HTTP input and path parameters (validated there). */
  forward?: {
    subject: string;
    build(input: Record<string, unknown>, params: Record<string, string>): unknown;
    /** Reply → `data`. */
    map?(data: unknown): unknown;
  };
}

const drive = "/tape/drive/{drive}";
const labelText = { type: "string" as const, description: "Label text (barcode)." };

/** Every tape and task route (PBS paths), shared by the router and the OpenAPI document. */
export const TAPE_ROUTES: readonly TapeRoute[] = [
  { method: "GET", path: "/tape/scan-changers", operationId: "scanChangers", summary: "Scan every device agent for medium changers", tag: "tape-changers", op: "scan-changers" },
  { method: "GET", path: "/tape/scan-drives", operationId: "scanDrives", summary: "Scan every device agent for tape drives", tag: "tape-drives", op: "scan-drives" },
  { method: "GET", path: "/tape/changer", operationId: "listTapeChangers", summary: "Configured changers with where they live", tag: "tape-changers" },
  { method: "GET", path: "/tape/drive", operationId: "listTapeDrives", summary: "Configured drives with where they live", tag: "tape-drives" },
  { method: "GET", path: "/tape/changer/{name}/status", operationId: "changerStatus", summary: "Changer status (drives, slots, import/export slots)", tag: "tape-changers", op: "changer-status" },
  {
    method: "POST",
    path: "/tape/changer/{name}/transfer",
    operationId: "changerTransfer",
    summary: "Move a cartridge from one slot to another",
    tag: "tape-changers",
    op: "transfer",
    body: { from: { type: "integer", description: "Source slot.", required: true }, to: { type: "integer", description: "Target slot.", required: true } },
  },
  { method: "GET", path: `${drive}/status`, operationId: "driveStatus", summary: "Drive and medium status", tag: "tape-drives", op: "status" },
  { method: "GET", path: `${drive}/cartridge-memory`, operationId: "cartridgeMemory", summary: "Cartridge memory (MAM) attributes", tag: "tape-drives", op: "cartridge-memory" },
  { method: "GET", path: `${drive}/volume-statistics`, operationId: "volumeStatistics", summary: "Volume statistics (log page 0x17)", tag: "tape-drives", op: "volume-statistics" },
  { method: "GET", path: `${drive}/read-label`, operationId: "readLabel", summary: "Read the media labels", tag: "tape-drives", op: "read-label", query: { inventorize: "bool" } },
  { method: "GET", path: `${drive}/inventory`, operationId: "inventoryList", summary: "Online tapes of the drive's changer and their uuids", tag: "tape-drives", op: "inventory-list" },
  {
    method: "PUT",
    path: `${drive}/inventory`,
    operationId: "inventoryUpdate",
    summary: "Read the labels of the changer's tapes into the inventory",
    tag: "tape-drives",
    op: "inventory",
    task: true,
    body: { "read-all-labels": { type: "boolean", description: "Also re-read tapes already in the inventory." } },
  },
  { method: "POST", path: `${drive}/rewind`, operationId: "rewind", summary: "Rewind the tape", tag: "tape-drives", op: "rewind", task: true },
  { method: "POST", path: `${drive}/eject-media`, operationId: "ejectMedia", summary: "Eject the tape", tag: "tape-drives", op: "eject", task: true },
  {
    method: "POST",
    path: `${drive}/erase-media`,
    operationId: "eraseMedia",
    summary: "Erase the tape",
    tag: "tape-drives",
    op: "erase",
    task: true,
    body: { fast: { type: "boolean", description: "Fast erase (default true)." }, "label-text": labelText },
  },
  {
    method: "POST",
    path: `${drive}/format-media`,
    operationId: "formatMedia",
    summary: "Format the tape",
    tag: "tape-drives",
    op: "format",
    task: true,
    body: { fast: { type: "boolean", description: "Fast format (default true)." }, "label-text": labelText },
  },
  { method: "POST", path: `${drive}/load-media`, operationId: "loadMedia", summary: "Load a tape by label", tag: "tape-drives", op: "load-media", task: true, body: { "label-text": { ...labelText, required: true } } },
  {
    method: "POST",
    path: `${drive}/load-slot`,
    operationId: "loadSlot",
    summary: "Load a tape from a slot",
    tag: "tape-drives",
    op: "load-slot",
    task: true,
    body: { "source-slot": { type: "integer", description: "Slot to load from.", required: true } },
  },
  {
    method: "POST",
    path: `${drive}/unload`,
    operationId: "unloadMedia",
    summary: "Unload the tape to a slot",
    tag: "tape-drives",
    op: "unload",
    task: true,
    body: { "target-slot": { type: "integer", description: "Target slot (default: where it came from, else the first free)." } },
  },
  {
    method: "PUT",
    path: `${drive}/export-media`,
    operationId: "exportMedia",
    summary: "Move a tape to an import/export slot",
    tag: "tape-drives",
    op: "export-media",
    task: true,
    body: { "label-text": { ...labelText, required: true } },
  },
  { method: "PUT", path: `${drive}/clean`, operationId: "cleanDrive", summary: "Clean the drive with a cleaning cartridge", tag: "tape-drives", op: "clean", task: true },
  {
    method: "POST",
    path: `${drive}/label-media`,
    operationId: "labelMedia",
    summary: "Label the loaded tape",
    tag: "tape-drives",
    op: "label",
    task: true,
    body: { "label-text": { ...labelText, required: true }, pool: { type: "string", description: "Media pool." } },
  },
  {
    method: "POST",
    path: `${drive}/barcode-label-media`,
    operationId: "barcodeLabelMedia",
    summary: "Label every new tape of the changer with its barcode",
    tag: "tape-drives",
    op: "barcode-label",
    task: true,
    body: { pool: { type: "string", description: "Media pool." } },
  },
  {
    method: "GET",
    path: "/tape/media/list",
    operationId: "listMedia",
    summary: "Media of the inventory with status, media set, expiry and bytes used (PBS media list)",
    tag: "tape-media",
    query: { pool: "string", location: "string" },
  },
  {
    method: "POST",
    path: "/tape/media/move",
    operationId: "moveMedia",
    summary: "Set a medium's location to a vault, or offline",
    tag: "tape-media",
    body: {
      "label-text": labelText,
      uuid: { type: "string", description: "Medium UUID (instead of label-text)." },
      "vault-name": { type: "string", description: "Vault name; absent: offline." },
    },
  },
  {
    method: "POST",
    path: "/tape/media/list/{uuid}/status",
    operationId: "setMediaStatus",
    summary: "Set or clear a medium's status (full, damaged, retired)",
    tag: "tape-media",
    body: { status: { type: "string", description: "full, damaged or retired; absent: clear (unknown)." } },
  },
  { method: "GET", path: "/nodes/{node}/tasks", operationId: "listTasks", summary: "Tasks, newest first", tag: "tasks", taskOp: "list", query: { running: "bool", limit: "int", start: "int" } },
  { method: "GET", path: "/nodes/{node}/tasks/{upid}/status", operationId: "taskStatus", summary: "Status of a task", tag: "tasks", taskOp: "status" },
  { method: "GET", path: "/nodes/{node}/tasks/{upid}/log", operationId: "taskLog", summary: "Log lines of a task", tag: "tasks", taskOp: "log", query: { start: "int", limit: "int" } },
  { method: "DELETE", path: "/nodes/{node}/tasks/{upid}", operationId: "stopTask", summary: "Stop a running task", tag: "tasks", taskOp: "stop" },
  ...JOB_ROUTES,
  ...KEY_ROUTES,
];

/** `{drive}` → `:drive` (Fastify form). */
function fastifyPath(path: string): string {
  return API_ROOT + path.replace(/\{([^}]+)\}/g, ":$1");
}

/** Typed query parameters; a bad value is a validation error of that parameter. */
export function parseQuery(query: unknown, spec: Record<string, "bool" | "int" | "string"> | undefined): Record<string, unknown> {
  const q = (query ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(spec ?? {})) {
    const v = q[name];
    if (typeof v !== "string") continue;
    if (type === "bool") {
      if (!["1", "0", "true", "false"].includes(v)) throw ValidationError.field(name, "must be a boolean (1, 0, true, false)");
      out[name] = v === "1" || v === "true";
    } else if (type === "int") {
      if (!/^\d{1,9}$/.test(v)) throw ValidationError.field(name, "must be a non-negative integer");
      out[name] = Number(v);
    } else out[name] = v;
  }
  return out;
}

/** A configured device with where it lives (`/tape/drive`, `/tape/changer`). */
export function withLocation<T extends { path: string }>(config: T, locations: readonly DeviceLocation[]): T & Record<string, unknown> {
  const found = locations.filter((l) => matchesConfiguredPath(config.path, l));
  const l = found.find((x) => x.online) ?? found[0];
  if (!l) return { ...config, state: "unknown" };
  return { ...config, serial: l.serial, vendor: l.vendor, model: l.model, "host-id": l["host-id"], state: l.online ? "online" : "offline" };
}

/**
 * The tape routes: thin forwards to the scheduler (device operations, tasks)
 * and the inventory (media, device locations) over NATS. The caller's token id
 * travels as `user`.
 */
export function registerTapeRoutes(app: FastifyInstance, deps: { bus: Bus; requestTimeoutMs: number; deviceTimeoutMs: number }): void {
  const { bus } = deps;
  const ask = (req: FastifyRequest, subject: string, payload: unknown, long = false) =>
    bus.request(subject, payload, { timeoutMs: long ? deps.deviceTimeoutMs : deps.requestTimeoutMs, requestId: req.id });
  for (const r of TAPE_ROUTES) {
    app.route({
      method: r.method,
      url: fastifyPath(r.path),
      handler: async (req) => {
        const params = (req.params ?? {}) as Record<string, string>;
        const input = r.method === "GET" || r.method === "DELETE" ? parseQuery(req.query, r.query) : { ...((req.body as Record<string, unknown> | undefined) ?? {}) };
        if (r.op) {
          const payload: Record<string, unknown> = { ...input, user: req.principal?.tokenId ?? "root" };
          if (params["drive"] !== undefined) payload["drive"] = params["drive"];
          if (params["name"] !== undefined) payload["changer"] = params["name"];
          const data = await ask(req, schedulerDeviceSubject(r.op), payload, true);
          return { data: r.task ? (data as { upid: string }).upid : data };
        }
        if (r.taskOp) {
          const payload = { ...input, ...(params["upid"] !== undefined ? { upid: params["upid"] } : {}) };
          const data = await ask(req, taskSubject(r.taskOp), payload);
          if (r.taskOp === "log") {
            const page = data as { lines: unknown[]; total: number; active: boolean };
            return { data: page.lines, total: page.total, active: page.active };
          }
          return { data };
        }
        if (r.forward) {
          const built = r.forward.build(input, params) as Record<string, unknown>;
          // Tasks run as the caller: the token id travels as `user` (the scheduler's task owner).
          const payload = r.task ? { ...built, user: req.principal?.tokenId ?? "root" } : built;
          const data = await ask(req, r.forward.subject, payload, r.task === true || r.long === true);
          if (r.task) return { data: (data as { upid: string }).upid };
          return { data: r.forward.map ? r.forward.map(data) : data };
        }
        if (r.operationId === "listMedia") {
          const rows = (await ask(req, INVENTORY_JOB_SUBJECTS.mediaTable, input["pool"] === undefined ? {} : { pool: input["pool"] })) as MediaListRow[];
          const loc = input["location"] as string | undefined;
          return { data: loc === undefined ? rows : rows.filter((m) => (loc.endsWith("-") ? m.location.startsWith(loc) : m.location === loc)) };
        }
        if (r.operationId === "moveMedia") {
          return { data: await ask(req, INVENTORY_JOB_SUBJECTS.mediaMove, toBusRequest(mediaMoveRequest, MOVE_FIELDS, input)) };
        }
        if (r.operationId === "setMediaStatus") {
          return { data: await ask(req, mediaSubject("update"), { uuid: params["uuid"], status: input["status"] ?? "unknown" }) };
        }
        const kind = r.operationId === "listTapeDrives" ? "drive" : "changer";
        const [configs, locations] = await Promise.all([
          ask(req, inventorySubject(kind, "list"), undefined) as Promise<(DriveConfig | ChangerConfig)[]>,
          ask(req, deviceLocationSubject("list"), { kind }) as Promise<DeviceLocation[]>,
        ]);
        return { data: configs.map((c) => withLocation(c, locations)) };
      },
    });
  }
}
