import { apiJsonSchemas, CONFIG_KIND_INFO, CONFIG_KINDS, type ConfigKind } from "@tapefleet/api-types";
import { API_ROOT } from "./http/routes.ts";
import { TAPE_ROUTES } from "./http/tape-routes.ts";

/** Component names per kind: `<Prefix>Config`, `<Prefix>Create`, `<Prefix>Update`. */
const PREFIX: Record<ConfigKind, string> = {
  changer: "Changer",
  drive: "Drive",
  "media-pool": "MediaPool",
  "tape-backup-job": "TapeBackupJob",
  datastore: "Datastore",
};

const TAG_OF: Record<ConfigKind, string> = {
  changer: "changers",
  drive: "drives",
  "media-pool": "media-pools",
  "tape-backup-job": "tape-backup-jobs",
  datastore: "datastores",
};

const PATH_PARAM_TEXT: Record<string, string> = {
  drive: "Drive name.",
  name: "Changer name.",
  node: "Node name (any; tasks of every node are served).",
  upid: "Task UPID.",
  uuid: "Medium UUID.",
  id: "Tape backup job id.",
  store: "Datastore name.",
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ "application/json": { schema } });
const dataOf = (schema: unknown) => json({ type: "object", required: ["data"], properties: { data: schema } });

/** Error responses per status (every one has the ErrorResponse body). */
const ERRORS: Record<string, string> = {
  "400": "Invalid input: `errors` names each bad field.",
  "401": "No or invalid API token.",
  "403": "The token's role may not do this (audit tokens are read-only).",
  "404": "No such entry.",
  "409": "Conflicts with existing configuration (duplicate, in use, drive number taken, or digest mismatch).",
  "503": "The inventory service is unavailable.",
  "504": "The service did not answer in time.",
};

function errors(...statuses: string[]) {
  return Object.fromEntries(statuses.map((s) => [s, { description: ERRORS[s]!, content: json(ref("ErrorResponse")) }]));
}

function op(operationId: string, summary: string, tag: string, extra: Record<string, unknown>) {
  return { operationId, summary, tags: [tag], ...extra };
}

/**
 * The OpenAPI 3.1 document of the API, generated from the @tapefleet/api-types
 * schemas (so the document and the validation cannot drift apart).
 */
export function buildOpenApiDocument(opts: { version: string; serverUrl?: string }): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const kind of CONFIG_KINDS) {
    const info = CONFIG_KIND_INFO[kind];
    const p = PREFIX[kind];
    const tag = TAG_OF[kind];
    const keyParam = { name: info.key, in: "path", required: true, description: `The ${info.title}'s ${info.key}.`, schema: { type: "string" } };
    paths[`${API_ROOT}/config/${kind}`] = {
      get: op(`list${p}`, `List ${info.title}s`, tag, {
        responses: { "200": { description: `Every ${info.title}, sorted by ${info.key}.`, content: dataOf({ type: "array", items: ref(`${p}Config`) }) }, ...errors("401", "503") },
      }),
      post: op(`create${p}`, `Create a ${info.title}`, tag, {
        requestBody: { required: true, content: json(ref(`${p}Create`)) },
        responses: { "200": { description: `The new ${info.title}.`, content: dataOf(ref(`${p}Config`)) }, ...errors("400", "401", "403", "409", "503") },
      }),
    };
    paths[`${API_ROOT}/config/${kind}/{${info.key}}`] = {
      parameters: [keyParam],
      get: op(`get${p}`, `Read a ${info.title}`, tag, {
        responses: {
          "200": {
            description: `The ${info.title} and its digest (send it back with an update to detect concurrent changes).`,
            content: json({ type: "object", required: ["data", "digest"], properties: { data: ref(`${p}Config`), digest: { type: "string", pattern: "^[0-9a-f]{64}$" } } }),
          },
          ...errors("401", "404", "503"),
        },
      }),
      put: op(`update${p}`, `Update a ${info.title}`, tag, {
        requestBody: { required: true, content: json(ref(`${p}Update`)) },
        responses: { "200": { description: `The ${info.title} as updated.`, content: dataOf(ref(`${p}Config`)) }, ...errors("400", "401", "403", "404", "409", "503") },
      }),
      delete: op(`remove${p}`, `Remove a ${info.title}`, tag, {
        responses: { "200": { description: "Removed.", content: dataOf({ type: "null" }) }, ...errors("401", "403", "404", "409", "503") },
      }),
    };
  }
  paths[`${API_ROOT}/access/token`] = {
    get: op("listTokens", "List API tokens", "access", {
      responses: { "200": { description: "Every token (without secrets).", content: dataOf({ type: "array", items: ref("TokenInfo") }) }, ...errors("401") },
    }),
    post: op("createToken", "Create an API token", "access", {
      requestBody: { required: true, content: json(ref("CreateTokenRequest")) },
      responses: { "200": { description: "The new token; its secret is shown only here.", content: dataOf(ref("CreatedToken")) }, ...errors("400", "401", "403") },
    }),
  };
  paths[`${API_ROOT}/access/token/{id}`] = {
    parameters: [{ name: "id", in: "path", required: true, description: "Token id.", schema: { type: "string" } }],
    delete: op("removeToken", "Remove an API token", "access", {
      responses: { "200": { description: "Removed.", content: dataOf({ type: "null" }) }, ...errors("401", "403", "404") },
    }),
  };
  for (const r of TAPE_ROUTES) {
    const params = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
      name: m[1]!,
      in: "path",
      required: true,
      description: PATH_PARAM_TEXT[m[1]!] ?? m[1]!,
      schema: { type: "string" },
    }));
    const query = Object.entries(r.query ?? {}).map(([name, type]) => ({
      name,
      in: "query",
      required: false,
      description: `${name} (${type === "bool" ? "1/0, true/false" : type === "int" ? "integer" : "text"})`,
      schema: { type: type === "bool" ? "boolean" : type === "int" ? "integer" : "string" },
    }));
    const body = r.body
      ? {
          requestBody: {
            required: Object.values(r.body).some((f) => f.required),
            content: json({
              type: "object",
              additionalProperties: false,
              properties: Object.fromEntries(
                Object.entries(r.body).map(([k, f]) => [k, f.type === "array" ? { type: "array", items: { type: "string" }, description: f.description } : { type: f.type, description: f.description }]),
              ),
              required: Object.entries(r.body)
                .filter(([, f]) => f.required)
                .map(([k]) => k),
            }),
          },
        }
      : {};
    const write = r.method !== "GET";
    const data = r.task ? { type: "string", description: "UPID of the task (follow it with /nodes/{node}/tasks/{upid}/log)." } : {};
    const paths_ = (paths[`${API_ROOT}${r.path}`] ??= {}) as Record<string, unknown>;
    paths_[r.method.toLowerCase()] = op(r.operationId, r.summary, r.tag, {
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...body,
      responses: {
        "200": { description: r.task ? "The task started: its UPID." : "The result.", content: dataOf(data) },
        ...errors(...(write ? ["400", "401", "403", "404", "409", "503", "504"] : ["400", "401", "404", "409", "503", "504"])),
      },
    });
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "tapefleet API",
      version: opts.version,
      description:
        "Configuration of tape libraries (changers, drives), media pools, tape backup jobs and datastores; media, backup and restore, shaped like the Proxmox Backup Server API " +
        "(`/api2/json/...`, kebab-case keys, responses wrapped in `data`). Every route requires an API token; this document, " +
        "`/healthz` and `/readyz` do not.",
    },
    servers: [{ url: opts.serverUrl ?? "http://127.0.0.1:8007", description: "The API gateway." }],
    security: [{ bearer: [] }, { pbsApiToken: [] }],
    tags: [
      { name: "changers", description: "Medium changers (tape library robots)." },
      { name: "drives", description: "LTO tape drives." },
      { name: "media-pools", description: "Media pools: allocation, retention, encryption." },
      { name: "tape-backup-jobs", description: "Scheduled tape backup jobs." },
      { name: "access", description: "API tokens (admin or audit role)." },
      { name: "tape-changers", description: "Changer operations (through the scheduler and the device agents)." },
      { name: "tape-drives", description: "Drive operations; long ones run as tasks and return a UPID." },
      { name: "tape-media", description: "The media inventory, media sets and the tape catalog's content." },
      { name: "tape-jobs", description: "Tape backup and restore (tasks), backup job runs, tape requests of waiting jobs." },
      { name: "datastores", description: "Datastores on the device agents' hosts: configuration, sample data and file ingest (tasks)." },
      { name: "tasks", description: "Tasks (PBS worker tasks): list, status, log, stop." },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "`Authorization: Bearer <id>:<secret>`." },
        pbsApiToken: { type: "apiKey", in: "header", name: "Authorization", description: "PBS form: `Authorization: PBSAPIToken=<id>:<secret>`." },
      },
      schemas: apiJsonSchemas(),
    },
  };
}
